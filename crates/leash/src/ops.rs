//! Installing a policy, guardian and keeper actions, sessions and the agent's key, with refusals
//! in plain words.

use std::fmt;

use alloy::primitives::{Address, Bytes, TxHash, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use eyre::{bail, Result, WrapErr};

use crate::abi::{AgentValidator, AutomationExecutor, EmergencyPauseHook, IPolicyEngine};
use crate::account::{AccountFlavor, UserOpSender};
use crate::addresses::{require_deployed, ModuleAddresses};
use crate::config::{PolicyConfig, SessionConfig, MODULE_TYPE_HOOK, MODULE_TYPE_VALIDATOR};
use crate::errors::{ether, utc, LeashRevert, Refused, TokenBook};
use crate::provider::{Confirm, Unfunded};

/// Simulates then sends a contract call from `$role`'s key; a refusal becomes an error in plain
/// words, and a key that cannot pay for it an [`Unfunded`].
macro_rules! send_checked {
    ($provider:expr, $call:expr, $book:expr, $what:expr, $role:expr) => {{
        let call = $call;
        let what: String = ($what).into();
        if let Err(e) = call.call().await {
            match LeashRevert::from_call_error(&e) {
                Some(revert) => return Err(Refused::new(what, revert, $book).into()),
                None => bail!("{what} was refused: {e}"),
            }
        }
        let pending = match call.send().await {
            Ok(pending) => pending,
            Err(e) => {
                let gas = call.estimate_gas().await.unwrap_or_default();
                if let Some(u) = Unfunded::from_send_error($provider, &e, &what, $role, gas).await {
                    return Err(u.into());
                }
                return Err(eyre::Report::new(e).wrap_err(format!("could not send {what}")));
            }
        };
        let receipt = pending.confirmed().await.wrap_err("no receipt")?;
        if !receipt.status() {
            bail!("{what} reverted on chain ({})", receipt.transaction_hash);
        }
        receipt.transaction_hash
    }};
}
pub(crate) use send_checked;

/// [`send_checked!`] from the authority's key, for a change whose refusal names no token.
macro_rules! authority_sends {
    ($provider:expr, $call:expr, $what:expr) => {
        send_checked!($provider, $call, &TokenBook::default(), $what, AUTHORITY)
    };
}
pub(crate) use authority_sends;

/// Whose keys send what.
const GUARDIAN: &str = "the guardian's (or the authority's)";
pub(crate) const AUTHORITY: &str = "the authority's";
const KEEPER: &str = "the keeper's";

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

/// Where an account's pause policy lives: the policy engine, or the pause hook (alone or behind
/// the multiplexer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseModule {
    Engine(Address),
    Hook(Address),
}

/// The module that holds `account`'s guardian: the engine when it is installed for the account
/// with a guardian, else the pause hook when that has one.
pub async fn pause_module<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
) -> Result<PauseModule> {
    // A record from before the engine, or a chain without it: then the pause hook, which must be there.
    let engine_deployed = !modules.engine.is_zero()
        && !provider.get_code_at(modules.engine).await.wrap_err("reading the chain")?.is_empty();
    if !engine_deployed {
        require_deployed(provider, modules.pause).await?;
    }
    let engine = IPolicyEngine::new(modules.engine, provider.clone());
    if engine_deployed && engine.isInitialized(account).call().await.wrap_err("reading the policy engine")? {
        if engine.guardianOf(account).call().await.wrap_err("reading the policy engine")?.is_zero() {
            bail!("the policy engine runs {account}'s policies without a pause: it has no guardian");
        }
        return Ok(PauseModule::Engine(modules.engine));
    }
    let hook = EmergencyPauseHook::new(modules.pause, provider.clone());
    let guardian = hook.guardianOf(account).call().await.wrap_err("reading the pause hook")?;
    if guardian.is_zero() {
        bail!(
            "{account} has no guardian: neither the policy engine ({}) nor the pause hook ({}) is installed for it with a pause",
            modules.engine,
            modules.pause
        );
    }
    Ok(PauseModule::Hook(modules.pause))
}

