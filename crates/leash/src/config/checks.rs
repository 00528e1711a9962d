//! The rules a policy is held to before anything is sent: the contracts' own limits (list lengths,
//! window bounds, the largest amount), and what would make a policy meaningless or unsafe (a zero
//! address, a limit of 0, an entry listed twice, custom hooks without the multiplexer). Each
//! broken rule names its line; the sections are checked in the file's order of meaning, tokens
//! first (the other sections name them).

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, Bytes, U256};
use toml::Spanned;

use super::format::{
    rule_width, Ctx, RawAgent, RawAllowlist, RawConfig, RawCustomHook, RawPause, RawRule, RawSession,
    RawSessionCall, RawSpending, RawTask, RawToken,
};
use super::{
    parse_selector, AgentConfig, AllowlistConfig, AllowlistMode, ConfigError, HookStack, ParamOp,
    ParamRuleConfig, PauseConfig, PolicyConfig, SessionCallConfig, SessionConfig, SpendingConfig, TaskConfig,
    Token, MAX_AUTO_UNPAUSE, MAX_CALL_RULES, MAX_GAS_ALLOWANCE, MAX_LIMITS_PER_TOKEN, MAX_LIMIT_AMOUNT,
    MAX_ONE_OF, MAX_PERMISSIONS, MAX_PROTECTED, MAX_RULES, MAX_SESSION_CALLS, MAX_SUB_HOOKS, MAX_TASKS,
    MAX_TIME, MAX_TOKENS, MAX_WINDOW, MIN_WINDOW, RULE_VALUE_BITS, WILDCARD_SELECTOR, WINDOW_BUCKETS,
};

/// The checked policy of the file `raw` was read from (`text`, named `file` in errors).
pub(super) fn check(
    file: &str,
    text: &str,
    raw: &RawConfig,
    vars: &BTreeMap<String, Address>,
) -> Result<PolicyConfig, ConfigError> {
    let mut ctx = Ctx { file, text, symbols: BTreeMap::new(), vars };
    let tokens = tokens(&mut ctx, &raw.tokens)?;
    let authority = ctx.nonzero(&raw.authority, "authority")?;
    let hook = match &raw.hook {
        None => HookStack::default(),
        Some(h) => h.get_ref().parse().map_err(|e: String| ctx.err(h.span(), e))?,
    };
    let pause = raw.pause.as_ref().map(|p| pause(&ctx, p.get_ref())).transpose()?;
    let allowlist = raw.allowlist.as_ref().map(|a| allowlist(&ctx, a.get_ref())).transpose()?;
    let spending = spending(&ctx, &raw.spending)?;
    let tasks = tasks(&ctx, &raw.tasks)?;
    let custom_hooks = custom_hooks(&ctx, hook, &raw.custom_hooks)?;
    let sessions = sessions(&ctx, hook, authority, &raw.session)?;
    let call_rules = call_rules(&ctx, hook, &raw.call_rules)?;
    let agent = raw.agent.as_ref().map(|a| agent(&ctx, authority, &sessions, a)).transpose()?;

    let sub_hooks = usize::from(pause.is_some())
        + usize::from(allowlist.is_some())
        + usize::from(!spending.is_empty())
        + custom_hooks.len();
    if hook == HookStack::Multiplexer && sub_hooks > MAX_SUB_HOOKS {
        return Err(ctx.err(
            raw.custom_hooks.last().map_or(0..0, |h| h.span()),
            format!("{sub_hooks} sub-hooks: at most {MAX_SUB_HOOKS}"),
        ));
    }
    if sub_hooks == 0 && tasks.is_empty() && sessions.is_empty() && call_rules.is_empty() && agent.is_none() {
        return Err(ConfigError { file: file.to_string(), line: 1, message: "the policy configures nothing: add [pause], [allowlist], [[spending]], [[call_rules]], [[tasks]], [[session]], [[custom_hooks]] or [agent]".into() });
    }
    Ok(PolicyConfig {
        authority,
        hook,
        tokens,
        pause,
        allowlist,
        spending,
        tasks,
        custom_hooks,
        sessions,
        call_rules,
        agent,
    })
}

