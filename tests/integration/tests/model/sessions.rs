//! Sessions against their model: three agents' sessions on one account (the policy engine as its
//! hook, AgentValidator for sessions only), each with its own time range, usage limits (calls in
//! total, calls per rolling window) and calls with parameter rules (`one_of`, `less_or_equal`,
//! `is_account`, `greater_or_equal`, `cap_per_window`, a wildcard, plain transfers). Random steps (an agent's
//! operation, signed by its own key or another's; the authority's revocation and new grant; time
//! jumps) go through the model and through real UserOps, single calls and batches, some carrying
//! the session's signed grant (enable-in-first-op), each mined at the second the model says; the
//! verdict (accepted, invalid at validation, or the engine's exact refusal, the session's own
//! token limit included) and every session's `sessionOf`, `sessionRemaining` and
//! `sessionArgumentRemaining` must agree after each step. The guardian's pause (manual: until the
//! guardian unpauses, then an hour's cooldown before the next) stops every session at validation;
//! its `pausedUntil` is compared too, and so is what the sessions that limit the token or ether may
//! still move.

use alloy::primitives::utils::parse_ether;
use alloy::primitives::{Address, FixedBytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolError};
use eyre::{ensure, eyre, Result};
use leash::abi::IERC7579Batch;
use leash::abi::IPolicyEngine::{self, IPolicyEngineErrors as G};
use leash::abi::SpendingLimitHook::SpendingLimit_Exceeded;
use leash::account::{execute_batch_as, execute_single_as, outcome_of, UserOpSender};
use leash::addresses::ModuleAddresses;
use leash::config::{self, ParamOp, SessionConfig};
use leash::errors::{LeashRevert, TokenBook};
use leash::ops;
use leash::provider::Confirm;
use leash_tests::abi::TestToken;
use leash_tests::sessions::SessionBed;
use leash_tests::{devnet, Devnet, Options};
use proptest::prelude::*;

/// The chain's clock at the first block (2030).
const START: u64 = 1_900_000_000;

#[derive(Debug, Clone)]
pub enum Call {
    /// `token.transfer(to, amount)`; `to` 0 to 2 a payee, 3 the account.
    Transfer { to: u8, amount: u64 },
    /// `value` wei to a payee (or the account, which AgentValidator refuses).
    Plain { to: u8, value: u64 },
    /// `token.balanceOf(..)`: only a wildcard permits it.
    Other,
    /// Two bytes of calldata to the token: never permitted.
    Short,
}

#[derive(Debug, Clone)]
pub enum Step {
    /// An operation naming `session`'s agent, signed by agent `key` (3: a key with no session): one
    /// call, or a batch of two; with `enable`, the authority's signed grant for the session's next
    /// epoch carried after the signature (enable-in-first-op).
    Op {
        session: u8,
        key: u8,
        calls: Vec<Call>,
        enable: bool,
    },
    Warp(u64),
    Revoke(u8),
    Grant(u8),
    /// The guardian's pause and unpause, sent as they are (a refused one reverts on chain).
    Pause,
    Unpause,
}

pub fn step() -> impl Strategy<Value = Step> {
    let call = prop_oneof![
        5 => (0u8..4, 0u64..80).prop_map(|(to, amount)| Call::Transfer { to, amount }),
        2 => (0u8..4, 0u64..3).prop_map(|(to, value)| Call::Plain { to, value }),
        1 => Just(Call::Other),
        1 => Just(Call::Short),
    ];
    prop_oneof![
        12 => (0u8..3, prop::bool::weighted(0.9), 1u8..4, prop::collection::vec(call, 1..=2), prop::bool::weighted(0.2))
            .prop_map(|(session, own, other, calls, enable)| Step::Op {
                session,
                key: if own { session } else { (session + other) % 4 },
                calls,
                enable,
            }),
        4 => prop_oneof![1u64..30, 30u64..400, 400u64..1500].prop_map(Step::Warp),
        1 => (0u8..3).prop_map(Step::Revoke),
        1 => (0u8..3).prop_map(Step::Grant),
        1 => Just(Step::Pause),
        2 => Just(Step::Unpause),
    ]
}

