//! The sessions' model: what each step does to the three sessions and the engine's pause, by the
//! rules alone (no chain).

use alloy::primitives::{Address, FixedBytes, U256};
use alloy::sol_types::{SolCall, SolError};
use leash::abi::IPolicyEngine::{self, IPolicyEngineErrors as G};
use leash::abi::SpendingLimitHook::SpendingLimit_Exceeded;
use leash::config::{ParamOp, SessionConfig};
use leash::errors::LeashRevert;
use leash_anvil_tests::abi::TestToken;

use super::{Call, Names, Step, Verdict};

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
