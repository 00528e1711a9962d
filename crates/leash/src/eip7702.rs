//! EIP-7702: an existing EOA delegates to an account implementation (LeashEOAAccount) and keeps
//! its address and balance. The EOA sends the type-4 transaction itself, carrying its own signed
//! authorization; afterwards its code is the delegation designator `0xef0100 ++ implementation`.

use alloy::eips::eip7702::Authorization;
use alloy::network::TransactionBuilder7702;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use eyre::{eyre, Result, WrapErr};

use crate::provider::{Confirm, Unfunded};

/// The first bytes of a delegated EOA's code.
pub const DESIGNATOR_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];

/// What a delegating transaction is given: the authorization costs 25,000 gas, the call to the
/// EOA itself (no data, no value) runs the implementation's `receive`.
const DELEGATION_GAS: u64 = 100_000;

/// The code of an EOA delegated to `implementation`.
pub fn designator(implementation: Address) -> Bytes {
    [&DESIGNATOR_PREFIX[..], implementation.as_slice()].concat().into()
}

/// The implementation `code` delegates to, if it is a delegation designator.
pub fn delegate_of(code: &[u8]) -> Option<Address> {
    (code.len() == 23 && code[..3] == DESIGNATOR_PREFIX).then(|| Address::from_slice(&code[3..]))
}

/// Delegates `eoa`'s address to `implementation`: a type-4 transaction from the EOA to itself
/// through `provider` (which must sign with `eoa`), carrying the authorization `eoa` signs. Fails
/// unless the EOA's code is then the designator of `implementation`.
pub async fn delegate<P: Provider>(
    provider: &P,
    eoa: &PrivateKeySigner,
    implementation: Address,
) -> Result<TransactionReceipt> {
    let address = eoa.address();
    let chain_id = provider.get_chain_id().await.wrap_err("reading the chain id")?;
    let nonce = provider.get_transaction_count(address).await.wrap_err("reading the EOA's nonce")?;
    // The sender's nonce goes up before the authorization list is processed: the authorization
    // names the nonce after this transaction's.
    let authorization =
        Authorization { chain_id: U256::from(chain_id), address: implementation, nonce: nonce + 1 };
    let signature =
        eoa.sign_hash_sync(&authorization.signature_hash()).wrap_err("signing the authorization")?;
    let tx = TransactionRequest::default()
        .to(address)
        .nonce(nonce)
        .gas_limit(DELEGATION_GAS)
        .with_authorization_list(vec![authorization.into_signed(signature)]);
    let pending = match provider.send_transaction(tx).await {
        Ok(pending) => pending,
        Err(e) => {
            let unfunded =
                Unfunded::from_send_error(provider, &e, "the delegation", "the EOA's", DELEGATION_GAS).await;
            return Err(match unfunded {
                Some(u) => u.with_key(provider, address).await?.into(),
                None => eyre::Report::new(e).wrap_err("could not send the delegation"),
            });
        }
    };
    // A reverted transaction is an error here already.
    let receipt = pending.confirmed().await.wrap_err("no receipt for the delegation")?;
    let code = provider.get_code_at(address).await.wrap_err("reading the EOA's code")?;
    match delegate_of(&code) {
        Some(to) if to == implementation => Ok(receipt),
        Some(to) => {
            Err(eyre!("{address} delegates to {to}, not {implementation}: the authorization was not applied"))
        }
        None => Err(eyre!(
            "{address} has no delegation after {}: the authorization was not applied",
            receipt.transaction_hash
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_designator_names_its_implementation_and_nothing_else_does() {
        let implementation = Address::repeat_byte(0x42);
        let code = designator(implementation);
        assert_eq!(code.len(), 23);
        assert_eq!(&code[..3], &[0xef, 0x01, 0x00]);
        assert_eq!(delegate_of(&code), Some(implementation));
        assert_eq!(delegate_of(&code[..22]), None);
        assert_eq!(delegate_of(&[0x60; 23]), None);
        assert_eq!(delegate_of(&[]), None);
    }
}
