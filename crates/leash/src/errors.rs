//! Revert data in plain words: the contracts' own errors, decoded and written with token symbols,
//! decimals and UTC times, never raw hex (unless nothing matches).

use std::collections::BTreeMap;

use alloy::primitives::utils::format_units;
use alloy::primitives::{Address, U256};
use alloy::sol_types::{Revert, SolError, SolInterface};

use crate::abi::IEntryPoint::IEntryPointErrors as E;
use crate::abi::{
    AgentValidator::AgentValidatorErrors as V, AllowlistHook::AllowlistHookErrors as A,
    AutomationExecutor::AutomationExecutorErrors as T, EmergencyPauseHook::EmergencyPauseHookErrors as P,
    ExecutionDecoder::ExecutionDecoderErrors as D, HookMultiPlexer::HookMultiPlexerErrors as M,
    ILeashModule::ILeashModuleErrors as L, SpendingLimitHook::SpendingLimitHookErrors as S,
};

/// Symbols and decimals of the tokens an operator knows, for amounts in errors.
#[derive(Debug, Clone, Default)]
pub struct TokenBook(pub BTreeMap<Address, (String, u8)>);

impl TokenBook {
    /// The symbol of `address` if it is a known token, else the address.
    pub fn name(&self, address: Address) -> String {
        self.0.get(&address).map_or_else(|| address.to_string(), |(symbol, _)| symbol.clone())
    }

    pub fn amount(&self, token: Address, value: U256) -> String {
        let (symbol, decimals) = match self.0.get(&token) {
            Some((s, d)) => (s.clone(), *d),
            None if token == Address::ZERO => ("native".to_string(), 18),
            None => (format!("units of {token}"), 0),
        };
        let text =
            format_units(value, decimals).map(|t| trim_units(&t)).unwrap_or_else(|_| value.to_string());
        format!("{text} {symbol}")
    }
}

