//! Model against contract: random sequences of agent operations (transfers, calls, short and
//! zero-selector calldata), configuration changes (allow and block mode, exact and wildcard
//! entries, protected addresses), guardian actions and the authority's recovery, a keeper's task
//! (start, expiry, cooldown, maximum runs) and time jumps, driven through the real account on
//! Anvil, with a pure Rust model of the same rules. After every step the contract's verdict
//! (accepted, or the exact revert data) and its views must equal the model's; over the whole
//! sequence an exact sliding log of accepted spends (the agent's and the task's) must never show
//! more than the limit inside any window.
//!
//! `PROPTEST_CASES` scales the run (default 48); failures shrink to a minimal readable sequence.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolError};
use leash::abi::{
    IAllowlistHook, IAutomationExecutor, IERC20Metadata, IEmergencyPauseHook, ISpendingLimitHook,
};
use leash::account::UserOpSender;
use leash::config::{self, ModuleAddresses};
use leash::deploy;
use leash_tests::abi::TestToken;
use leash_tests::{deploy_account, project_root, TestBed};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

const LIMIT: u64 = 100;
const WINDOW: u64 = 3600;
const WIDTH: u64 = WINDOW / 4;
const AUTO_UNPAUSE: u64 = 1800;
const COOLDOWN: u64 = 3600;
const START: u64 = 1_900_000_000;
/// The keeper's task: a transfer of TASK_AMOUNT of the limited token, at most TASK_RUNS times, at
/// least TASK_COOLDOWN apart, from TASK_DELAY after install for TASK_LIFETIME seconds.
const TASK_ID: u64 = 1;
const TASK_AMOUNT: u64 = 5;
const TASK_RUNS: u32 = 2;
const TASK_COOLDOWN: u32 = 600;
const TASK_DELAY: u64 = 120;
const TASK_LIFETIME: u64 = 3 * WINDOW;

#[derive(Clone, Debug)]
enum Step {
    /// The agent transfers `amount` of the limited token.
    Spend(u64),
    /// The agent calls `ping()` on the other target.
    Ping,
    /// The agent calls the other target with 1 to 3 bytes of calldata, or (4) with a zero selector.
    Malformed(u8),
    /// The keeper runs the task.
    RunTask,
    /// The authority lists or unlists (token, transfer), (other, ping) or (other, *).
    Toggle(Entry),
    /// The authority protects or unprotects the other target.
    Protect,
    /// The authority switches the allowlist to block mode (true) or allow mode.
    SetBlockMode(bool),
    GuardianPause,
    GuardianUnpause,
    /// The authority's recovery: it unpauses in the guardian's place.
    AuthorityUnpause,
    Warp(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    TokenTransfer,
    OtherPing,
    OtherWildcard,
}

fn step() -> impl Strategy<Value = Step> {
    let edges = prop_oneof![
        Just(1u64),
        Just(WIDTH),
        Just(WINDOW),
        Just(WINDOW - 1),
        Just(COOLDOWN + AUTO_UNPAUSE),
        Just(AUTO_UNPAUSE),
        Just(TASK_COOLDOWN as u64),
        Just(TASK_DELAY),
        0u64..2 * WINDOW
    ];
    prop_oneof![
        5 => (1u64..=60).prop_map(Step::Spend),
        1 => Just(Step::Ping),
        1 => (1u8..=4).prop_map(Step::Malformed),
        3 => Just(Step::RunTask),
        1 => prop_oneof![Just(Entry::TokenTransfer), Just(Entry::OtherPing), Just(Entry::OtherWildcard)]
            .prop_map(Step::Toggle),
        1 => Just(Step::Protect),
        1 => any::<bool>().prop_map(Step::SetBlockMode),
        1 => Just(Step::GuardianPause),
        1 => Just(Step::GuardianUnpause),
        1 => Just(Step::AuthorityUnpause),
        3 => edges.prop_map(Step::Warp),
    ]
}

// ---------------------------------------------------------------------- the model

#[derive(Clone, Debug, Default)]
struct Model {
    now: u64,
    buckets: Vec<(u64, u64)>, // (bucket index, amount): RollingWindow's semantics
    log: Vec<(u64, u64)>,     // (time, amount): every accepted spend, exactly
    paused_until: u64,
    listed: BTreeSet<Entry>,
    protected_other: bool,
    block_mode: bool,
    task_starts_at: u64,
    task_runs: u32,
    task_last_run: u64,
}

impl Model {
    fn used_at(&self, t: u64) -> u64 {
        let cur = t / WIDTH;
        self.buckets.iter().filter(|(i, _)| *i + 4 >= cur && *i <= cur).map(|(_, a)| a).sum()
    }

