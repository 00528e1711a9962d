//! The library's example (`crates/leash/examples/install_and_refuse.rs`) run on the dev chain, as
//! an agent team would run it against `cargo xtask deploy --keep-running`.

// The example's `main` and its flag parsing are for `cargo run --example`.
#[allow(dead_code)]
#[path = "../../../crates/leash/examples/install_and_refuse.rs"]
mod install_and_refuse;

use eyre::Result;
use leash::addresses::ModuleOverrides;
use leash_anvil_tests::{devnet, project_root, Options};

#[tokio::test]
async fn an_agent_team_installs_a_leash_and_reads_its_refusals() -> Result<()> {
    let net = devnet(Options::default())?;
    let modules = net.leash_on_v08().await?;
    let owner = net.key(1);
    let account = net.deploy_test_account(owner.address()).await?;
    let setup = || install_and_refuse::Setup {
        rpc_url: net.anvil.endpoint(),
        account,
        owner: owner.clone(),
        authority: net.key(2).address(),
        guardian: net.key(3).address(),
        policy: (
            "agent-team.toml".to_string(),
            include_str!("../../../crates/leash/examples/agent-team.toml").to_string(),
        ),
        root: project_root(),
        // This node's modules, whatever deployment record the checkout holds.
        overrides: ModuleOverrides {
            engine: Some(modules.engine),
            multiplexer: Some(modules.multiplexer),
            pause: Some(modules.pause),
            allowlist: Some(modules.allowlist),
            spending: Some(modules.spending),
            automation: Some(modules.automation),
            validator: Some(modules.validator),
            eoa_account: Some(modules.eoa_account),
        },
    };

    let lines = install_and_refuse::run(setup(), |_| {}).await?;
    assert!(lines[0].starts_with("installed AgentValidator"), "{lines:#?}");
    assert!(lines[1].starts_with("installed PolicyEngine"), "{lines:#?}");
    assert_eq!(
        lines[2..],
        [
            "ALLOWED pay the payee 0.4 ETH".to_string(),
            "REFUSED pay the payee 0.6 ETH (over the 0.5 per payment): per-transaction cap exceeded: \
             tried 0.6 native, the cap is 0.5 native"
                .to_string(),
            "REFUSED pay a stranger 0.1 ETH (not on the allowlist): allowlist: plain transfers of \
             0x0000000000000000000000000000000000005e5E is not on the allowlist"
                .to_string(),
        ]
    );

    // Again on the same account: the leash is there, and 0.4 more still fits the day's 1 ETH.
    let again = install_and_refuse::run(setup(), |_| {}).await?;
    assert!(again[0].ends_with("already has its leash: nothing to install"), "{again:#?}");
    assert_eq!(again[1], "ALLOWED pay the payee 0.4 ETH");
    Ok(())
}
