//! Reading an account's live Leash configuration back from the chain, as a [`PolicyConfig`], and
//! writing a policy as a TOML file that [`crate::config::parse`] reads back to the same policy.
//!
//! The separate hooks enumerate their entries; the policy engine keeps no lists (its checks read
//! one slot per target), so its entries are found in its events for the account since the last
//! install ([`engine_history`]) and each one is confirmed against the engine's views, which are
//! the truth: an entry the views do not confirm is not shown. The executor keeps only a task's
//! hash, so a task itself comes from its `TaskAdded` log ([`live_task`]).
//! Nor does the engine keep a session's calls: a session comes from the transaction that granted
//! it ([`granted_session`]), for the agents whose `sessionOf` is live ([`sessions`]).
//!
//! Views only: the actions in [`crate::ops`] read through them, never the other way round.

use std::fmt::Write;

use alloy::primitives::utils::format_units;
use alloy::primitives::{keccak256, Address, Bytes, FixedBytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolEvent, SolValue};
use eyre::{bail, eyre, Result, WrapErr};

use crate::abi::{
    AgentValidator, AllowlistHook, AutomationExecutor, EmergencyPauseHook, HookMultiPlexer,
    IAutomationExecutor, IERC20Metadata, IERC7579ModuleConfig, IEntryPoint, ILeashModule, IPolicyEngine,
    SpendingLimitHook,
};
use crate::account::AccountFlavor;
use crate::addresses::{require_deployed, ModuleAddresses};
use crate::config::{
    AgentConfig, AllowlistConfig, AllowlistMode, HookStack, ParamOp, ParamRuleConfig, PauseConfig,
    PolicyConfig, SessionCallConfig, SessionConfig, Signatures, SpendingConfig, TaskConfig, Token,
    MODULE_TYPE_EXECUTOR, MODULE_TYPE_HOOK, MODULE_TYPE_VALIDATOR,
};
use crate::errors::{trim_units, LeashRevert};

/// The policies `account` runs under right now, read from the modules at `modules`.
pub async fn read<P: Provider + Clone>(
    provider: &P,
    account: Address,
    modules: &ModuleAddresses,
) -> Result<PolicyConfig> {
    for module in [modules.engine, modules.multiplexer, modules.automation] {
        if !module.is_zero() {
            require_deployed(provider, module).await?;
        }
    }
    if provider.get_code_at(account).await.wrap_err("reading the account")?.is_empty() {
        bail!("{account} has no code: it is not a deployed ERC-7579 account");
    }
    let mux_installed = module_installed(provider, account, MODULE_TYPE_HOOK, modules.multiplexer).await?;
    let executor_installed =
        module_installed(provider, account, MODULE_TYPE_EXECUTOR, modules.automation).await?;
    let engine_installed = module_installed(provider, account, MODULE_TYPE_HOOK, modules.engine).await?;

    let hook = if mux_installed { HookStack::Multiplexer } else { HookStack::Engine };
    let mut policy = PolicyConfig::empty(Address::ZERO, hook);
    if mux_installed {
        let mux = HookMultiPlexer::new(modules.multiplexer, provider.clone());
        policy.authority =
            ILeashModule::new(modules.multiplexer, provider.clone()).authorityOf(account).call().await?;
        for hook in mux.subHooks(account).call().await? {
            if hook == modules.pause {
                let pause = EmergencyPauseHook::new(hook, provider.clone());
                policy.pause = Some(PauseConfig {
                    guardian: pause.guardianOf(account).call().await?,
                    auto_unpause_after: pause.autoUnpauseAfterOf(account).call().await?.to::<u64>(),
                });
            } else if hook == modules.allowlist {
                let allowlist = AllowlistHook::new(hook, provider.clone());
                let mode = if allowlist.modeOf(account).call().await? == 2 {
                    AllowlistMode::Block
                } else {
                    AllowlistMode::Allow
                };
                let permissions = allowlist
                    .permissionsOf(account)
                    .call()
                    .await?
                    .into_iter()
                    .map(|p| (p.target, p.selector))
                    .collect();
                let protected = allowlist.protectedOf(account).call().await?;
                policy.allowlist = Some(AllowlistConfig { mode, permissions, protected });
            } else if hook == modules.spending {
                let spending = SpendingLimitHook::new(hook, provider.clone());
                for token in spending.tokensOf(account).call().await? {
                    let p = spending.policyOf(account, token).call().await?;
                    let limits = p.limits.iter().map(|l| (l.amount, l.window.to::<u64>())).collect();
                    add_spending(provider, &mut policy, token, p.perTxCap, limits).await;
                }
            } else {
                policy.custom_hooks.push((hook, Bytes::new()));
            }
        }
    }
    if engine_installed {
        read_engine(provider, account, modules.engine, &mut policy).await?;
    }
    if executor_installed {
        let automation = AutomationExecutor::new(modules.automation, provider.clone());
        if policy.authority.is_zero() {
            policy.authority =
                ILeashModule::new(modules.automation, provider.clone()).authorityOf(account).call().await?;
        }
        for id in automation.taskIds(account).call().await? {
            let t = live_task(provider, modules.automation, account, id.to::<u64>()).await?.task;
            policy.tasks.push(TaskConfig {
                id: id.to::<u64>(),
                caller: t.caller,
                target: t.target,
                value: t.value,
                call: t.callData,
                cooldown: t.cooldown,
                max_executions: t.maxExecutions,
                starts_at: t.startsAt.to::<u64>(),
                expires_at: t.expiresAt.to::<u64>(),
            });
        }
    }
    // The agent's key, where AgentValidator holds one for the account (none: no `[agent]`, as a
    // validator for sessions only or with its key revoked reads).
    let validator_installed = !modules.validator.is_zero()
        && module_installed(provider, account, MODULE_TYPE_VALIDATOR, modules.validator).await?;
    if validator_installed {
        let validator = AgentValidator::new(modules.validator, provider.clone());
        let key = validator.agentOf(account).call().await.wrap_err("reading AgentValidator")?;
        if !key.is_zero() {
            let gas_allowance =
                validator.gasAllowanceOf(account).call().await.wrap_err("reading AgentValidator")?;
            policy.agent = Some(AgentConfig { key, gas_allowance });
            if policy.authority.is_zero() {
                policy.authority =
                    validator.authorityOf(account).call().await.wrap_err("reading AgentValidator")?;
            }
        }
    }
    Ok(policy)
}

