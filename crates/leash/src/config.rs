//! Policy files: an account's policies written the way the product documentation describes them,
//! checked rule by rule (each error names its line), then encoded into install payloads.
//!
//! ```toml
//! authority = "0x…"                       # who may loosen, reconfigure and approve
//!                                         # (any address may be written $NAME, given at run time;
//!                                         # a mixed-case address must carry its EIP-55 checksum)
//! hook = "engine"                         # the default: the policy engine runs pause, allowlist
//!                                         # and limits in one hook; "multiplexer": the separate
//!                                         # hooks behind HookMultiPlexer (needed for custom hooks)
//!
//! [tokens]                                # symbols used below
//! USDC = { address = "0x…", decimals = 6 }
//!
//! [pause]
//! guardian = "0x…"
//! auto_unpause_after = "1d"               # 0 = manual only, at most 365d
//!
//! [allowlist]
//! mode = "allow"                          # or "block"
//! permissions = [
//!   { target = "USDC", function = "transfer(address,uint256)" },
//!   { target = "0x…", function = "*" },   # every function of the target
//! ]
//! protected = ["0x…"]
//!
//! [[spending]]
//! token = "USDC"                          # or "native"
//! per_tx_cap = "300"                      # in token units
//! limits = [ { amount = "500", window = "1h" }, { amount = "5000", window = "1d" } ]
//!
//! [[tasks]]
//! id = 1
//! caller = "0x…"
//! target = "USDC"
//! call = "0xa9059cbb…"                    # calldata, hex
//! cooldown = "30d"
//! max_executions = 12
//!
//! [[custom_hooks]]                        # only with hook = "multiplexer"
//! address = "0x…"
//! init_data = "0x…"
//! ```
//!
//! With the engine, limits are at most 2^95 - 1 base units and windows at most 100,000,000 s (it
//! keeps each window exactly in two slots); with the multiplexer, amounts up to 2^128 - 1.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;

use alloy::primitives::utils::parse_units;
use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use alloy::sol_types::{SolCall, SolValue};
use serde::Deserialize;
use toml::Spanned;

use crate::abi;

/// ERC-7579 module types.
pub const MODULE_TYPE_EXECUTOR: u64 = 2;
pub const MODULE_TYPE_HOOK: u64 = 4;

/// Limits the contracts enforce; the file is checked against them before anything is sent.
pub const MAX_PERMISSIONS: usize = 100;
pub const MAX_PROTECTED: usize = 20;
pub const MAX_SUB_HOOKS: usize = 8;
pub const MAX_TOKENS: usize = 16;
pub const MAX_LIMITS_PER_TOKEN: usize = 4;
pub const MAX_TASKS: usize = 32;
pub const MIN_WINDOW: u64 = 60;
pub const WINDOW_BUCKETS: u64 = 4;
/// The longest window and the largest limit amount (base units, 2^95 - 1): a packed window keeps
/// its buckets exactly in 95 bits and its bucket index in 31.
pub const MAX_WINDOW: u64 = 100_000_000;
pub const MAX_LIMIT_AMOUNT: u128 = (1 << 95) - 1;
pub const MAX_AUTO_UNPAUSE: u64 = 365 * 86_400;
pub const WILDCARD_SELECTOR: [u8; 4] = [0x43, 0x1e, 0x2c, 0xf5];

/// A rule the file breaks, with where.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