/// What happened to a step: nothing to compare (a time jump, the authority's action), accepted,
/// refused at validation (the EntryPoint's), or refused at execution with the contracts' error.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Accepted,
    Invalid,
    Refused(LeashRevert),
}

/// The addresses a case's calls use.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    pub account: Address,
    pub token: Address,
    pub payees: [Address; 3],
}

impl Names {
    fn to(&self, i: u8) -> Address {
        if i < 3 {
            self.payees[usize::from(i)]
        } else {
            self.account
        }
    }

    /// The call as (target, value, calldata).
    pub fn call(&self, call: &Call) -> (Address, U256, Vec<u8>) {
        match call {
            Call::Transfer { to, amount } => (
                self.token,
                U256::ZERO,
                TestToken::transferCall { to: self.to(*to), amount: U256::from(*amount) }.abi_encode(),
            ),
            Call::Plain { to, value } => (self.to(*to), U256::from(*value), Vec::new()),
            Call::Other => {
                (self.token, U256::ZERO, TestToken::balanceOfCall { owner: self.account }.abi_encode())
            }
            Call::Short => (self.token, U256::ZERO, vec![0xa9, 0x05]),
        }
    }
}

/// The sessions' policy file: its times from `START`, its addresses as `$NAME`s.
pub fn sessions_file() -> String {
    format!(
        r#"
authority = "$AUTHORITY"
[pause]
guardian = "$GUARDIAN"

[[session]]                 # payments to two payees, at most 50 each, 6 calls in all,
agent = "$AGENT_0"
valid_until = {s0_until}
max_uses = 6
[[session.call]]
target = "$TOKEN"
function = "transfer(address,uint256)"
[[session.call.rule]]
arg = 0
op = "one_of"
type = "address"
values = ["$PAYEE_0", "$PAYEE_1"]
[[session.call.rule]]
arg = 1
op = "less_or_equal"
type = "uint256"
value = 50
[[session.spending]]        # 120 of the token per 4 minutes
token = "$TOKEN"
limits = [ {{ amount = "120", window = "4m" }} ]

[[session]]                 # from a minute on: tokens back to the account (at least 10, at most
agent = "$AGENT_1"          # 60 per 4 minutes), ether to the third payee; 3 calls per 4 minutes
valid_from = {s1_from}
valid_until = {s1_until}
uses_per_window = 3
usage_window = 240
[[session.call]]
target = "$TOKEN"
function = "transfer(address,uint256)"
[[session.call.rule]]
arg = 0
op = "is_account"
type = "address"
[[session.call.rule]]
arg = 1
op = "greater_or_equal"
type = "uint64"
value = 10
[[session.call.rule]]
arg = 1
op = "cap_per_window"
type = "uint64"
value = 60
window = "4m"
[[session.call]]
target = "$PAYEE_2"
function = "plain"

[[session]]                 # anything on the token, ether to the first payee; 4 calls in all,
agent = "$AGENT_2"          # 2 per 2 minutes
valid_until = {s2_until}
max_uses = 4
uses_per_window = 2
usage_window = "2m"
[[session.call]]
target = "$TOKEN"
function = "*"
[[session.call]]
target = "$PAYEE_0"
function = "plain"
[[session.spending]]        # 5 wei of ether per 2 minutes
token = "native"
limits = [ {{ amount = "0.000000000000000005", window = "2m" }} ]
"#,
        s0_until = START + 3_000,
        s1_from = START + 60,
        s1_until = START + 2_000,
        s2_until = START + 1_200,
    )
}

// ---------------------------------------------------------------------- the model