/// Whether `account` lists `module` as installed with `module_type` (ERC-7579 `isModuleInstalled`).
/// A hook is asked about as the account-wide hook, in the form Safe7579 wants if the empty
/// context is refused ([`AccountFlavor::hook_context`]); on Kernel, which lists none, a Leash hook
/// answers whether it holds the account.
pub async fn module_installed<P: Provider + Clone>(
    provider: &P,
    account: Address,
    module_type: u64,
    module: Address,
) -> Result<bool> {
    let config = IERC7579ModuleConfig::new(account, provider.clone());
    let asked = config.isModuleInstalled(U256::from(module_type), module, Bytes::new()).call().await;
    let answer = match asked {
        Err(_) if module_type == MODULE_TYPE_HOOK => {
            let context = AccountFlavor::Safe7579.hook_context();
            config.isModuleInstalled(U256::from(module_type), module, context).call().await
        }
        other => other,
    };
    let listed =
        answer.wrap_err("the account does not answer isModuleInstalled: is it an ERC-7579 account?")?;
    if listed || module_type != MODULE_TYPE_HOOK {
        return Ok(listed);
    }
    // Kernel lists no hook as the account's: a hook rides on a validation or an executor, and holds
    // the account from the first install that carries it until its own removal (Kernel tells it of
    // no validation's removal).
    if AccountFlavor::detect(provider, account).await.0 != AccountFlavor::Kernel {
        return Ok(false);
    }
    Ok(IPolicyEngine::new(module, provider.clone()).isInitialized(account).call().await.unwrap_or(false))
}

/// What the policy engine's events say about one account since its last install: the candidates
/// for its entries (each still to be confirmed by the views) and its auto-unpause setting, which no
/// view returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineHistory {
    pub permissions: Vec<(Address, FixedBytes<4>)>,
    pub protected: Vec<Address>,
    pub tokens: Vec<Address>,
    pub auto_unpause_after: u64,
    /// Agents granted a session since the install and not revoked since, each with the
    /// transaction of its last grant.
    pub sessions: Vec<(Address, B256)>,
    /// The account-wide rules last set for each (target, selector), removed ones left out.
    pub call_rules: Vec<SessionCallConfig>,
}

