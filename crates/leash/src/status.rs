//! Everything an operator asks of an account's leash, in one read ([`read`]): whether it is
//! paused, per token and window what is spent, what is left and when it frees up, the tasks and
//! their next run, the sessions with their expiry and usage, the agent's gas allowance, and the
//! last refusals of its UserOps, in words.
//!
//! It gathers what [`crate::live`] and [`crate::ops`] read (the live policy, the pause, each
//! task's and session's status, the agent's key); what is left of a token and when more fits are
//! the hook's own answers (`remainingAt`, `availableAt`, at the engine or at SpendingLimitHook,
//! whichever the account runs). The one figure no view gives is what each window has spent (the
//! modules keep one headroom over all of a token's limits): it is summed from the module's `Spent`
//! events in the window. A module counts a spend for up to a quarter of the window longer than
//! that (its buckets), so what is left can be less than the limit minus what was spent.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use eyre::{Result, WrapErr};
use serde::Serialize;

use crate::abi::{IEntryPoint, ILeashModule, SpendingLimitHook};
use crate::account::{ENTRYPOINT_V07, ENTRYPOINT_V08};
use crate::addresses::ModuleAddresses;
use crate::config::HookStack;
use crate::config::MODULE_TYPE_HOOK;
use crate::errors::{ether, is_never, utc, LeashRevert, TokenBook};
use crate::{live, ops};

/// How many refusals [`read`] returns at most, the latest ones.
pub const REFUSALS: usize = 5;
/// How many blocks back [`read`] looks for refusals by default.
pub const REFUSAL_BLOCKS: u64 = 100_000;

/// An account's leash as its modules hold it now.
#[derive(Debug, Clone, Serialize)]
pub struct AccountStatus {
    pub account: Address,
    pub chain_id: u64,
    /// The block read, and its time: every figure is as of it.
    pub block: u64,
    pub time: Time,
    /// Whether any Leash module is installed on the account (nothing else is filled when not).
    pub installed: bool,
    /// `engine` or `multiplexer`, when a Leash hook is installed.
    pub hook: Option<&'static str>,
    pub authority: Option<Address>,
    /// `None`: no guardian, so no pause policy.
    pub pause: Option<Pause>,
    pub spending: Vec<TokenSpending>,
    pub tasks: Vec<Task>,
    pub sessions: Vec<Session>,
    /// `None`: AgentValidator is not installed on the account.
    pub agent: Option<Agent>,
    /// The last refusals of the account's UserOps, oldest first.
    pub refusals: Vec<Refusal>,
}

/// A time the contracts gave: UNIX seconds and UTC, or never (`unix` null).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Time {
    pub unix: Option<u64>,
    pub utc: String,
}

impl Time {
    pub fn of(timestamp: U256) -> Self {
        Self { unix: (!is_never(timestamp)).then(|| timestamp.to::<u64>()), utc: utc(timestamp) }
    }
}

/// An amount of a token in its base units (a decimal string) and in words (`400 USDC`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amount {
    pub units: String,
    pub text: String,
}

impl Amount {
    pub fn of(book: &TokenBook, token: Address, value: U256) -> Self {
        Self { units: value.to_string(), text: book.amount(token, value) }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Pause {
    pub paused: bool,
    /// The end of the current pause (`None` when not paused).
    pub until: Option<Time>,
    pub guardian: Address,
    /// Seconds after which a pause ends by itself (0: only an unpause ends it).
    pub auto_unpause_after: u64,
    pub next_pause_at: Time,
}

/// One token's spending policy and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct TokenSpending {
    pub token: Address,
    /// Its symbol where the token reports one, `native` for the chain's coin, else the address.
    pub name: String,
    pub per_tx_cap: Option<Amount>,
    pub windows: Vec<Window>,
    /// What may move now: the smallest headroom over the limits and the cap (`remainingAt`).
    pub left: Amount,
    /// When more than `left` fits (`availableAt(left + 1)`); `None` when nothing spent counts.
    pub more_at: Option<Time>,
    /// When the whole allowance (the smallest limit, or the cap) fits again; `None` as above.
    pub all_at: Option<Time>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub limit: Amount,
    /// Seconds.
    pub seconds: u64,
    /// Spent in the window's length up to now, from the module's `Spent` events.
    pub spent: Amount,
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: u64,
    pub keeper: Address,
    pub target: Address,
    pub runs: u64,
    /// 0: no maximum.
    pub max_runs: u32,
    pub can_run: bool,
    /// Why it cannot run now (`none` when it can).
    pub blocker: &'static str,
    /// When it can run next (now when it can; `None`: never again).
    pub next_run: Option<Time>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub agent: Address,
    /// `live`, `expired`, `granted, acts from …`.
    pub state: String,
    pub valid_from: Time,
    pub valid_until: Time,
    pub uses: u64,
    /// 0: no total limit.
    pub max_uses: u64,
    /// What it may still move of each token its grant limits.
    pub may_move: Vec<Amount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    /// `None`: no agent key (none set, or revoked).
    pub key: Option<Address>,
    /// What the agent's UserOps may still cost in gas fees, in wei and in ether.
    pub gas_allowance: Amount,
}

impl From<&ops::PauseStatus> for Pause {
    fn from(p: &ops::PauseStatus) -> Self {
        Pause {
            paused: p.paused,
            until: p.paused.then(|| Time::of(p.paused_until)),
            guardian: p.guardian,
            auto_unpause_after: p.auto_unpause_after,
            next_pause_at: Time::of(p.next_pause_at),
        }
    }
}

impl From<&ops::TaskStatus> for Task {
    fn from(t: &ops::TaskStatus) -> Self {
        Task {
            id: t.id,
            keeper: t.caller,
            target: t.target,
            runs: t.executions,
            max_runs: t.max_executions,
            can_run: t.can_run,
            blocker: t.blocker,
            next_run: (!t.available_at.is_zero()).then(|| Time::of(t.available_at)),
        }
    }
}

impl Session {
    /// `s` with its amounts in the units of `book`'s tokens.
    pub fn of(s: &ops::SessionStatus, book: &TokenBook) -> Self {
        Session {
            agent: s.agent,
            state: s.state(),
            valid_from: Time::of(U256::from(s.valid_from)),
            valid_until: Time::of(U256::from(s.valid_until)),
            uses: s.uses.saturating_to(),
            max_uses: s.max_uses.saturating_to(),
            may_move: s.remaining.iter().map(|(token, left)| Amount::of(book, *token, *left)).collect(),
        }
    }
}

impl From<&ops::AgentStatus> for Agent {
    fn from(a: &ops::AgentStatus) -> Self {
        Agent {
            key: (!a.agent.is_zero()).then_some(a.agent),
            gas_allowance: Amount { units: a.gas_allowance.to_string(), text: ether(a.gas_allowance) },
        }
    }
}

/// A UserOp of the account whose execution reverted (the EntryPoint's
/// `UserOperationRevertReason`).
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub block: u64,
    pub time: Time,
    pub user_op_hash: B256,
    pub nonce: String,
    pub entry_point: Address,
    /// Why, in words.
    pub reason: String,
}