#[derive(Debug, Clone)]
struct SessionState {
    live: bool,
    epoch: u64,
    uses: u64,
    /// (bucket, calls) of the usage window.
    window: Vec<(u64, u64)>,
    /// (bucket, amount) of what the session limits (the token, or ether).
    spent: Vec<(u64, u64)>,
    /// (bucket, word) of the session's cap_per_window rule (one at most in the file).
    capped: Vec<(u64, u64)>,
}

impl SessionState {
    fn granted(epoch: u64) -> Self {
        Self { live: true, epoch, uses: 0, window: Vec::new(), spent: Vec::new(), capped: Vec::new() }
    }
}

/// A PackedWindow of `limit` per 4 buckets of `width`, holding `list` at `t`: `None` if `value`
/// more fits, else what it holds and the first time `value` fits (`U256::MAX`: never).
fn window_refusal(list: &[(u64, u64)], t: u64, width: u64, value: u64, limit: u64) -> Option<(u64, U256)> {
    let now = t / width;
    // Buckets now - 4 ..= now count (never late, early by at most one bucket).
    let ages: Vec<u64> =
        (0..5).map(|age| list.iter().filter(|(b, _)| *b + age == now).map(|(_, n)| n).sum()).collect();
    let used: u64 = ages.iter().sum();
    if value <= limit && used + value <= limit {
        return None;
    }
    if value > limit {
        return Some((used, U256::MAX));
    }
    let mut left = used;
    for age in (1..=5u64).rev() {
        left -= ages[age as usize - 1];
        if left + value <= limit {
            return Some((used, U256::from((now + 5 - (age - 1)) * width)));
        }
    }
    unreachable!("an empty window fits any value up to the limit")
}

/// Grants enabled in an operation, over the run.
pub static ENABLED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The end of a manual pause (no auto-unpause): `type(uint48).max`.
const MANUAL_PAUSE: u64 = (1 << 48) - 1;
/// Between the end of a pause and the next one.
const PAUSE_COOLDOWN: u64 = 3_600;

pub struct Model {
    pub names: Names,
    pub agents: [Address; 3],
    pub configs: Vec<SessionConfig>,
    state: Vec<SessionState>,
    now: u64,
    /// The engine's `pausedUntil`: 0 never paused, else the pause's end (past once unpaused).
    paused_until: u64,
}

