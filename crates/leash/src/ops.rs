//! Guardian and keeper actions, with refusals in plain words.

use std::fmt;

use alloy::primitives::{keccak256, Address, TxHash, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolEvent, SolValue};
use eyre::{bail, eyre, Result, WrapErr};

use crate::abi::{AutomationExecutor, EmergencyPauseHook, IAutomationExecutor};
use crate::errors::{utc, LeashRevert, Refused, TokenBook};
use crate::provider::Confirm;

/// Simulates then sends a contract call; a refusal becomes an error in plain words.
macro_rules! send_checked {
    ($call:expr, $book:expr, $what:expr) => {{
        let call = $call;
        if let Err(e) = call.call().await {
            match LeashRevert::from_call_error(&e) {
                Some(revert) => return Err(Refused::new($what, revert, $book).into()),
                None => bail!("{} was refused: {e}", $what),
            }
        }
        let receipt = call
            .send()
            .await
            .wrap_err_with(|| format!("could not send {}", $what))?
            .confirmed()
            .await
            .wrap_err("no receipt")?;
        if !receipt.status() {
            bail!("{} reverted on chain ({})", $what, receipt.transaction_hash);
        }
        receipt.transaction_hash
    }};
}

#[derive(Debug, Clone, PartialEq)]
pub struct PauseStatus {
    pub paused: bool,
    pub paused_until: U256,
    pub next_pause_at: U256,
    pub guardian: Address,
    pub auto_unpause_after: u64,
}

impl fmt::Display for PauseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.paused {
            writeln!(f, "paused until {}", utc(self.paused_until))?;
        } else {
            writeln!(f, "not paused")?;
        }
        writeln!(f, "guardian: {}", self.guardian)?;
        let auto = if self.auto_unpause_after == 0 {
            "manual only".to_string()
        } else {
            format!("after {} s", self.auto_unpause_after)
        };
        writeln!(f, "auto-unpause: {auto}")?;
        write!(f, "next pause possible: {}", utc(self.next_pause_at))
    }
}

pub async fn pause_status<P: Provider + Clone>(
    provider: &P,
    pause_hook: Address,
    account: Address,
) -> Result<PauseStatus> {
    let hook = EmergencyPauseHook::new(pause_hook, provider.clone());
    let guardian = hook.guardianOf(account).call().await.wrap_err("reading the pause hook")?;
    if guardian.is_zero() {
        return Err(eyre!("the pause hook at {pause_hook} is not installed for {account}"));
    }
    Ok(PauseStatus {
        paused: hook.isPaused(account).call().await?,
        paused_until: hook.pausedUntil(account).call().await?,
        next_pause_at: hook.nextPauseAt(account).call().await?,
        guardian,
        auto_unpause_after: hook.autoUnpauseAfterOf(account).call().await?.to::<u64>(),
    })
}

/// `pause(account)` from the provider's wallet (the guardian or the authority).
pub async fn pause<P: Provider + Clone>(
    provider: &P,
    pause_hook: Address,
    account: Address,
) -> Result<TxHash> {
    let hook = EmergencyPauseHook::new(pause_hook, provider.clone());
    Ok(send_checked!(hook.pause(account), &TokenBook::default(), "pause"))
}

/// `unpause(account)` from the provider's wallet (the guardian or the authority).
pub async fn unpause<P: Provider + Clone>(
    provider: &P,
    pause_hook: Address,
    account: Address,
) -> Result<TxHash> {
    let hook = EmergencyPauseHook::new(pause_hook, provider.clone());
    Ok(send_checked!(hook.unpause(account), &TokenBook::default(), "unpause"))
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskStatus {
    pub id: u64,
    pub caller: Address,
    pub target: Address,
    pub can_run: bool,
    pub blocker: &'static str,
    pub available_at: U256,
    pub executions: u64,
    pub max_executions: u32,
    pub cooldown: u32,
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max =
            if self.max_executions == 0 { "unlimited".to_string() } else { self.max_executions.to_string() };
        write!(
            f,
            "task {}: keeper {}, target {}, ran {} of {max}, cooldown {} s: ",
            self.id, self.caller, self.target, self.executions, self.cooldown
        )?;
        if self.can_run {
            write!(f, "can run now")
        } else if self.available_at.is_zero() {
            write!(f, "cannot run again ({})", self.blocker)
        } else {
            write!(f, "{} until {}", self.blocker, utc(self.available_at))
        }
    }
}