/// `account`'s leash at `modules`, with the refusals of its UserOps in the last `refusal_blocks`
/// blocks (at most [`REFUSALS`], the latest). Fails with a sentence when the account has no code
/// or the modules are not deployed on the provider's chain.
pub async fn read<P: Provider + Clone>(
    provider: &P,
    account: Address,
    modules: &ModuleAddresses,
    refusal_blocks: u64,
) -> Result<AccountStatus> {
    let chain_id = provider.get_chain_id().await.wrap_err("reading the chain id")?;
    let head = provider
        .get_block_by_number(Default::default())
        .await
        .wrap_err("reading the latest block")?
        .ok_or_else(|| eyre::eyre!("the node has no latest block"))?;
    let (block, now) = (head.header.number, head.header.timestamp);
    let policy = live::read(provider, account, modules).await?;
    let mut status = AccountStatus {
        account,
        chain_id,
        block,
        time: Time::of(U256::from(now)),
        installed: !policy.authority.is_zero(),
        hook: None,
        authority: None,
        pause: None,
        spending: Vec::new(),
        tasks: Vec::new(),
        sessions: Vec::new(),
        agent: None,
        refusals: Vec::new(),
    };
    if !status.installed {
        return Ok(status);
    }
    status.authority = Some(policy.authority);
    let book = TokenBook::of(&policy.tokens);
    let hook_module = match policy.hook {
        HookStack::Engine => modules.engine,
        HookStack::Multiplexer => modules.multiplexer,
    };
    let hook_installed = !hook_module.is_zero()
        && live::module_installed(provider, account, MODULE_TYPE_HOOK, hook_module).await?;
    if hook_installed {
        status.hook = Some(policy.hook.name());
    }
    if policy.pause.is_some() {
        status.pause = Some(Pause::from(&ops::pause_status(provider, modules, account).await?));
    }
    if !policy.spending.is_empty() {
        let module = match policy.hook {
            HookStack::Engine => modules.engine,
            HookStack::Multiplexer => modules.spending,
        };
        let spends = spends(provider, module, account).await?;
        for s in &policy.spending {
            status.spending.push(token_spending(provider, module, account, s, &spends, now, &book).await?);
        }
    }
    for t in &policy.tasks {
        status.tasks.push(Task::from(&ops::task_status(provider, modules.automation, account, t.id).await?));
    }
    if policy.hook == HookStack::Engine && hook_installed {
        for s in live::sessions(provider, modules.engine, account).await? {
            status.sessions.push(Session::of(&s, &book));
        }
    }
    if !modules.validator.is_zero() {
        let a = ops::agent_status(provider, modules.validator, account).await?;
        status.agent = a.installed.then(|| Agent::from(&a));
    }
    status.refusals = refusals(provider, account, block.saturating_sub(refusal_blocks), &book).await?;
    Ok(status)
}

