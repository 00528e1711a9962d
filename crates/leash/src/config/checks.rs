//! The rules a policy is held to before anything is sent: the contracts' own limits (list lengths,
//! window bounds, the largest amount), and what would make a policy meaningless or unsafe (a zero
//! address, a limit of 0, an entry listed twice, custom hooks without the multiplexer). Each
//! broken rule names its line; the sections are checked in the file's order of meaning, tokens
//! first (the other sections name them).

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, Bytes, U256};
use toml::Spanned;

use super::format::{Ctx, RawAllowlist, RawConfig, RawCustomHook, RawPause, RawSpending, RawTask, RawToken};
use super::{
    parse_selector, AllowlistConfig, AllowlistMode, ConfigError, HookStack, PauseConfig, PolicyConfig,
    SpendingConfig, TaskConfig, Token, MAX_AUTO_UNPAUSE, MAX_LIMITS_PER_TOKEN, MAX_LIMIT_AMOUNT,
    MAX_PERMISSIONS, MAX_PROTECTED, MAX_SUB_HOOKS, MAX_TASKS, MAX_TOKENS, MAX_WINDOW, MIN_WINDOW,
    WINDOW_BUCKETS,
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
    if sub_hooks == 0 && tasks.is_empty() {
        return Err(ConfigError { file: file.to_string(), line: 1, message: "the policy configures nothing: add [pause], [allowlist], [[spending]], [[tasks]] or [[custom_hooks]]".into() });
    }
    Ok(PolicyConfig { authority, hook, tokens, pause, allowlist, spending, tasks, custom_hooks })
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
    if a.permissions.len() > MAX_PERMISSIONS {
        return Err(ctx.err(
            a.permissions[MAX_PERMISSIONS].span(),
            format!("{} permissions: at most {MAX_PERMISSIONS} per account", a.permissions.len()),
        ));
    }
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
    if a.protected.len() > MAX_PROTECTED {
        return Err(ctx.err(
            a.protected[MAX_PROTECTED].span(),
            format!("{} protected addresses: at most {MAX_PROTECTED} per account", a.protected.len()),
        ));
    }
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
    if raw.len() > MAX_TOKENS {
        return Err(
            ctx.err(raw[MAX_TOKENS].span(), format!("{} limited tokens: at most {MAX_TOKENS}", raw.len()))
        );
    }
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
        if sp.limits.len() > MAX_LIMITS_PER_TOKEN {
            return Err(ctx.err(
                sp.limits[MAX_LIMITS_PER_TOKEN].span(),
                format!(
                    "{} limits for {}: at most {MAX_LIMITS_PER_TOKEN} per token",
                    sp.limits.len(),
                    token.symbol
                ),
            ));
        }
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
            let span = l.get_ref().window.span();
            if window < MIN_WINDOW {
                return Err(ctx.err(span, format!("window under 60 s (got {window} s)")));
            }
            if window % WINDOW_BUCKETS != 0 {
                return Err(
                    ctx.err(span, format!("window of {window} s: must be a multiple of {WINDOW_BUCKETS} s"))
                );
            }
            if window > MAX_WINDOW {
                return Err(
                    ctx.err(span, format!("window of {window} s: windows are at most {MAX_WINDOW} s"))
                );
            }
            limits.push((amount, window));
        }
        spending.push(SpendingConfig { token: token.address, per_tx_cap, limits });
    }
    Ok(spending)
}

fn tasks(ctx: &Ctx, raw: &[Spanned<RawTask>]) -> Result<Vec<TaskConfig>, ConfigError> {
    if raw.len() > MAX_TASKS {
        return Err(ctx.err(raw[MAX_TASKS].span(), format!("{} tasks: at most {MAX_TASKS}", raw.len())));
    }
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
        let call = match &tr.call {
            None => Bytes::new(),
            Some(c) => c
                .get_ref()
                .trim()
                .parse::<Bytes>()
                .map_err(|_| ctx.err(c.span(), "task call: not hex calldata"))?,
        };
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
        let init = match &h.get_ref().init_data {
            None => Bytes::new(),
            Some(d) => d
                .get_ref()
                .trim()
                .parse::<Bytes>()
                .map_err(|_| ctx.err(d.span(), "custom hook init_data: not hex"))?,
        };
        custom_hooks.push((address, init));
    }
    Ok(custom_hooks)
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
        Ok(())
    }
}