/// `[agent]`: the agent's key and its gas allowance, held to AgentValidator's install rules (a
/// real address apart from the authority, an allowance in 96 bits); the account is checked once
/// known ([`PolicyConfig::check_account`]).
fn agent(
    ctx: &Ctx,
    authority: Address,
    sessions: &[SessionConfig],
    raw: &Spanned<RawAgent>,
) -> Result<AgentConfig, ConfigError> {
    let a = raw.get_ref();
    let key = ctx.nonzero(&a.key, "agent key")?;
    if key == authority {
        return Err(ctx.err(
            a.key.span(),
            "the agent key is the authority: the authority rotates and revokes the agent's key, so the agent needs a key of its own",
        ));
    }
    if sessions.iter().any(|s| s.agent == key) {
        return Err(ctx.err(
            a.key.span(),
            format!("the agent key {key} also has a [[session]]: it signs account-wide operations too, so the session's limits would bind nothing (give the session a key of its own)"),
        ));
    }
    let Some(v) = &a.gas_allowance else {
        return Err(ctx.err(
            raw.span(),
            "[agent] needs a gas_allowance: what the agent's UserOps may cost the account in gas fees, in ether (\"0\": only operations a paymaster pays)",
        ));
    };
    let gas_allowance = ctx.amount(v, 18, U256::MAX, "gas_allowance")?;
    if gas_allowance > MAX_GAS_ALLOWANCE {
        return Err(ctx.err(
            v.span(),
            "gas_allowance is above the largest AgentValidator keeps (2^96 - 1 wei, about 79.2 billion ether)",
        ));
    }
    Ok(AgentConfig { key, gas_allowance })
}

/// `[tokens]`: each symbol becomes known to the sections after it.
fn tokens(ctx: &mut Ctx, raw: &BTreeMap<String, Spanned<RawToken>>) -> Result<Vec<Token>, ConfigError> {
    let mut tokens = Vec::new();
    for (symbol, raw_token) in raw {
        let address = ctx.nonzero(&raw_token.get_ref().address, &format!("token {symbol}"))?;
        let decimals = *raw_token.get_ref().decimals.get_ref();
        if decimals > 36 {
            return Err(ctx.err(
                raw_token.get_ref().decimals.span(),
                format!("token {symbol}: {decimals} decimals is not plausible"),
            ));
        }
        let token = Token { symbol: symbol.clone(), address, decimals };
        ctx.symbols.insert(symbol.clone(), token.clone());
        tokens.push(token);
    }
    Ok(tokens)
}

fn pause(ctx: &Ctx, p: &RawPause) -> Result<PauseConfig, ConfigError> {
    let guardian = ctx.nonzero(&p.guardian, "pause guardian")?;
    let auto_unpause_after = match &p.auto_unpause_after {
        None => 0,
        Some(v) => {
            let secs = ctx.seconds(v, "auto_unpause_after")?;
            if secs > MAX_AUTO_UNPAUSE {
                return Err(ctx.err(v.span(), format!("auto_unpause_after is {secs} s: at most 365 days")));
            }
            secs
        }
    };
    Ok(PauseConfig { guardian, auto_unpause_after })
}

fn allowlist(ctx: &Ctx, a: &RawAllowlist) -> Result<AllowlistConfig, ConfigError> {
    let mode = match a.mode.get_ref().as_str() {
        "allow" => AllowlistMode::Allow,
        "block" => AllowlistMode::Block,
        other => {
            return Err(
                ctx.err(a.mode.span(), format!("allowlist mode `{other}`: use \"allow\" or \"block\""))
            )
        }
    };
    ctx.at_most(&a.permissions, MAX_PERMISSIONS, "permissions", " per account")?;
    let mut seen = BTreeSet::new();
    let mut permissions = Vec::new();
    for p in &a.permissions {
        let target = ctx.target(&p.get_ref().target, "permission target")?;
        let f = &p.get_ref().function;
        let selector = parse_selector(f.get_ref()).map_err(|e| ctx.err(f.span(), e))?;
        if !seen.insert((target, selector)) {
            return Err(ctx.err(p.span(), format!("permission ({target}, {selector}) is listed twice")));
        }
        permissions.push((target, selector));
    }
    ctx.at_most(&a.protected, MAX_PROTECTED, "protected addresses", " per account")?;
    let mut protected = Vec::new();
    for p in &a.protected {
        let addr = ctx.target(p, "protected address")?;
        if protected.contains(&addr) {
            return Err(ctx.err(p.span(), format!("protected address {addr} is listed twice")));
        }
        protected.push(addr);
    }
    Ok(AllowlistConfig { mode, permissions, protected })
}