    fn available_at(&self, t: u64, value: u64) -> u64 {
        let mut used = self.used_at(t);
        if used + value <= LIMIT {
            return t;
        }
        let cur = t / WIDTH;
        for j in cur.saturating_sub(4)..=cur {
            used -= self.buckets.iter().filter(|(i, _)| *i == j).map(|(_, a)| a).sum::<u64>();
            if used + value <= LIMIT {
                return (j + 5) * WIDTH;
            }
        }
        unreachable!("an empty window fits any value under the limit")
    }

    fn paused(&self) -> bool {
        self.now < self.paused_until
    }

    fn task_expires_at(&self) -> u64 {
        self.task_starts_at + TASK_LIFETIME
    }

    /// The executor's own refusal of the keeper's run, before the account's hooks see it.
    fn task_refusal(&self, account: Address) -> Option<Bytes> {
        let id = U256::from(TASK_ID);
        let expires_at = self.task_expires_at();
        if self.now >= expires_at {
            let e =
                IAutomationExecutor::Automation_Expired { account, id, expiresAt: U256::from(expires_at) };
            return Some(e.abi_encode().into());
        }
        if self.task_runs >= TASK_RUNS {
            let max = U256::from(TASK_RUNS);
            return Some(
                IAutomationExecutor::Automation_MaxExecutionsReached { account, id, maxExecutions: max }
                    .abi_encode()
                    .into(),
            );
        }
        if self.now < self.task_starts_at {
            let at = U256::from(self.task_starts_at);
            return Some(
                IAutomationExecutor::Automation_NotStarted { account, id, startsAt: at }.abi_encode().into(),
            );
        }
        let next = self.task_last_run + TASK_COOLDOWN as u64;
        if self.task_runs > 0 && self.now < next {
            // The executor names no time when the task expires before it could run again.
            let at = if next >= expires_at { 0 } else { next };
            return Some(
                IAutomationExecutor::Automation_CooldownActive { account, id, availableAt: U256::from(at) }
                    .abi_encode()
                    .into(),
            );
        }
        None
    }

