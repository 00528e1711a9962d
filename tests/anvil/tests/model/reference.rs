//! The reference model: the operations a case is made of and a pure Rust statement of the rules
//! they meet (rolling window, allowlist, pause, the keeper's task). It knows nothing of a chain:
//! for each operation it says what the contracts must answer (accepted, or the exact revert data)
//! and what their views must read afterwards.

use std::collections::BTreeSet;

use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use alloy::sol_types::{SolCall, SolError};
use leash::abi::{AllowlistHook, AutomationExecutor, EmergencyPauseHook, IERC20Metadata, SpendingLimitHook};
use leash::config;
use proptest::prelude::*;

/// The limit of the random cases (the exact-fill case sets its own).
pub const LIMIT: u64 = 100;
pub const WINDOW: u64 = 3600;
pub const WIDTH: u64 = WINDOW / 4;
pub const AUTO_UNPAUSE: u64 = 1800;
const COOLDOWN: u64 = 3600;
/// The keeper's task: a transfer of TASK_AMOUNT of the limited token, at most TASK_RUNS times, at
/// least TASK_COOLDOWN apart, from TASK_DELAY after install for TASK_LIFETIME seconds.
pub const TASK_ID: u64 = 1;
pub const TASK_AMOUNT: u64 = 5;
pub const TASK_RUNS: u32 = 2;
pub const TASK_COOLDOWN: u32 = 600;
pub const TASK_DELAY: u64 = 120;
pub const TASK_LIFETIME: u64 = 3 * WINDOW;