pub async fn pause_status<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
) -> Result<PauseStatus> {
    match pause_module(provider, modules, account).await? {
        PauseModule::Hook(address) => {
            let hook = EmergencyPauseHook::new(address, provider.clone());
            Ok(PauseStatus {
                paused: hook.isPaused(account).call().await?,
                paused_until: hook.pausedUntil(account).call().await?,
                next_pause_at: hook.nextPauseAt(account).call().await?,
                guardian: hook.guardianOf(account).call().await?,
                auto_unpause_after: hook.autoUnpauseAfterOf(account).call().await?.to::<u64>(),
            })
        }
        PauseModule::Engine(address) => {
            let engine = IPolicyEngine::new(address, provider.clone());
            let paused_until = engine.pausedUntil(account).call().await?;
            let now = U256::from(
                provider.get_block_by_number(Default::default()).await?.map_or(0, |b| b.header.timestamp),
            );
            // The engine's rule (one hour between the end of a pause and the next), as the pause
            // hook's nextPauseAt states it.
            let next_pause_at = if paused_until.is_zero() {
                now
            } else if paused_until == U256::from(MANUAL_PAUSE) {
                U256::MAX
            } else {
                (paused_until + U256::from(PAUSE_COOLDOWN)).max(now)
            };
            let history = crate::live::engine_history(provider, address, account).await?;
            Ok(PauseStatus {
                paused: engine.isPaused(account).call().await?,
                paused_until,
                next_pause_at,
                guardian: engine.guardianOf(account).call().await?,
                auto_unpause_after: history.auto_unpause_after,
            })
        }
    }
}

/// A pause with no end (auto-unpause off): `type(uint48).max`.
const MANUAL_PAUSE: u64 = (1 << 48) - 1;
const PAUSE_COOLDOWN: u64 = 3_600;

/// The guardian's switch `$call(account)`, sent from the provider's wallet (the guardian or the
/// authority) as `$what`; the two differ only in the function they call.
macro_rules! guardian_switch {
    ($(#[$doc:meta])* $call:ident, $what:literal) => {
        $(#[$doc])*
        pub async fn $call<P: Provider + Clone>(
            provider: &P,
            modules: &ModuleAddresses,
            account: Address,
        ) -> Result<TxHash> {
            let module = pause_controls(provider, modules, account).await?;
            Ok(send_checked!(provider, module.$call(account), &TokenBook::default(), $what, GUARDIAN))
        }
    };
}

guardian_switch!(
    /// `pause(account)` from the provider's wallet (the guardian or the authority), at the engine
    /// or the pause hook, whichever holds the account's guardian.
    pause,
    "the pause"
);
guardian_switch!(
    /// `unpause(account)` from the provider's wallet (the guardian or the authority).
    unpause,
    "the unpause"
);

/// The guardian's `pause` and `unpause` at whichever module holds the account's guardian: the
/// engine declares them as the pause hook does (same selectors, checked by a test), so the hook's
/// binding serves both.
async fn pause_controls<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
) -> Result<EmergencyPauseHook::EmergencyPauseHookInstance<P>> {
    let (PauseModule::Engine(address) | PauseModule::Hook(address)) =
        pause_module(provider, modules, account).await?;
    Ok(EmergencyPauseHook::new(address, provider.clone()))
}

/// What `install` put on the account: each module with its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    pub modules: Vec<(String, Address)>,
    pub gas_used: u64,
}