fn spending(ctx: &Ctx, raw: &[Spanned<RawSpending>]) -> Result<Vec<SpendingConfig>, ConfigError> {
    ctx.at_most(raw, MAX_TOKENS, "limited tokens", "")?;
    let mut spending = Vec::new();
    for s in raw {
        let sp = s.get_ref();
        let token = ctx.token(&sp.token, "spending token")?;
        if spending.iter().any(|x: &SpendingConfig| x.token == token.address) {
            return Err(
                ctx.err(sp.token.span(), format!("token {} has two [[spending]] entries", token.symbol))
            );
        }
        let per_tx_cap = match &sp.per_tx_cap {
            None => U256::ZERO,
            Some(v) => {
                let cap = ctx.amount(v, token.decimals, U256::MAX, "per_tx_cap")?;
                if cap.is_zero() {
                    return Err(
                        ctx.err(v.span(), "per_tx_cap = 0 would mean no cap at all: leave it out for no cap")
                    );
                }
                cap
            }
        };
        ctx.at_most(&sp.limits, MAX_LIMITS_PER_TOKEN, &format!("limits for {}", token.symbol), " per token")?;
        if sp.limits.is_empty() && per_tx_cap.is_zero() {
            return Err(
                ctx.err(s.span(), format!("token {}: give at least one limit or a per_tx_cap", token.symbol))
            );
        }
        let mut limits = Vec::new();
        for l in &sp.limits {
            let amount = ctx.amount(
                &l.get_ref().amount,
                token.decimals,
                U256::from(MAX_LIMIT_AMOUNT),
                "limit amount",
            )?;
            if amount.is_zero() {
                return Err(ctx.err(
                    l.get_ref().amount.span(),
                    format!(
                        "a limit of 0 would freeze {} (nothing may move): to forbid calls, use the allowlist",
                        token.symbol
                    ),
                ));
            }
            let window = ctx.seconds(&l.get_ref().window, "limit window")?;
            window_bounds(ctx, l.get_ref().window.span(), window)?;
            limits.push((amount, window));
        }
        spending.push(SpendingConfig { token: token.address, per_tx_cap, limits });
    }
    Ok(spending)
}

fn tasks(ctx: &Ctx, raw: &[Spanned<RawTask>]) -> Result<Vec<TaskConfig>, ConfigError> {
    ctx.at_most(raw, MAX_TASKS, "tasks", "")?;
    let mut tasks: Vec<TaskConfig> = Vec::new();
    for t in raw {
        let tr = t.get_ref();
        let id = *tr.id.get_ref();
        if tasks.iter().any(|x| x.id == id) {
            return Err(ctx.err(tr.id.span(), format!("task id {id} is used twice")));
        }
        let caller = ctx.nonzero(&tr.caller, "task caller")?;
        let target = ctx.target(&tr.target, "task target")?;
        let value = match &tr.value {
            None => U256::ZERO,
            Some(v) => ctx.amount(v, 18, U256::from(u128::MAX), "task value")?,
        };
        let call = ctx.optional_hex(&tr.call, "task call: not hex calldata")?;
        let cooldown = match &tr.cooldown {
            None => 0,
            Some(v) => {
                let secs = ctx.seconds(v, "task cooldown")?;
                u32::try_from(secs).map_err(|_| ctx.err(v.span(), "task cooldown is too long"))?
            }
        };
        let starts_at = tr.starts_at.as_ref().map_or(0, |s| *s.get_ref());
        let expires_at = tr.expires_at.as_ref().map_or(0, |s| *s.get_ref());
        if let Some(expires) = tr.expires_at.as_ref().filter(|_| expires_at != 0 && expires_at <= starts_at) {
            return Err(ctx.err(expires.span(), "task expires_at must be after starts_at"));
        }
        tasks.push(TaskConfig {
            id,
            caller,
            target,
            value,
            call,
            cooldown,
            max_executions: tr.max_executions.as_ref().map_or(0, |m| *m.get_ref()),
            starts_at,
            expires_at,
        });
    }
    Ok(tasks)
}

