//! An existing EOA delegated with EIP-7702 to LeashEOAAccount: same address, same balance less the
//! delegation's fee, the delegation designator as its code, its own key on the owner's path
//! (nonce key 0, EntryPoint v0.8), and that key still sending its own transactions.

use alloy::network::TransactionBuilder;
use alloy::primitives::{address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use eyre::Result;
use leash::account::ENTRYPOINT_V08;
use leash::eip7702;
use leash::provider::Confirm;
use leash_anvil_tests::{devnet, execute_single, Options, UserOpSender};

const ONE_ETH: u128 = 1_000_000_000_000_000_000;

#[tokio::test]
async fn an_eoa_delegates_keeps_its_address_and_balance_and_signs_its_own_user_ops() -> Result<()> {
    let net = devnet(Options::default())?;
    let modules = net.leash_on_v08().await?;
    let person = net.key(5);
    let eoa = person.address();
    let wallet = net.wallet(5);
    assert!(net.provider.get_code_at(eoa).await?.is_empty());
    let before = net.provider.get_balance(eoa).await?;

    let implementation = net.deploy_eoa_account().await?;
    assert_eq!(implementation, modules.eoa_account, "the deployment's own LeashEOAAccount");
    let receipt = eip7702::delegate(&wallet, &person, implementation).await?;

    assert_eq!(net.provider.get_code_at(eoa).await?, eip7702::designator(implementation));
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(net.provider.get_balance(eoa).await?, before - fee, "only the delegation's fee left");

    // The EOA's key signs its own UserOps on nonce key 0; a stranger's signature does not validate.
    let recipient = address!("0x000000000000000000000000000000000000bEEF");
    let owner =
        UserOpSender::new(net.provider.clone(), ENTRYPOINT_V08, eoa, person.clone()).bundler(net.bundler());
    let outcome = owner.submit(execute_single(recipient, U256::from(ONE_ETH), &[])).await?;
    assert!(outcome.success, "execution failed: {:?}", outcome.revert_reason);
    assert_eq!(net.provider.get_balance(recipient).await?, U256::from(ONE_ETH));
    let stranger = owner.clone().signed_by(PrivateKeySigner::random());
    let err =
        stranger.submit(execute_single(recipient, U256::from(ONE_ETH), &[])).await.expect_err("a stranger");
    assert!(err.to_string().contains("AA24 signature error"), "{err}");

    // The key is still the EOA's: it sends its own transactions, no UserOp involved.
    let direct = TransactionRequest::default().with_to(recipient).with_value(U256::from(ONE_ETH));
    assert!(wallet.send_transaction(direct).await?.confirmed().await?.status());
    assert_eq!(net.provider.get_balance(recipient).await?, U256::from(2 * ONE_ETH));
    assert_eq!(net.provider.get_code_at(eoa).await?, eip7702::designator(implementation), "still delegated");
    Ok(())
}