fn remember<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Replays the engine's events for `account` (uninstall, `AuthoritySet` to zero, starts over).
pub async fn engine_history<P: Provider + Clone>(
    provider: &P,
    engine: Address,
    account: Address,
) -> Result<EngineHistory> {
    let filter = Filter::new().address(engine).topic1(account.into_word()).from_block(0);
    let logs = provider.get_logs(&filter).await.wrap_err_with(|| {
        format!("reading the policy engine's events for {account} (the node must serve logs from block 0)")
    })?;
    let mut h = EngineHistory::default();
    for log in logs {
        let data = &log.inner;
        match log.topic0() {
            // Uninstall names no authority: what came before is gone.
            Some(&ILeashModule::AuthoritySet::SIGNATURE_HASH)
                if ILeashModule::AuthoritySet::decode_log(data)?.authority.is_zero() =>
            {
                h = EngineHistory::default();
            }
            Some(&AllowlistHook::PermissionAdded::SIGNATURE_HASH) => {
                let e = AllowlistHook::PermissionAdded::decode_log(data)?;
                remember(&mut h.permissions, (e.target, e.selector));
            }
            Some(&AllowlistHook::ProtectedAdded::SIGNATURE_HASH) => {
                remember(&mut h.protected, AllowlistHook::ProtectedAdded::decode_log(data)?.target);
            }
            Some(&SpendingLimitHook::TokenPolicySet::SIGNATURE_HASH) => {
                remember(&mut h.tokens, SpendingLimitHook::TokenPolicySet::decode_log(data)?.token);
            }
            Some(&IPolicyEngine::SessionGranted::SIGNATURE_HASH) => {
                let agent = IPolicyEngine::SessionGranted::decode_log(data)?.agent;
                let tx = log.transaction_hash.unwrap_or_default();
                h.sessions.retain(|(a, _)| *a != agent);
                h.sessions.push((agent, tx));
            }
            Some(&IPolicyEngine::SessionRevoked::SIGNATURE_HASH) => {
                let agent = IPolicyEngine::SessionRevoked::decode_log(data)?.agent;
                h.sessions.retain(|(a, _)| *a != agent);
            }
            Some(&IPolicyEngine::CallRulesSet::SIGNATURE_HASH) => {
                let e = IPolicyEngine::CallRulesSet::decode_log(data)?;
                h.call_rules.retain(|c| (c.target, c.selector) != (e.target, e.selector));
                if !e.rules.is_empty() {
                    let rules = e.rules.iter().map(rule_config).collect();
                    h.call_rules.push(SessionCallConfig { target: e.target, selector: e.selector, rules });
                }
            }
            Some(&EmergencyPauseHook::AutoUnpauseSet::SIGNATURE_HASH) => {
                let e = EmergencyPauseHook::AutoUnpauseSet::decode_log(data)?;
                h.auto_unpause_after = e.autoUnpauseAfter.saturating_to::<u64>();
            }
            _ => {}
        }
    }
    Ok(h)
}

/// The engine's policies for `account` into `policy`: settings from its views, entries from its
/// events, each confirmed by a view.
async fn read_engine<P: Provider + Clone>(
    provider: &P,
    account: Address,
    address: Address,
    policy: &mut PolicyConfig,
) -> Result<()> {
    let engine = IPolicyEngine::new(address, provider.clone());
    policy.hook = HookStack::Engine;
    policy.authority = engine.authorityOf(account).call().await.wrap_err("reading the policy engine")?;
    let history = engine_history(provider, address, account).await?;
    let guardian = engine.guardianOf(account).call().await?;
    if !guardian.is_zero() {
        policy.pause = Some(PauseConfig { guardian, auto_unpause_after: history.auto_unpause_after });
    }
    let mode = match engine.modeOf(account).call().await? {
        1 => Some(AllowlistMode::Allow),
        2 => Some(AllowlistMode::Block),
        _ => None,
    };
    if let Some(mode) = mode {
        let mut permissions = Vec::new();
        for &(target, selector) in &history.permissions {
            if engine.isListed(account, target, selector).call().await? {
                permissions.push((target, selector));
            }
        }
        let mut protected = Vec::new();
        for &target in &history.protected {
            if engine.isProtected(account, target).call().await? {
                protected.push(target);
            }
        }
        policy.allowlist = Some(AllowlistConfig { mode, permissions, protected });
    }
    for &token in &history.tokens {
        let p = engine.policyOf(account, token).call().await?;
        if p.limits.is_empty() && p.perTxCap.is_zero() {
            continue; // removed since
        }
        let limits = p.limits.iter().map(|l| (l.amount, l.window.to::<u64>())).collect();
        add_spending(provider, policy, token, p.perTxCap, limits).await;
    }
    for c in &history.call_rules {
        let count = engine.callRuleCount(account, c.target, c.selector).call().await?;
        if count == U256::from(c.rules.len()) {
            policy.call_rules.push(c.clone());
        }
    }
    for (_, grant) in live_sessions(provider, address, account, &history).await? {
        if let Some(granted) = grant {
            for t in &granted.spending {
                if t.token != Address::ZERO && !policy.tokens.iter().any(|k| k.address == t.token) {
                    if let Some(t) = token_metadata(provider, t.token).await {
                        policy.tokens.push(t);
                    }
                }
            }
            policy.sessions.push(granted);
        }
    }
    Ok(())
}