/// Installs `policy` on `sender`'s account in one UserOp ([`PolicyConfig::install_call`]): every
/// module, or none. Before sending, the account's current hook is checked (one hook per account:
/// a policy for the engine cannot go onto an account already on the multiplexer, and the other way
/// round), and a module already installed stops the install (AgentValidator's with the agent it
/// holds). It runs on the OpenZeppelin account (and an EOA delegated to one), Nexus, the
/// reference account, Safe7579 (the hook installed as the Safe's global hook) and Kernel (the hook
/// riding on the agent's validation and the executor, so the file needs an `[agent]`): `sender`
/// names the account's EntryPoint and the owner's nonce key ([`crate::account::owner_sender`]).
/// An `[agent]` where no Leash hook would run the agent's operations is refused in words. After
/// it, each module is confirmed installed.
pub async fn install<P: Provider + Clone>(
    sender: &UserOpSender<P>,
    policy: &PolicyConfig,
    modules: &ModuleAddresses,
    book: &TokenBook,
) -> Result<Installed> {
    let account = sender.account;
    if policy.agent.is_some() && modules.validator.is_zero() {
        bail!("the deployment record has no AgentValidator for the file's [agent]: deploy again, or pass --validator");
    }
    for p in policy.install_payloads(modules) {
        require_deployed(&sender.provider, p.module).await?;
    }
    if sender.provider.get_code_at(account).await.wrap_err("reading the account")?.is_empty() {
        bail!("{account} has no code: it is not a deployed ERC-7579 account");
    }
    let payloads = policy.install_payloads(modules);
    if payloads.is_empty() {
        bail!("the policy installs nothing");
    }
    let (flavor, id) = AccountFlavor::detect(&sender.provider, account).await;
    // Kernel: the leash rides on the agent's validation, built whole before anything is read.
    let call = policy.install_call_on(modules, account, flavor)?;
    if flavor != AccountFlavor::OpenZeppelin && sender.entry_point != flavor.entry_point() {
        bail!(
            "{account} is a {} account ({id}), which trusts the EntryPoint at {}, not {}",
            flavor.name(),
            flavor.entry_point(),
            sender.entry_point
        );
    }
    let installed = |module_type: u64, module: Address| {
        crate::live::module_installed(&sender.provider, account, module_type, module)
    };
    // One hook per account: a policy for one stack cannot go onto an account running the other.
    if policy.has_hook_policies() {
        let wanted = policy.hook_module(modules);
        for (other, name, flag) in [
            (modules.multiplexer, "the multiplexer", "hook = \"multiplexer\" (or --hook multiplexer)"),
            (modules.engine, "the policy engine", "hook = \"engine\" (or --hook engine)"),
        ] {
            if other != wanted && !other.is_zero() && installed(MODULE_TYPE_HOOK, other).await? {
                bail!(
                    "{account} already runs {name} ({other}) as its hook, and an account has one hook: install this policy with {flag}, or have the authority remove {name} first"
                );
            }
        }
    }
    if policy.agent.is_some() && !policy.has_hook_policies() {
        let mut leashed = false;
        for hook in [modules.engine, modules.multiplexer] {
            leashed |= !hook.is_zero() && installed(MODULE_TYPE_HOOK, hook).await?;
        }
        if !leashed {
            bail!(
                "the file installs the agent's key but no hook, and {account} runs no Leash hook: AgentValidator would refuse every operation of the agent (add the policies to the file, or install them first)"
            );
        }
        // The hook lets a module change through only with the authority's approval of it.
        let agent = policy.agent.as_ref().map_or(Address::ZERO, |a| a.key);
        bail!(
            "{account} runs a Leash hook, which lets the owner install a module only with the authority's approval: `agent add --account {account} --agent {agent} --gas-allowance … --owner-key … --authority-key …` approves and installs AgentValidator in one step; nothing was sent"
        );
    }
    for p in &payloads {
        if p.module_type == MODULE_TYPE_VALIDATOR && installed(p.module_type, p.module).await? {
            let status = agent_status(&sender.provider, p.module, account).await?;
            let agent = if status.agent.is_zero() {
                "no agent key".to_string()
            } else {
                format!("agent {}", status.agent)
            };
            bail!(
                "AgentValidator ({}) is already installed on {account} ({agent}, gas allowance {}, authority {}): nothing was sent. The authority changes the agent with `agent rotate` and `agent allowance`; to install the rest of the file, leave [agent] out",
                p.module,
                ether(status.gas_allowance),
                status.authority
            );
        }
        if flavor == AccountFlavor::Kernel
            && p.module_type == MODULE_TYPE_HOOK
            && installed(p.module_type, p.module).await?
        {
            bail!(
                "{} ({}) still holds {account} from an earlier install: Kernel tells no hook when the validation carrying it goes, and installs a hook only if it holds the account not yet, so a new install would leave the old policy in force. Nothing was sent; the authority removes the hook first (Kernel's uninstallModule of it, approved at the hook)",
                p.label,
                p.module
            );
        }
        if installed(p.module_type, p.module).await? {
            bail!(
                "{} ({}) is already installed on {account}: nothing was sent (change a live policy through the module, or uninstall it first)",
                p.label,
                p.module
            );
        }
    }
    let outcome = sender.submit(call).await?;
    if !outcome.success {
        bail!(
            "the install was refused and nothing was installed (the modules go in one operation): {}",
            LeashRevert::decode(&outcome.revert_reason).describe(book)
        );
    }
    let mut done = Vec::new();
    for p in &payloads {
        if !installed(p.module_type, p.module).await? {
            bail!(
                "the install operation succeeded but {} ({}) is not listed by {account}",
                p.label,
                p.module
            );
        }
        done.push((p.label.to_string(), p.module));
    }
    Ok(Installed { modules: done, gas_used: outcome.gas_used })
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
    let live = crate::live::live_task(provider, automation, account, id).await?;
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
    let task = crate::live::live_task(provider, automation, account, id).await?.task;
    let exec = AutomationExecutor::new(automation, provider.clone());
    Ok(send_checked!(provider, exec.executeTask(account, task), book, format!("task {id}"), KEEPER))
}