// ---------------------------------------------------------------------- the file, as written

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    authority: Spanned<String>,
    #[serde(default)]
    hook: Option<Spanned<String>>,
    #[serde(default)]
    tokens: BTreeMap<String, Spanned<RawToken>>,
    pause: Option<Spanned<RawPause>>,
    allowlist: Option<Spanned<RawAllowlist>>,
    #[serde(default)]
    spending: Vec<Spanned<RawSpending>>,
    #[serde(default)]
    tasks: Vec<Spanned<RawTask>>,
    #[serde(default)]
    custom_hooks: Vec<Spanned<RawCustomHook>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToken {
    address: Spanned<String>,
    decimals: Spanned<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPause {
    guardian: Spanned<String>,
    #[serde(default)]
    auto_unpause_after: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowlist {
    mode: Spanned<String>,
    #[serde(default)]
    permissions: Vec<Spanned<RawPermission>>,
    #[serde(default)]
    protected: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPermission {
    target: Spanned<String>,
    /// `*` (every function), `plain` (empty calldata), a signature, or a 4-byte hex selector.
    function: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpending {
    token: Spanned<String>,
    #[serde(default)]
    per_tx_cap: Option<Spanned<toml::Value>>,
    #[serde(default)]
    limits: Vec<Spanned<RawLimit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    amount: Spanned<toml::Value>,
    window: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: Spanned<u64>,
    caller: Spanned<String>,
    target: Spanned<String>,
    #[serde(default)]
    value: Option<Spanned<toml::Value>>,
    #[serde(default)]
    call: Option<Spanned<String>>,
    #[serde(default)]
    cooldown: Option<Spanned<toml::Value>>,
    #[serde(default)]
    max_executions: Option<Spanned<u32>>,
    #[serde(default)]
    starts_at: Option<Spanned<u64>>,
    #[serde(default)]
    expires_at: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomHook {
    address: Spanned<String>,
    #[serde(default)]
    init_data: Option<Spanned<String>>,
}

// ---------------------------------------------------------------------- the checked policy

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub symbol: String,
    pub address: Address,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PauseConfig {
    pub guardian: Address,
    pub auto_unpause_after: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowlistMode {
    Allow = 1,
    Block = 2,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AllowlistConfig {
    pub mode: AllowlistMode,
    pub permissions: Vec<(Address, FixedBytes<4>)>,
    pub protected: Vec<Address>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpendingConfig {
    pub token: Address,
    pub per_tx_cap: U256,
    /// (amount, window seconds)
    pub limits: Vec<(U256, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskConfig {
    pub id: u64,
    pub caller: Address,
    pub target: Address,
    pub value: U256,
    pub call: Bytes,
    pub cooldown: u32,
    pub max_executions: u32,
    pub starts_at: u64,
    pub expires_at: u64,
}

impl TaskConfig {
    /// The task as the executor takes it: on install, on `addTask`, and whole on every run.
    pub fn abi(&self) -> abi::IAutomationExecutor::Task {
        abi::IAutomationExecutor::Task {
            id: U256::from(self.id),
            caller: self.caller,
            target: self.target,
            value: self.value,
            callData: self.call.clone(),
            cooldown: self.cooldown,
            maxExecutions: self.max_executions,
            startsAt: alloy::primitives::Uint::from(self.starts_at),
            expiresAt: alloy::primitives::Uint::from(self.expires_at),
        }
    }
}

/// The hook that carries a policy's pause, allowlist and spending limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HookStack {
    /// PolicyEngine: the three policies in one hook (the default).
    #[default]
    Engine,
    /// HookMultiPlexer with the separate hooks as sub-hooks, and any custom sub-hooks.
    Multiplexer,
}

impl HookStack {
    /// The word a policy file and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            HookStack::Engine => "engine",
            HookStack::Multiplexer => "multiplexer",
        }
    }
}

impl std::str::FromStr for HookStack {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "engine" => Ok(HookStack::Engine),
            "multiplexer" => Ok(HookStack::Multiplexer),
            other => Err(format!("hook `{other}`: use \"engine\" or \"multiplexer\"")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    pub authority: Address,
    pub hook: HookStack,
    pub tokens: Vec<Token>,
    pub pause: Option<PauseConfig>,
    pub allowlist: Option<AllowlistConfig>,
    pub spending: Vec<SpendingConfig>,
    pub tasks: Vec<TaskConfig>,
    pub custom_hooks: Vec<(Address, Bytes)>,
}

/// The Leash module addresses a policy is installed with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModuleAddresses {
    pub engine: Address,
    pub multiplexer: Address,
    pub pause: Address,
    pub allowlist: Address,
    pub spending: Address,
    pub automation: Address,
}

impl ModuleAddresses {
    /// The addresses of a deployment plan (the same on every chain).
    pub fn from_plan(plan: &[crate::deploy::PlannedModule]) -> Self {
        let at = |name: &str| plan.iter().find(|m| m.name == name).map(|m| m.address).unwrap_or_default();
        Self {
            engine: at("PolicyEngine"),
            multiplexer: at("HookMultiPlexer"),
            pause: at("EmergencyPauseHook"),
            allowlist: at("AllowlistHook"),
            spending: at("SpendingLimitHook"),
            automation: at("AutomationExecutor"),
        }
    }
}

/// One `installModule(moduleType, module, initData)` for the account.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallPayload {
    pub module: Address,
    pub module_type: u64,
    pub init_data: Bytes,
    pub label: &'static str,
}

// ---------------------------------------------------------------------- parsing

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    symbols: BTreeMap<String, Token>,
    vars: &'a BTreeMap<String, Address>,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let line = self.text[..span.start.min(self.text.len())].matches('\n').count() + 1;
        ConfigError { file: self.file.to_string(), line, message: message.into() }
    }

    fn address(&self, s: &Spanned<String>, what: &str) -> Result<Address, ConfigError> {
        if let Some(name) = s.get_ref().trim().strip_prefix('$') {
            return self.vars.get(name).copied().ok_or_else(|| {
                self.err(
                    s.span(),
                    format!("{what}: unknown variable ${name} (give it with --set {name}=0x…)"),
                )
            });
        }
        parse_address(s.get_ref()).map_err(|e| self.err(s.span(), format!("{what}: {e}")))
    }

    fn nonzero(&self, s: &Spanned<String>, what: &str) -> Result<Address, ConfigError> {
        let a = self.address(s, what)?;
        if a.is_zero() {
            return Err(self.err(s.span(), format!("{what} must not be the zero address")));
        }
        Ok(a)
    }

    /// A token symbol from `[tokens]`, `native`, or an address.
    fn token(&self, s: &Spanned<String>, what: &str) -> Result<Token, ConfigError> {
        let name = s.get_ref().trim();
        if name.eq_ignore_ascii_case("native") {
            return Ok(Token { symbol: "native".into(), address: Address::ZERO, decimals: 18 });
        }
        if let Some(t) = self.symbols.get(name) {
            return Ok(t.clone());
        }
        if name.starts_with("0x") || name.starts_with('$') {
            let address = self.nonzero(s, what)?;
            return Ok(Token { symbol: name.to_string(), address, decimals: 0 });
        }
        Err(self
            .err(s.span(), format!("unknown token symbol `{name}`: add it under [tokens] or use an address")))
    }

    /// A target: a token symbol or an address.
    fn target(&self, s: &Spanned<String>, what: &str) -> Result<Address, ConfigError> {
        let name = s.get_ref().trim();
        if !name.starts_with("0x") && !name.starts_with('$') {
            return self.token(s, what).map(|t| t.address);
        }
        self.nonzero(s, what)
    }

    /// An amount with `decimals` decimals, at most `max` base units.
    fn amount(
        &self,
        v: &Spanned<toml::Value>,
        decimals: u8,
        max: U256,
        what: &str,
    ) -> Result<U256, ConfigError> {
        let text = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => return Err(self.err(v.span(), format!("{what}: `{other}` is not an amount"))),
        };
        if text.trim().starts_with('-') {
            return Err(self.err(v.span(), format!("{what}: `{text}` is negative: amounts are at least 0")));
        }
        if let Some((_, fraction)) = text.trim().split_once('.') {
            if fraction.len() > usize::from(decimals) {
                return Err(self.err(
                    v.span(),
                    format!("{what}: `{text}` is not an amount with {decimals} decimals (too many digits after the point)"),
                ));
            }
        }
        let parsed = parse_units(text.trim(), decimals).map_err(|e| {
            self.err(v.span(), format!("{what}: `{text}` is not an amount with {decimals} decimals ({e})"))
        })?;
        let value: U256 = parsed.into();
        if value > max {
            return Err(
                self.err(v.span(), format!("{what}: {text} is above the largest amount ({max} base units)"))
            );
        }
        Ok(value)
    }

    fn seconds(&self, v: &Spanned<toml::Value>, what: &str) -> Result<u64, ConfigError> {
        let bad = || {
            self.err(
                v.span(),
                format!("{what}: `{}` is not a duration (seconds, or 90s, 15m, 1h, 1d, 1w)", v.get_ref()),
            )
        };
        match v.get_ref() {
            toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
            toml::Value::String(s) => parse_duration(s).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

/// An address: `0x` and 40 hex digits; a mixed-case one must carry its EIP-55 checksum (a typo
/// in a checksummed address is caught, not sent).
pub fn parse_address(text: &str) -> Result<Address, String> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").unwrap_or_default();
    let address: Address = match (digits.len(), digits.chars().all(|c| c.is_ascii_hexdigit())) {
        (40, true) => text.parse().map_err(|_| format!("`{text}` is not an address"))?,
        _ => return Err(format!("`{text}` is not an address (0x followed by 40 hex digits)")),
    };
    let mixed =
        digits.chars().any(|c| c.is_ascii_lowercase()) && digits.chars().any(|c| c.is_ascii_uppercase());
    if mixed && address.to_checksum(None) != text {
        return Err(format!(
            "`{text}` has a wrong EIP-55 checksum (a mistyped digit?): the checksummed form of these digits is {}",
            address.to_checksum(None)
        ));
    }
    Ok(address)
}

/// `90`, `90s`, `15m`, `1h`, `1d`, `1w`.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The selector of a permission's `function`: `*`, `plain`, `0x` and 8 hex digits, or a signature,
/// read the way Solidity hashes it (`transfer(address to, uint amount)` is
/// `transfer(address,uint256)`: names dropped, `uint`/`int` widened, tuples spelled out); a type
/// that is not an ABI type (a struct's name, `uint7`) is refused.
pub fn parse_selector(s: &str) -> Result<FixedBytes<4>, String> {
    let s = s.trim();
    let usage = "use *, plain, a signature like transfer(address,uint256), or 0x and 8 hex digits";
    match s {
        "*" => Ok(FixedBytes(WILDCARD_SELECTOR)),
        "plain" => Ok(FixedBytes::ZERO),
        _ if s.starts_with("0x") => s.parse().map_err(|_| format!("function `{s}`: {usage}")),
        _ if s.contains('(') => {
            let f = alloy::json_abi::Function::parse(s)
                .map_err(|e| format!("function `{s}` is not a signature ({e}): {usage}"))?;
            if let Some(bad) = f.inputs.iter().find_map(non_abi_type) {
                return Err(format!(
                    "function `{s}`: `{bad}` is not an ABI type (write a struct as a tuple)"
                ));
            }
            Ok(f.selector())
        }
        _ => Err(format!("function `{s}`: {usage}")),
    }
}

/// The first type in `param` (its components included) that is not an ABI type.
fn non_abi_type(param: &alloy::json_abi::Param) -> Option<String> {
    let base = param.ty.split('[').next().unwrap_or_default();
    let sized = |prefix: &str, ok: &dyn Fn(u32) -> bool| {
        base.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok()).is_some_and(ok)
    };
    let elementary = matches!(base, "address" | "bool" | "string" | "bytes" | "function")
        || sized("uint", &|n| n % 8 == 0 && (8..=256).contains(&n))
        || sized("int", &|n| n % 8 == 0 && (8..=256).contains(&n))
        || sized("bytes", &|n| (1..=32).contains(&n));
    if base == "tuple" {
        return param.components.iter().find_map(non_abi_type);
    }
    (!elementary).then(|| param.ty.clone())
}

/// Reads and checks a policy file. Addresses written `$NAME` are taken from `vars`.
pub fn load(path: &Path, vars: &BTreeMap<String, Address>) -> Result<PolicyConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.display().to_string(),
        line: 0,
        message: format!("cannot read the file: {e}"),
    })?;
    parse_with(&path.display().to_string(), &text, vars)
}

/// Parses and checks a policy written in TOML; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<PolicyConfig, ConfigError> {
    parse_with(file, text, &BTreeMap::new())
}