/// Where one token stands: the hook's views for what is left and when more fits, the `Spent`
/// events for what each window spent.
async fn token_spending<P: Provider + Clone>(
    provider: &P,
    module: Address,
    account: Address,
    s: &crate::config::SpendingConfig,
    spends: &[(Address, U256, u64)],
    now: u64,
    book: &TokenBook,
) -> Result<TokenSpending> {
    let token = s.token;
    let read = "reading the spending views";
    // The engine declares SpendingLimitHook's views (same selectors, checked by a test): one
    // binding reads either.
    let views = SpendingLimitHook::new(module, provider.clone());
    let left = views.remainingAt(account, token, U256::from(now)).call().await.wrap_err(read)?;
    // The whole allowance: the most one transaction may ever move.
    let cap = (!s.per_tx_cap.is_zero()).then_some(s.per_tx_cap);
    let full = s.limits.iter().map(|(amount, _)| *amount).chain(cap).min().unwrap_or(U256::MAX);
    let (more_at, all_at) = if left < full {
        let more = views.availableAt(account, token, left + U256::from(1)).call().await.wrap_err(read)?;
        let all = views.availableAt(account, token, full).call().await.wrap_err(read)?;
        (Some(Time::of(more)), Some(Time::of(all)))
    } else {
        (None, None)
    };
    let windows = s
        .limits
        .iter()
        .map(|&(amount, seconds)| {
            let from = now.saturating_sub(seconds);
            let spent = spends
                .iter()
                .filter(|(t, _, at)| *t == token && *at > from)
                .fold(U256::ZERO, |sum, (_, value, _)| sum.saturating_add(*value));
            Window { limit: Amount::of(book, token, amount), seconds, spent: Amount::of(book, token, spent) }
        })
        .collect();
    Ok(TokenSpending {
        token,
        name: if token.is_zero() { "native".to_string() } else { book.name(token) },
        per_tx_cap: cap.map(|c| Amount::of(book, token, c)),
        windows,
        left: Amount::of(book, token, left),
        more_at,
        all_at,
    })
}

/// The account's spends at `module` since its last install: (token, amount, block time) from its
/// `Spent` events (an uninstall, `AuthoritySet` to zero, forgets what came before).
async fn spends<P: Provider + Clone>(
    provider: &P,
    module: Address,
    account: Address,
) -> Result<Vec<(Address, U256, u64)>> {
    let filter = Filter::new().address(module).topic1(account.into_word()).from_block(0);
    let logs = provider.get_logs(&filter).await.wrap_err_with(|| {
        format!("reading the spending events of {account} (the node must serve logs from block 0)")
    })?;
    let mut times = BlockTimes::default();
    let mut out = Vec::new();
    for log in logs {
        match log.topic0() {
            Some(&ILeashModule::AuthoritySet::SIGNATURE_HASH)
                if ILeashModule::AuthoritySet::decode_log(&log.inner)?.authority.is_zero() =>
            {
                out.clear();
            }
            Some(&SpendingLimitHook::Spent::SIGNATURE_HASH) => {
                let e = SpendingLimitHook::Spent::decode_log(&log.inner)?;
                out.push((e.token, e.amount, times.of(provider, &log).await?));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The last [`REFUSALS`] UserOps of `account` from block `from` on whose execution reverted, at
/// EntryPoint v0.7 and v0.8, each with its revert in words.
pub async fn refusals<P: Provider + Clone>(
    provider: &P,
    account: Address,
    from: u64,
    book: &TokenBook,
) -> Result<Vec<Refusal>> {
    let filter = Filter::new()
        .address(vec![ENTRYPOINT_V07, ENTRYPOINT_V08])
        .event_signature(IEntryPoint::UserOperationRevertReason::SIGNATURE_HASH)
        .topic2(account.into_word())
        .from_block(from);
    let mut logs = provider.get_logs(&filter).await.wrap_err("reading the EntryPoint's events")?;
    logs.sort_by_key(|l| (l.block_number, l.log_index));
    let last = logs.split_off(logs.len().saturating_sub(REFUSALS));
    let mut times = BlockTimes::default();
    let mut out = Vec::new();
    for log in last {
        let e = IEntryPoint::UserOperationRevertReason::decode_log_data(log.data())?;
        out.push(Refusal {
            block: log.block_number.unwrap_or_default(),
            time: Time::of(U256::from(times.of(provider, &log).await?)),
            user_op_hash: e.userOpHash,
            nonce: e.nonce.to_string(),
            entry_point: log.address(),
            reason: LeashRevert::decode(&e.revertReason).describe(book),
        });
    }
    Ok(out)
}

/// Block times, each block read once (a node may leave `blockTimestamp` out of its logs).
#[derive(Default)]
struct BlockTimes(BTreeMap<u64, u64>);

impl BlockTimes {
    async fn of<P: Provider>(&mut self, provider: &P, log: &Log) -> Result<u64> {
        if let Some(t) = log.block_timestamp {
            return Ok(t);
        }
        let number = log.block_number.unwrap_or_default();
        if let Some(t) = self.0.get(&number) {
            return Ok(*t);
        }
        let block = provider
            .get_block_by_number(number.into())
            .await
            .wrap_err("reading a block's time")?
            .ok_or_else(|| eyre::eyre!("the node does not have block {number}"))?;
        self.0.insert(number, block.header.timestamp);
        Ok(block.header.timestamp)
    }
}