/// `data` sent to `module` from the provider's wallet (the authority): a configuration change of
/// `policy apply`, refused in plain words like every other.
pub async fn authority_call<P: Provider + Clone>(
    provider: &P,
    module: Address,
    data: Bytes,
    what: String,
    book: &TokenBook,
) -> Result<TxHash> {
    require_deployed(provider, module).await?;
    let call = alloy::contract::RawCallBuilder::new_raw(provider.clone(), data).to(module);
    Ok(send_checked!(provider, call, book, what, AUTHORITY))
}

// ---------------------------------------------------------------------- sessions

/// The policy engine at `engine`, once its code is found there ([`require_deployed`]).
async fn policy_engine<P: Provider + Clone>(
    provider: &P,
    engine: Address,
) -> Result<IPolicyEngine::IPolicyEngineInstance<P>> {
    require_deployed(provider, engine).await?;
    Ok(IPolicyEngine::new(engine, provider.clone()))
}

/// `grantSession(account, session)` at the engine from the provider's wallet (the authority).
pub async fn grant_session<P: Provider + Clone>(
    provider: &P,
    engine: Address,
    account: Address,
    session: &SessionConfig,
    book: &TokenBook,
) -> Result<TxHash> {
    let engine = policy_engine(provider, engine).await?;
    Ok(send_checked!(
        provider,
        engine.grantSession(account, session.abi()),
        book,
        format!("the session of {}", session.agent),
        AUTHORITY
    ))
}

/// `revokeSession(account, agent)` from the provider's wallet (the authority).
pub async fn revoke_session<P: Provider + Clone>(
    provider: &P,
    engine: Address,
    account: Address,
    agent: Address,
) -> Result<TxHash> {
    let engine = policy_engine(provider, engine).await?;
    Ok(authority_sends!(
        provider,
        engine.revokeSession(account, agent),
        format!("revoking the session of {agent}")
    ))
}

/// The authority's grant of `session` for enable-in-first-op: its signature over the engine's
/// `sessionGrantDigest(account, session)` (for the agent's next epoch), packed as the agent
/// appends it to its first operation's signature ([`crate::account::enable_blob`]).
pub async fn sign_session<P: Provider + Clone>(
    provider: &P,
    engine: Address,
    account: Address,
    session: &SessionConfig,
    authority: &PrivateKeySigner,
) -> Result<Bytes> {
    let grant = session.abi();
    let digest = policy_engine(provider, engine)
        .await?
        .sessionGrantDigest(account, grant.clone())
        .call()
        .await
        .wrap_err("reading the session's grant digest at the policy engine")?;
    let signature = authority.sign_hash_sync(&digest)?;
    Ok(crate::account::enable_blob(&grant, &signature.as_bytes()))
}

/// A session as the engine holds it now.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStatus {
    pub agent: Address,
    pub live: bool,
    pub valid_from: u64,
    pub valid_until: u64,
    pub uses: U256,
    pub max_uses: U256,
    pub epoch: U256,
    /// What the session may still move of each token it limits (its own limits only).
    pub remaining: Vec<(Address, U256)>,
    /// The chain's time when read.
    pub now: u64,
}

impl SessionStatus {
    /// Where it stands at the time read: live, expired, not yet acting, or not live at all.
    pub fn state(&self) -> String {
        if !self.live {
            "not live (never granted, revoked or replaced)".to_string()
        } else if self.now < self.valid_from {
            format!("granted, acts from {}", utc(U256::from(self.valid_from)))
        } else if self.now > self.valid_until {
            "expired".to_string()
        } else {
            "live".to_string()
        }
    }

    /// Display with token symbols and units from `book`.
    pub fn describe(&self, book: &TokenBook) -> String {
        let state = self.state();
        let uses = if self.max_uses.is_zero() {
            format!("{} calls (no total limit)", self.uses)
        } else {
            format!("{} of {} calls", self.uses, self.max_uses)
        };
        let from =
            if self.valid_from == 0 { "its grant".to_string() } else { utc(U256::from(self.valid_from)) };
        let mut out = format!(
            "session {}: {state}\n  from {from} until {}\n  uses: {uses}\n  epoch: {}",
            self.agent,
            utc(U256::from(self.valid_until)),
            self.epoch
        );
        for (token, left) in &self.remaining {
            out.push_str(&format!("\n  may still move: {}", book.amount(*token, *left)));
        }
        out
    }
}

