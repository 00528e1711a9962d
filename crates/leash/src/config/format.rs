//! The file as written: the TOML shapes of a policy file, and reading its values (addresses,
//! `$NAME` variables, token symbols, amounts, durations, function selectors) with errors that
//! name the line.

use std::collections::BTreeMap;
use std::ops::Range;

use alloy::primitives::utils::parse_units;
use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Token, WILDCARD_SELECTOR};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) authority: Spanned<String>,
    pub(super) hook: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) tokens: BTreeMap<String, Spanned<RawToken>>,
    pub(super) pause: Option<Spanned<RawPause>>,
    pub(super) allowlist: Option<Spanned<RawAllowlist>>,
    #[serde(default)]
    pub(super) spending: Vec<Spanned<RawSpending>>,
    #[serde(default)]
    pub(super) tasks: Vec<Spanned<RawTask>>,
    #[serde(default)]
    pub(super) custom_hooks: Vec<Spanned<RawCustomHook>>,
    #[serde(default)]
    pub(super) session: Vec<Spanned<RawSession>>,
    /// Account-wide parameter rules (engine only): each a (target, function) with its rules.
    #[serde(default)]
    pub(super) call_rules: Vec<Spanned<RawSessionCall>>,
    pub(super) agent: Option<Spanned<RawAgent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgent {
    pub(super) key: Spanned<String>,
    /// Required, but checked after reading, so its absence is said in words.
    pub(super) gas_allowance: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSession {
    pub(super) agent: Spanned<String>,
    pub(super) valid_from: Option<Spanned<toml::Value>>,
    pub(super) valid_until: Spanned<toml::Value>,
    pub(super) max_uses: Option<Spanned<u32>>,
    pub(super) uses_per_window: Option<Spanned<u32>>,
    pub(super) usage_window: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) call: Vec<Spanned<RawSessionCall>>,
    #[serde(default)]
    pub(super) spending: Vec<Spanned<RawSpending>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSessionCall {
    pub(super) target: Spanned<String>,
    pub(super) function: Spanned<String>,
    #[serde(default)]
    pub(super) rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) arg: Spanned<u8>,
    pub(super) op: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) ty: Spanned<String>,
    pub(super) value: Option<Spanned<toml::Value>>,
    pub(super) values: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    /// cap_per_window only: the rolling window the cap holds over.
    pub(super) window: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawToken {
    pub(super) address: Spanned<String>,
    pub(super) decimals: Spanned<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPause {
    pub(super) guardian: Spanned<String>,
    pub(super) auto_unpause_after: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAllowlist {
    pub(super) mode: Spanned<String>,
    #[serde(default)]
    pub(super) permissions: Vec<Spanned<RawPermission>>,
    #[serde(default)]
    pub(super) protected: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPermission {
    pub(super) target: Spanned<String>,
    /// `*` (every function), `plain` (empty calldata), a signature, or a 4-byte hex selector.
    pub(super) function: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpending {
    pub(super) token: Spanned<String>,
    pub(super) per_tx_cap: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) limits: Vec<Spanned<RawLimit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimit {
    pub(super) amount: Spanned<toml::Value>,
    pub(super) window: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTask {
    pub(super) id: Spanned<u64>,
    pub(super) caller: Spanned<String>,
    pub(super) target: Spanned<String>,
    pub(super) value: Option<Spanned<toml::Value>>,
    pub(super) call: Option<Spanned<String>>,
    pub(super) cooldown: Option<Spanned<toml::Value>>,
    pub(super) max_executions: Option<Spanned<u32>>,
    pub(super) starts_at: Option<Spanned<u64>>,
    pub(super) expires_at: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCustomHook {
    pub(super) address: Spanned<String>,
    pub(super) init_data: Option<Spanned<String>>,
}

/// The TOML of a policy file, its syntax and shapes checked; `file` names it in errors.
pub(super) fn read(file: &str, text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        ConfigError { file: file.to_string(), line, message: e.message().to_string() }
    })
}

/// Values read from the file, each error with its line.
pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) symbols: BTreeMap<String, Token>,
    pub(super) vars: &'a BTreeMap<String, Address>,
}

impl Ctx<'_> {
    pub(super) fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let line = self.text[..span.start.min(self.text.len())].matches('\n').count() + 1;
        ConfigError { file: self.file.to_string(), line, message: message.into() }
    }

    /// Refuses a list of more than `max` entries at the first one too many: "`n` `what`: at most
    /// `max``scope`".
    pub(super) fn at_most<T>(
        &self,
        list: &[Spanned<T>],
        max: usize,
        what: &str,
        scope: &str,
    ) -> Result<(), ConfigError> {
        match list.get(max) {
            Some(extra) => {
                Err(self.err(extra.span(), format!("{} {what}: at most {max}{scope}", list.len())))
            }
            None => Ok(()),
        }
    }

    /// Hex bytes, empty when the field is absent; `refusal` is the error for anything else.
    pub(super) fn optional_hex(
        &self,
        field: &Option<Spanned<String>>,
        refusal: &str,
    ) -> Result<Bytes, ConfigError> {
        match field {
            None => Ok(Bytes::new()),
            Some(hex) => hex.get_ref().trim().parse::<Bytes>().map_err(|_| self.err(hex.span(), refusal)),
        }
    }

    pub(super) fn address(&self, s: &Spanned<String>, what: &str) -> Result<Address, ConfigError> {
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

    pub(super) fn nonzero(&self, s: &Spanned<String>, what: &str) -> Result<Address, ConfigError> {
        let a = self.address(s, what)?;
        if a.is_zero() {
            return Err(self.err(s.span(), format!("{what} must not be the zero address")));
        }
        Ok(a)
    }

    /// A token symbol from `[tokens]`, `native`, or an address.
    pub(super) fn token(&self, s: &Spanned<String>, what: &str) -> Result<Token, ConfigError> {
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
    pub(super) fn target(&self, s: &Spanned<String>, what: &str) -> Result<Address, ConfigError> {
        let name = s.get_ref().trim();
        if !name.starts_with("0x") && !name.starts_with('$') {
            return self.token(s, what).map(|t| t.address);
        }
        self.nonzero(s, what)
    }

    /// An amount with `decimals` decimals, at most `max` base units ([`parse_amount`]).
    pub(super) fn amount(
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
        parse_amount(&text, decimals, max).map_err(|e| self.err(v.span(), format!("{what}: {e}")))
    }

    pub(super) fn seconds(&self, v: &Spanned<toml::Value>, what: &str) -> Result<u64, ConfigError> {
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

impl Ctx<'_> {
    /// A point in time: unix seconds, or RFC 3339 in UTC (a TOML date-time or a string).
    pub(super) fn time(&self, v: &Spanned<toml::Value>, what: &str) -> Result<u64, ConfigError> {
        let text = match v.get_ref() {
            toml::Value::Integer(i) if *i >= 0 => return Ok(*i as u64),
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => other.to_string(),
        };
        parse_time(&text).map_err(|e| self.err(v.span(), format!("{what}: {e}")))
    }

    /// A rule value for an argument `width` bytes wide (`ty` as written): an address (or a
    /// `$NAME`, a token symbol), a number (decimal or 0x hex), a bool, or 32 bytes of hex.
    pub(super) fn rule_value(
        &self,
        v: &Spanned<toml::Value>,
        ty: &str,
        what: &str,
    ) -> Result<U256, ConfigError> {
        let bad = |why: String| self.err(v.span(), format!("{what}: {why}"));
        match (ty, v.get_ref()) {
            ("address", toml::Value::String(s)) => {
                let name = s.trim();
                let a = if name.starts_with("0x") || name.starts_with('$') {
                    self.address(&Spanned::new(v.span(), s.clone()), what)?
                } else {
                    self.token(&Spanned::new(v.span(), s.clone()), what)?.address
                };
                Ok(U256::from_be_slice(a.as_slice()))
            }
            ("bool", toml::Value::Boolean(b)) => Ok(U256::from(u8::from(*b))),
            ("bool", other) => Err(bad(format!("`{other}` is not true or false"))),
            (_, toml::Value::Integer(i)) if *i >= 0 && ty != "address" => Ok(U256::from(*i as u64)),
            (_, toml::Value::String(s)) if ty != "address" => {
                let s = s.trim().replace('_', "");
                let parsed = match s.strip_prefix("0x") {
                    Some(hex) if !hex.is_empty() && hex.len() <= 64 => U256::from_str_radix(hex, 16).ok(),
                    Some(_) => None,
                    None => U256::from_str_radix(&s, 10).ok(),
                };
                parsed.ok_or_else(|| bad(format!("`{s}` is not a number (decimal, or 0x and hex digits)")))
            }
            (_, other) => Err(bad(format!("`{other}` is not a value of type {ty}"))),
        }
    }
}

/// The width in bytes of a rule's argument type: `address` 20, `uintN` N/8, `bytes32` 32, `bool` 1
/// (the engine compares unsigned words, so signed integers and short byte arrays, which the ABI
/// pads differently, have no width).
pub(super) fn rule_width(ty: &str) -> Result<u8, String> {
    let ty = ty.trim();
    let width = match ty {
        "address" => Some(20),
        "bytes32" => Some(32),
        "bool" => Some(1),
        "uint" => Some(32),
        _ => ty
            .strip_prefix("uint")
            .and_then(|n| n.parse::<u16>().ok())
            .filter(|n| n % 8 == 0 && (8..=256).contains(n))
            .map(|n| (n / 8) as u8),
    };
    width.ok_or_else(|| {
        format!("type `{ty}`: use address, uint8 … uint256, bytes32 or bool (rules compare unsigned words)")
    })
}

/// RFC 3339 in UTC (`2026-01-31T12:00:00Z`, `+00:00` also read; a fraction of a second is refused),
/// or unix seconds, as unix seconds.
pub fn parse_time(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return t.parse().map_err(|_| format!("`{t}` is too large"));
    }
    let usage = || format!("`{t}` is not a time: unix seconds, or RFC 3339 in UTC like 2026-01-31T12:00:00Z");
    let rest = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')).or_else(|| t.strip_suffix("+00:00"));
    let Some(rest) = rest else {
        return Err(if t.len() > 19 && (t.contains('+') || t.get(10..).is_some_and(|r| r.contains('-'))) {
            format!("`{t}`: write the time in UTC (ending in Z)")
        } else {
            usage()
        });
    };
    let b = rest.as_bytes();
    let shape = b.len() == 19
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && matches!(b[10], b'T' | b't' | b' ')
        && [13, 16].iter().all(|&i| b[i] == b':')
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18].iter().all(|&i| b[i].is_ascii_digit());
    if !shape {
        return Err(usage());
    }
    let n = |r: Range<usize>| rest[r].parse::<u64>().unwrap_or_default();
    let (year, month, day, hour, minute, second) =
        (n(0..4), n(5..7), n(8..10), n(11..13), n(14..16), n(17..19));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if year < 1970 || !(1..=12).contains(&month) || day == 0 || day > days_in[month as usize - 1] {
        return Err(format!("`{t}` is not a date from 1970 on"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("`{t}` is not a time of day"));
    }
    let days_before_year: u64 =
        (1970..year).map(|y| if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 { 366 } else { 365 }).sum();
    let days = days_before_year + days_in[..month as usize - 1].iter().sum::<u64>() + day - 1;
    Ok(days * 86_400 + hour * 3_600 + minute * 60 + second)
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

/// An amount written in whole units with up to `decimals` decimals (`300`, `1.5`), in base units,
/// at most `max`: how policy files read amounts, and the command line too. The error says why the
/// text is not one (negative, too many decimals, not a number, too large).
pub fn parse_amount(text: &str, decimals: u8, max: U256) -> Result<U256, String> {
    if text.trim().starts_with('-') {
        return Err(format!("`{text}` is negative: amounts are at least 0"));
    }
    if let Some((_, fraction)) = text.trim().split_once('.') {
        if fraction.len() > usize::from(decimals) {
            return Err(format!(
                "`{text}` is not an amount with {decimals} decimals (too many digits after the point)"
            ));
        }
    }
    let parsed = parse_units(text.trim(), decimals)
        .map_err(|e| format!("`{text}` is not an amount with {decimals} decimals ({e})"))?;
    let value: U256 = parsed.into();
    if value > max {
        return Err(format!("{text} is above the largest amount ({max} base units)"));
    }
    Ok(value)
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

/// The canonical signature of a `function` written as one (`transfer(address to, uint amount)` is
/// `transfer(address,uint256)`), the text its selector hashes; `None` for `*`, `plain`, a hex
/// selector or a signature [`parse_selector`] refuses.
pub fn canonical_signature(s: &str) -> Option<String> {
    let s = s.trim();
    if !s.contains('(') || parse_selector(s).is_err() {
        return None;
    }
    alloy::json_abi::Function::parse(s).ok().map(|f| f.signature())
}

/// Signatures of functions agents commonly call, canonical, to name a selector read from the
/// chain when no policy file names it.
const KNOWN_SIGNATURES: &[&str] = &[
    "transfer(address,uint256)",
    "approve(address,uint256)",
    "transferFrom(address,address,uint256)",
    "increaseAllowance(address,uint256)",
    "decreaseAllowance(address,uint256)",
    "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)",
    "deposit()",
    "withdraw(uint256)",
    "safeTransferFrom(address,address,uint256)",
    "setApprovalForAll(address,bool)",
    "multicall(bytes[])",
    // Uniswap V3's SwapRouter (with a deadline) and SwapRouter02 (without).
    "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
    "exactInputSingle((address,address,uint24,address,uint256,uint256,uint160))",
    "exactInput((bytes,address,uint256,uint256,uint256))",
    "exactInput((bytes,address,uint256,uint256))",
    "exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
    "exactOutputSingle((address,address,uint24,address,uint256,uint256,uint160))",
];

/// The signature of `selector` among the functions agents commonly call, if it is one.
pub fn known_signature(selector: FixedBytes<4>) -> Option<&'static str> {
    KNOWN_SIGNATURES.iter().copied().find(|s| parse_selector(s) == Ok(selector))
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