/// A task as the executor holds it: the task itself (from the `TaskAdded` log whose task hashes to
/// the stored hash), its keeper and its run state.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveTask {
    pub task: IAutomationExecutor::Task,
    pub executions: u64,
    pub last_run_at: U256,
}

/// What the executor stores of `task`: `keccak256(abi.encode(task))`.
pub fn task_hash(task: &IAutomationExecutor::Task) -> B256 {
    keccak256(task.abi_encode())
}

/// Task `id` of `account`. The executor keeps only the task's hash, so the task itself comes from
/// the `TaskAdded` logs of `(account, id)`: the latest one whose task hashes to the stored value
/// (an earlier task under the same id, removed or from before a reinstall, does not).
pub async fn live_task<P: Provider + Clone>(
    provider: &P,
    automation: Address,
    account: Address,
    id: u64,
) -> Result<LiveTask> {
    let exec = AutomationExecutor::new(automation, provider.clone());
    let stored = match exec.taskOf(account, U256::from(id)).call().await {
        Ok(stored) => stored,
        Err(e) => match LeashRevert::from_call_error(&e) {
            Some(_) => bail!("there is no task {id} for {account} at {automation}"),
            None => return Err(e).wrap_err("reading the executor"),
        },
    };
    let filter = Filter::new()
        .address(automation)
        .event_signature(AutomationExecutor::TaskAdded::SIGNATURE_HASH)
        .topic1(account.into_word())
        .topic2(B256::from(U256::from(id)))
        .from_block(0);
    let logs = provider.get_logs(&filter).await.wrap_err("reading the executor's TaskAdded logs")?;
    for log in logs.iter().rev() {
        let Ok(added) = AutomationExecutor::TaskAdded::decode_log_data(log.data()) else { continue };
        if task_hash(&added.task) == stored.hash {
            return Ok(LiveTask {
                task: added.task,
                executions: stored.executions.to::<u64>(),
                last_run_at: stored.lastRunAt,
            });
        }
    }
    Err(eyre!(
        "task {id} of {account}: no TaskAdded log at {automation} matches the stored hash {}",
        stored.hash
    ))
}

pub async fn task_status<P: Provider + Clone>(
    provider: &P,
    automation: Address,
    account: Address,
    id: u64,
) -> Result<TaskStatus> {
    let live = live_task(provider, automation, account, id).await?;
    let exec = AutomationExecutor::new(automation, provider.clone());
    let can = exec.canRun(account, live.task.clone()).call().await.wrap_err("reading the executor")?;
    let blocker = match can.blocker {
        0 => "none",
        1 => "unknown task",
        2 => "not started",
        3 => "expired",
        4 => "maximum executions reached",
        5 => "cooling down",
        _ => "not the stored task",
    };
    Ok(TaskStatus {
        id,
        caller: live.task.caller,
        target: live.task.target,
        can_run: can.ok,
        blocker,
        available_at: can.availableAt,
        executions: live.executions,
        max_executions: live.task.maxExecutions,
        cooldown: live.task.cooldown,
    })
}

/// `executeTask(account, task)` from the provider's wallet (the task's keeper), with task `id` as
/// it was added.
pub async fn task_run<P: Provider + Clone>(
    provider: &P,
    automation: Address,
    account: Address,
    id: u64,
    book: &TokenBook,
) -> Result<TxHash> {
    let task = live_task(provider, automation, account, id).await?.task;
    let exec = AutomationExecutor::new(automation, provider.clone());
    Ok(send_checked!(exec.executeTask(account, task), book, format!("task {id}")))
}
