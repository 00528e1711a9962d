//! The operator's toolkit against Anvil: a policy file encoded, installed on a real account and
//! read back; guardian and keeper actions; refusals in plain words.

use std::collections::BTreeMap;

use alloy::primitives::{address, Address, FixedBytes, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolInterface;
use eyre::Result;
use leash::abi::{
    AllowlistHook, AutomationExecutor, EmergencyPauseHook, HookMultiPlexer, ISpendingLimitHook,
    SpendingLimitHook,
};
use leash::config::{self, ModuleAddresses, PolicyConfig};
use leash::errors::{LeashRevert, Refused, TokenBook};
use leash::provider::Confirm;
use leash::{deploy, live, ops};
use leash_tests::abi::TestToken;
use leash_tests::{deploy_token, ensure_artifacts, project_root, TestBed};

struct World {
    bed: TestBed,
    modules: ModuleAddresses,
    usdc: Address,
    vars: BTreeMap<String, Address>,
}

impl World {
    async fn new() -> Result<Self> {
        let bed = TestBed::spawn().await?;
        let plan = deploy::plan(&ensure_artifacts()?)?;
        deploy::deploy(&bed.provider, &plan, None, |_| {}).await?;
        let modules = ModuleAddresses::from_plan(&plan);
        let usdc = deploy_token(&bed.provider, "USDC").await?;
        let token = TestToken::new(usdc, bed.provider.clone());
        token.mint(bed.account, U256::from(1_000_000_000_000u64)).send().await?.confirmed().await?;
        let mut vars = BTreeMap::new();
        for (i, name) in ["AUTHORITY", "GUARDIAN", "KEEPER"].iter().enumerate() {
            vars.insert(name.to_string(), bed.anvil.addresses()[i + 1]);
        }
        vars.insert("USDC".into(), usdc);
        vars.insert("ROUTER".into(), Address::with_last_byte(0x77));
        vars.insert("COLD_WALLET".into(), Address::with_last_byte(0x78));
        Ok(Self { bed, modules, usdc, vars })
    }

    /// A provider that signs with Anvil's key `index` (1: authority, 2: guardian, 3: keeper).
    fn as_key(&self, index: usize) -> DynProvider {
        let key: PrivateKeySigner = self.bed.anvil.keys()[index].clone().into();
        leash::provider::with_wallet(self.bed.anvil.endpoint_url(), key)
    }

    fn load(&self, example: &str) -> PolicyConfig {
        config::load(&project_root().join("examples").join(example), &self.vars)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn install(&self, policy: &PolicyConfig) -> Result<()> {
        for payload in policy.install_payloads(&self.modules) {
            let outcome = self
                .bed
                .sender
                .install_module(payload.module_type, payload.module, payload.init_data.clone())
                .await?;
            assert!(
                outcome.success,
                "{} install: {}",
                payload.label,
                LeashRevert::decode(&outcome.revert_reason)
            );
        }
        Ok(())
    }

    fn book(&self, policy: &PolicyConfig) -> TokenBook {
        TokenBook(policy.tokens.iter().map(|t| (t.address, (t.symbol.clone(), t.decimals))).collect())
    }
}

/// Everything but the token table (read back from the chain, where decimals may differ).
fn same_policy(a: &PolicyConfig, b: &PolicyConfig) {
    assert_eq!(a.authority, b.authority, "authority");
    assert_eq!(a.pause, b.pause, "pause");
    assert_eq!(a.allowlist.as_ref().map(|x| x.mode), b.allowlist.as_ref().map(|x| x.mode), "mode");
    let sorted = |p: &PolicyConfig| {
        let mut v = p.allowlist.as_ref().map(|x| x.permissions.clone()).unwrap_or_default();
        v.sort();
        v
    };
    assert_eq!(sorted(a), sorted(b), "permissions");
    assert_eq!(
        a.allowlist.as_ref().map(|x| x.protected.clone()),
        b.allowlist.as_ref().map(|x| x.protected.clone())
    );
    assert_eq!(a.spending, b.spending, "spending");
    assert_eq!(a.tasks, b.tasks, "tasks");
}

#[tokio::test]
async fn encode_install_show_round_trip() -> Result<()> {
    for example in ["subscription.toml", "treasury.toml", "trading-agent.toml"] {
        let world = World::new().await?;
        let policy = world.load(example);
        world.install(&policy).await?;
        let back = live::read(&world.bed.provider, world.bed.account, &world.modules).await?;
        same_policy(&policy, &back);
        // The TOML written for `policy show` parses back to the same policy.
        let text = live::to_toml(&back);
        let reparsed = config::parse("shown.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        same_policy(&back, &reparsed);
    }
    Ok(())
}

#[tokio::test]
async fn guardian_pause_unpause_status() -> Result<()> {
    let world = World::new().await?;
    let policy = world.load("treasury.toml");
    world.install(&policy).await?;
    let (guardian, account, hook) = (world.as_key(2), world.bed.account, world.modules.pause);

    assert!(!ops::pause_status(&guardian, hook, account).await?.paused);
    ops::pause(&guardian, hook, account).await?;
    let status = ops::pause_status(&guardian, hook, account).await?;
    assert!(status.paused);
    assert!(status.to_string().contains("never (until someone acts)"), "{status}");

    let refused = world.bed.sender.execute(Address::with_last_byte(0x99), U256::from(1u64), &[]).await?;
    assert!(!refused.success);
    let refusal = refused.refusal().expect("refused");
    assert!(
        matches!(
            refusal,
            LeashRevert::Pause(EmergencyPauseHook::EmergencyPauseHookErrors::Pause_AccountPaused(_))
        ),
        "{refusal:?}"
    );
    let words = refusal.describe(&world.book(&policy));
    assert!(words.contains("is paused until never"), "{words}");

    ops::unpause(&guardian, hook, account).await?;
    assert!(!ops::pause_status(&guardian, hook, account).await?.paused);
    let again = ops::pause(&guardian, hook, account).await.expect_err("cooldown");
    assert!(again.to_string().contains("may start only at"), "{again}");

    let stranger = ops::unpause(&world.as_key(5), hook, account).await.expect_err("not the guardian");
    assert!(stranger.to_string().contains("is not the guardian"), "{stranger}");
    Ok(())
}

#[tokio::test]
async fn keeper_runs_a_task_and_refusals_read_plainly() -> Result<()> {
    let world = World::new().await?;
    let policy = world.load("subscription.toml");
    world.install(&policy).await?;
    let (keeper, account, exec) = (world.as_key(3), world.bed.account, world.modules.automation);
    let book = world.book(&policy);

    assert!(ops::task_status(&keeper, exec, account, 1).await?.can_run);
    ops::task_run(&keeper, exec, account, 1, &book).await?;
    let merchant = address!("0x000000000000000000000000000000000000beef"); // in the example's calldata
    let balance = TestToken::new(world.usdc, world.bed.provider.clone()).balanceOf(merchant).call().await?;
    assert_eq!(balance, U256::from(20_000_000u64));

    let status = ops::task_status(&keeper, exec, account, 1).await?;
    assert!(!status.can_run);
    assert!(status.to_string().contains("cooling down until"), "{status}");
    let again = ops::task_run(&keeper, exec, account, 1, &book).await.expect_err("cooldown");
    assert!(again.to_string().contains("is cooling down until"), "{again}");
    let refused = again.downcast_ref::<Refused>().expect("a refusal");
    assert!(
        matches!(
            refused.revert,
            LeashRevert::Automation(AutomationExecutor::AutomationExecutorErrors::Automation_CooldownActive(
                _
            ))
        ),
        "{refused:?}"
    );

    let wrong = ops::task_run(&world.as_key(4), exec, account, 1, &book).await.expect_err("not the keeper");
    assert!(wrong.to_string().contains("is not the keeper of task 1"), "{wrong}");

    // The agent's own transfer past the 20 USDC per 30 days: the limit in plain words.
    let transfer = leash::abi::IERC20Metadata::transferCall { to: merchant, value: U256::from(5_000_000u64) };
    let outcome = world
        .bed
        .sender
        .execute(world.usdc, U256::ZERO, &alloy::sol_types::SolCall::abi_encode(&transfer))
        .await?;
    assert!(!outcome.success);
    let words = outcome.refusal().expect("refused").describe(&book);
    assert!(
        words.starts_with("spending limit exceeded: tried 5 USDC, 0 USDC left; enough frees up at 20"),
        "{words}"
    );
    Ok(())
}

/// The limits `leash::config` checks policy files against are the contracts' own: the public
/// constants read from the deployed modules, the rolling window's internal ones from its refusals.
#[tokio::test]
async fn the_rust_limits_are_the_contracts_limits() -> Result<()> {
    let world = World::new().await?;
    world.install(&world.load("subscription.toml")).await?;
    let (p, m) = (&world.bed.provider, &world.modules);
    let n = |v: usize| U256::from(v);

    let allowlist = AllowlistHook::new(m.allowlist, p.clone());
    assert_eq!(allowlist.WILDCARD_SELECTOR().call().await?, FixedBytes(config::WILDCARD_SELECTOR));
    assert_eq!(allowlist.MAX_PERMISSIONS().call().await?, n(config::MAX_PERMISSIONS));
    assert_eq!(allowlist.MAX_PROTECTED().call().await?, n(config::MAX_PROTECTED));
    let multiplexer = HookMultiPlexer::new(m.multiplexer, p.clone());
    assert_eq!(multiplexer.MAX_SUB_HOOKS().call().await?, n(config::MAX_SUB_HOOKS));
    let spending = SpendingLimitHook::new(m.spending, world.as_key(1));
    assert_eq!(spending.MAX_TOKENS().call().await?, n(config::MAX_TOKENS));
    assert_eq!(spending.MAX_LIMITS_PER_TOKEN().call().await?, n(config::MAX_LIMITS_PER_TOKEN));
    assert_eq!(spending.MAX_AMOUNT().call().await?, U256::from(config::MAX_LIMIT_AMOUNT));
    let automation = AutomationExecutor::new(m.automation, p.clone());
    assert_eq!(automation.MAX_TASKS().call().await?, n(config::MAX_TASKS));
    let pause = EmergencyPauseHook::new(m.pause, p.clone());
    assert_eq!(pause.MAX_AUTO_UNPAUSE().call().await?, U256::from(config::MAX_AUTO_UNPAUSE));

    // PackedWindow's MIN_WINDOW and BUCKETS are internal: the authority's refused windows name them.
    let refusal = |window: u64| {
        let limits =
            vec![ISpendingLimitHook::LimitConfig { amount: U256::from(1), window: U256::from(window) }];
        let policy = ISpendingLimitHook::TokenPolicy { token: world.usdc, perTxCap: U256::ZERO, limits };
        let call = spending.setTokenPolicy(world.bed.account, policy);
        async move {
            let Err(err) = call.call().await else { panic!("window {window} s was accepted") };
            SpendingLimitHook::SpendingLimitHookErrors::abi_decode(
                &err.as_revert_data().expect("revert data"),
            )
            .expect("a SpendingLimitHook error")
        }
    };
    match refusal(config::MIN_WINDOW - 1).await {
        SpendingLimitHook::SpendingLimitHookErrors::Window_TooShort(e) => {
            assert_eq!(e.min, U256::from(config::MIN_WINDOW))
        }
        other => panic!("expected WindowTooShort, got {other:?}"),
    }
    match refusal(config::MIN_WINDOW + 1).await {
        SpendingLimitHook::SpendingLimitHookErrors::Window_NotMultiple(e) => {
            assert_eq!(e.buckets, U256::from(config::WINDOW_BUCKETS))
        }
        other => panic!("expected WindowNotMultiple, got {other:?}"),
    }
    Ok(())
}