/// [`parse`], with `$NAME` addresses taken from `vars`.
pub fn parse_with(
    file: &str,
    text: &str,
    vars: &BTreeMap<String, Address>,
) -> Result<PolicyConfig, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        ConfigError { file: file.to_string(), line, message: e.message().to_string() }
    })?;
    let mut ctx = Ctx { file, text, symbols: BTreeMap::new(), vars };

    let mut tokens = Vec::new();
    for (symbol, raw_token) in &raw.tokens {
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

    let authority = ctx.nonzero(&raw.authority, "authority")?;
    let hook = match &raw.hook {
        None => HookStack::default(),
        Some(h) => h.get_ref().parse().map_err(|e: String| ctx.err(h.span(), e))?,
    };

    let pause = match &raw.pause {
        None => None,
        Some(p) => {
            let p = p.get_ref();
            let guardian = ctx.nonzero(&p.guardian, "pause guardian")?;
            let auto_unpause_after = match &p.auto_unpause_after {
                None => 0,
                Some(v) => {
                    let secs = ctx.seconds(v, "auto_unpause_after")?;
                    if secs > MAX_AUTO_UNPAUSE {
                        return Err(
                            ctx.err(v.span(), format!("auto_unpause_after is {secs} s: at most 365 days"))
                        );
                    }
                    secs
                }
            };
            Some(PauseConfig { guardian, auto_unpause_after })
        }
    };

    let allowlist = match &raw.allowlist {
        None => None,
        Some(a) => {
            let a = a.get_ref();
            let mode = match a.mode.get_ref().as_str() {
                "allow" => AllowlistMode::Allow,
                "block" => AllowlistMode::Block,
                other => {
                    return Err(ctx
                        .err(a.mode.span(), format!("allowlist mode `{other}`: use \"allow\" or \"block\"")))
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
                    return Err(
                        ctx.err(p.span(), format!("permission ({target}, {selector}) is listed twice"))
                    );
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
            Some(AllowlistConfig { mode, permissions, protected })
        }
    };

    if raw.spending.len() > MAX_TOKENS {
        return Err(ctx.err(
            raw.spending[MAX_TOKENS].span(),
            format!("{} limited tokens: at most {MAX_TOKENS}", raw.spending.len()),
        ));
    }
    let mut spending = Vec::new();
    for s in &raw.spending {
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

    if raw.tasks.len() > MAX_TASKS {
        return Err(
            ctx.err(raw.tasks[MAX_TASKS].span(), format!("{} tasks: at most {MAX_TASKS}", raw.tasks.len()))
        );
    }
    let mut tasks: Vec<TaskConfig> = Vec::new();
    for t in &raw.tasks {
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
        if expires_at != 0 && expires_at <= starts_at {
            return Err(
                ctx.err(tr.expires_at.as_ref().unwrap().span(), "task expires_at must be after starts_at")
            );
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

    if let (HookStack::Engine, Some(first)) = (hook, raw.custom_hooks.first()) {
        return Err(ctx.err(
            first.span(),
            "custom hooks plug into the multiplexer: add hook = \"multiplexer\" at the top of the file",
        ));
    }
    let mut custom_hooks = Vec::new();
    for h in &raw.custom_hooks {
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
    ctx.symbols.clear();
    Ok(PolicyConfig { authority, hook, tokens, pause, allowlist, spending, tasks, custom_hooks })
}

// ---------------------------------------------------------------------- encoding

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

    /// The policy's sub-hooks in the order the multiplexer runs them (pause, allowlist, spending,
    /// custom hooks), each with its init data. The same init data installs a sub-hook alone.
    pub fn sub_hooks(&self, modules: &ModuleAddresses) -> Vec<(Address, Bytes)> {
        let mut hooks: Vec<Address> = Vec::new();
        let mut inits: Vec<Bytes> = Vec::new();
        if let Some(p) = &self.pause {
            hooks.push(modules.pause);
            inits.push(
                (self.authority, p.guardian, U256::from(p.auto_unpause_after)).abi_encode_params().into(),
            );
        }
        if let Some(a) = &self.allowlist {
            hooks.push(modules.allowlist);
            let perms: Vec<abi::IAllowlistHook::Permission> = a
                .permissions
                .iter()
                .map(|(target, selector)| abi::IAllowlistHook::Permission {
                    target: *target,
                    selector: *selector,
                })
                .collect();
            inits.push(
                (self.authority, U256::from(a.mode as u8), perms, a.protected.clone())
                    .abi_encode_params()
                    .into(),
            );
        }
        if !self.spending.is_empty() {
            hooks.push(modules.spending);
            let policies: Vec<abi::ISpendingLimitHook::TokenPolicy> = self
                .spending
                .iter()
                .map(|s| abi::ISpendingLimitHook::TokenPolicy {
                    token: s.token,
                    perTxCap: s.per_tx_cap,
                    limits: s
                        .limits
                        .iter()
                        .map(|(amount, window)| abi::ISpendingLimitHook::LimitConfig {
                            amount: *amount,
                            window: U256::from(*window),
                        })
                        .collect(),
                })
                .collect();
            inits.push((self.authority, policies).abi_encode_params().into());
        }
        for (address, init) in &self.custom_hooks {
            hooks.push(*address);
            inits.push(init.clone());
        }
        hooks.into_iter().zip(inits).collect()
    }

    /// The policy engine's `Config` for this policy: the guardian (none: no pause), the
    /// allowlist's mode (`None` without an allowlist), its permissions and protected addresses,
    /// the token policies. `validation_id` is Kernel's validation whose hook the engine becomes
    /// (`0x01 ++ validator`), zero on every other account.
    pub fn engine_config(&self, validation_id: FixedBytes<21>) -> abi::PolicyEngineConfig {
        use abi::{IAllowlistHook, ISpendingLimitHook};
        let (guardian, auto_unpause_after) =
            self.pause.as_ref().map_or((Address::ZERO, 0), |p| (p.guardian, p.auto_unpause_after));
        let (mode, permissions, protected) = match &self.allowlist {
            None => (0u8, Vec::new(), Vec::new()),
            Some(a) => (
                a.mode as u8,
                a.permissions
                    .iter()
                    .map(|(target, selector)| IAllowlistHook::Permission {
                        target: *target,
                        selector: *selector,
                    })
                    .collect(),
                a.protected.clone(),
            ),
        };
        abi::PolicyEngineConfig {
            guardian,
            autoUnpauseAfter: U256::from(auto_unpause_after),
            mode,
            permissions,
            protectedTargets: protected,
            tokens: self
                .spending
                .iter()
                .map(|s| ISpendingLimitHook::TokenPolicy {
                    token: s.token,
                    perTxCap: s.per_tx_cap,
                    limits: s
                        .limits
                        .iter()
                        .map(|(amount, window)| ISpendingLimitHook::LimitConfig {
                            amount: *amount,
                            window: U256::from(*window),
                        })
                        .collect(),
                })
                .collect(),
            validationId: validation_id,
        }
    }

    /// The policy engine's install data: `abi.encode(authority, IPolicyEngine.Config)` with
    /// [`Self::engine_config`].
    pub fn engine_install_data(&self, validation_id: FixedBytes<21>) -> Bytes {
        (self.authority, self.engine_config(validation_id)).abi_encode_params().into()
    }

    /// Whether the policy has anything for a hook to run (pause, allowlist, limits, custom hooks).
    pub fn has_hook_policies(&self) -> bool {
        self.pause.is_some()
            || self.allowlist.is_some()
            || !self.spending.is_empty()
            || !self.custom_hooks.is_empty()
    }

    /// The hook this policy installs on the account: the engine or the multiplexer.
    pub fn hook_module(&self, modules: &ModuleAddresses) -> Address {
        match self.hook {
            HookStack::Engine => modules.engine,
            HookStack::Multiplexer => modules.multiplexer,
        }
    }

    /// The `installModule` calls that put this policy on an account, in order: the executor (if
    /// there are tasks), then the hook ([`Self::hook`]): the policy engine with its `Config`, or
    /// the multiplexer with its sub-hooks (pause, allowlist, spending, custom hooks). The hook goes
    /// last: once it is installed, module changes need the authority's approval.
    pub fn install_payloads(&self, modules: &ModuleAddresses) -> Vec<InstallPayload> {
        let mut payloads = Vec::new();
        if !self.tasks.is_empty() {
            let tasks: Vec<abi::IAutomationExecutor::Task> = self.tasks.iter().map(TaskConfig::abi).collect();
            payloads.push(InstallPayload {
                module: modules.automation,
                module_type: MODULE_TYPE_EXECUTOR,
                init_data: (self.authority, tasks).abi_encode_params().into(),
                label: "AutomationExecutor",
            });
        }
        if !self.has_hook_policies() {
            return payloads;
        }
        payloads.push(match self.hook {
            HookStack::Engine => InstallPayload {
                module: modules.engine,
                module_type: MODULE_TYPE_HOOK,
                init_data: self.engine_install_data(FixedBytes::ZERO),
                label: "PolicyEngine",
            },
            HookStack::Multiplexer => {
                let (hooks, inits): (Vec<Address>, Vec<Bytes>) = self.sub_hooks(modules).into_iter().unzip();
                InstallPayload {
                    module: modules.multiplexer,
                    module_type: MODULE_TYPE_HOOK,
                    init_data: (self.authority, hooks, inits).abi_encode_params().into(),
                    label: "HookMultiPlexer",
                }
            }
        });
        payloads
    }

    /// The whole install as one call of the account to itself: `execute(batch, [installModule
    /// of each payload])`. It runs as one UserOp, so either every module is installed or, when
    /// one is refused, none is (the batch reverts as a whole).
    pub fn install_call(&self, modules: &ModuleAddresses, account: Address) -> Bytes {
        let items: Vec<abi::IERC7579Batch::Execution> = self
            .install_payloads(modules)
            .into_iter()
            .map(|p| abi::IERC7579Batch::Execution {
                target: account,
                value: U256::ZERO,
                callData: abi::IERC7579ModuleConfig::installModuleCall {
                    moduleTypeId: U256::from(p.module_type),
                    module: p.module,
                    initData: p.init_data,
                }
                .abi_encode()
                .into(),
            })
            .collect();
        let mut mode = FixedBytes::<32>::ZERO;
        mode.0[0] = 0x01; // call type: batch
        abi::IERC7579Execution::executeCall { mode, executionCalldata: items.abi_encode().into() }
            .abi_encode()
            .into()
    }

    /// The symbol and decimals of `token`, for readable output.
    pub fn token_info(&self, token: Address) -> Option<&Token> {
        self.tokens.iter().find(|t| t.address == token)
    }
}