/// The sessions of `account` at the engine: the agents of its `SessionGranted` events since the
/// install, not revoked since, that `sessionOf` confirms live (expired ones included), with what
/// each may still move of the tokens its grant limits.
pub async fn sessions<P: Provider + Clone>(
    provider: &P,
    engine: Address,
    account: Address,
) -> Result<Vec<crate::ops::SessionStatus>> {
    require_deployed(provider, engine).await?;
    let history = engine_history(provider, engine, account).await?;
    Ok(live_sessions(provider, engine, account, &history).await?.into_iter().map(|(s, _)| s).collect())
}

/// The sessions of `history` that `sessionOf` confirms live (a revoked one, or one a new install
/// ended, is not), each with its status and its grant when its transaction shows it.
async fn live_sessions<P: Provider + Clone>(
    provider: &P,
    engine: Address,
    account: Address,
    history: &EngineHistory,
) -> Result<Vec<(crate::ops::SessionStatus, Option<SessionConfig>)>> {
    let mut out = Vec::new();
    for (agent, tx) in &history.sessions {
        let grant = granted_session(provider, *tx, account, *agent).await?;
        let tokens: Vec<Address> = grant.iter().flat_map(|s| s.spending.iter().map(|t| t.token)).collect();
        let status = crate::ops::session_status(provider, engine, account, *agent, &tokens).await?;
        if status.live {
            out.push((status, grant));
        }
    }
    Ok(out)
}

/// The session `agent` was granted on `account` in transaction `tx`: the engine keeps no copy of
/// its calls, so it is read from the transaction, a `grantSession` call or a `handleOps` whose
/// operation carried the grant (enable-in-first-op). `None` when the transaction is neither (a
/// grant from a contract authority, through a wallet of its own).
pub async fn granted_session<P: Provider + Clone>(
    provider: &P,
    tx: B256,
    account: Address,
    agent: Address,
) -> Result<Option<SessionConfig>> {
    use alloy::consensus::Transaction as _;
    use alloy::sol_types::SolCall;
    let Some(tx) = provider.get_transaction_by_hash(tx).await.wrap_err("reading a session's grant")? else {
        return Ok(None);
    };
    let input = tx.input();
    if let Ok(call) = IPolicyEngine::grantSessionCall::abi_decode(input) {
        if call.account == account && call.session.agent == agent {
            return Ok(Some(session_config(&call.session)));
        }
    }
    if let Ok(call) = IEntryPoint::handleOpsCall::abi_decode(input) {
        for op in call.ops.iter().filter(|op| op.sender == account && op.signature.len() > 65) {
            if let Ok((session, _)) =
                <(IPolicyEngine::Session, Bytes)>::abi_decode_params(&op.signature[65..])
            {
                if session.agent == agent {
                    return Ok(Some(session_config(&session)));
                }
            }
        }
    }
    Ok(None)
}

/// A parameter rule as a policy file holds it, from the engine's struct (the engine refuses an
/// operator it does not know, so every stored rule has one of [`ParamOp::ALL`]).
fn rule_config(r: &IPolicyEngine::ParamRule) -> ParamRuleConfig {
    let op = ParamOp::ALL.into_iter().find(|op| *op as u8 == r.op).unwrap_or(ParamOp::Equal);
    ParamRuleConfig { op, arg: r.argIndex, width: r.width, values: r.values.clone() }
}

/// A session as a policy file holds it, from the engine's struct.
pub fn session_config(s: &IPolicyEngine::Session) -> SessionConfig {
    SessionConfig {
        agent: s.agent,
        valid_from: s.validAfter.to::<u64>(),
        valid_until: s.validUntil.to::<u64>(),
        max_uses: s.maxUses,
        uses_per_window: s.usesPerWindow,
        usage_window: s.usageWindow,
        calls: s
            .calls
            .iter()
            .map(|c| SessionCallConfig {
                target: c.target,
                selector: c.selector,
                rules: c.rules.iter().map(rule_config).collect(),
            })
            .collect(),
        spending: s
            .tokens
            .iter()
            .map(|t| SpendingConfig {
                token: t.token,
                per_tx_cap: t.perTxCap,
                limits: t.limits.iter().map(|l| (l.amount, l.window.saturating_to::<u64>())).collect(),
            })
            .collect(),
    }
}

