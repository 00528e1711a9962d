//! Guardian and keeper actions, with refusals in plain words.

use std::fmt;

use alloy::primitives::{Address, TxHash, U256};
use alloy::providers::Provider;
use eyre::{bail, eyre, Result, WrapErr};

use crate::abi::{AutomationExecutor, EmergencyPauseHook};
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

pub async fn task_status<P: Provider + Clone>(
    provider: &P,
    automation: Address,
    account: Address,
    id: u64,
) -> Result<TaskStatus> {
    let exec = AutomationExecutor::new(automation, provider.clone());
    let can = exec.canRun(account, U256::from(id)).call().await.wrap_err("reading the executor")?;
    let blocker = match can.blocker {
        0 => "none",
        1 => "unknown task",
        2 => "not started",
        3 => "expired",
        4 => "maximum executions reached",
        _ => "cooling down",
    };
    if can.blocker == 1 {
        return Err(eyre!("there is no task {id} for {account} at {automation}"));
    }
    let task = exec.taskOf(account, U256::from(id)).call().await?;
    Ok(TaskStatus {
        id,
        caller: task.task.caller,
        target: task.task.target,
        can_run: can.ok,
        blocker,
        available_at: can.availableAt,
        executions: task.executions.to::<u64>(),
        max_executions: task.task.maxExecutions,
        cooldown: task.task.cooldown,
    })
}

/// `executeTask(account, id)` from the provider's wallet (the task's keeper).
pub async fn task_run<P: Provider + Clone>(
    provider: &P,
    automation: Address,
    account: Address,
    id: u64,
    book: &TokenBook,
) -> Result<TxHash> {
    let exec = AutomationExecutor::new(automation, provider.clone());
    Ok(send_checked!(exec.executeTask(account, U256::from(id)), book, format!("task {id}")))
}