/// Custom sub-hooks, which only the multiplexer runs.
fn custom_hooks(
    ctx: &Ctx,
    hook: HookStack,
    raw: &[Spanned<RawCustomHook>],
) -> Result<Vec<(Address, Bytes)>, ConfigError> {
    if let (HookStack::Engine, Some(first)) = (hook, raw.first()) {
        return Err(ctx.err(
            first.span(),
            "custom hooks plug into the multiplexer: add hook = \"multiplexer\" at the top of the file",
        ));
    }
    let mut custom_hooks = Vec::new();
    for h in raw {
        let address = ctx.nonzero(&h.get_ref().address, "custom hook")?;
        let init = ctx.optional_hex(&h.get_ref().init_data, "custom hook init_data: not hex")?;
        custom_hooks.push((address, init));
    }
    Ok(custom_hooks)
}

/// `[[session]]`: the engine's own feature, checked as `grantSession` checks a grant.
fn sessions(
    ctx: &Ctx,
    hook: HookStack,
    authority: Address,
    raw: &[Spanned<RawSession>],
) -> Result<Vec<SessionConfig>, ConfigError> {
    if let (HookStack::Multiplexer, Some(first)) = (hook, raw.first()) {
        return Err(ctx.err(
            first.get_ref().agent.span(),
            "sessions are the policy engine's: remove hook = \"multiplexer\" (the multiplexer refuses an execution naming a session)",
        ));
    }
    let mut sessions: Vec<SessionConfig> = Vec::new();
    for s in raw {
        let session = session(ctx, authority, s.get_ref())?;
        if sessions.iter().any(|x| x.agent == session.agent) {
            return Err(ctx.err(
                s.get_ref().agent.span(),
                format!("agent {} has two sessions: a grant replaces the agent's last one", session.agent),
            ));
        }
        sessions.push(session);
    }
    Ok(sessions)
}

fn session(ctx: &Ctx, authority: Address, s: &RawSession) -> Result<SessionConfig, ConfigError> {
    let agent = ctx.nonzero(&s.agent, "session agent")?;
    if agent == authority {
        return Err(
            ctx.err(s.agent.span(), "session agent is the authority: an agent needs a key of its own")
        );
    }
    let valid_from = s.valid_from.as_ref().map(|v| ctx.time(v, "valid_from")).transpose()?.unwrap_or(0);
    let valid_until = ctx.time(&s.valid_until, "valid_until")?;
    for (t, v) in [(valid_from, s.valid_from.as_ref()), (valid_until, Some(&s.valid_until))] {
        if t > MAX_TIME {
            return Err(ctx.err(
                v.map_or(0..0, |v| v.span()),
                format!("{t} is past the last time a session holds ({MAX_TIME})"),
            ));
        }
    }
    if valid_until == 0 || valid_until < valid_from {
        return Err(ctx.err(
            s.valid_until.span(),
            format!("valid_until ({valid_until}) must be at or after valid_from ({valid_from}) and not 0"),
        ));
    }
    let max_uses = s.max_uses.as_ref().map_or(0, |m| *m.get_ref());
    if let Some(m) = s.max_uses.as_ref().filter(|m| *m.get_ref() == 0) {
        return Err(ctx.err(m.span(), "max_uses = 0 would mean no limit: leave it out for no limit"));
    }
    let (uses_per_window, usage_window) = match (&s.uses_per_window, &s.usage_window) {
        (None, None) => (0, 0),
        (Some(u), Some(w)) => {
            if *u.get_ref() == 0 {
                return Err(ctx.err(
                    u.span(),
                    "uses_per_window = 0 would freeze the session: leave both out for no limit",
                ));
            }
            let window = ctx.seconds(w, "usage_window")?;
            window_bounds(ctx, w.span(), window)?;
            (*u.get_ref(), window as u32)
        }
        (Some(u), None) => return Err(ctx.err(u.span(), "uses_per_window needs a usage_window")),
        (None, Some(w)) => return Err(ctx.err(w.span(), "usage_window needs uses_per_window")),
    };
    ctx.at_most(&s.call, MAX_SESSION_CALLS, "calls in the session", "")?;
    if s.call.is_empty() {
        return Err(ctx.err(s.agent.span(), "the session permits no call: add a [[session.call]]"));
    }
    let mut calls: Vec<SessionCallConfig> = Vec::new();
    for c in &s.call {
        calls.push(ruled_call(ctx, c.get_ref(), &calls, "session call")?);
    }
    Ok(SessionConfig {
        agent,
        valid_from,
        valid_until,
        max_uses,
        uses_per_window,
        usage_window,
        calls,
        spending: spending(ctx, &s.spending)?,
    })
}