/// A token's spending policy as a module holds it, and the token's symbol and decimals when it is
/// an ERC-20 that reports them.
async fn add_spending<P: Provider + Clone>(
    provider: &P,
    policy: &mut PolicyConfig,
    token: Address,
    per_tx_cap: U256,
    limits: Vec<(U256, u64)>,
) {
    policy.spending.push(SpendingConfig { token, per_tx_cap, limits });
    if token != Address::ZERO {
        if let Some(t) = token_metadata(provider, token).await {
            policy.tokens.push(t);
        }
    }
}

/// Symbol and decimals of an ERC-20, if it answers.
pub async fn token_metadata<P: Provider + Clone>(provider: &P, token: Address) -> Option<Token> {
    let erc20 = IERC20Metadata::new(token, provider.clone());
    let symbol = erc20.symbol().call().await.ok()?;
    let decimals = erc20.decimals().call().await.ok()?;
    let clean = symbol.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !symbol.is_empty();
    clean.then_some(Token { symbol, address: token, decimals })
}

/// A policy file that parses back to `policy` (amounts in token units where the token is known),
/// each selector with a comment naming its function where a common signature does.
pub fn to_toml(policy: &PolicyConfig) -> String {
    to_toml_named(policy, &Signatures::default())
}

/// As [`to_toml`], naming selectors by `names` too (a policy file's signatures).
pub fn to_toml_named(policy: &PolicyConfig, names: &Signatures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "authority = \"{}\"", policy.authority);
    let _ = writeln!(out, "hook = \"{}\"", policy.hook.name());
    let token_of = |address: Address| policy.tokens.iter().find(|t| t.address == address);
    if !policy.tokens.is_empty() {
        let _ = writeln!(out, "\n[tokens]");
        for t in &policy.tokens {
            let _ =
                writeln!(out, "{} = {{ address = \"{}\", decimals = {} }}", t.symbol, t.address, t.decimals);
        }
    }
    if let Some(p) = &policy.pause {
        let _ = writeln!(
            out,
            "\n[pause]\nguardian = \"{}\"\nauto_unpause_after = {}",
            p.guardian, p.auto_unpause_after
        );
    }
    if let Some(a) = &policy.allowlist {
        let mode = if a.mode == AllowlistMode::Allow { "allow" } else { "block" };
        let _ = writeln!(out, "\n[allowlist]\nmode = \"{mode}\"\npermissions = [");
        for (target, selector) in &a.permissions {
            let target = token_of(*target).map_or(target.to_string(), |t| t.symbol.clone());
            let function = function_name(*selector);
            let name = named(names, *selector);
            let _ = writeln!(out, "  {{ target = \"{target}\", function = \"{function}\" }},{name}");
        }
        let _ = writeln!(out, "]");
        let protected: Vec<String> = a.protected.iter().map(|p| format!("\"{p}\"")).collect();
        let _ = writeln!(out, "protected = [{}]", protected.join(", "));
    }
    let spending = |out: &mut String, header: &str, s: &SpendingConfig| {
        let (name, decimals) = if s.token == Address::ZERO {
            ("native".to_string(), 18)
        } else {
            token_of(s.token).map_or((s.token.to_string(), 0), |t| (t.symbol.clone(), t.decimals))
        };
        let units =
            |v: U256| format_units(v, decimals).map(|t| trim_units(&t)).unwrap_or_else(|_| v.to_string());
        let _ = writeln!(out, "\n{header}\ntoken = \"{name}\"");
        if !s.per_tx_cap.is_zero() {
            let _ = writeln!(out, "per_tx_cap = \"{}\"", units(s.per_tx_cap));
        }
        let limits: Vec<String> =
            s.limits.iter().map(|(a, w)| format!("{{ amount = \"{}\", window = {w} }}", units(*a))).collect();
        let _ = writeln!(out, "limits = [{}]", limits.join(", "));
    };
    for s in &policy.spending {
        spending(&mut out, "[[spending]]", s);
    }
    for t in &policy.tasks {
        let _ = writeln!(
            out,
            "\n[[tasks]]\nid = {}\ncaller = \"{}\"\ntarget = \"{}\"\nvalue = \"{}\"\ncall = \"{}\"\ncooldown = {}\nmax_executions = {}\nstarts_at = {}\nexpires_at = {}",
            t.id,
            t.caller,
            t.target,
            format_units(t.value, 18).map(|v| trim_units(&v)).unwrap_or_default(),
            t.call,
            t.cooldown,
            t.max_executions,
            t.starts_at,
            t.expires_at
        );
    }
    if let Some(a) = &policy.agent {
        let allowance = format_units(a.gas_allowance, 18).map(|v| trim_units(&v)).unwrap_or_default();
        let _ = writeln!(
            out,
            "\n[agent]\nkey = \"{}\"\ngas_allowance = \"{allowance}\"  # ether: what the agent's UserOps may still cost",
            a.key
        );
    }
    for (address, init) in &policy.custom_hooks {
        let _ = writeln!(out, "\n[[custom_hooks]]\naddress = \"{address}\"\ninit_data = \"{init}\"");
    }
    for s in &policy.sessions {
        let _ = writeln!(
            out,
            "\n[[session]]\nagent = \"{}\"\nvalid_from = {}\nvalid_until = {}",
            s.agent, s.valid_from, s.valid_until
        );
        if s.max_uses != 0 {
            let _ = writeln!(out, "max_uses = {}", s.max_uses);
        }
        if s.uses_per_window != 0 {
            let _ =
                writeln!(out, "uses_per_window = {}\nusage_window = {}", s.uses_per_window, s.usage_window);
        }
        for c in &s.calls {
            let target = token_of(c.target).map_or(c.target.to_string(), |t| t.symbol.clone());
            ruled_call(&mut out, "session.call", &target, c, names);
        }
        for t in &s.spending {
            spending(&mut out, "[[session.spending]]", t);
        }
    }
    for c in &policy.call_rules {
        let target = token_of(c.target).map_or(c.target.to_string(), |t| t.symbol.clone());
        ruled_call(&mut out, "call_rules", &target, c, names);
    }
    out
}

