//! `policy apply`: what differs between an account's live policy ([`crate::live::read`]) and a
//! policy file, and the authority's transactions that make the live policy the file's, one change
//! each. Nothing is reinstalled: the spending windows, task runs and session usage of whatever
//! does not change carry on.
//!
//! The engine and the separate hooks share the configuration functions' signatures
//! (`setTokenPolicy`, `addPermission`, ...), so a change is one call, sent to the engine or to
//! the sub-hook that holds the policy. What a transaction cannot change (the hook, the authority,
//! a sub-hook added or removed, the engine's guardian removed) is refused before anything is sent,
//! with the command that does it.

use alloy::primitives::{Address, Bytes, FixedBytes, TxHash, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use eyre::{bail, Result};

use crate::abi::{AllowlistHook, AutomationExecutor, EmergencyPauseHook, IPolicyEngine, SpendingLimitHook};
use crate::addresses::ModuleAddresses;
use crate::config::{
    AllowlistConfig, AllowlistMode, HookStack, PolicyConfig, SessionCallConfig, SessionConfig, Signatures,
    SpendingConfig, TaskConfig,
};
use crate::errors::{ether, utc, TokenBook};
use crate::ops;

/// One change to the live policy: one transaction from the authority's key.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// AgentValidator: the agent's key; its gas allowance (wei).
    Agent(Address),
    GasAllowance(U256),
    Guardian(Address),
    AutoUnpause(u64),
    /// The allowlist's mode (the engine: `None` turns the allowlist off).
    Mode(Option<AllowlistMode>),
    RemovePermission(Address, FixedBytes<4>),
    AddPermission(Address, FixedBytes<4>),
    RemoveProtected(Address),
    AddProtected(Address),
    RemoveTokenPolicy(Address),
    TokenPolicy(SpendingConfig),
    /// The account-wide rules of (target, selector); none: removed (engine).
    CallRules(SessionCallConfig),
    RemoveTask(u64),
    AddTask(TaskConfig),
    RevokeSession(Address),
    GrantSession(SessionConfig),
}

/// What `policy apply` would send, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// What the file leaves as it is, said once (an agent key the file does not name).
    pub notes: Vec<String>,
}

/// The changes that make `live` (the account's policy read from the chain) the policy `file`
/// holds. Refused, before anything is sent, where the difference is not one a transaction of the
/// authority makes.
pub fn plan(live: &PolicyConfig, file: &PolicyConfig) -> Result<Plan> {
    if live.authority.is_zero() {
        bail!("the account has no Leash module installed: `policy install` installs the file");
    }
    if live.authority != file.authority {
        bail!(
            "the file's authority is {}, the live one {}: the live authority hands over with `authority rotate` first",
            file.authority,
            live.authority
        );
    }
    if live.hook != file.hook {
        bail!(
            "the account runs the {} and the file names the {}: a hook is changed by uninstalling and installing again",
            live.hook.name(),
            file.hook.name()
        );
    }
    let mut plan = Plan::default();
    agent(live, file, &mut plan)?;
    let c = &mut plan.changes;
    pause(live, file, c)?;
    allowlist(live, file, c)?;
    if live.custom_hooks.iter().map(|h| h.0).ne(file.custom_hooks.iter().map(|h| h.0)) {
        bail!("the file's custom hooks differ from the live sub-hooks: a sub-hook is added or removed through the multiplexer with the authority's approval, not by `policy apply`");
    }
    let token = |s: &SpendingConfig| s.token;
    let unlimited = |s: &SpendingConfig| Change::RemoveTokenPolicy(s.token);
    differ(&live.spending, &file.spending, token, unlimited, Change::TokenPolicy, c);
    let pair = |r: &SessionCallConfig| (r.target, r.selector);
    let unruled =
        |r: &SessionCallConfig| Change::CallRules(SessionCallConfig { rules: Vec::new(), ..r.clone() });
    differ(&live.call_rules, &file.call_rules, pair, unruled, Change::CallRules, c);
    // A task changes by going and coming back under its id (it starts from zero runs).
    differ(&live.tasks, &file.tasks, TaskConfig::clone, |t| Change::RemoveTask(t.id), Change::AddTask, c);
    // A grant replaces a live session of the same agent (a new epoch: its usage starts over).
    let agent = |s: &SessionConfig| s.agent;
    let revoked = |s: &SessionConfig| Change::RevokeSession(s.agent);
    differ(&live.sessions, &file.sessions, agent, revoked, Change::GrantSession, c);
    Ok(plan)
}