/// `agent`'s session on `account`, with what it may still move of each of `tokens`.
pub async fn session_status<P: Provider + Clone>(
    provider: &P,
    engine: Address,
    account: Address,
    agent: Address,
    tokens: &[Address],
) -> Result<SessionStatus> {
    let e = policy_engine(provider, engine).await?;
    let s = e.sessionOf(account, agent).call().await.wrap_err("reading the session at the policy engine")?;
    let mut remaining = Vec::new();
    for token in tokens {
        remaining.push((*token, e.sessionRemaining(account, agent, *token).call().await?));
    }
    let now = provider.get_block_by_number(Default::default()).await?.map_or(0, |b| b.header.timestamp);
    Ok(SessionStatus {
        agent,
        live: s.live,
        valid_from: s.validAfter.to::<u64>(),
        valid_until: s.validUntil.to::<u64>(),
        uses: s.uses,
        max_uses: s.maxUses,
        epoch: s.epoch,
        remaining,
        now,
    })
}

// ---------------------------------------------------------------------- the agent's key

pub use crate::config::MAX_GAS_ALLOWANCE;

/// An account's agent key at AgentValidator, as the validator holds it now.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStatus {
    pub account: Address,
    /// Whether AgentValidator is installed for the account (the rest is zero when not).
    pub installed: bool,
    /// The agent's key (zero: none set, or revoked).
    pub agent: Address,
    /// What the agent's UserOps may still cost the account in gas fees, in wei.
    pub gas_allowance: U256,
    /// Who rotates and revokes the agent's key and sets its allowance.
    pub authority: Address,
}

impl fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.installed {
            return write!(f, "AgentValidator is not installed on {}", self.account);
        }
        if self.agent.is_zero() {
            writeln!(f, "agent of {}: no agent (none set, or revoked)", self.account)?;
        } else {
            writeln!(f, "agent of {}: {}", self.account, self.agent)?;
        }
        writeln!(f, "gas allowance: {}", ether(self.gas_allowance))?;
        write!(f, "authority: {}", self.authority)
    }
}

/// AgentValidator at `validator`, once its code is found there ([`require_deployed`]).
async fn agent_validator<P: Provider + Clone>(
    provider: &P,
    validator: Address,
) -> Result<AgentValidator::AgentValidatorInstance<P>> {
    if validator.is_zero() {
        bail!("the deployment record has no AgentValidator: deploy again, or pass --validator");
    }
    require_deployed(provider, validator).await?;
    Ok(AgentValidator::new(validator, provider.clone()))
}

/// `account`'s agent key, gas allowance and authority at AgentValidator.
pub async fn agent_status<P: Provider + Clone>(
    provider: &P,
    validator: Address,
    account: Address,
) -> Result<AgentStatus> {
    let v = agent_validator(provider, validator).await?;
    let read = "reading AgentValidator";
    Ok(AgentStatus {
        account,
        installed: v.isInitialized(account).call().await.wrap_err(read)?,
        agent: v.agentOf(account).call().await.wrap_err(read)?,
        gas_allowance: v.gasAllowanceOf(account).call().await.wrap_err(read)?,
        authority: v.authorityOf(account).call().await.wrap_err(read)?,
    })
}

/// Why `agent` cannot be the agent key of `account` whose authority is `authority`, in a
/// sentence, or nothing when it can: AgentValidator's own rule (`AgentValidator_InvalidAgent`),
/// checked before anything is sent. The account's owners are refused by the validator itself,
/// which asks the account.
pub fn check_agent(account: Address, authority: Address, agent: Address) -> Result<(), String> {
    first_refusal([
        (
            agent.is_zero(),
            "the agent cannot be the zero address: to take the agent's key away, revoke it (`agent revoke`)".into(),
        ),
        (
            agent == account,
            format!("the agent cannot be the account {account} itself: an agent signs with a key of its own"),
        ),
        (
            agent == authority,
            format!("the agent cannot be {agent}, the authority of {account}: the authority rotates and revokes the agent's key, so the agent needs a key of its own"),
        ),
    ])
}

/// The reason of the first of `rules` whose condition holds; nothing when none does.
pub(crate) fn first_refusal<const N: usize>(rules: [(bool, String); N]) -> Result<(), String> {
    rules.into_iter().find(|(broken, _)| *broken).map_or(Ok(()), |(_, why)| Err(why))
}