/// `[[section]]` naming a call (`target` as written), then each of its rules as `[[section.rule]]`.
fn ruled_call(out: &mut String, section: &str, target: &str, c: &SessionCallConfig, names: &Signatures) {
    let _ = writeln!(
        out,
        "\n[[{section}]]\ntarget = \"{target}\"\nfunction = \"{}\"{}",
        function_name(c.selector),
        named(names, c.selector)
    );
    for r in &c.rules {
        // Width 20 is written as an address; any other as the unsigned integer of its width.
        let address = r.width == 20;
        let ty = if address { "address".to_string() } else { format!("uint{}", 8 * u32::from(r.width)) };
        let value = |v: &U256| {
            if address {
                format!("\"{}\"", Address::from_word(B256::from(*v)))
            } else {
                format!("\"{v}\"")
            }
        };
        let _ =
            writeln!(out, "\n[[{section}.rule]]\narg = {}\nop = \"{}\"\ntype = \"{ty}\"", r.arg, r.op.name());
        match r.op {
            ParamOp::IsAccount => {}
            ParamOp::CapPerWindow => {
                let cap = r.values.first().copied().unwrap_or_default();
                let window = r.values.get(1).copied().unwrap_or_default();
                let _ = writeln!(out, "value = \"{cap}\"\nwindow = \"{window}s\"");
            }
            ParamOp::OneOf => {
                let values: Vec<String> = r.values.iter().map(&value).collect();
                let _ = writeln!(out, "values = [{}]", values.join(", "));
            }
            _ => {
                let _ = writeln!(out, "value = {}", r.values.first().map(&value).unwrap_or_default());
            }
        }
    }
}

/// A comment naming `selector`'s function (`  # transfer(address,uint256)`), where the policy
/// file or a commonly called function gives its signature; empty otherwise.
fn named(names: &Signatures, selector: FixedBytes<4>) -> String {
    names.name(selector).map(|s| format!("  # {s}")).unwrap_or_default()
}

/// A selector as a policy file writes it: `*`, `plain` or its hex.
fn function_name(selector: FixedBytes<4>) -> String {
    match selector.0 {
        [0x43, 0x1e, 0x2c, 0xf5] => "*".to_string(),
        [0, 0, 0, 0] => "plain".to_string(),
        _ => selector.to_string(),
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
    require_deployed(provider, automation).await?;
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