/// The agent's key goes first: AgentValidator refuses a key it cannot take before anything else
/// is sent. A file without `[agent]` leaves the live key alone (`agent revoke` removes it).
fn agent(live: &PolicyConfig, file: &PolicyConfig, plan: &mut Plan) -> Result<()> {
    match (&live.agent, &file.agent) {
        (Some(l), None) => plan.notes.push(format!(
            "the file has no [agent]: the agent key {} stays (`agent revoke` removes it)",
            l.key
        )),
        (None, Some(_)) => bail!(
            "the account has no agent key at AgentValidator: `agent rotate` sets one where the validator is installed, `policy install` of an [agent]-only file installs it"
        ),
        (Some(l), Some(f)) => {
            if l.key != f.key {
                plan.changes.push(Change::Agent(f.key));
            }
            if l.gas_allowance != f.gas_allowance {
                plan.changes.push(Change::GasAllowance(f.gas_allowance));
            }
        }
        (None, None) => {}
    }
    Ok(())
}

fn pause(live: &PolicyConfig, file: &PolicyConfig, c: &mut Vec<Change>) -> Result<()> {
    match (&live.pause, &file.pause) {
        (None, None) => {}
        (Some(_), None) if live.hook == HookStack::Engine => bail!(
            "the file has no [pause], and the engine keeps a guardian once it has one: name the guardian to keep, or uninstall and install again"
        ),
        (None, Some(f)) if live.hook == HookStack::Engine => {
            c.push(Change::Guardian(f.guardian));
            if f.auto_unpause_after != 0 {
                c.push(Change::AutoUnpause(f.auto_unpause_after));
            }
        }
        (Some(l), Some(f)) => {
            if l.guardian != f.guardian {
                c.push(Change::Guardian(f.guardian));
            }
            if l.auto_unpause_after != f.auto_unpause_after {
                c.push(Change::AutoUnpause(f.auto_unpause_after));
            }
        }
        _ => bail!("{}", sub_hook_needed("pause")),
    }
    Ok(())
}

fn allowlist(live: &PolicyConfig, file: &PolicyConfig, c: &mut Vec<Change>) -> Result<()> {
    let none = AllowlistConfig { mode: AllowlistMode::Allow, permissions: Vec::new(), protected: Vec::new() };
    let (l, f) = match (&live.allowlist, &file.allowlist) {
        (Some(l), Some(f)) => (l, f),
        (None, None) => return Ok(()),
        _ if live.hook == HookStack::Multiplexer => bail!("{}", sub_hook_needed("allowlist")),
        (Some(l), None) => (l, &none),
        (None, Some(f)) => (&none, f),
    };
    // The live mode's entries go before the mode changes (the engine keeps each mode's entries
    // apart), the file's come after it.
    c.extend(l.protected.iter().filter(|p| !f.protected.contains(p)).map(|p| Change::RemoveProtected(*p)));
    for (target, selector) in l.permissions.iter().filter(|p| !f.permissions.contains(p)) {
        c.push(Change::RemovePermission(*target, *selector));
    }
    let (live_mode, file_mode) =
        (live.allowlist.as_ref().map(|a| a.mode), file.allowlist.as_ref().map(|a| a.mode));
    if live_mode != file_mode {
        c.push(Change::Mode(file_mode));
    }
    c.extend(f.protected.iter().filter(|p| !l.protected.contains(p)).map(|p| Change::AddProtected(*p)));
    for (target, selector) in f.permissions.iter().filter(|p| !l.permissions.contains(p)) {
        c.push(Change::AddPermission(*target, *selector));
    }
    Ok(())
}

/// `removed` for each live entry whose key the file does not hold; then `set` for each entry of
/// the file the live policy does not hold as it is.
fn differ<T: Clone + PartialEq, K: PartialEq>(
    live: &[T],
    file: &[T],
    key: impl Fn(&T) -> K,
    removed: impl Fn(&T) -> Change,
    set: impl Fn(T) -> Change,
    c: &mut Vec<Change>,
) {
    c.extend(live.iter().filter(|l| !file.iter().any(|f| key(f) == key(l))).map(removed));
    c.extend(file.iter().filter(|f| !live.contains(f)).cloned().map(set));
}