/// The validator for an authority's change to `account`, once it holds the account (else the
/// change is refused in words before anything is sent), with the account's status.
async fn installed_validator<P: Provider + Clone>(
    provider: &P,
    validator: Address,
    account: Address,
) -> Result<(AgentValidator::AgentValidatorInstance<P>, AgentStatus)> {
    let status = agent_status(provider, validator, account).await?;
    if !status.installed {
        bail!("AgentValidator is not installed on {account}: it holds no agent key there (the account's owner installs it)");
    }
    Ok((AgentValidator::new(validator, provider.clone()), status))
}

/// `setAgent(account, agent)` from the provider's wallet (the authority): the agent's key is now
/// `agent`. Refused before sending when [`check_agent`] refuses it.
pub async fn set_agent<P: Provider + Clone>(
    provider: &P,
    validator: Address,
    account: Address,
    agent: Address,
) -> Result<TxHash> {
    let (v, status) = installed_validator(provider, validator, account).await?;
    check_agent(account, status.authority, agent).map_err(|e| eyre::eyre!(e))?;
    Ok(authority_sends!(
        provider,
        v.setAgent(account, agent),
        format!("making {agent} the agent of {account}")
    ))
}

/// `revokeAgent(account)` from the provider's wallet (the authority): no agent signature validates
/// until the next `setAgent`. Refused before sending when the account has no agent key.
pub async fn revoke_agent<P: Provider + Clone>(
    provider: &P,
    validator: Address,
    account: Address,
) -> Result<TxHash> {
    let (v, status) = installed_validator(provider, validator, account).await?;
    if status.agent.is_zero() {
        bail!("{account} has no agent key (none set, or revoked already): nothing to revoke");
    }
    Ok(authority_sends!(provider, v.revokeAgent(account), format!("revoking the agent key of {account}")))
}

/// `setGasAllowance(account, allowance)` from the provider's wallet (the authority): what the
/// agent's UserOps may still cost the account in gas fees, in wei (it replaces what was left).
/// Refused before sending above [`MAX_GAS_ALLOWANCE`].
pub async fn set_gas_allowance<P: Provider + Clone>(
    provider: &P,
    validator: Address,
    account: Address,
    allowance: U256,
) -> Result<TxHash> {
    if allowance > MAX_GAS_ALLOWANCE {
        bail!(
            "a gas allowance of {} is above the largest AgentValidator keeps (2^96 - 1 wei, about 79.2 billion ether)",
            ether(allowance)
        );
    }
    let (v, _) = installed_validator(provider, validator, account).await?;
    Ok(authority_sends!(
        provider,
        v.setGasAllowance(account, allowance),
        format!("setting the agent's gas allowance on {account}")
    ))
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, U256};

    use super::{check_agent, AgentStatus, MAX_GAS_ALLOWANCE};

    /// The agent key's rule, in words, before anything is sent.
    #[test]
    fn an_agent_key_is_a_real_address_apart_from_the_account_and_its_authority() {
        let (account, authority, agent) =
            (Address::with_last_byte(0xac), Address::with_last_byte(0xa1), Address::with_last_byte(0xa9));
        assert_eq!(check_agent(account, authority, agent), Ok(()));
        let refusal = |agent| check_agent(account, authority, agent).unwrap_err();
        assert!(refusal(Address::ZERO).starts_with("the agent cannot be the zero address"));
        assert_eq!(
            refusal(account),
            format!("the agent cannot be the account {account} itself: an agent signs with a key of its own")
        );
        assert!(refusal(authority).starts_with(&format!("the agent cannot be {authority}, the authority of")));
    }

    #[test]
    fn the_largest_gas_allowance_is_the_validators_96_bits() {
        assert_eq!(MAX_GAS_ALLOWANCE, (U256::from(1) << 96) - U256::from(1));
    }

    #[test]
    fn the_status_reads_in_words() {
        let mut status = AgentStatus {
            account: Address::with_last_byte(0xac),
            installed: true,
            agent: Address::ZERO,
            gas_allowance: U256::from(1_500_000_000_000_000_000u128),
            authority: Address::with_last_byte(0xa1),
        };
        let text = status.to_string();
        assert!(text.contains(": no agent (none set, or revoked)\n"), "{text}");
        assert!(text.contains("gas allowance: 1.5 ether (1500000000000000000 wei)\n"), "{text}");
        status.installed = false;
        assert_eq!(status.to_string(), format!("AgentValidator is not installed on {}", status.account));
    }
}