#[derive(Clone, Debug)]
pub enum Step {
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
pub enum Entry {
    TokenTransfer,
    OtherPing,
    OtherWildcard,
}

/// One operation, weighted towards spends and the task, with time jumps that land on the edges
/// of windows, buckets, pauses and cooldowns. (Unchanged since the committed regression seeds were
/// recorded: they replay the same sequences.)
pub fn step() -> impl Strategy<Value = Step> {
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

/// Ping is any function of `other` the allowlist knows by selector.
pub fn ping_call() -> Vec<u8> {
    IERC20Metadata::symbolCall {}.abi_encode()
}

pub fn transfer_selector() -> FixedBytes<4> {
    FixedBytes(IERC20Metadata::transferCall::SELECTOR)
}

pub fn ping_selector() -> FixedBytes<4> {
    FixedBytes(IERC20Metadata::symbolCall::SELECTOR)
}

/// The addresses the contracts name in their refusals.
#[derive(Clone, Copy, Debug)]
pub struct Names {
    pub account: Address,
    pub token: Address,
    pub other: Address,
}

/// What the contracts' views read after a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Views {
    /// `remainingAt(account, token, now)` of the engine or the spending hook.
    pub remaining: U256,
    /// `pausedUntil(account)` of the engine or the pause hook.
    pub paused_until: U256,
    /// `AutomationExecutor.taskOf(account, TASK_ID)`: executions and last run.
    pub task_runs: U256,
    pub task_last_run: U256,
}

/// The contracts' answer to one operation: `None` when accepted, else the revert data.
pub type Verdict = Option<Bytes>;

#[derive(Clone, Debug)]
pub struct Model {
    names: Names,
    now: u64,
    limit: u64,
    buckets: Vec<(u64, u64)>, // (bucket index, amount): PackedWindow's semantics
    log: Vec<(u64, u64)>,     // (time, amount): every accepted spend, exactly
    paused_until: u64,
    /// The allowlist's two lists, allow mode's then block mode's: each mode has its own.
    listed: [BTreeSet<Entry>; 2],
    protected_other: bool,
    block_mode: bool,
    task_starts_at: u64,
    task_runs: u32,
    task_last_run: u64,
}

impl Model {
    /// The state right after install at `now`: allow mode with (token, transfer) listed, not
    /// paused, the task not yet run, `limit` of the token per window.
    pub fn new(names: Names, now: u64, task_starts_at: u64, limit: u64) -> Self {
        Self {
            names,
            now,
            limit,
            buckets: Vec::new(),
            log: Vec::new(),
            paused_until: 0,
            listed: [[Entry::TokenTransfer].into_iter().collect(), BTreeSet::new()],
            protected_other: false,
            block_mode: false,
            task_starts_at,
            task_runs: 0,
            task_last_run: 0,
        }
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn task_runs(&self) -> u32 {
        self.task_runs
    }

    /// Moves the model through `step`. A time jump returns `None` (nothing to ask the chain);
    /// any other step takes its own second and returns the verdict the contracts must give,
    /// the model having applied the step's effects if that verdict is acceptance.
    pub fn transition(&mut self, step: &Step) -> Option<Verdict> {
        if let Step::Warp(dt) = step {
            self.now += dt;
            return None;
        }
        self.now += 1;
        let account = self.names.account;
        let verdict = match step {
            Step::Spend(v) => self.agent_refusal(Some(*v)),
            Step::Ping => self.agent_refusal(None),
            Step::Malformed(len) => Some(self.malformed_refusal(*len)),
            Step::RunTask => self.task_refusal().or_else(|| self.agent_refusal(Some(TASK_AMOUNT))),
            // The authority's changes always pass.
            Step::Toggle(_) | Step::Protect | Step::SetBlockMode(_) => None,
            Step::GuardianPause => {
                if self.paused() {
                    Some(self.paused_error())
                } else if self.paused_until != 0 && self.now < self.paused_until + COOLDOWN {
                    let available = U256::from(self.paused_until + COOLDOWN);
                    let e = EmergencyPauseHook::Pause_CooldownActive { account, availableAt: available };
                    Some(e.abi_encode().into())
                } else {
                    None
                }
            }
            Step::GuardianUnpause | Step::AuthorityUnpause => {
                (!self.paused()).then(|| EmergencyPauseHook::Pause_NotPaused { account }.abi_encode().into())
            }
            Step::Warp(_) => unreachable!(),
        };
        if verdict.is_none() {
            self.accept(step);
        }
        Some(verdict)
    }

    /// When the first step of `rest` that reaches the chain will happen (time jumps before it
    /// added), if any does.
    pub fn next_chain_time(&self, rest: &[Step]) -> Option<u64> {
        let mut t = self.now;
        for step in rest {
            match step {
                Step::Warp(dt) => t += dt,
                _ => return Some(t + 1),
            }
        }
        None
    }

    /// The views the contracts must show at the model's time.
    pub fn views(&self) -> Views {
        Views {
            remaining: U256::from(self.limit - self.used_at(self.now).min(self.limit)),
            paused_until: U256::from(self.paused_until),
            task_runs: U256::from(self.task_runs),
            task_last_run: U256::from(self.task_last_run),
        }
    }

    /// The exact sliding log: no window of W seconds holds more than the limit.
    pub fn check_log(&self) -> Result<(), String> {
        for &(t, _) in &self.log {
            let inside: u64 =
                self.log.iter().filter(|(s, _)| *s + WINDOW > t && *s <= t).map(|(_, a)| a).sum();
            if inside > self.limit {
                return Err(format!("{inside} spent in the window ending at {t}"));
            }
        }
        Ok(())
    }

    fn accept(&mut self, step: &Step) {
        match step {
            Step::Spend(v) => self.record_spend(*v),
            Step::RunTask => {
                self.task_runs += 1;
                self.task_last_run = self.now;
                self.record_spend(TASK_AMOUNT);
            }
            Step::Toggle(key) => {
                let list = &mut self.listed[usize::from(self.block_mode)];
                if !list.remove(key) {
                    list.insert(*key);
                }
            }
            Step::Protect => self.protected_other = !self.protected_other,
            Step::SetBlockMode(block) => self.block_mode = *block,
            Step::GuardianPause => self.paused_until = self.now + AUTO_UNPAUSE,
            Step::GuardianUnpause | Step::AuthorityUnpause => self.paused_until = self.now,
            Step::Ping | Step::Malformed(_) | Step::Warp(_) => {}
        }
    }

    fn used_at(&self, t: u64) -> u64 {
        let cur = t / WIDTH;
        self.buckets.iter().filter(|(i, _)| *i + 4 >= cur && *i <= cur).map(|(_, a)| a).sum()
    }

    fn available_at(&self, t: u64, value: u64) -> u64 {
        let mut used = self.used_at(t);
        if used + value <= self.limit {
            return t;
        }
        let cur = t / WIDTH;
        for j in cur.saturating_sub(4)..=cur {
            used -= self.buckets.iter().filter(|(i, _)| *i == j).map(|(_, a)| a).sum::<u64>();
            if used + value <= self.limit {
                return (j + 5) * WIDTH;
            }
        }
        unreachable!("an empty window fits any value under the limit")
    }

    fn paused(&self) -> bool {
        self.now < self.paused_until
    }

    fn paused_error(&self) -> Bytes {
        let until = U256::from(self.paused_until);
        EmergencyPauseHook::Pause_AccountPaused { account: self.names.account, until }.abi_encode().into()
    }

    fn task_expires_at(&self) -> u64 {
        self.task_starts_at + TASK_LIFETIME
    }

    /// The executor's own refusal of the keeper's run, before the account's hooks see it.
    fn task_refusal(&self) -> Option<Bytes> {
        let (account, id) = (self.names.account, U256::from(TASK_ID));
        let expires_at = self.task_expires_at();
        if self.now >= expires_at {
            let e = AutomationExecutor::Automation_Expired { account, id, expiresAt: U256::from(expires_at) };
            return Some(e.abi_encode().into());
        }
        if self.task_runs >= TASK_RUNS {
            let max = U256::from(TASK_RUNS);
            return Some(
                AutomationExecutor::Automation_MaxExecutionsReached { account, id, maxExecutions: max }
                    .abi_encode()
                    .into(),
            );
        }
        if self.now < self.task_starts_at {
            let at = U256::from(self.task_starts_at);
            return Some(
                AutomationExecutor::Automation_NotStarted { account, id, startsAt: at }.abi_encode().into(),
            );
        }
        let next = self.task_last_run + TASK_COOLDOWN as u64;
        if self.task_runs > 0 && self.now < next {
            // The executor names no time when the task expires before it could run again.
            let at = if next >= expires_at { 0 } else { next };
            return Some(
                AutomationExecutor::Automation_CooldownActive { account, id, availableAt: U256::from(at) }
                    .abi_encode()
                    .into(),
            );
        }
        None
    }

    /// What the stack answers to an agent call (a transfer of `spend`, or a ping of the other
    /// target): pause, then allowlist, then spending.
    fn agent_refusal(&self, spend: Option<u64>) -> Option<Bytes> {
        let Names { account, token, other } = self.names;
        if self.paused() {
            return Some(self.paused_error());
        }
        // Only the list of the mode in force counts.
        let listed = &self.listed[usize::from(self.block_mode)];
        let (target, selector, exact, wildcard) = match spend {
            Some(_) => (token, transfer_selector(), listed.contains(&Entry::TokenTransfer), false),
            None => (
                other,
                ping_selector(),
                listed.contains(&Entry::OtherPing),
                listed.contains(&Entry::OtherWildcard),
            ),
        };
        // The allowlist: protected first, then the mode's reading of the wildcard and exact entries.
        if spend.is_none() && self.protected_other {
            return Some(AllowlistHook::Allowlist_ProtectedTarget { account, target }.abi_encode().into());
        }
        if !self.block_mode && !exact && !wildcard {
            return Some(
                AllowlistHook::Allowlist_CallNotAllowed { account, target, selector }.abi_encode().into(),
            );
        }
        if self.block_mode && (wildcard || exact) {
            let selector = if wildcard { FixedBytes(config::WILDCARD_SELECTOR) } else { selector };
            return Some(
                AllowlistHook::Allowlist_CallBlocked { account, target, selector }.abi_encode().into(),
            );
        }
        if let Some(value) = spend {
            let used = self.used_at(self.now);
            if value > self.limit || used + value > self.limit {
                return Some(
                    SpendingLimitHook::SpendingLimit_Exceeded {
                        account,
                        token,
                        attempted: U256::from(value),
                        remaining: U256::from(self.limit.saturating_sub(used)),
                        availableAt: U256::from(self.available_at(self.now, value)),
                    }
                    .abi_encode()
                    .into(),
                );
            }
        }
        None
    }

    /// The allowlist refuses short and zero-selector calldata before any mode or entry is read
    /// (after the pause and the protected check): short calldata has no selector, and 0x00000000
    /// is the plain transfer's key.
    fn malformed_refusal(&self, len: u8) -> Bytes {
        let Names { account, other: target, .. } = self.names;
        if self.paused() {
            self.paused_error()
        } else if self.protected_other {
            AllowlistHook::Allowlist_ProtectedTarget { account, target }.abi_encode().into()
        } else if len < 4 {
            AllowlistHook::Allowlist_ShortCalldata { account, target, length: U256::from(len) }
                .abi_encode()
                .into()
        } else {
            AllowlistHook::Allowlist_ZeroSelector { account, target }.abi_encode().into()
        }
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