fn sub_hook_needed(what: &str) -> String {
    format!("the file and the account differ in whether there is a {what} sub-hook: the multiplexer adds or removes a sub-hook with the authority's approval, not `policy apply`")
}

impl Change {
    /// The change in a line, with function signatures from `names` and token units from `book`.
    pub fn describe(&self, names: &Signatures, book: &TokenBook) -> String {
        let function = |s: FixedBytes<4>| match names.name(s) {
            Some(name) => format!("{name} ({s})"),
            None => s.to_string(),
        };
        let limits = |s: &SpendingConfig| {
            let mut words: Vec<String> =
                s.limits.iter().map(|(a, w)| format!("{} per {w} s", book.amount(s.token, *a))).collect();
            if !s.per_tx_cap.is_zero() {
                words.push(format!("at most {} a transaction", book.amount(s.token, s.per_tx_cap)));
            }
            words.join(", ")
        };
        match self {
            Change::Agent(key) => format!("agent key: {key}"),
            Change::GasAllowance(wei) => format!("agent's gas allowance: {}", ether(*wei)),
            Change::Guardian(g) => format!("guardian: {g}"),
            Change::AutoUnpause(0) => "auto-unpause: never".to_string(),
            Change::AutoUnpause(s) => format!("auto-unpause after {s} s"),
            Change::Mode(None) => "allowlist: off".to_string(),
            Change::Mode(Some(AllowlistMode::Allow)) => {
                "allowlist mode: allow (only the listed calls)".into()
            }
            Change::Mode(Some(AllowlistMode::Block)) => {
                "allowlist mode: block (all but the listed calls)".into()
            }
            Change::RemovePermission(t, s) => format!("- permission {} on {t}", function(*s)),
            Change::AddPermission(t, s) => format!("+ permission {} on {t}", function(*s)),
            Change::RemoveProtected(t) => format!("- protected {t}"),
            Change::AddProtected(t) => format!("+ protected {t}"),
            Change::RemoveTokenPolicy(t) => format!("- spending limits of {}", book.name(*t)),
            Change::TokenPolicy(s) => format!("spending limits of {}: {}", book.name(s.token), limits(s)),
            Change::CallRules(r) if r.rules.is_empty() => {
                format!("- argument rules of {} on {}", function(r.selector), r.target)
            }
            Change::CallRules(r) => {
                format!(
                    "argument rules of {} on {}: {} rule(s)",
                    function(r.selector),
                    r.target,
                    r.rules.len()
                )
            }
            Change::RemoveTask(id) => format!("- task {id}"),
            Change::AddTask(t) => format!("+ task {} (keeper {}, target {})", t.id, t.caller, t.target),
            Change::RevokeSession(a) => format!("- session of {a}"),
            Change::GrantSession(s) => format!(
                "+ session of {} (until {}, {} call(s) permitted)",
                s.agent,
                utc(U256::from(s.valid_until)),
                s.calls.len()
            ),
        }
    }