/// One (target, function) with its rules, `what` naming it in errors; not one of `earlier`.
fn ruled_call(
    ctx: &Ctx,
    c: &RawSessionCall,
    earlier: &[SessionCallConfig],
    what: &str,
) -> Result<SessionCallConfig, ConfigError> {
    let target = ctx.target(&c.target, &format!("{what} target"))?;
    let selector = parse_selector(c.function.get_ref()).map_err(|e| ctx.err(c.function.span(), e))?;
    if earlier.iter().any(|x| (x.target, x.selector) == (target, selector)) {
        return Err(ctx.err(c.target.span(), format!("{what} ({target}, {selector}) is listed twice")));
    }
    ctx.at_most(&c.rule, MAX_RULES, "rules on one call", "")?;
    if let Some(first) = c.rule.first() {
        if selector.0 == WILDCARD_SELECTOR || selector.is_zero() {
            return Err(ctx.err(
                first.span(),
                "rules sit only on an exact function (not \"*\", not \"plain\"): name the function",
            ));
        }
    }
    let rules = c.rule.iter().map(|r| rule(ctx, r.get_ref())).collect::<Result<_, _>>()?;
    Ok(SessionCallConfig { target, selector, rules })
}

/// `[[call_rules]]`: rules every call to a (target, function) must meet, account-wide (engine only).
fn call_rules(
    ctx: &Ctx,
    hook: HookStack,
    raw: &[Spanned<RawSessionCall>],
) -> Result<Vec<SessionCallConfig>, ConfigError> {
    if let (HookStack::Multiplexer, Some(first)) = (hook, raw.first()) {
        return Err(ctx.err(
            first.span(),
            "account-wide rules are the policy engine's: remove hook = \"multiplexer\" (the separate allowlist has none)",
        ));
    }
    ctx.at_most(raw, MAX_CALL_RULES, "ruled functions", "")?;
    let mut calls: Vec<SessionCallConfig> = Vec::new();
    for c in raw {
        let call = ruled_call(ctx, c.get_ref(), &calls, "call_rules")?;
        if call.rules.is_empty() {
            return Err(ctx.err(c.span(), "call_rules without a rule: add a [[call_rules.rule]]"));
        }
        calls.push(call);
    }
    Ok(calls)
}

fn rule(ctx: &Ctx, r: &RawRule) -> Result<ParamRuleConfig, ConfigError> {
    let op = ParamOp::ALL.into_iter().find(|op| op.name() == r.op.get_ref().trim()).ok_or_else(|| {
        let names: Vec<&str> = ParamOp::ALL.iter().map(|op| op.name()).collect();
        ctx.err(r.op.span(), format!("op `{}`: use one of {}", r.op.get_ref(), names.join(", ")))
    })?;
    let ty = r.ty.get_ref().trim();
    let width = rule_width(ty).map_err(|e| ctx.err(r.ty.span(), e))?;
    if op == ParamOp::CapPerWindow {
        return cap_rule(ctx, r, ty, width);
    }
    if let Some(w) = &r.window {
        return Err(ctx.err(w.span(), format!("`window` belongs to cap_per_window, not {}", op.name())));
    }
    let raw_values: Vec<&Spanned<toml::Value>> = match (op, &r.value, &r.values) {
        (_, Some(_), Some(v)) => return Err(ctx.err(v.span(), "give `value` or `values`, not both")),
        (ParamOp::IsAccount, None, None) => Vec::new(),
        (ParamOp::IsAccount, Some(v), None) => {
            return Err(ctx.err(v.span(), "is_account compares with the account itself: it takes no value"))
        }
        (ParamOp::IsAccount, None, Some(v)) => {
            return Err(ctx.err(v.span(), "is_account compares with the account itself: it takes no values"))
        }
        (ParamOp::OneOf, None, Some(v)) => v.get_ref().iter().collect(),
        (ParamOp::OneOf, _, None) => return Err(ctx.err(r.op.span(), "one_of takes a list: values = [ … ]")),
        (_, Some(v), None) => vec![v],
        (_, None, Some(v)) => {
            return Err(ctx.err(v.span(), format!("{} takes one `value`, not a list", op.name())))
        }
        (_, None, None) => return Err(ctx.err(r.op.span(), format!("{} needs a `value`", op.name()))),
    };
    if op == ParamOp::IsAccount && width < 20 {
        return Err(
            ctx.err(r.ty.span(), format!("is_account compares an address: `{ty}` is narrower than one"))
        );
    }
    if op == ParamOp::OneOf {
        let span = r.values.as_ref().map_or(0..0, |v| v.span());
        if raw_values.is_empty() {
            return Err(ctx.err(span, "one_of with no values would refuse every call"));
        }
        if raw_values.len() > MAX_ONE_OF {
            return Err(ctx.err(span, format!("{} values in one_of: at most {MAX_ONE_OF}", raw_values.len())));
        }
    }
    let mut values = Vec::new();
    for v in raw_values {
        let value = ctx.rule_value(v, ty, &format!("rule value ({ty})"))?;
        if width < 32 && value >> (8 * usize::from(width)) != U256::ZERO {
            return Err(ctx.err(v.span(), format!("rule value {value} does not fit {ty}")));
        }
        if value >> RULE_VALUE_BITS != U256::ZERO {
            return Err(ctx.err(v.span(), format!("rule value {value} is not below 2^{RULE_VALUE_BITS}: the engine keeps rule values in {RULE_VALUE_BITS} bits")));
        }
        if values.contains(&value) {
            return Err(ctx.err(v.span(), format!("rule value {value} is listed twice")));
        }
        values.push(value);
    }
    Ok(ParamRuleConfig { op, arg: *r.arg.get_ref(), width, values })
}

