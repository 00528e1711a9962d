//! New accounts at counterfactual addresses, each through its kind's factory: the OpenZeppelin
//! ERC-7579 account (one ECDSA owner, EntryPoint v0.8), Biconomy's Nexus and the ERC-7579
//! reference account (MSA), both on EntryPoint v0.7 with the owner's key in a validator module a
//! bootstrap installs. The address follows from the factory, the owner's key and a salt, so it is
//! known (and can be funded) before the account exists.

use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, eyre, Result, WrapErr};
use serde::{Deserialize, Serialize};

use crate::abi::{
    BootstrapConfig, INexusAccountFactory, INexusBootstrap, IOwnerAccountFactory, IReferenceAccountFactory,
    IReferenceBootstrap,
};
use crate::account::AccountFlavor;
use crate::provider::Confirm;

/// What makes accounts of one kind on a chain: the factory and, on the accounts whose owner signs
/// through a validator module, the bootstrap that installs it and that validator.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccountFactory {
    pub factory: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_validator: Option<Address>,
}

/// The kinds `create` makes, by the name the command line and the deployment record use.
pub const KINDS: [(&str, AccountFlavor); 3] =
    [("oz", AccountFlavor::OpenZeppelin), ("nexus", AccountFlavor::Nexus), ("msa", AccountFlavor::Reference)];

/// The record's name of `flavor` (`oz`, `nexus`, `msa`), for the kinds `create` makes.
pub fn kind_name(flavor: AccountFlavor) -> Option<&'static str> {
    KINDS.iter().find(|(_, f)| *f == flavor).map(|(name, _)| *name)
}

/// Nexus' `initializeAccount` data: its bootstrap installing `validator` with `owner`'s address,
/// no module registry.
pub fn nexus_init(bootstrap: Address, validator: Address, owner: Address) -> Bytes {
    let call = INexusBootstrap::initNexusWithSingleValidatorCall {
        validator,
        data: owner.abi_encode().into(),
        registry: Address::ZERO,
        attesters: vec![],
        threshold: 0,
    };
    (bootstrap, Bytes::from(call.abi_encode())).abi_encode_params().into()
}

/// The reference account's `initializeAccount` data: its bootstrap installing `validator` with
/// `owner`'s address, and nothing else.
pub fn reference_init(bootstrap: Address, validator: Address, owner: Address) -> Bytes {
    let call = IReferenceBootstrap::initMSACall {
        validators: vec![BootstrapConfig { module: validator, data: owner.abi_encode().into() }],
        executors: vec![],
        hook: BootstrapConfig { module: Address::ZERO, data: Bytes::new() },
        fallbacks: vec![],
    };
    (bootstrap, Bytes::from(call.abi_encode())).abi_encode_params().into()
}

/// The counterfactual account of `owner` and `salt` from one kind's factory.
#[derive(Clone, Debug)]
pub struct Planned {
    pub flavor: AccountFlavor,
    pub factory: AccountFactory,
    pub owner: Address,
    pub salt: B256,
    pub address: Address,
    /// The factory call that creates it.
    pub call: Bytes,
}

impl Planned {
    /// Asks `factory` where the account of `owner` and `salt` goes. Refused in words for a kind
    /// `create` does not make, a factory with no code, or a missing bootstrap or owner validator.
    pub async fn new<P: Provider>(
        provider: &P,
        flavor: AccountFlavor,
        factory: AccountFactory,
        owner: Address,
        salt: B256,
    ) -> Result<Self> {
        let Some(kind) = kind_name(flavor) else {
            bail!("{} accounts are not made by `account create`", flavor.name());
        };
        let f = factory.factory;
        if provider.get_code_at(f).await.wrap_err("reading the chain")?.is_empty() {
            let chain = provider.get_chain_id().await.wrap_err("reading the chain id")?;
            bail!("no {} account factory at {f} on chain {chain} (it holds no code): pass the right --factory or --rpc-url, or on the local chain run `cargo xtask deploy --keep-running`, which places one", flavor.name());
        }
        let modules = |what: &str| {
            eyre!("a {} account ({kind}) is initialised through a bootstrap that installs the owner's validator: pass --bootstrap and --owner-validator ({what} is missing)", flavor.name())
        };
        let (address, call) = match flavor {
            AccountFlavor::OpenZeppelin => {
                let factory = IOwnerAccountFactory::new(f, provider);
                let address = factory.getAddress(owner, salt).call().await;
                let call = IOwnerAccountFactory::createAccountCall { owner, salt }.abi_encode();
                (address, call)
            }
            AccountFlavor::Nexus | AccountFlavor::Reference => {
                let bootstrap = factory.bootstrap.ok_or_else(|| modules("the bootstrap"))?;
                let validator = factory.owner_validator.ok_or_else(|| modules("the owner validator"))?;
                if flavor == AccountFlavor::Nexus {
                    let init = nexus_init(bootstrap, validator, owner);
                    let address = INexusAccountFactory::new(f, provider)
                        .computeAccountAddress(init.clone(), salt)
                        .call()
                        .await;
                    (address, INexusAccountFactory::createAccountCall { initData: init, salt }.abi_encode())
                } else {
                    let init = reference_init(bootstrap, validator, owner);
                    let address = IReferenceAccountFactory::new(f, provider)
                        .getAddress(salt, init.clone())
                        .call()
                        .await;
                    (
                        address,
                        IReferenceAccountFactory::createAccountCall { salt, initCode: init }.abi_encode(),
                    )
                }
            }
            AccountFlavor::Safe7579 | AccountFlavor::Kernel => unreachable!("refused above"),
        };
        let address = address.map_err(|e| {
            eyre!(
                "{f} does not answer as a {} account factory ({e}): pass the right --factory",
                flavor.name()
            )
        })?;
        Ok(Self { flavor, factory, owner, salt, address, call: call.into() })
    }

    /// Whether the account exists already (code at its address).
    pub async fn exists<P: Provider>(&self, provider: &P) -> Result<bool> {
        Ok(!provider.get_code_at(self.address).await.wrap_err("reading the chain")?.is_empty())
    }

    /// Creates the account: the factory call from the provider's key. Fails when it reverts, or
    /// unless the account then holds code.
    pub async fn create<P: Provider>(&self, provider: &P) -> Result<TransactionReceipt> {
        let tx = alloy::rpc::types::TransactionRequest::default()
            .to(self.factory.factory)
            .input(self.call.clone().into());
        let receipt = provider
            .send_transaction(tx)
            .await
            .wrap_err("sending the factory's createAccount")?
            .confirmed()
            .await?;
        if !self.exists(provider).await? {
            bail!(
                "the factory at {} created no account at {}, the address it predicted (tx {})",
                self.factory.factory,
                self.address,
                receipt.transaction_hash
            );
        }
        Ok(receipt)
    }
}