    /// The module the change goes to and its calldata, for the configuration changes; `None` for
    /// the agent's key and sessions, which go through [`crate::ops`]' checked sends.
    fn call(&self, modules: &ModuleAddresses, hook: HookStack, account: Address) -> Option<(Address, Bytes)> {
        let at = |separate: Address| if hook == HookStack::Engine { modules.engine } else { separate };
        let (module, data) = match self {
            Change::Guardian(guardian) => (
                at(modules.pause),
                EmergencyPauseHook::setGuardianCall { account, guardian: *guardian }.abi_encode(),
            ),
            Change::AutoUnpause(s) => (
                at(modules.pause),
                EmergencyPauseHook::setAutoUnpauseAfterCall { account, autoUnpauseAfter: U256::from(*s) }
                    .abi_encode(),
            ),
            Change::Mode(mode) => {
                let mode = mode.map_or(0, |m| m as u8);
                (at(modules.allowlist), AllowlistHook::setModeCall { account, mode }.abi_encode())
            }
            Change::RemovePermission(target, selector) => (
                at(modules.allowlist),
                AllowlistHook::removePermissionCall { account, target: *target, selector: *selector }
                    .abi_encode(),
            ),
            Change::AddPermission(target, selector) => (
                at(modules.allowlist),
                AllowlistHook::addPermissionCall { account, target: *target, selector: *selector }
                    .abi_encode(),
            ),
            Change::RemoveProtected(target) => (
                at(modules.allowlist),
                AllowlistHook::removeProtectedCall { account, target: *target }.abi_encode(),
            ),
            Change::AddProtected(target) => (
                at(modules.allowlist),
                AllowlistHook::addProtectedCall { account, target: *target }.abi_encode(),
            ),
            Change::RemoveTokenPolicy(token) => (
                at(modules.spending),
                SpendingLimitHook::removeTokenPolicyCall { account, token: *token }.abi_encode(),
            ),
            Change::TokenPolicy(s) => (
                at(modules.spending),
                SpendingLimitHook::setTokenPolicyCall { account, policy: s.abi() }.abi_encode(),
            ),
            Change::CallRules(r) => (
                modules.engine,
                IPolicyEngine::setCallRulesCall {
                    account,
                    target: r.target,
                    selector: r.selector,
                    rules: r.rules.iter().map(|rule| rule.abi()).collect(),
                }
                .abi_encode(),
            ),
            Change::RemoveTask(id) => (
                modules.automation,
                AutomationExecutor::removeTaskCall { account, id: U256::from(*id) }.abi_encode(),
            ),
            Change::AddTask(task) => (
                modules.automation,
                AutomationExecutor::addTaskCall { account, task: task.abi() }.abi_encode(),
            ),
            Change::Agent(_)
            | Change::GasAllowance(_)
            | Change::RevokeSession(_)
            | Change::GrantSession(_) => return None,
        };
        Some((module, data.into()))
    }
}

/// Sends `changes` in order from the provider's wallet (the authority), calling `sent` after each
/// one lands. A refusal stops there: the error says which change, and that the ones before it are
/// live.
pub async fn send<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
    hook: HookStack,
    changes: &[Change],
    book: &TokenBook,
    mut sent: impl FnMut(&Change, TxHash),
) -> Result<()> {
    for (i, change) in changes.iter().enumerate() {
        let what = change.describe(&Signatures::default(), book);
        let tx = match change {
            Change::Agent(key) => ops::set_agent(provider, modules.validator, account, *key).await,
            Change::GasAllowance(wei) => {
                ops::set_gas_allowance(provider, modules.validator, account, *wei).await
            }
            Change::RevokeSession(agent) => {
                ops::revoke_session(provider, modules.engine, account, *agent).await
            }
            Change::GrantSession(s) => ops::grant_session(provider, modules.engine, account, s, book).await,
            _ => {
                let (module, data) = change.call(modules, hook, account).expect("a configuration change");
                ops::authority_call(provider, module, data, what.clone(), book).await
            }
        };
        match tx {
            Ok(tx) => sent(change, tx),
            Err(e) if i == 0 => return Err(e.wrap_err(format!("nothing was changed: `{what}` failed"))),
            Err(e) => {
                return Err(e.wrap_err(format!(
                    "the first {i} change(s) are live, `{what}` and the {} after it are not: run `policy apply` again to send the rest",
                    changes.len() - i - 1
                )))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use alloy::sol_types::SolCall;

    use crate::abi::{AllowlistHook, EmergencyPauseHook, IPolicyEngine, SpendingLimitHook};

    /// The engine answers the separate hooks' functions under the same selectors, so one binding
    /// reaches either: the changes of `policy apply`, the guardian's switch, `status`' views.
    #[test]
    fn the_engine_and_the_separate_hooks_share_their_functions() {
        macro_rules! same {
            ($($hook:ident :: $call:ident),+ $(,)?) => {
                $(assert_eq!(IPolicyEngine::$call::SELECTOR, $hook::$call::SELECTOR, stringify!($call));)+
            };
        }
        same!(
            EmergencyPauseHook::pauseCall,
            EmergencyPauseHook::unpauseCall,
            EmergencyPauseHook::setGuardianCall,
            EmergencyPauseHook::setAutoUnpauseAfterCall,
            AllowlistHook::setModeCall,
            AllowlistHook::addPermissionCall,
            AllowlistHook::removePermissionCall,
            AllowlistHook::addProtectedCall,
            AllowlistHook::removeProtectedCall,
            SpendingLimitHook::setTokenPolicyCall,
            SpendingLimitHook::removeTokenPolicyCall,
            SpendingLimitHook::remainingAtCall,
            SpendingLimitHook::availableAtCall,
        );
    }
}
