//! The Rust test bed end to end: UserOps through EntryPoint v0.8 into the test account on Anvil.

use alloy::primitives::{address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use eyre::Result;
use leash_anvil_tests::{execute_single, test_bed};

const ONE_ETH: u128 = 1_000_000_000_000_000_000;

#[tokio::test]
async fn user_op_transfers_eth_out_of_the_account() -> Result<()> {
    let (net, bed) = test_bed().await?;
    let recipient = address!("0x000000000000000000000000000000000000bEEF");
    let before = net.provider.get_balance(bed.account).await?;

    let outcome = bed.submit(execute_single(recipient, U256::from(ONE_ETH), &[])).await?;

    assert!(outcome.success, "execution failed: {:?}", outcome.revert_reason);
    assert_eq!(net.provider.get_balance(recipient).await?, U256::from(ONE_ETH));
    assert_eq!(net.provider.get_balance(bed.account).await?, before - U256::from(ONE_ETH));
    Ok(())
}

#[tokio::test]
async fn user_op_signed_by_a_stranger_is_refused() -> Result<()> {
    let (net, bed) = test_bed().await?;
    let recipient = address!("0x000000000000000000000000000000000000bEEF");
    let mut op = bed.user_op(execute_single(recipient, U256::from(ONE_ETH), &[])).await?;
    bed.sign(&mut op, &PrivateKeySigner::random()).await?;

    let err = bed.handle_op(op).await.expect_err("a stranger's signature must not validate");

    assert!(err.to_string().contains("AA24 signature error"), "unexpected error: {err}");
    assert_eq!(net.provider.get_balance(recipient).await?, U256::ZERO);
    Ok(())
}

#[tokio::test]
async fn failed_execution_is_reported_not_hidden() -> Result<()> {
    let (net, bed) = test_bed().await?;
    let recipient = address!("0x000000000000000000000000000000000000bEEF");
    // More than the account holds: validation passes, the execution reverts.
    let outcome = bed.submit(execute_single(recipient, U256::from(1000 * ONE_ETH), &[])).await?;
    assert!(!outcome.success);
    assert!(!outcome.revert_reason.is_empty());
    assert_eq!(net.provider.get_balance(recipient).await?, U256::ZERO);
    Ok(())
}