/// A cap on an argument's sum per rolling window: `value` (above zero, at most a limit's largest
/// amount) and `window` (a limit's bounds); values `[cap, window]`, as the engine takes them.
fn cap_rule(ctx: &Ctx, r: &RawRule, ty: &str, width: u8) -> Result<ParamRuleConfig, ConfigError> {
    if let Some(v) = &r.values {
        return Err(ctx.err(v.span(), "cap_per_window takes one `value` (the cap), not a list"));
    }
    let Some(v) = &r.value else {
        return Err(ctx.err(r.op.span(), "cap_per_window needs a `value` (the cap) and a `window`"));
    };
    let Some(w) = &r.window else {
        return Err(ctx.err(r.op.span(), "cap_per_window needs a `window` (e.g. window = \"1d\")"));
    };
    if ty == "address" || ty == "bool" {
        return Err(ctx.err(r.ty.span(), format!("cap_per_window sums amounts: `{ty}` is not one")));
    }
    let cap = ctx.rule_value(v, ty, &format!("cap ({ty})"))?;
    if cap.is_zero() {
        return Err(ctx.err(v.span(), "a cap of 0 would refuse every call: remove the call instead"));
    }
    if cap > U256::from(MAX_LIMIT_AMOUNT) {
        return Err(
            ctx.err(v.span(), format!("cap {cap} is above the largest a window keeps exactly, 2^95 - 1"))
        );
    }
    let window = ctx.seconds(w, "window")?;
    window_bounds(ctx, w.span(), window)?;
    Ok(ParamRuleConfig {
        op: ParamOp::CapPerWindow,
        arg: *r.arg.get_ref(),
        width,
        values: vec![cap, U256::from(window)],
    })
}

/// A rolling window's bounds at the contracts (PackedWindow).
fn window_bounds(ctx: &Ctx, span: std::ops::Range<usize>, window: u64) -> Result<(), ConfigError> {
    if window < MIN_WINDOW {
        return Err(ctx.err(span, format!("window under 60 s (got {window} s)")));
    }
    if !window.is_multiple_of(WINDOW_BUCKETS) {
        return Err(ctx.err(span, format!("window of {window} s: must be a multiple of {WINDOW_BUCKETS} s")));
    }
    if window > MAX_WINDOW {
        return Err(ctx.err(span, format!("window of {window} s: windows are at most {MAX_WINDOW} s")));
    }
    Ok(())
}

impl PolicyConfig {
    /// Checks that need the account: the authority may not be the account it governs.
    pub fn check_account(&self, account: Address) -> Result<(), String> {
        if self.authority == account {
            return Err(format!("the authority {account} is the account itself: it must be a separate key"));
        }
        if self.pause.as_ref().is_some_and(|p| p.guardian == account) {
            return Err(format!("the guardian {account} is the account itself"));
        }
        if self.sessions.iter().any(|s| s.agent == account) {
            return Err(format!("a session's agent is {account}, the account itself"));
        }
        if self.agent.as_ref().is_some_and(|a| a.key == account) {
            return Err(format!(
                "the agent key is {account}, the account itself: an agent signs with a key of its own"
            ));
        }
        Ok(())
    }
}
