//! The operator's toolkit against Anvil: a policy file encoded, installed on a real account (the
//! policy engine by default, the multiplexer stack when asked) in one operation and read back;
//! guardian and keeper actions; refusals in plain words.

use std::collections::BTreeMap;

use alloy::primitives::{address, Address, Bytes, FixedBytes, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolInterface;
use eyre::Result;
use leash::abi::{
    AllowlistHook, AutomationExecutor, EmergencyPauseHook, HookMultiPlexer, IERC7579ModuleConfig,
    IPolicyEngine, ISpendingLimitHook, SpendingLimitHook,
};
use leash::addresses::ModuleAddresses;
use leash::config::{self, HookStack, PolicyConfig};
use leash::errors::{LeashRevert, Refused, TokenBook};
use leash::provider::Confirm;
use leash::{live, ops};
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::{modules_bed, policy, project_root, role_vars, usdc_for, Devnet, UserOpSender};

struct World {
    net: Devnet,
    /// The test account's owner.
    owner: UserOpSender<DynProvider>,
    modules: ModuleAddresses,
    usdc: Address,
    vars: BTreeMap<String, Address>,
    /// The key a file's `[agent]` names (`$AGENT`).
    agent: PrivateKeySigner,
}

impl World {
    async fn new() -> Result<Self> {
        let (net, owner, modules) = modules_bed().await?;
        let usdc = usdc_for(&net, owner.account, 1_000_000_000_000).await?;
        let mut vars = role_vars(&net);
        vars.insert("USDC".into(), usdc);
        vars.insert("ROUTER".into(), Address::with_last_byte(0x77));
        vars.insert("COLD_WALLET".into(), Address::with_last_byte(0x78));
        let agent = PrivateKeySigner::random();
        vars.insert("AGENT".into(), agent.address());
        Ok(Self { net, owner, modules, usdc, vars, agent })
    }

    /// A fresh world with the policy of `example` installed on `hook`, and that policy.
    async fn installed(example: &str, hook: HookStack) -> Result<(Self, PolicyConfig)> {
        let world = Self::new().await?;
        let policy = PolicyConfig { hook, ..world.load(example) };
        world.install(&policy).await?;
        Ok((world, policy))
    }

    /// A provider that signs with Anvil's key `index` (1: authority, 2: guardian, 3: keeper).
    fn as_key(&self, index: usize) -> DynProvider {
        self.net.wallet(index)
    }

    fn load(&self, example: &str) -> PolicyConfig {
        config::load(&project_root().join("examples").join(example), &self.vars)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `policy install`: every module in one operation, each confirmed.
    async fn install(&self, policy: &PolicyConfig) -> Result<()> {
        let installed = ops::install(&self.owner, policy, &self.modules, &self.book(policy)).await?;
        let expected: Vec<Address> =
            policy.install_payloads(&self.modules).iter().map(|p| p.module).collect();
        assert_eq!(installed.modules.iter().map(|(_, m)| *m).collect::<Vec<_>>(), expected);
        Ok(())
    }

    async fn is_installed(&self, module_type: u64, module: Address) -> Result<bool> {
        let account = IERC7579ModuleConfig::new(self.owner.account, self.net.provider.clone());
        Ok(account.isModuleInstalled(U256::from(module_type), module, Bytes::new()).call().await?)
    }

    fn book(&self, policy: &PolicyConfig) -> TokenBook {
        TokenBook::of(&policy.tokens)
    }
}

/// Everything but the token table (read back from the chain, where decimals may differ).
fn same_policy(a: &PolicyConfig, b: &PolicyConfig) {
    assert_eq!(a.authority, b.authority, "authority");
    assert_eq!(a.hook, b.hook, "hook");
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
    assert_eq!(a.call_rules, b.call_rules, "account-wide rules");
    assert_eq!(a.agent, b.agent, "the agent's key");
}

#[tokio::test]
async fn encode_install_show_round_trip() -> Result<()> {
    // Every example on the policy engine (the default), one on the multiplexer stack.
    let cases = [
        ("subscription.toml", HookStack::Engine),
        ("treasury.toml", HookStack::Engine),
        ("trading-agent.toml", HookStack::Engine),
        ("treasury.toml", HookStack::Multiplexer),
    ];
    for (example, hook) in cases {
        let (world, policy) = World::installed(example, hook).await?;
        assert!(world.is_installed(config::MODULE_TYPE_HOOK, policy.hook_module(&world.modules)).await?);
        let back = live::read(&world.net.provider, world.owner.account, &world.modules).await?;
        same_policy(&policy, &back);
        // The TOML written for `policy show` parses back to the same policy.
        let text = live::to_toml(&back);
        let reparsed = config::parse("shown.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        same_policy(&back, &reparsed);
        // Every permission of a common function is shown with its signature beside the selector.
        for (_, selector) in back.allowlist.iter().flat_map(|a| &a.permissions) {
            if let Some(signature) = config::known_signature(*selector) {
                let named = format!("function = \"{selector}\" }},  # {signature}\n");
                assert!(text.contains(&named), "{example}: no `{named}` in\n{text}");
            }
        }
        let names = config::Signatures::load(&project_root().join("examples").join(example))?;
        if example == "trading-agent.toml" {
            assert!(
                text.contains(
                    "# exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))"
                ),
                "{text}"
            );
            assert_eq!(live::to_toml_named(&back, &names), text, "the file names what the common list does");
        }
    }
    Ok(())
}

/// The engine's `policy show` reads what the authority changed after install: an entry removed,
/// one added, a token's policy replaced and another's removed, a new mode.
#[tokio::test]
async fn show_follows_live_changes_on_the_engine() -> Result<()> {
    let (world, _) = World::installed("treasury.toml", HookStack::Engine).await?;
    let (account, usdc) = (world.owner.account, world.usdc);
    let engine = IPolicyEngine::new(world.modules.engine, world.as_key(1));
    let approve =
        FixedBytes(<leash::abi::IERC20Metadata::approveCall as alloy::sol_types::SolCall>::SELECTOR);
    let other = Address::with_last_byte(0x42);
    engine.removePermission(account, usdc, approve).send().await?.confirmed().await?;
    engine
        .addPermission(account, other, FixedBytes(config::WILDCARD_SELECTOR))
        .send()
        .await?
        .confirmed()
        .await?;
    engine.removeTokenPolicy(account, Address::ZERO).send().await?.confirmed().await?;
    // The engine's ABI carries its own copy of the spending hook's types.
    use leash::abi::i_policy_engine::ISpendingLimitHook as EngineTypes;
    let limits =
        vec![EngineTypes::LimitConfig { amount: U256::from(7_000_000u64), window: U256::from(3_600u64) }];
    let tightened = EngineTypes::TokenPolicy { token: usdc, perTxCap: U256::ZERO, limits };
    engine.setTokenPolicy(account, tightened).send().await?.confirmed().await?;
    engine.setAutoUnpauseAfter(account, U256::from(7_200u64)).send().await?.confirmed().await?;

    let back = live::read(&world.net.provider, account, &world.modules).await?;
    let allowlist = back.allowlist.as_ref().expect("the allowlist");
    let increase = config::parse_selector("increaseAllowance(address spender, uint addedValue)").unwrap();
    assert_eq!(allowlist.permissions, vec![(usdc, increase), (other, FixedBytes(config::WILDCARD_SELECTOR))]);
    assert_eq!(
        back.spending,
        vec![config::SpendingConfig {
            token: usdc,
            per_tx_cap: U256::ZERO,
            limits: vec![(U256::from(7_000_000u64), 3_600)]
        }]
    );
    assert_eq!(back.pause.as_ref().map(|p| p.auto_unpause_after), Some(7_200));

    // Switching to allow mode: the block-mode entries are not in force, so none is shown.
    engine.setMode(account, 1).send().await?.confirmed().await?;
    let back = live::read(&world.net.provider, account, &world.modules).await?;
    let allowlist = back.allowlist.expect("the allowlist");
    assert_eq!((allowlist.mode, allowlist.permissions), (config::AllowlistMode::Allow, vec![]));
    Ok(())
}

/// One operation: when the hook's install is refused, the executor before it is not installed
/// either; and a policy for one hook is not sent to an account already on the other.
#[tokio::test]
async fn install_is_all_or_nothing() -> Result<()> {
    let world = World::new().await?;
    let mut policy = world.load("subscription.toml");
    // The engine refuses the account as its own guardian (`policy install` checks this first; the
    // operation is sent here as is, to see the batch revert as a whole).
    policy.pause = Some(config::PauseConfig { guardian: world.owner.account, auto_unpause_after: 0 });
    let outcome = world.owner.submit(policy.install_call(&world.modules, world.owner.account)).await?;
    assert!(!outcome.success, "the engine must refuse the account as guardian");
    assert!(
        matches!(
            outcome.refusal(),
            Some(LeashRevert::Pause(EmergencyPauseHook::EmergencyPauseHookErrors::Pause_InvalidGuardian(_)))
        ),
        "{:?}",
        outcome.refusal()
    );
    assert!(!world.is_installed(config::MODULE_TYPE_EXECUTOR, world.modules.automation).await?);
    assert!(!world.is_installed(config::MODULE_TYPE_HOOK, world.modules.engine).await?);
    assert!(!world.is_installed(config::MODULE_TYPE_VALIDATOR, world.modules.validator).await?);

    let on_mux = PolicyConfig { hook: HookStack::Multiplexer, ..world.load("treasury.toml") };
    world.install(&on_mux).await?;
    let err =
        ops::install(&world.owner, &world.load("subscription.toml"), &world.modules, &TokenBook::default())
            .await
            .expect_err("the account already has a hook");
    assert!(err.to_string().contains("already runs the multiplexer"), "{err}");
    assert!(err.to_string().contains("hook = \"multiplexer\""), "{err}");
    assert!(
        !world.is_installed(config::MODULE_TYPE_EXECUTOR, world.modules.automation).await?,
        "nothing was sent"
    );
    Ok(())
}

/// A file's `[agent]`: `policy install` puts AgentValidator on the account with the rest, in one
/// operation; the agent's key then acts within the leash and is refused past it, `agent status`
/// shows the file's agent, and a second install names the validator already there and sends
/// nothing. A file with only `[agent]` is refused where no Leash hook would run the agent.
#[tokio::test]
async fn install_with_an_agent_section_puts_the_agents_key_on_the_leash() -> Result<()> {
    let world = World::new().await?;
    let account = world.owner.account;
    let alone = policy(
        "agent.toml",
        "authority = \"$AUTHORITY\"\n[agent]\nkey = \"$AGENT\"\ngas_allowance = \"0.05\"\n",
        &world.vars,
    )?;
    let err = ops::install(&world.owner, &alone, &world.modules, &TokenBook::default())
        .await
        .expect_err("no hook would run the agent");
    assert_eq!(
        err.to_string(),
        format!("the file installs the agent's key but no hook, and {account} runs no Leash hook: AgentValidator would refuse every operation of the agent (add the policies to the file, or install them first)")
    );
    assert!(!world.is_installed(config::MODULE_TYPE_VALIDATOR, world.modules.validator).await?);

    let policy = world.load("subscription.toml");
    let file_agent = policy.agent.clone().expect("subscription.toml's [agent]");
    assert_eq!(file_agent.key, world.agent.address());
    world.install(&policy).await?;
    assert!(world.is_installed(config::MODULE_TYPE_VALIDATOR, world.modules.validator).await?);
    let status = ops::agent_status(&world.net.provider, world.modules.validator, account).await?;
    assert_eq!(
        status,
        ops::AgentStatus {
            account,
            installed: true,
            agent: file_agent.key,
            gas_allowance: file_agent.gas_allowance,
            authority: policy.authority,
        }
    );
    assert!(status.to_string().starts_with(&format!("agent of {account}: {}\n", file_agent.key)), "{status}");
    assert!(status.to_string().contains("gas allowance: 0.05 ether (50000000000000000 wei)\n"), "{status}");

    // The agent's own key, through AgentValidator: a payment within the leash goes through.
    let agent = world.owner.clone().signed_by(world.agent.clone()).via_validator(world.modules.validator);
    let merchant = address!("0x000000000000000000000000000000000000beef");
    let transfer = |value: u64| {
        alloy::sol_types::SolCall::abi_encode(&leash::abi::IERC20Metadata::transferCall {
            to: merchant,
            value: U256::from(value),
        })
    };
    let paid = agent.execute(world.usdc, U256::ZERO, &transfer(5_000_000)).await?;
    assert!(paid.success, "{:?}", paid.refusal());
    let usdc = TestToken::new(world.usdc, world.net.provider.clone());
    assert_eq!(usdc.balanceOf(merchant).call().await?, U256::from(5_000_000u64));
    // Past the 20 USDC per 30 days: refused by the leash, in words, nothing moved.
    let over = agent.execute(world.usdc, U256::ZERO, &transfer(16_000_000)).await?;
    assert!(!over.success, "over the limit");
    let words = over.refusal().expect("refused").describe(&world.book(&policy));
    assert!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
    assert_eq!(usdc.balanceOf(merchant).call().await?, U256::from(5_000_000u64));
    // A key the file does not name is not the agent.
    let stranger =
        world.owner.clone().signed_by(PrivateKeySigner::random()).via_validator(world.modules.validator);
    assert!(!stranger.execute(world.usdc, U256::ZERO, &transfer(1)).await.is_ok_and(|o| o.success));

    // Installed already: said in words with the agent it holds, and nothing sent.
    let left = ops::agent_status(&world.net.provider, world.modules.validator, account).await?.gas_allowance;
    let again = ops::install(&world.owner, &policy, &world.modules, &world.book(&policy))
        .await
        .expect_err("installed already");
    assert_eq!(
        again.to_string(),
        format!(
            "AgentValidator ({}) is already installed on {account} (agent {}, gas allowance {}, authority {}): nothing was sent. The authority changes the agent with `agent rotate` and `agent allowance`; to install the rest of the file, leave [agent] out",
            world.modules.validator,
            file_agent.key,
            leash::errors::ether(left),
            policy.authority
        )
    );
    Ok(())
}

cases!(guardian_pause_unpause_status:
    guardian_pause_unpause_status_on_the_engine => HookStack::Engine,
    guardian_pause_unpause_status_on_the_multiplexer => HookStack::Multiplexer,
);

async fn guardian_pause_unpause_status(stack: HookStack) -> Result<()> {
    let (world, policy) = World::installed("treasury.toml", stack).await?;
    let (guardian, account, hook) = (world.as_key(2), world.owner.account, &world.modules);
    let expected = match stack {
        HookStack::Engine => ops::PauseModule::Engine(world.modules.engine),
        HookStack::Multiplexer => ops::PauseModule::Hook(world.modules.pause),
    };
    assert_eq!(ops::pause_module(&guardian, hook, account).await?, expected);

    assert!(!ops::pause_status(&guardian, hook, account).await?.paused);
    ops::pause(&guardian, hook, account).await?;
    let status = ops::pause_status(&guardian, hook, account).await?;
    assert!(status.paused);
    assert!(status.to_string().contains("never (until someone acts)"), "{status}");
    assert_eq!(status.auto_unpause_after, 0);
    assert_eq!(status.guardian, world.vars["GUARDIAN"]);

    let refused = world.owner.execute(Address::with_last_byte(0x99), U256::from(1u64), &[]).await?;
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
    let status = ops::pause_status(&guardian, hook, account).await?;
    assert!(!status.paused);
    assert_eq!(status.next_pause_at, status.paused_until + U256::from(3_600u64), "an hour's cooldown");
    let again = ops::pause(&guardian, hook, account).await.expect_err("cooldown");
    assert!(again.to_string().contains("may start only at"), "{again}");

    let stranger = ops::unpause(&world.as_key(5), hook, account).await.expect_err("not the guardian");
    assert!(stranger.to_string().contains("is not the guardian"), "{stranger}");
    Ok(())
}

#[tokio::test]
async fn keeper_runs_a_task_and_refusals_read_plainly() -> Result<()> {
    let (world, policy) = World::installed("subscription.toml", HookStack::Engine).await?;
    let (keeper, account, exec) = (world.as_key(3), world.owner.account, world.modules.automation);
    assert_eq!(policy.hook, HookStack::Engine, "the task runs through the policy engine");
    let book = world.book(&policy);

    assert!(ops::task_status(&keeper, exec, account, 1).await?.can_run);
    ops::task_run(&keeper, exec, account, 1, &book).await?;
    let merchant = address!("0x000000000000000000000000000000000000beef"); // in the example's calldata
    let balance = TestToken::new(world.usdc, world.net.provider.clone()).balanceOf(merchant).call().await?;
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
        .owner
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
    // The separate hooks installed (behind the multiplexer): their refusals are read below.
    let (world, _) = World::installed("subscription.toml", HookStack::Multiplexer).await?;
    let (p, m) = (&world.net.provider, &world.modules);
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
    let engine = IPolicyEngine::new(m.engine, p.clone());
    assert_eq!(engine.MAX_AMOUNT().call().await?, U256::from(config::MAX_LIMIT_AMOUNT));
    assert_eq!(engine.MAX_CALL_RULES().call().await?, n(config::MAX_CALL_RULES));

    // PackedWindow's MIN_WINDOW and BUCKETS are internal: the authority's refused windows name them.
    let refusal = |window: u64| {
        let limits =
            vec![ISpendingLimitHook::LimitConfig { amount: U256::from(1), window: U256::from(window) }];
        let policy = ISpendingLimitHook::TokenPolicy { token: world.usdc, perTxCap: U256::ZERO, limits };
        let call = spending.setTokenPolicy(world.owner.account, policy);
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

/// `policy apply`: the differences between the live policy and an edited file, in order, each
/// one transaction of the authority; afterwards the live policy is the file's, a second plan is
/// empty, and the window of a token the edit left alone carries on (nothing was reinstalled).
async fn apply_sends_only_what_differs(stack: HookStack) -> Result<()> {
    use leash::apply::{self, Change};
    use leash::config::SpendingConfig;
    let (world, policy) = World::installed("treasury.toml", stack).await?;
    let (account, usdc, provider) = (world.owner.account, world.usdc, &world.net.provider);
    let transfer = leash::abi::IERC20Metadata::transferCall {
        to: Address::with_last_byte(0x99),
        value: U256::from(3_000_000u64),
    };
    let spent =
        world.owner.execute(usdc, U256::ZERO, &alloy::sol_types::SolCall::abi_encode(&transfer)).await?;
    assert!(spent.success, "3 USDC within the limits");
    let spending = SpendingLimitHook::new(
        if stack == HookStack::Engine { world.modules.engine } else { world.modules.spending },
        provider.clone(),
    );
    let usdc_left = || async {
        use alloy::providers::Provider;
        let now = provider.get_block_by_number(Default::default()).await?.expect("a block").header.timestamp;
        eyre::Ok(spending.remainingAt(account, usdc, U256::from(now)).call().await?)
    };
    let left_before = usdc_left().await?;

    let live = live::read(provider, account, &world.modules).await?;
    let mut file = policy.clone();
    let allowlist = file.allowlist.as_mut().expect("treasury's allowlist");
    let (_, approve) = allowlist.permissions.remove(0);
    let other = Address::with_last_byte(0x42);
    allowlist.permissions.push((other, FixedBytes(config::WILDCARD_SELECTOR)));
    let vault = Address::with_last_byte(0x79);
    allowlist.protected.push(vault);
    file.pause.as_mut().expect("treasury's pause").auto_unpause_after = 7_200;
    let native = SpendingConfig {
        token: Address::ZERO,
        per_tx_cap: U256::ZERO,
        limits: vec![(U256::from(5u64), 604_800)],
    };
    let at = file.spending.iter().position(|s| s.token.is_zero()).expect("a native limit");
    file.spending[at] = native.clone();
    let plan = apply::plan(&live, &file)?;
    assert_eq!(
        plan.changes,
        vec![
            Change::AutoUnpause(7_200),
            Change::RemovePermission(usdc, approve),
            Change::AddProtected(vault),
            Change::AddPermission(other, FixedBytes(config::WILDCARD_SELECTOR)),
            Change::TokenPolicy(native),
        ]
    );

    let mut sent = Vec::new();
    apply::send(
        &world.as_key(1),
        &world.modules,
        account,
        stack,
        &plan.changes,
        &world.book(&policy),
        |c, _| sent.push(c.clone()),
    )
    .await?;
    assert_eq!(sent, plan.changes, "each change sent once, in order");
    let back = live::read(provider, account, &world.modules).await?;
    same_policy(&file, &back);
    assert_eq!(apply::plan(&back, &file)?.changes, vec![], "nothing left to change");
    assert_eq!(usdc_left().await?, left_before, "USDC's window carried on");

    // What a transaction of the authority cannot change is refused before anything is sent.
    let other_authority = PolicyConfig { authority: other, ..file.clone() };
    let err = apply::plan(&back, &other_authority).unwrap_err().to_string();
    assert!(err.contains("`authority rotate` first"), "{err}");
    let other_hook = match stack {
        HookStack::Engine => HookStack::Multiplexer,
        HookStack::Multiplexer => HookStack::Engine,
    };
    let err = apply::plan(&back, &PolicyConfig { hook: other_hook, ..file.clone() }).unwrap_err().to_string();
    assert!(err.contains("uninstalling and installing again"), "{err}");

    // A change the module refuses stops there and says what is live.
    let refused = vec![
        Change::AddProtected(Address::with_last_byte(0x7a)),
        Change::AddProtected(Address::with_last_byte(0x7a)),
    ];
    let err = apply::send(
        &world.as_key(1),
        &world.modules,
        account,
        stack,
        &refused,
        &TokenBook::default(),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("the first 1 change(s) are live"), "{err:#}");
    Ok(())
}

cases!(apply_sends_only_what_differs:
    apply_sends_only_what_differs_on_the_engine => HookStack::Engine,
    apply_sends_only_what_differs_on_the_multiplexer => HookStack::Multiplexer,
);