    fn record_spend(&mut self, value: u64) {
        let cur = self.now / WIDTH;
        match self.buckets.iter_mut().find(|(i, _)| *i == cur) {
            Some(b) => b.1 += value,
            None => self.buckets.push((cur, value)),
        }
        self.log.push((self.now, value));
    }
}

// ---------------------------------------------------------------------- the chain

struct Chain {
    bed: TestBed,
    modules: ModuleAddresses,
    token: Address,
    other: Address,
    authority: DynProvider,
    guardian: DynProvider,
    keeper: DynProvider,
    policy: config::PolicyConfig,
}

/// A fresh account with the policy and the keeper's task (starting TASK_DELAY after `task_starts_at`)
/// installed, for one case (the chain only moves forward: no snapshots, whose revert would confuse
/// the wallets' nonce caches).
async fn fresh_account(
    c: &Chain,
    now: &mut u64,
    task_starts_at: u64,
) -> eyre::Result<UserOpSender<DynProvider>> {
    let owner = PrivateKeySigner::random();
    *now += 1;
    c.bed.provider.anvil_set_next_block_timestamp(*now).await?;
    let account = deploy_account(&c.bed.provider, owner.address()).await?;
    *now += 1;
    c.bed.provider.anvil_set_next_block_timestamp(*now).await?;
    TestToken::new(c.token, c.bed.provider.clone())
        .mint(account, U256::from(1_000_000u64))
        .send()
        .await?
        .get_receipt()
        .await?;
    let sender = UserOpSender {
        provider: c.bed.provider.clone(),
        account,
        signer: owner,
        bundler: c.bed.bundler,
        nonce_key: Default::default(),
        entry_point: leash::account::ENTRYPOINT_V08,
        execute_user_op: false,
    };
    let mut policy = c.policy.clone();
    policy.tasks.push(config::TaskConfig {
        id: TASK_ID,
        caller: c.bed.anvil.addresses()[3],
        target: c.token,
        value: U256::ZERO,
        call: IERC20Metadata::transferCall {
            to: Address::with_last_byte(0xb1),
            amount: U256::from(TASK_AMOUNT),
        }
        .abi_encode()
        .into(),
        cooldown: TASK_COOLDOWN,
        max_executions: TASK_RUNS,
        starts_at: task_starts_at,
        expires_at: task_starts_at + TASK_LIFETIME,
    });
    for p in policy.install_payloads(&c.modules) {
        *now += 1;
        c.bed.provider.anvil_set_next_block_timestamp(*now).await?;
        eyre::ensure!(sender.install_module(p.module_type, p.module, p.init_data).await?.success, "install");
    }
    Ok(sender)
}

fn wallet(bed: &TestBed, i: usize) -> DynProvider {
    let key: PrivateKeySigner = bed.anvil.keys()[i].clone().into();
    leash::provider::with_wallet(bed.anvil.endpoint_url(), key)
}

async fn chain() -> eyre::Result<Chain> {
    let bed = TestBed::spawn().await?;
    let plan = deploy::plan(&project_root().join("out"))?;
    deploy::deploy(&bed.provider, &plan, None, |_| {}).await?;
    let modules = ModuleAddresses::from_plan(&plan);
    let token = TestToken::deploy(&bed.provider, "T".to_string()).await?;
    token.mint(bed.account, U256::from(1_000_000u64)).send().await?.get_receipt().await?;
    let other = *TestToken::deploy(&bed.provider, "O".to_string()).await?.address();
    let (authority, guardian, keeper) = (wallet(&bed, 1), wallet(&bed, 2), wallet(&bed, 3));
    let policy = format!(
        r#"
        authority = "{a}"
        [pause]
        guardian = "{g}"
        auto_unpause_after = {AUTO_UNPAUSE}
        [allowlist]
        mode = "allow"
        permissions = [ {{ target = "{t}", function = "transfer(address,uint256)" }} ]
        [[spending]]
        token = "{t}"
        limits = [ {{ amount = "{LIMIT}", window = {WINDOW} }} ]
        "#,
        a = bed.anvil.addresses()[1],
        g = bed.anvil.addresses()[2],
        t = token.address(),
    );
    let policy = config::parse("model.toml", &policy)?;
    Ok(Chain { token: *token.address(), other, bed, modules, authority, guardian, keeper, policy })
}

// Ping is any function of `other` the allowlist knows by selector.
fn ping_call() -> Vec<u8> {
    IERC20Metadata::symbolCall {}.abi_encode()
}

fn transfer_selector() -> FixedBytes<4> {
    FixedBytes(IERC20Metadata::transferCall::SELECTOR)
}

fn ping_selector() -> FixedBytes<4> {
    FixedBytes(IERC20Metadata::symbolCall::SELECTOR)
}

/// What the stack answers to an agent call, in the model: pause, then allowlist, then spending.
fn expected_refusal(m: &Model, account: Address, chain: &Chain, spend: Option<u64>) -> Option<Bytes> {
    if m.paused() {
        return Some(
            IEmergencyPauseHook::Pause_AccountPaused { account, until: U256::from(m.paused_until) }
                .abi_encode()
                .into(),
        );
    }
    let (target, selector, exact, wildcard) = match spend {
        Some(_) => (chain.token, transfer_selector(), m.listed.contains(&Entry::TokenTransfer), false),
        None => (
            chain.other,
            ping_selector(),
            m.listed.contains(&Entry::OtherPing),
            m.listed.contains(&Entry::OtherWildcard),
        ),
    };
    // The allowlist: protected first, then the mode's reading of the wildcard and exact entries.
    if spend.is_none() && m.protected_other {
        return Some(IAllowlistHook::Allowlist_ProtectedTarget { account, target }.abi_encode().into());
    }
    if !m.block_mode && !exact && !wildcard {
        return Some(
            IAllowlistHook::Allowlist_CallNotAllowed { account, target, selector }.abi_encode().into(),
        );
    }
    if m.block_mode && (wildcard || exact) {
        let selector = if wildcard { FixedBytes(config::WILDCARD_SELECTOR) } else { selector };
        return Some(IAllowlistHook::Allowlist_CallBlocked { account, target, selector }.abi_encode().into());
    }
    if let Some(value) = spend {
        let used = m.used_at(m.now);
        if value > LIMIT || used + value > LIMIT {
            let remaining = LIMIT.saturating_sub(used);
            let available = m.available_at(m.now, value);
            return Some(
                ISpendingLimitHook::SpendingLimit_Exceeded {
                    account,
                    token: chain.token,
                    attempted: U256::from(value),
                    remaining: U256::from(remaining),
                    availableAt: U256::from(available),
                }
                .abi_encode()
                .into(),
            );
        }
    }
    None
}

async fn run_step(
    c: &Chain,
    a: &UserOpSender<DynProvider>,
    m: &mut Model,
    s: &Step,
) -> Result<(), TestCaseError> {
    let fail = |e: eyre::Report| TestCaseError::fail(format!("{s:?}: {e:#}"));
    let account = a.account;
    if let Step::Warp(dt) = s {
        m.now += dt;
        return Ok(());
    }
    m.now += 1; // every transaction gets its own second
    c.bed.provider.anvil_set_next_block_timestamp(m.now).await.map_err(|e| fail(e.into()))?;
    match s {
        Step::Spend(_) | Step::Ping => {
            let spend = if let Step::Spend(v) = s { Some(*v) } else { None };
            let expected = expected_refusal(m, account, c, spend);
            let data = match spend {
                Some(v) => {
                    IERC20Metadata::transferCall { to: Address::with_last_byte(0xb0), amount: U256::from(v) }
                        .abi_encode()
                }
                None => ping_call(),
            };
            let target = if spend.is_some() { c.token } else { c.other };
            let outcome = a.execute(target, U256::ZERO, &data).await.map_err(fail)?;
            let got = (!outcome.success).then_some(outcome.revert_reason.clone());
            prop_assert_eq!(&got, &expected, "verdict of {:?} at t={}", s, m.now);
            if let (None, Some(v)) = (&expected, spend) {
                m.record_spend(v);
            }
        }
        Step::Malformed(len) => {
            // The allowlist refuses these before any mode or entry is read (after the pause and the
            // protected check): short calldata has no selector, and 0x00000000 is the plain
            // transfer's key.
            let target = c.other;
            let data: Vec<u8> = if *len < 4 { vec![0xab; *len as usize] } else { vec![0; 36] };
            let expected: Bytes = if m.paused() {
                IEmergencyPauseHook::Pause_AccountPaused { account, until: U256::from(m.paused_until) }
                    .abi_encode()
                    .into()
            } else if m.protected_other {
                IAllowlistHook::Allowlist_ProtectedTarget { account, target }.abi_encode().into()
            } else if *len < 4 {
                IAllowlistHook::Allowlist_ShortCalldata { account, target, length: U256::from(*len) }
                    .abi_encode()
                    .into()
            } else {
                IAllowlistHook::Allowlist_ZeroSelector { account, target }.abi_encode().into()
            };
            let outcome = a.execute(target, U256::ZERO, &data).await.map_err(fail)?;
            prop_assert!(!outcome.success, "{:?} passed at t={}", s, m.now);
            prop_assert_eq!(outcome.revert_reason, expected, "verdict of {:?} at t={}", s, m.now);
        }
        Step::RunTask => {
            let expected =
                m.task_refusal(account).or_else(|| expected_refusal(m, account, c, Some(TASK_AMOUNT)));
            let data = IAutomationExecutor::executeTaskCall { account, id: U256::from(TASK_ID) }.abi_encode();
            match send_raw(&c.keeper, c.modules.automation, data).await.map_err(fail)? {
                Ok(()) => {
                    prop_assert_eq!(expected, None, "the task ran at t={} but the model refuses it", m.now);
                    m.task_runs += 1;
                    m.task_last_run = m.now;
                    m.record_spend(TASK_AMOUNT);
                }
                Err(data) => prop_assert_eq!(Some(data), expected, "the task at t={}", m.now),
            }
        }
        Step::Toggle(key) => {
            let (target, selector) = match key {
                Entry::TokenTransfer => (c.token, transfer_selector()),
                Entry::OtherPing => (c.other, ping_selector()),
                Entry::OtherWildcard => (c.other, FixedBytes(config::WILDCARD_SELECTOR)),
            };
            let data = if m.listed.contains(key) {
                IAllowlistHook::removePermissionCall { account, target, selector }.abi_encode()
            } else {
                IAllowlistHook::addPermissionCall { account, target, selector }.abi_encode()
            };
            let result = send_raw(&c.authority, c.modules.allowlist, data).await.map_err(fail)?;
            prop_assert_eq!(result, Ok(()), "the authority's change was refused");
            if !m.listed.remove(key) {
                m.listed.insert(*key);
            }
        }
        Step::Protect => {
            let data = if m.protected_other {
                IAllowlistHook::removeProtectedCall { account, target: c.other }.abi_encode()
            } else {
                IAllowlistHook::addProtectedCall { account, target: c.other }.abi_encode()
            };
            let result = send_raw(&c.authority, c.modules.allowlist, data).await.map_err(fail)?;
            prop_assert_eq!(result, Ok(()), "the authority's change was refused");
            m.protected_other = !m.protected_other;
        }
        Step::SetBlockMode(block) => {
            let data = IAllowlistHook::setModeCall { account, mode: if *block { 2 } else { 1 } }.abi_encode();
            let result = send_raw(&c.authority, c.modules.allowlist, data).await.map_err(fail)?;
            prop_assert_eq!(result, Ok(()), "the authority's change was refused");
            m.block_mode = *block;
        }
        Step::GuardianPause | Step::GuardianUnpause | Step::AuthorityUnpause => {
            let pausing = matches!(s, Step::GuardianPause);
            let expected: Option<Bytes> = if pausing {
                if m.paused() {
                    Some(
                        IEmergencyPauseHook::Pause_AccountPaused {
                            account,
                            until: U256::from(m.paused_until),
                        }
                        .abi_encode()
                        .into(),
                    )
                } else if m.paused_until != 0 && m.now < m.paused_until + COOLDOWN {
                    Some(
                        IEmergencyPauseHook::Pause_CooldownActive {
                            account,
                            availableAt: U256::from(m.paused_until + COOLDOWN),
                        }
                        .abi_encode()
                        .into(),
                    )
                } else {
                    None
                }
            } else if !m.paused() {
                Some(IEmergencyPauseHook::Pause_NotPaused { account }.abi_encode().into())
            } else {
                None
            };
            let data = if pausing {
                IEmergencyPauseHook::pauseCall { account }.abi_encode()
            } else {
                IEmergencyPauseHook::unpauseCall { account }.abi_encode()
            };
            let who = if matches!(s, Step::AuthorityUnpause) { &c.authority } else { &c.guardian };
            match send_raw(who, c.modules.pause, data).await.map_err(fail)? {
                Ok(()) => {
                    prop_assert_eq!(expected, None, "{:?} passed at t={} but the model refuses it", s, m.now);
                    m.paused_until = if pausing { m.now + AUTO_UNPAUSE } else { m.now };
                }
                Err(data) => {
                    prop_assert_eq!(Some(data), expected, "{:?} at t={}", s, m.now);
                }
            }
        }
        Step::Warp(_) => unreachable!(),
    }
    // Views against the model, at the model's time.
    let spending = ISpendingLimitHook::new(c.modules.spending, c.bed.provider.clone());
    let remaining =
        spending.remainingAt(account, c.token, U256::from(m.now)).call().await.map_err(|e| fail(e.into()))?;
    prop_assert_eq!(remaining, U256::from(LIMIT - m.used_at(m.now).min(LIMIT)), "remaining at t={}", m.now);
    let paused_until = IEmergencyPauseHook::new(c.modules.pause, c.bed.provider.clone())
        .pausedUntil(account)
        .call()
        .await
        .map_err(|e| fail(e.into()))?;
    prop_assert_eq!(paused_until, U256::from(m.paused_until));
    let task = IAutomationExecutor::new(c.modules.automation, c.bed.provider.clone())
        .taskOf(account, U256::from(TASK_ID))
        .call()
        .await
        .map_err(|e| fail(e.into()))?;
    prop_assert_eq!(task.executions, U256::from(m.task_runs), "task runs at t={}", m.now);
    prop_assert_eq!(task.lastRunAt, U256::from(m.task_last_run), "task's last run at t={}", m.now);
    // The exact sliding log: no window of W seconds holds more than the limit.
    for &(t, _) in &m.log {
        let inside: u64 = m.log.iter().filter(|(s, _)| *s + WINDOW > t && *s <= t).map(|(_, a)| a).sum();
        prop_assert!(inside <= LIMIT, "{} spent in the window ending at {}", inside, t);
    }
    Ok(())
}

/// Sends a transaction; a refusal (seen when estimating, so nothing is mined) returns its revert
/// data. The next transaction then reuses the timestamp already set.
async fn send_raw(provider: &DynProvider, to: Address, data: Vec<u8>) -> eyre::Result<Result<(), Bytes>> {
    let tx = TransactionRequest::default().with_to(to).with_input(Bytes::from(data));
    match provider.send_transaction(tx).await {
        Ok(pending) => {
            let receipt = pending.get_receipt().await?;
            eyre::ensure!(receipt.status(), "mined but reverted");
            Ok(Ok(()))
        }
        Err(e) => match e.as_error_resp().and_then(|r| r.as_revert_data()) {
            Some(data) => Ok(Err(data)),
            None => Err(e.into()),
        },
    }
}

#[test]
fn leash_matches_its_model() {
    let cases: u32 = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = rt.block_on(chain()).expect("test chain");
    let steps_done = AtomicU64::new(0);
    let task_runs = AtomicU64::new(0);
    let started = Instant::now();
    let persistence = FileFailurePersistence::Direct("proptest-regressions/model.txt");
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(persistence)),
        ..Config::default()
    });
    let clock = AtomicU64::new(START);
    let result = runner.run(&prop::collection::vec(step(), 1..40), |steps| {
        rt.block_on(async {
            let mut now = clock.load(Ordering::Relaxed) + 10 * WINDOW; // a clean slate in time too
            let task_starts_at = now + TASK_DELAY;
            let account = fresh_account(&c, &mut now, task_starts_at)
                .await
                .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
            let mut model = Model {
                now,
                listed: [Entry::TokenTransfer].into_iter().collect(),
                task_starts_at,
                ..Model::default()
            };
            let mut outcome = Ok(());
            for s in &steps {
                let step = tokio::time::timeout(
                    std::time::Duration::from_secs(30),
                    run_step(&c, &account, &mut model, s),
                );
                outcome = step.await.unwrap_or_else(|_| Err(TestCaseError::fail(format!("{s:?} timed out"))));
                steps_done.fetch_add(1, Ordering::Relaxed);
                if outcome.is_err() {
                    break;
                }
            }
            clock.store(model.now, Ordering::Relaxed);
            task_runs.fetch_add(model.task_runs as u64, Ordering::Relaxed);
            outcome
        })
    });
    let n = steps_done.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    println!("model-checked {n} steps in {secs:.1} s: {:.0} steps/s", n as f64 / secs);
    println!("the keeper's task ran {} times", task_runs.load(Ordering::Relaxed));
    if let Err(e) = result {
        panic!("{e}");
    }
}