/// A decimal amount without trailing zeros after the point (`1.500` -> `1.5`, `2.0` -> `2`).
pub fn trim_units(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a UNIX time (`never` for the max values contracts use).
pub fn utc(timestamp: U256) -> String {
    if timestamp >= U256::from(u64::MAX) || timestamp == U256::from((1u64 << 48) - 1) {
        return "never (until someone acts)".to_string();
    }
    let t = timestamp.to::<u64>();
    let (days, rem) = (t / 86_400, t % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Plain words for revert data from any Leash module, the decoder, or the EntryPoint.
pub fn describe_revert(data: &[u8], book: &TokenBook) -> String {
    // Errors every module shares first, so that each contract's own enum sees only its own.
    if let Ok(e) = L::abi_decode(data) {
        return match e {
            L::Leash_OnlyAuthority(e) => {
                format!("only the authority {} may make this change (caller {})", e.authority, e.caller)
            }
            L::Leash_ModuleChangeNotApproved(e) => format!(
                "module change ({} of {}) needs the authority's approval: approveChange(account, {})",
                selector_words(e.selector),
                e.module,
                e.changeHash
            ),
            L::Leash_SelfCallNotApproved(e) => {
                format!(
                    "calling the account itself needs the authority's approval: approveChange(account, {})",
                    e.changeHash
                )
            }
            L::Leash_ModuleCallNotApproved(e) => format!(
                "calling Leash module {} ({}) needs the authority's approval: approveChange(account, {})",
                e.module,
                selector_words(e.selector),
                e.changeHash
            ),
            L::Leash_DepositCallNotApproved(e) => format!(
                "moving the account's EntryPoint deposit or stake ({} at {}) needs the authority's approval: approveChange(account, {})",
                selector_words(e.selector),
                e.entryPoint,
                e.changeHash
            ),
            L::Leash_NotInstalled(e) => format!("the module is not installed for {}", e.account),
            other => format!("leash: {other:?}"),
        };
    }
    if let Ok(e) = D::abi_decode(data) {
        return format!("refused execution encoding: {e:?}");
    }
    if let Ok(e) = S::abi_decode(data) {
        return match e {
            S::SpendingLimit_Exceeded(e) => {
                let when = if e.availableAt == U256::MAX {
                    "it never fits: it is above the limit itself".to_string()
                } else {
                    format!("enough frees up at {}", utc(e.availableAt))
                };
                format!(
                    "spending limit exceeded: tried {}, {} left; {when}",
                    book.amount(e.token, e.attempted),
                    book.amount(e.token, e.remaining)
                )
            }
            S::SpendingLimit_PerTxCapExceeded(e) => format!(
                "per-transaction cap exceeded: tried {}, the cap is {}",
                book.amount(e.token, e.attempted),
                book.amount(e.token, e.cap)
            ),
            S::SpendingLimit_UnsupportedTokenCall(e) => format!(
                "refused: function {} of limited token {} could move it without being counted",
                e.selector, e.token
            ),
            S::SpendingLimit_DirtyAddressArgument(e) => format!(
                "refused: argument {} of call {} to token {} is an address word with dirty upper bits",
                e.index, e.selector, e.token
            ),
            S::SpendingLimit_MalformedTokenCall(e) => {
                format!("refused: malformed call {} to token {} ({} bytes)", e.selector, e.token, e.length)
            }
            S::RollingWindow_WindowTooShort(e) => format!("window of {} s is under {} s", e.window, e.min),
            S::RollingWindow_WindowNotMultiple(e) => {
                format!("window of {} s is not a multiple of {} s", e.window, e.buckets)
            }
            other => format!("spending limit: {other:?}"),
        };
    }
    if let Ok(e) = A::abi_decode(data) {
        return match e {
            A::Allowlist_CallNotAllowed(e) => {
                format!(
                    "allowlist: {} of {} is not on the allowlist",
                    selector_words(e.selector),
                    book.name(e.target)
                )
            }
            A::Allowlist_CallBlocked(e) => {
                format!("allowlist: {} of {} is blocked", selector_words(e.selector), book.name(e.target))
            }
            A::Allowlist_ProtectedTarget(e) => {
                format!("allowlist: {} is protected and can never be called", book.name(e.target))
            }
            A::Allowlist_ShortCalldata(e) => {
                format!("allowlist: {} bytes of calldata to {} is not a call", e.length, e.target)
            }
            A::Allowlist_ZeroSelector(e) => {
                format!("allowlist: calls to {} with selector 0x00000000 are refused", e.target)
            }
            other => format!("allowlist: {other:?}"),
        };
    }
    if let Ok(e) = P::abi_decode(data) {
        return match e {
            P::Pause_AccountPaused(e) => format!("account {} is paused until {}", e.account, utc(e.until)),
            P::Pause_NotPaused(e) => format!("account {} is not paused", e.account),
            P::Pause_CooldownActive(e) => {
                format!(
                    "a new pause of {} may start only at {} (cooldown after the last one)",
                    e.account,
                    utc(e.availableAt)
                )
            }
            P::Pause_NotGuardian(e) => {
                format!("{} is not the guardian (nor the authority) of {}", e.caller, e.account)
            }
            other => format!("pause: {other:?}"),
        };
    }
    if let Ok(e) = T::abi_decode(data) {
        return match e {
            T::Automation_CooldownActive(e) => {
                format!("task {} is cooling down until {}", e.id, utc(e.availableAt))
            }
            T::Automation_MaxExecutionsReached(e) => {
                format!("task {} already ran {} times, its maximum", e.id, e.maxExecutions)
            }
            T::Automation_NotCaller(e) => format!("{} is not the keeper of task {}", e.caller, e.id),
            T::Automation_NotStarted(e) => format!("task {} starts at {}", e.id, utc(e.startsAt)),
            T::Automation_Expired(e) => format!("task {} expired at {}", e.id, utc(e.expiresAt)),
            T::Automation_UnknownTask(e) => format!("there is no task {} on {}", e.id, e.account),
            other => format!("automation: {other:?}"),
        };
    }
    if let Ok(e) = M::abi_decode(data) {
        return format!("multiplexer: {e:?}");
    }
    if let Ok(e) = V::abi_decode(data) {
        return match e {
            V::AgentValidator_CallNotAllowed(e) => {
                format!("the agent's key signs only executions, not {}", selector_words(e.selector))
            }
            V::AgentValidator_TargetNotAllowed(e) => {
                format!("the agent's key may not call {} (the account itself or its validator)", e.target)
            }
            V::AgentValidator_LeashNotInstalled(e) => {
                format!("the agent's key acts only while the leash is installed on {}", e.account)
            }
            V::AgentValidator_GasAllowanceExceeded(e) => format!(
                "the UserOp may cost up to {} in gas fees; the agent's gas allowance has {} left",
                book.amount(Address::ZERO, e.cost),
                book.amount(Address::ZERO, e.allowance)
            ),
            V::AgentValidator_AgentIsOwner(e) => {
                format!("{} is an owner of {}; an agent may not be an owner", e.agent, e.account)
            }
            other => format!("agent validator: {other:?}"),
        };
    }
    if let Ok(e) = E::abi_decode(data) {
        return match e {
            E::FailedOp(e) => format!("the EntryPoint refused the UserOp: {}", e.reason),
            E::FailedOpWithRevert(e) => {
                format!(
                    "the EntryPoint refused the UserOp: {} ({})",
                    e.reason,
                    describe_revert(&e.inner, book)
                )
            }
            other => format!("the EntryPoint reverted: {other:?}"),
        };
    }
    if let Ok(r) = Revert::abi_decode(data) {
        return format!("reverted: {}", r.reason);
    }
    if data.is_empty() {
        return "reverted without a reason".to_string();
    }
    if data == [0xac, 0xfd, 0xb4, 0x44] {
        // Safe7579 runs modules through the Safe's module transactions and reports any failure so.
        return "Safe7579 reports ExecutionFailed(): a module refused, the adapter does not say why"
            .to_string();
    }
    format!("reverted with 0x{}", alloy::hex::encode(data))
}

/// Plain words for a failed contract call (decoded revert data when there is some).
pub fn describe_call_error(err: &alloy::contract::Error) -> String {
    match err.as_revert_data() {
        Some(data) => describe_revert(&data, &TokenBook::default()),
        None => err.to_string(),
    }
}

fn selector_words(selector: alloy::primitives::FixedBytes<4>) -> String {
    match selector.0 {
        [0x43, 0x1e, 0x2c, 0xf5] => "every function (*)".to_string(),
        [0, 0, 0, 0] => "plain transfers".to_string(),
        [0xa9, 0x05, 0x9c, 0xbb] => "transfer".to_string(),
        [0x09, 0x5e, 0xa7, 0xb3] => "approve".to_string(),
        [0x95, 0x17, 0xe2, 0x9f] => "installModule".to_string(),
        [0xa7, 0x17, 0x63, 0xa8] => "uninstallModule".to_string(),
        _ => format!("function {selector}"),
    }
}