impl Model {
    /// The sessions granted once each at setup, at `start` the snapshot's time.
    pub fn new(names: Names, configs: Vec<SessionConfig>, start: u64) -> Self {
        let agents = [configs[0].agent, configs[1].agent, configs[2].agent];
        let state = vec![SessionState::granted(1); 3];
        Self { names, agents, configs, state, now: start, paused_until: 0 }
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn paused_until(&self) -> u64 {
        self.paused_until
    }

    /// The step's verdict (`None`: a time jump or the authority's action), the state moved on.
    /// Every other step takes the next second.
    pub fn transition(&mut self, step: &Step) -> Option<Verdict> {
        match step {
            Step::Warp(secs) => {
                self.now += secs;
                None
            }
            Step::Revoke(s) => {
                self.now += 1;
                let st = &mut self.state[usize::from(*s)];
                st.live = false;
                st.epoch += 1;
                None
            }
            Step::Grant(s) => {
                self.now += 1;
                let st = &mut self.state[usize::from(*s)];
                *st = SessionState::granted(st.epoch + 1);
                None
            }
            Step::Op { session, key, calls, enable } => {
                self.now += 1;
                Some(self.op(usize::from(*session), usize::from(*key), calls, *enable))
            }
            Step::Pause => {
                self.now += 1;
                let (t, end) = (self.now, self.paused_until);
                if t >= end && (end == 0 || t >= end + PAUSE_COOLDOWN) {
                    self.paused_until = MANUAL_PAUSE;
                }
                None
            }
            Step::Unpause => {
                self.now += 1;
                if self.now < self.paused_until {
                    self.paused_until = self.now;
                }
                None
            }
        }
    }

    fn op(&mut self, s: usize, key: usize, calls: &[Call], enable: bool) -> Verdict {
        let (t, names) = (self.now, self.names);
        let (account, agent) = (names.account, self.agents[s]);
        let calls: Vec<(Address, U256, Vec<u8>)> = calls.iter().map(|c| names.call(c)).collect();
        // AgentValidator: no call of the account itself, the session's own key; a grant carried
        // along is enabled if the session is not live; then a live grant, its time range in the
        // validation data (outside it the whole operation, enable included, is undone).
        // While paused, AgentValidator's validation data makes every operation valid only after
        // the pause: the EntryPoint refuses it.
        if calls.iter().any(|(target, _, _)| *target == account) || key != s || t < self.paused_until {
            return Verdict::Invalid;
        }
        let mut st = self.state[s].clone();
        if enable && !st.live {
            st = SessionState::granted(st.epoch + 1);
        }
        let cfg = &self.configs[s];
        if !st.live || t < cfg.valid_from || t > cfg.valid_until {
            return Verdict::Invalid;
        }
        if enable && !self.state[s].live {
            ENABLED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.state[s] = st.clone();
        let refuse = |e: G| Verdict::Refused(LeashRevert::Engine(e));
        let n = calls.len() as u64;
        let uses = st.uses + n;
        if cfg.max_uses != 0 && uses > u64::from(cfg.max_uses) {
            return refuse(G::Session_UsesExceeded(IPolicyEngine::Session_UsesExceeded {
                account,
                agent,
                uses: U256::from(uses),
                maxUses: U256::from(cfg.max_uses),
            }));
        }
        let width = u64::from(cfg.usage_window) / 4;
        if cfg.uses_per_window != 0 {
            if let Some((_, at)) = window_refusal(&st.window, t, width, n, u64::from(cfg.uses_per_window)) {
                return refuse(G::Session_UsageWindowExceeded(IPolicyEngine::Session_UsageWindowExceeded {
                    account,
                    agent,
                    uses: U256::from(n),
                    availableAt: at,
                }));
            }
        }
        let (mut moved, mut native) = (0u64, 0u64);
        // Each call's capped word, spent in order (a later call of the batch sees the earlier ones).
        let mut capped = st.capped.clone();
        for (target, value, data) in &calls {
            native += value.to::<u64>();
            let Some(entry) = cfg.entry_for(*target, data) else {
                let selector =
                    if data.len() >= 4 { FixedBytes::from_slice(&data[..4]) } else { FixedBytes::ZERO };
                return refuse(G::Session_CallNotPermitted(IPolicyEngine::Session_CallNotPermitted {
                    account,
                    agent,
                    target: *target,
                    selector,
                }));
            };
            for (r, rule) in entry.rules.iter().enumerate() {
                let (holds, word) = rule.check(data, account);
                if !holds {
                    return refuse(G::Session_ParamRuleBroken(IPolicyEngine::Session_ParamRuleBroken {
                        account,
                        agent,
                        target: *target,
                        selector: entry.selector,
                        rule: U256::from(r),
                        word,
                    }));
                }
                if rule.op == ParamOp::CapPerWindow {
                    let (cap, width) = (rule.values[0].to::<u64>(), rule.values[1].to::<u64>() / 4);
                    let value = word.to::<u64>();
                    if let Some((used, at)) = window_refusal(&capped, t, width, value, cap) {
                        return refuse(G::Session_ArgumentCapExceeded(
                            IPolicyEngine::Session_ArgumentCapExceeded {
                                account,
                                agent,
                                target: *target,
                                selector: entry.selector,
                                rule: U256::from(r),
                                value: word,
                                remaining: U256::from(cap.saturating_sub(used)),
                                availableAt: at,
                            },
                        ));
                    }
                    capped.push((t / width, value));
                }
            }
            if *target == names.token && data.len() == 68 && data[..4] == TestToken::transferCall::SELECTOR {
                moved += U256::from_be_slice(&data[36..68]).to::<u64>();
            }
        }
        // The session's own limit (each limits one thing here: the token, or ether): the batch's
        // total, once.
        let limit = cfg.spending.first();
        if let Some(limit) = limit {
            if limit.token == Address::ZERO {
                moved = native;
            }
        }
        if let (Some(limit), true) = (limit, moved != 0) {
            let (amount, window) = (limit.limits[0].0.to::<u64>(), limit.limits[0].1);
            if let Some((used, at)) = window_refusal(&st.spent, t, window / 4, moved, amount) {
                let e = SpendingLimit_Exceeded {
                    account,
                    token: limit.token,
                    attempted: U256::from(moved),
                    remaining: U256::from(amount.saturating_sub(used)),
                    availableAt: at,
                };
                return Verdict::Refused(LeashRevert::decode(&e.abi_encode()));
            }
            self.state[s].spent.push((t / (window / 4), moved));
        }
        let st = &mut self.state[s];
        st.capped = capped;
        if cfg.max_uses != 0 {
            st.uses = uses;
        }
        if cfg.uses_per_window != 0 {
            st.window.push((t / width, n));
        }
        Verdict::Accepted
    }

    /// What session `s` may still move now of what it limits (the token, or ether), if it limits
    /// one and is live.
    pub fn remaining(&self, s: usize) -> Option<U256> {
        let limit = self.configs[s].spending.first()?;
        let st = &self.state[s];
        if !st.live {
            return None;
        }
        let (amount, window) = (limit.limits[0].0.to::<u64>(), limit.limits[0].1);
        let used =
            window_refusal(&st.spent, self.now, window / 4, amount + 1, amount).map_or(0, |(used, _)| used);
        Some(U256::from(amount.saturating_sub(used)))
    }

    /// What session `s`'s cap (its entry, its rule) still lets through now, if it has one and is
    /// live.
    pub fn cap_remaining(&self, s: usize) -> Option<(Address, FixedBytes<4>, usize, U256)> {
        let st = &self.state[s];
        if !st.live {
            return None;
        }
        self.configs[s].calls.iter().find_map(|c| {
            let r = c.rules.iter().position(|r| r.op == ParamOp::CapPerWindow)?;
            let (cap, width) = (c.rules[r].values[0].to::<u64>(), c.rules[r].values[1].to::<u64>() / 4);
            let used = window_refusal(&st.capped, self.now, width, cap + 1, cap).map_or(0, |(used, _)| used);
            Some((c.target, c.selector, r, U256::from(cap.saturating_sub(used))))
        })
    }

    /// (live, uses, epoch) of each session, as `sessionOf` reports them.
    pub fn views(&self) -> Vec<(bool, u64, u64)> {
        self.state.iter().map(|s| (s.live, s.uses, s.epoch)).collect()
    }
}

// ---------------------------------------------------------------------- the driver

pub struct Driver {
    _net: Devnet,
    provider: DynProvider,
    authority: DynProvider,
    authority_key: PrivateKeySigner,
    guardian: DynProvider,
    owner: UserOpSender<DynProvider>,
    modules: ModuleAddresses,
    /// The three agents' keys, then a key with no session.
    keys: [PrivateKeySigner; 4],
    pub names: Names,
    pub configs: Vec<SessionConfig>,
    /// Taken again after each revert (`evm_revert` consumes it).
    snapshot: std::cell::Cell<U256>,
    pub start: u64,
}

impl Driver {
    /// A node with the Leash modules, a token, an account with the engine (a guardian only
    /// account-wide) and AgentValidator installed, the three sessions granted; snapshotted.
    pub async fn spawn() -> Result<Self> {
        let net = devnet(Options { prune_history: true, ..Options::default() })?;
        let provider = net.provider.clone();
        provider.anvil_set_block_timestamp_interval(1).await?;
        provider.anvil_set_next_block_timestamp(START - 100).await?;
        let owner = net.test_account(PrivateKeySigner::random()).await?;
        let bed = SessionBed::new(net, owner, U256::ZERO).await?;
        let account = bed.owner.account;
        let token = bed.net.deploy_token("TestToken", "T").await?;
        TestToken::new(token, provider.clone())
            .mint(account, U256::from(1_000_000u64))
            .send()
            .await?
            .confirmed()
            .await?;
        provider
            .send_transaction(TransactionRequest::default().to(account).value(parse_ether("1")?))
            .await?
            .confirmed()
            .await?;
        let keys = [0, 1, 2, 3].map(|_| PrivateKeySigner::random());
        let payees = [0xa1, 0xa2, 0xa3].map(Address::with_last_byte);
        let guardian = bed.net.anvil.addresses()[2];
        let mut vars: std::collections::BTreeMap<String, Address> = [
            ("AUTHORITY".to_string(), bed.authority.address()),
            ("GUARDIAN".to_string(), guardian),
            ("TOKEN".to_string(), token),
        ]
        .into_iter()
        .collect();
        for i in 0..3 {
            vars.insert(format!("AGENT_{i}"), keys[i].address());
            vars.insert(format!("PAYEE_{i}"), payees[i]);
        }
        let policy =
            config::parse_with("sessions.toml", &sessions_file(), &vars).map_err(|e| eyre!("{e}"))?;
        bed.install(&policy, &TokenBook::default()).await?;
        bed.grant_all(&policy, &TokenBook::default()).await?;
        let latest =
            provider.get_block_by_number(Default::default()).await?.ok_or_else(|| eyre!("no block"))?;
        let start = latest.header.timestamp;
        ensure!(start < START, "the setup ran past the sessions' start");
        let snapshot = provider.anvil_snapshot().await?;
        let (authority, guardian) = (bed.authority_wallet(), bed.net.wallet(2));
        let SessionBed { net, owner, modules, authority: authority_key } = bed;
        Ok(Self {
            _net: net,
            provider,
            authority,
            authority_key,
            guardian,
            owner,
            modules,
            keys,
            names: Names { account, token, payees },
            configs: policy.sessions,
            snapshot: std::cell::Cell::new(snapshot),
            start,
        })
    }

    /// Back to the snapshot.
    pub async fn reset(&self) -> Result<()> {
        ensure!(self.provider.anvil_revert(self.snapshot.get()).await?, "the snapshot is gone");
        self.snapshot.set(self.provider.anvil_snapshot().await?);
        Ok(())
    }

    /// `step` on the chain, mined at `at` (the model's time after it).
    pub async fn perform(&self, step: &Step, at: u64) -> Result<Option<Verdict>> {
        let (engine, account) = (self.modules.engine, self.names.account);
        match step {
            Step::Warp(_) => Ok(None),
            Step::Revoke(s) => {
                self.provider.anvil_set_next_block_timestamp(at).await?;
                ops::revoke_session(&self.authority, engine, account, self.configs[usize::from(*s)].agent)
                    .await?;
                Ok(None)
            }
            Step::Grant(s) => {
                self.provider.anvil_set_next_block_timestamp(at).await?;
                let cfg = &self.configs[usize::from(*s)];
                ops::grant_session(&self.authority, engine, account, cfg, &TokenBook::default()).await?;
                Ok(None)
            }
            Step::Pause | Step::Unpause => {
                // Sent as they are, at `at` (a simulation would run at the last block's time): a
                // refused one reverts, which `pausedUntil` shows.
                let engine = IPolicyEngine::new(engine, self.guardian.clone());
                self.provider.anvil_set_next_block_timestamp(at).await?;
                let pending = if matches!(step, Step::Pause) {
                    engine.pause(account).gas(200_000).send().await?
                } else {
                    engine.unpause(account).gas(200_000).send().await?
                };
                // Its receipt asked for directly: with alloy's receipt watcher, whose poller keeps
                // running across the snapshot reverts, a pause sent again from the same nonce in a
                // later case failed now and then (a null receipt, or a pruned block asked for).
                let hash = *pending.tx_hash();
                let started = std::time::Instant::now();
                while self.provider.get_transaction_receipt(hash).await?.is_none() {
                    ensure!(started.elapsed().as_secs() < 30, "{step:?} not mined");
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
                Ok(None)
            }
            Step::Op { session, key, calls, enable } => {
                let key = &self.keys[usize::from(*key)];
                let cfg = &self.configs[usize::from(*session)];
                let sender = UserOpSender {
                    session: Some(cfg.agent),
                    ..self.owner.clone().signed_by(key.clone()).via_validator(self.modules.validator)
                };
                let items: Vec<(Address, U256, Vec<u8>)> = calls.iter().map(|c| self.names.call(c)).collect();
                let call_data = match items.as_slice() {
                    [(target, value, data)] => execute_single_as(sender.session, *target, *value, data),
                    _ => execute_batch_as(
                        sender.session,
                        &items
                            .into_iter()
                            .map(|(target, value, data)| IERC7579Batch::Execution {
                                target,
                                value,
                                callData: data.into(),
                            })
                            .collect::<Vec<_>>(),
                    ),
                };
                let mut op = sender.user_op(call_data).await?;
                sender.sign(&mut op, key).await?;
                if *enable {
                    let grant =
                        ops::sign_session(&self.provider, engine, account, cfg, &self.authority_key).await?;
                    op.signature = [&op.signature[..], &grant[..]].concat().into();
                }
                let entry_point = sender.entry_point();
                let hash = entry_point.getUserOpHash(op.clone()).call().await?;
                // Sent without a simulation, so that it runs at exactly `at`.
                self.provider.anvil_set_next_block_timestamp(at).await?;
                let receipt = entry_point
                    .handleOps(vec![op], sender.bundler)
                    .gas(15_000_000)
                    .send()
                    .await?
                    .get_receipt()
                    .await?;
                ensure!(receipt.block_number.is_some(), "not mined");
                if !receipt.status() {
                    return Ok(Some(Verdict::Invalid));
                }
                let outcome = outcome_of(&receipt, sender.entry_point, hash, 0)?;
                Ok(Some(match outcome.refusal() {
                    None => Verdict::Accepted,
                    Some(refusal) => Verdict::Refused(refusal),
                }))
            }
        }
    }

    /// (live, uses, epoch) of each session.
    pub async fn views(&self) -> Result<Vec<(bool, u64, u64)>> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        let mut out = Vec::new();
        for cfg in &self.configs {
            let s = engine.sessionOf(self.names.account, cfg.agent).call().await?;
            out.push((s.live, s.uses.to::<u64>(), s.epoch.to::<u64>()));
        }
        Ok(out)
    }

    /// `sessionArgumentRemaining` of session `s` for rule `rule` of its entry for (target, selector).
    pub async fn cap_remaining(
        &self,
        s: usize,
        target: Address,
        selector: FixedBytes<4>,
        rule: usize,
    ) -> Result<U256> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        Ok(engine
            .sessionArgumentRemaining(
                self.names.account,
                self.configs[s].agent,
                target,
                selector,
                U256::from(rule),
            )
            .call()
            .await?)
    }

    /// `sessionRemaining` of session `s` for what it limits (the token, or ether).
    pub async fn remaining(&self, s: usize) -> Result<U256> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        let limited = self.configs[s].spending.first().map_or(self.names.token, |l| l.token);
        Ok(engine.sessionRemaining(self.names.account, self.configs[s].agent, limited).call().await?)
    }

    /// The engine's `pausedUntil` for the account.
    pub async fn paused_until(&self) -> Result<u64> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        Ok(engine.pausedUntil(self.names.account).call().await?.to::<u64>())
    }
}
