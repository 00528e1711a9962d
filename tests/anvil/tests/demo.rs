//! The demo end to end: a trading agent on real Uniswap V3, within its limits and refused past them.

use alloy::primitives::U256;
use eyre::Result;
use leash::abi::IPolicyEngine::IPolicyEngineErrors;
use leash::abi::SpendingLimitHook::SpendingLimitHookErrors;
use leash::errors::LeashRevert;
use leash_anvil_tests::{devnet, Options};
use leash_devnet::accounts::AccountKind;

cases!(demo_on:
    trading_agent_on_uniswap_v3_within_and_past_its_limits => AccountKind::OpenZeppelin,
    the_same_demo_on_nexus => AccountKind::Nexus,
    the_same_demo_on_the_reference_account => AccountKind::Reference,
    the_same_demo_on_kernel => AccountKind::Kernel,
    the_same_demo_on_a_safe => AccountKind::Safe,
    the_same_demo_on_an_eoa_delegated_with_eip_7702 => AccountKind::Eoa,
);

async fn demo_on(kind: AccountKind) -> Result<()> {
    let net = devnet(Options { no_code_size_limit: true, ..Options::default() })?;
    let mut lines = Vec::new();
    let report = leash_devnet::demo::run(&net, kind, |l| lines.push(l.to_string())).await?;
    let steps = &report.steps;
    let outcome = |i: usize| (steps[i].allowed, steps[i].detail.as_str());

    assert!(outcome(0).0 && outcome(0).1.starts_with("got "), "first swap: {:?}", outcome(0));
    assert_eq!(outcome(1), (false, "per-transaction cap exceeded: tried 600 USDC, the cap is 500 USDC"));
    assert!(
        matches!(
            steps[1].refusal,
            Some(LeashRevert::Spending(SpendingLimitHookErrors::SpendingLimit_PerTxCapExceeded(_)))
        ),
        "{:?}",
        steps[1].refusal
    );
    assert_eq!(outcome(2), (false, "allowlist: transfer of USDC is not on the allowlist"));
    // trading-agent.toml's account-wide rule: the swap's recipient (word 3) must be the account.
    assert!(!outcome(3).0 && outcome(3).1.contains("breaks account-wide rule 0"), "{:?}", outcome(3));
    assert!(
        matches!(steps[3].refusal, Some(LeashRevert::Engine(IPolicyEngineErrors::Engine_CallRuleBroken(_)))),
        "{:?}",
        steps[3].refusal
    );
    for i in 4..13 {
        assert!(outcome(i).0, "swap {i} within the daily limit: {:?}", outcome(i));
    }
    assert!(!outcome(13).0);
    assert!(
        outcome(13)
            .1
            .starts_with("spending limit exceeded: tried 500 USDC, 100 USDC left; enough frees up at "),
        "{:?}",
        outcome(13)
    );
    assert!(!outcome(14).0 && outcome(14).1.contains("is paused until"), "{:?}", outcome(14));
    assert!(outcome(15).0, "the next day: {:?}", outcome(15));
    assert!(!outcome(16).0, "the agent's key cannot remove the leash: {:?}", outcome(16));
    // Safe7579 reports a validator's refusal as its own `ExecutionFailed()`: the reason is lost there.
    let refusal = if kind == AccountKind::Safe {
        "AA23 reverted"
    } else {
        "the agent's key signs only executions, not uninstallModule"
    };
    assert!(outcome(16).1.contains(refusal), "{:?}", outcome(16));
    assert_eq!(steps.len(), 17);
    assert!(report.weth_bought > U256::ZERO, "the agent really swapped on the pool");
    assert!(lines.iter().any(|l| l.contains("the guardian pulls the kill switch")));
    Ok(())
}
