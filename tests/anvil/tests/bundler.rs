//! The agent's UserOps through a real ERC-4337 bundler (Alto, `leash_devnet::alto`) instead of
//! `handleOps` from a funded key: on the test account with `subscription.toml` installed (its
//! `[agent]` in AgentValidator, 20 USDC per 30 days), the bundler estimates, takes and includes a
//! payment within the leash; a payment past it is refused in words, at the estimate (nothing sent)
//! or, sent with fixed gas limits, from the receipt's revert reason (nothing moved); a key that is
//! not the agent's is refused at validation.

use std::collections::BTreeMap;

use alloy::primitives::{address, Address, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use eyre::{ensure, Result, WrapErr};
use leash::abi::IERC20Metadata;
use leash::account::ENTRYPOINT_V08;
use leash::errors::{Refused, TokenBook};
use leash::provider::Confirm;
use leash::{config, ops};
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::{project_root, test_bed};
use leash_devnet::alto::AltoOptions;

const MERCHANT: Address = address!("0x000000000000000000000000000000000000beef");

fn transfer(value: u64) -> Vec<u8> {
    IERC20Metadata::transferCall { to: MERCHANT, value: U256::from(value) }.abi_encode()
}

/// Alto without its ERC-7562 checks (`--safe-mode false`): its safe mode fails on EntryPoint
/// v0.8 before any rule is checked ([`alto_safe_mode_cannot_validate_on_entry_point_v08`]).
#[tokio::test]
async fn agent_pays_within_the_leash_through_alto() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let (modules, _) = net.deploy_leash().await?;
    let usdc = net.deploy_token("TestToken", "USDC").await?;
    let token = TestToken::new(usdc, net.provider.clone());
    token.mint(owner.account, U256::from(1_000_000_000u64)).send().await?.confirmed().await?;
    let agent_key = PrivateKeySigner::random();
    let mut vars = BTreeMap::new();
    for (i, name) in ["AUTHORITY", "GUARDIAN", "KEEPER"].iter().enumerate() {
        vars.insert(name.to_string(), net.anvil.addresses()[i + 1]);
    }
    vars.insert("USDC".to_string(), usdc);
    vars.insert("AGENT".to_string(), agent_key.address());
    let policy = config::load(&project_root().join("examples/subscription.toml"), &vars)
        .map_err(|e| eyre::eyre!("{e}"))?;
    let book = TokenBook([(usdc, ("USDC".to_string(), 6))].into_iter().collect());
    ops::install(&owner, &policy, &modules, &book).await?;
    let allowance = |net: &leash_devnet::Devnet| {
        let provider = net.provider.clone();
        async move {
            Ok::<_, eyre::Report>(
                ops::agent_status(&provider, modules.validator, owner.account).await?.gas_allowance,
            )
        }
    };
    let before = allowance(&net).await?;

    let alto = net.start_alto(AltoOptions { entry_points: vec![ENTRYPOINT_V08], safe_mode: false }).await?;
    let run = async {
        let bundler = alto.client();
        ensure!(bundler.supported_entry_points().await?.contains(&ENTRYPOINT_V08), "v0.8 served");
        let agent = owner
            .clone()
            .signed_by(agent_key.clone())
            .via_validator(modules.validator)
            .via_bundler(bundler.clone());

        // Within the leash: estimated, taken, included; the tokens moved and the agent's gas
        // allowance paid for it.
        let paid = agent.execute(usdc, U256::ZERO, &transfer(5_000_000)).await.wrap_err("the payment")?;
        ensure!(paid.success, "the payment failed: {:?}", paid.refusal());
        ensure!(token.balanceOf(MERCHANT).call().await? == U256::from(5_000_000u64), "5 USDC paid");
        let after = allowance(&net).await?;
        ensure!(after < before, "the operation's cost comes out of the gas allowance: {after} of {before}");

        // Past the 20 USDC per 30 days: the bundler's estimate simulates the execution and the
        // refusal comes back in words; nothing is sent.
        let refused = agent
            .execute(usdc, U256::ZERO, &transfer(16_000_000))
            .await
            .err()
            .ok_or_else(|| eyre::eyre!("a payment past the limit was sent"))?;
        let refusal =
            refused.downcast_ref::<Refused>().ok_or_else(|| eyre::eyre!("not a refusal: {refused:#}"))?;
        let words = refusal.revert.describe(&book);
        ensure!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
        ensure!(allowance(&net).await? == after, "nothing was sent");

        // The same with fixed gas limits: the bundler includes it, the execution fails, and the
        // receipt's revert reason reads the same.
        let fixed = agent.clone().via_bundler(bundler.clone().without_estimate());
        let over =
            fixed.execute(usdc, U256::ZERO, &transfer(16_000_000)).await.wrap_err("the fixed-gas op")?;
        ensure!(!over.success, "a payment past the limit went through");
        let words = over.refusal().ok_or_else(|| eyre::eyre!("no refusal"))?.describe(&book);
        ensure!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
        ensure!(token.balanceOf(MERCHANT).call().await? == U256::from(5_000_000u64), "nothing moved");

        // A key that is not the agent's: the bundler refuses it at validation.
        let stranger = agent.clone().signed_by(PrivateKeySigner::random());
        let err = stranger
            .execute(usdc, U256::ZERO, &transfer(1))
            .await
            .err()
            .ok_or_else(|| eyre::eyre!("a stranger's key was taken"))?;
        ensure!(
            err.to_string().ends_with(
                "refused eth_sendUserOperation: UserOperation reverted with reason: AA24 signature error"
            ),
            "{err:#}"
        );
        Ok(())
    };
    run.await.wrap_err_with(|| format!("alto's log:\n{}", alto.log_tail()))
}

/// Why the bundler runs without safe mode: Alto 0.0.20 traces validation with a JavaScript tracer,
/// which Anvil runs, but then decodes the trace's last call frame as a `ValidationResult`, and on
/// EntryPoint v0.8 that frame is the EntryPoint's `DelegateAndRevert(bool,bytes)` (`0x99410554`):
/// every operation is refused, even the owner's plainest one, before any ERC-7562 rule is checked.
/// When this fails, a newer Alto validates in safe mode: run the tests above with it.
#[tokio::test]
async fn alto_safe_mode_cannot_validate_on_entry_point_v08() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let alto = net.start_alto(AltoOptions { entry_points: vec![ENTRYPOINT_V08], safe_mode: true }).await?;
    let sender = owner.clone().via_bundler(alto.client());
    let err = sender
        .execute(Address::with_last_byte(0xa1), U256::from(1u64), &[])
        .await
        .err()
        .ok_or_else(|| eyre::eyre!("safe mode took the operation: run the bundler tests in safe mode"))?;
    ensure!(
        err.to_string().contains("Encoded error signature \"0x99410554\" not found on ABI"),
        "safe mode failed otherwise: {err:#}\nalto's log:\n{}",
        alto.log_tail()
    );
    Ok(())
}
