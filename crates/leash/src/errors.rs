//! Refusals: revert data decoded into [`LeashRevert`] (the contracts' own error enums, generated
//! from their ABI), and written in plain words with token symbols, decimals and UTC times, never
//! raw hex (unless nothing matches). A call the library makes and the contracts refuse fails with a
//! [`Refused`] error that carries the decoded refusal.

use std::collections::BTreeMap;
use std::fmt;

use alloy::primitives::utils::format_units;
use alloy::primitives::{Address, Bytes, FixedBytes, B256, U256};
use alloy::sol_types::{Revert, SolError, SolInterface};

use crate::abi::IEntryPoint::IEntryPointErrors as E;
use crate::abi::{
    AgentValidator::AgentValidatorErrors as V, AllowlistHook::AllowlistHookErrors as A,
    AutomationExecutor::AutomationExecutorErrors as T, EmergencyPauseHook::EmergencyPauseHookErrors as P,
    ExecutionDecoder::ExecutionDecoderErrors as D, HookMultiPlexer::HookMultiPlexerErrors as M,
    ILeashModule::ILeashModuleErrors as L, IPolicyEngine::IPolicyEngineErrors as G,
    SpendingLimitHook::SpendingLimitHookErrors as S,
};

/// Symbols and decimals of the tokens an operator knows, for amounts in errors.
#[derive(Debug, Clone, Default)]
pub struct TokenBook(pub BTreeMap<Address, (String, u8)>);

impl TokenBook {
    /// The book of a policy's `[tokens]`.
    pub fn of(tokens: &[crate::config::Token]) -> Self {
        Self(tokens.iter().map(|t| (t.address, (t.symbol.clone(), t.decimals))).collect())
    }

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

/// An amount of wei in ether and in wei: `0.5 ether (500000000000000000 wei)`.
pub fn ether(wei: U256) -> String {
    let text = format_units(wei, 18).map(|t| trim_units(&t)).unwrap_or_else(|_| "?".to_string());
    format!("{text} ether ({wei} wei)")
}

/// Whether `timestamp` is one of the max values contracts use for "never" (`type(uint256).max`,
/// `type(uint48).max`).
pub fn is_never(timestamp: U256) -> bool {
    timestamp >= U256::from(u64::MAX) || timestamp == U256::from((1u64 << 48) - 1)
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a UNIX time (`never` for the max values contracts use).
pub fn utc(timestamp: U256) -> String {
    if is_never(timestamp) {
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

/// A refusal, decoded from revert data: one of the contracts' own errors (the enums generated from
/// their ABI in [`crate::abi`]), the EntryPoint's, or what is left when none matches.
///
/// Errors every module shares (the authority's, the execution decoder's) decode as [`Self::Leash`]
/// and [`Self::Decoder`], whichever module raised them; each module's variant holds its own.
#[derive(Debug, Clone, PartialEq)]
pub enum LeashRevert {
    /// The authority model every module shares (`Leash_*`).
    Leash(L),
    /// The execution decoder refused the call's encoding (`ExecutionDecoder_*`).
    Decoder(D),
    Spending(S),
    Allowlist(A),
    Pause(P),
    Automation(T),
    Multiplexer(M),
    Validator(V),
    /// The policy engine's own errors (`Engine_*`); its policies raise the separate hooks' errors.
    Engine(G),
    /// The EntryPoint refused the UserOp (`FailedOp`, `FailedOpWithRevert` with the inner revert).
    EntryPoint(E),
    /// `Error(string)`: a `require` with a message, or `revert("...")`.
    Message(String),
    /// Safe7579's `ExecutionFailed()`: a module refused, and the adapter does not say which or why.
    Safe7579ExecutionFailed,
    /// Reverted without data.
    Empty,
    /// Revert data nothing here decodes.
    Unknown(Bytes),
}

/// Safe7579's `ExecutionFailed()`.
pub const SAFE7579_EXECUTION_FAILED: [u8; 4] = [0xac, 0xfd, 0xb4, 0x44];

impl LeashRevert {
    /// Decodes revert data from any Leash module, the decoder, or the EntryPoint.
    pub fn decode(data: &[u8]) -> Self {
        let decoded = L::abi_decode(data)
            .map(Self::Leash)
            .or_else(|_| D::abi_decode(data).map(Self::Decoder))
            .or_else(|_| S::abi_decode(data).map(Self::Spending))
            .or_else(|_| A::abi_decode(data).map(Self::Allowlist))
            .or_else(|_| P::abi_decode(data).map(Self::Pause))
            .or_else(|_| T::abi_decode(data).map(Self::Automation))
            .or_else(|_| M::abi_decode(data).map(Self::Multiplexer))
            .or_else(|_| V::abi_decode(data).map(Self::Validator))
            .or_else(|_| G::abi_decode(data).map(Self::Engine))
            .or_else(|_| E::abi_decode(data).map(Self::EntryPoint))
            .or_else(|_| Revert::abi_decode(data).map(|r| Self::Message(r.reason)));
        if let Ok(known) = decoded {
            return known;
        }
        match data {
            [] => Self::Empty,
            d if d == SAFE7579_EXECUTION_FAILED => Self::Safe7579ExecutionFailed,
            d => Self::Unknown(Bytes::copy_from_slice(d)),
        }
    }

    /// The refusal in a failed contract call, if it carries revert data.
    pub fn from_call_error(err: &alloy::contract::Error) -> Option<Self> {
        err.as_revert_data().map(|data| Self::decode(&data))
    }

    /// Plain words, with amounts in the tokens `book` knows and times in UTC.
    pub fn describe(&self, book: &TokenBook) -> String {
        match self {
            Self::Leash(e) => leash(e),
            Self::Decoder(e) => decoder(e),
            Self::Spending(e) => spending(e, book),
            Self::Allowlist(e) => allowlist(e, book),
            Self::Pause(e) => pause(e),
            Self::Automation(e) => automation(e),
            Self::Multiplexer(e) => multiplexer(e),
            Self::Validator(e) => validator(e, book),
            Self::Engine(e) => engine(e),
            Self::EntryPoint(e) => entry_point(e, book),
            Self::Message(reason) => format!("reverted: {reason}"),
            Self::Safe7579ExecutionFailed => {
                // Safe7579 runs modules through the Safe's module transactions and reports any failure so.
                "Safe7579 reports ExecutionFailed(): a module refused, the adapter does not say why"
                    .to_string()
            }
            Self::Empty => "reverted without a reason".to_string(),
            Self::Unknown(data) => format!("reverted with {data}"),
        }
    }
}

/// Plain words with no token book (amounts in base units).
impl fmt::Display for LeashRevert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&TokenBook::default()))
    }
}

/// A call the contracts refused, as an error: what was tried, the decoded refusal, and the
/// refusal in words (with the caller's token book). Reach it through `eyre::Report::downcast_ref`.
#[derive(Debug, Clone)]
pub struct Refused {
    pub what: String,
    pub revert: LeashRevert,
    pub words: String,
}

impl Refused {
    pub fn new(what: impl Into<String>, revert: LeashRevert, book: &TokenBook) -> Self {
        let words = revert.describe(book);
        Self { what: what.into(), revert, words }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} was refused: {}", self.what, self.words)
    }
}

impl std::error::Error for Refused {}

/// `what` waits for the authority to approve the change whose hash is `change`.
fn needs_approval(what: String, change: B256) -> String {
    format!("{what} needs the authority's approval: approveChange(account, {change})")
}

fn leash(e: &L) -> String {
    match e {
        L::Leash_OnlyAuthority(e) => {
            format!("only the authority {} may make this change (caller {})", e.authority, e.caller)
        }
        L::Leash_ModuleChangeNotApproved(e) => needs_approval(
            format!("module change ({} of {})", selector_words(e.selector), e.module),
            e.changeHash,
        ),
        L::Leash_SelfCallNotApproved(e) => needs_approval("calling the account itself".into(), e.changeHash),
        L::Leash_ModuleCallNotApproved(e) => needs_approval(
            format!("calling {} of module {}", selector_words(e.selector), e.module),
            e.changeHash,
        ),
        L::Leash_DepositCallNotApproved(e) => needs_approval(
            format!(
                "moving the account's EntryPoint deposit or stake ({} at {})",
                selector_words(e.selector),
                e.entryPoint
            ),
            e.changeHash,
        ),
        L::Leash_NotInstalled(e) => format!("the module is not installed for {}", e.account),
        L::Leash_SessionsNeedTheEngine(e) => format!(
            "the execution names the session of {}, which only the policy engine applies: this hook refuses it",
            e.session
        ),
        L::Leash_InvalidAuthority(e) => format!(
            "{} cannot be the authority of {}: the authority is a real address other than the account itself",
            e.authority, e.account
        ),
        L::Leash_OnlyAccountOrAuthority(e) => {
            format!("only the account {} or its authority may make this change (caller {})", e.account, e.caller)
        }
        L::Leash_AlreadyInstalled(e) => format!("the module is already installed for {}", e.account),
        L::Leash_NotInstalling(e) => format!(
            "a module's onInstall and onUninstall run only inside {}'s own install or uninstall of it",
            e.account
        ),
        L::Leash_AgentOperationInTransaction(e) => format!(
            "an operation of {}'s agent was validated in this transaction, which therefore carries no \
             approved change of the account: send the change in a transaction of its own",
            e.account
        ),
    }
}

fn decoder(e: &D) -> String {
    format!("refused execution encoding: {e:?}")
}

fn spending(e: &S, book: &TokenBook) -> String {
    match e {
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
        S::Window_TooShort(e) => format!("window of {} s is under {} s", e.window, e.min),
        S::Window_TooLong(e) => format!("window of {} s is over {} s", e.window, e.max),
        S::Window_NotMultiple(e) => format!("window of {} s is not a multiple of {} s", e.window, e.buckets),
        S::Window_AmountTooLarge(e) => format!("limit of {} units is above the largest, {}", e.amount, e.max),
        other => format!("spending limit: {other:?}"),
    }
}

fn allowlist(e: &A, book: &TokenBook) -> String {
    match e {
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
    }
}

fn pause(e: &P) -> String {
    match e {
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
    }
}

fn automation(e: &T) -> String {
    match e {
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
        T::Automation_TaskMismatch(e) => {
            format!(
                "the task passed is not task {} as added (it hashes to {}, not {})",
                e.id, e.given, e.expected
            )
        }
        other => format!("automation: {other:?}"),
    }
}

fn multiplexer(e: &M) -> String {
    format!("multiplexer: {e:?}")
}

fn engine(e: &G) -> String {
    match e {
        G::Engine_NoGuardian(e) => {
            format!("the policy engine has no guardian for {}: no pause policy", e.account)
        }
        G::Session_NotLive(e) => {
            format!("the session of {} on {} was never granted, or was revoked", e.agent, e.account)
        }
        G::Session_OutOfTime(e) => format!(
            "the session of {} acts from {} to {}",
            e.agent,
            utc(e.validAfter),
            utc(e.validUntil)
        ),
        G::Session_CallNotPermitted(e) => format!(
            "the session of {} may not call {} on {}",
            e.agent,
            selector_words(e.selector),
            e.target
        ),
        G::Session_ParamRuleBroken(e) => format!(
            "the session of {}: {}",
            e.agent,
            rule_broken(e.word, e.selector, e.target, &format!("rule {} of its call", e.rule))
        ),
        G::Session_ArgumentCapExceeded(e) => format!(
            "the session of {}: {}",
            e.agent,
            cap_exceeded(e.value, e.selector, e.target, &format!("rule {}", e.rule), e.remaining, e.availableAt)
        ),
        G::Engine_CallRuleBroken(e) => rule_broken(
            e.word,
            e.selector,
            e.target,
            &format!("account-wide rule {} of that function", e.rule),
        ),
        G::Engine_ArgumentCapExceeded(e) => cap_exceeded(
            e.value,
            e.selector,
            e.target,
            &format!("account-wide rule {}", e.rule),
            e.remaining,
            e.availableAt,
        ),
        G::Engine_InvalidCallRule(e) => format!(
            "rule {} for {} on {} is malformed (its operator, width or values), or the function is \"*\" or plain transfers",
            e.rule,
            selector_words(e.selector),
            e.target
        ),
        G::Engine_TooManyCallRules(e) => {
            format!("{} account-wide {}: at most {}", e.given, e.what, e.max)
        }
        G::Session_UsesExceeded(e) => {
            format!("the session of {} would make {} calls of the {} it may make", e.agent, e.uses, e.maxUses)
        }
        G::Session_UsageWindowExceeded(e) => format!(
            "the session of {} has no room for {} more calls in its window before {}",
            e.agent,
            e.uses,
            utc(e.availableAt)
        ),
        G::Session_GrantNotSigned(e) => format!(
            "the grant of the session of {} on {} is not signed by the authority for this account, chain and epoch (used, revoked, or altered)",
            e.agent, e.account
        ),
        other => format!("policy engine: {other:?}"),
    }
}

fn validator(e: &V, book: &TokenBook) -> String {
    match e {
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
        V::AgentValidator_SenderMismatch(e) => {
            format!("the UserOp's sender {} is not the account {} asking to validate it", e.sender, e.account)
        }
        V::AgentValidator_InvalidAgent(e) => format!(
            "{} cannot be the agent of {}: an agent key must be a real address other than the account and its authority",
            e.agent, e.account
        ),
        V::AgentValidator_GasAllowanceTooLarge(e) => format!(
            "a gas allowance of {} is above the largest AgentValidator keeps (2^96 - 1 wei, about 79.2 billion ether)",
            ether(e.allowance)
        ),
        other => format!("agent validator: {other:?}"),
    }
}

fn entry_point(e: &E, book: &TokenBook) -> String {
    match e {
        E::FailedOp(e) => {
            format!("the EntryPoint refused the UserOp: {}", failed_op_words(&e.reason, None))
        }
        E::FailedOpWithRevert(e) => {
            let inner = LeashRevert::decode(&e.inner).describe(book);
            format!("the EntryPoint refused the UserOp: {}", failed_op_words(&e.reason, Some(&inner)))
        }
        other => format!("the EntryPoint reverted: {other:?}"),
    }
}

/// The EntryPoint's `AAnn` reason with what it means and the fix, for the codes an operator's
/// key or account causes; other reasons as they are (with the inner revert, if any).
fn failed_op_words(reason: &str, inner: Option<&str>) -> String {
    let code = reason.get(..4).unwrap_or_default();
    let why = match code {
        "AA20" => "no account is deployed at the operation's sender on this chain: check --account and --rpc-url, or create the account first",
        "AA21" => "the account cannot pay for its operation's gas: send it ETH, or deposit for it at the EntryPoint",
        "AA22" => "the signing key acts only within a time range (a session's valid_from to valid_until) and now is outside it",
        "AA23" => "the account's validation reverted: the key or the validator the operation names does not suit this account (an owner's operation needs the --owner-key of an owner; an agent's, a key AgentValidator holds)",
        "AA24" => "the --owner-key is not an owner of this account (or, for an agent's operation, its key is not the agent's nor a live session's): sign with the account's own key",
        "AA25" => "the operation's nonce is not the account's next one: another operation of this account went first; run it again",
        _ => "",
    };
    let mut words = reason.to_string();
    if !why.is_empty() {
        words = format!("{reason}: {why}");
    }
    if let Some(inner) = inner {
        words = format!("{words} ({inner})");
    }
    words
}

/// Argument `word` of a call that breaks `rule` (a session's or an account-wide one).
fn rule_broken(word: U256, selector: FixedBytes<4>, target: Address, rule: &str) -> String {
    format!("argument {} of {} on {target} breaks {rule}", word_words(word), selector_words(selector))
}

/// An argument above what `rule`'s cap leaves in its window, and when it fits (never: above the
/// cap itself).
fn cap_exceeded(
    value: U256,
    selector: FixedBytes<4>,
    target: Address,
    rule: &str,
    remaining: U256,
    available_at: U256,
) -> String {
    let fits = if available_at == U256::MAX {
        "it is above the cap itself".to_string()
    } else {
        format!("it fits from {}", utc(available_at))
    };
    format!(
        "argument {value} of {} on {target} exceeds the cap of {rule} ({remaining} left in its window); {fits}",
        selector_words(selector)
    )
}

/// An argument word as a person reads it: a small number in decimal, anything wider in hex (an
/// address is unreadable as a decimal number).
fn word_words(word: U256) -> String {
    if word < U256::from(1u64 << 53) {
        word.to_string()
    } else {
        format!("{word:#x}")
    }
}

fn selector_words(selector: FixedBytes<4>) -> String {
    match selector.0 {
        [0x43, 0x1e, 0x2c, 0xf5] => "every function (*)".to_string(),
        [0, 0, 0, 0] => "plain transfers".to_string(),
        [0xa9, 0x05, 0x9c, 0xbb] => "transfer".to_string(),
        [0x09, 0x5e, 0xa7, 0xb3] => "approve".to_string(),
        [0x95, 0x17, 0xe2, 0x9f] => "installModule".to_string(),
        [0xa7, 0x17, 0x63, 0xa8] => "uninstallModule".to_string(),
        [0x6d, 0x61, 0xfe, 0x70] => "onInstall".to_string(),
        [0x8a, 0x91, 0xb0, 0xe3] => "onUninstall".to_string(),
        // A function agents commonly call goes by its name.
        _ => crate::config::known_signature(selector)
            .and_then(|s| s.split('(').next())
            .map_or_else(|| format!("function {selector}"), str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{AllowlistHook, SpendingLimitHook};

    /// `error`, decoded from its encoding and described with `book`, says every one of `parts`.
    fn reads(error: &impl SolError, book: &TokenBook, parts: &[&str]) {
        let words = LeashRevert::decode(&error.abi_encode()).describe(book);
        assert!(parts.iter().all(|p| words.contains(p)), "{words}");
    }

    #[test]
    fn each_error_decodes_into_the_variant_of_the_contract_that_declares_it() {
        let (usdc, account) = (Address::with_last_byte(0xc0), Address::with_last_byte(0xac));
        let cap = SpendingLimitHook::SpendingLimit_PerTxCapExceeded {
            account,
            token: usdc,
            attempted: U256::from(301_000_000u64),
            cap: U256::from(300_000_000u64),
        };
        let refusal = LeashRevert::decode(&cap.abi_encode());
        assert_eq!(refusal, LeashRevert::Spending(S::SpendingLimit_PerTxCapExceeded(cap)));
        let book = TokenBook([(usdc, ("USDC".to_string(), 6))].into());
        assert_eq!(
            refusal.describe(&book),
            "per-transaction cap exceeded: tried 301 USDC, the cap is 300 USDC"
        );

        // A shared error decodes as the authority model's, whichever module's binding encoded it.
        let not_installed = AllowlistHook::Leash_NotInstalled { account }.abi_encode();
        assert!(matches!(LeashRevert::decode(&not_installed), LeashRevert::Leash(L::Leash_NotInstalled(_))));

        // The authority's rule, in words.
        let invalid = crate::abi::ILeashModule::Leash_InvalidAuthority { account, authority: account };
        assert_eq!(
            LeashRevert::decode(&invalid.abi_encode()).to_string(),
            format!("{account} cannot be the authority of {account}: the authority is a real address other than the account itself")
        );

        // A session's cap on an argument: what is left, and when the value fits (or never).
        let capped = crate::abi::IPolicyEngine::Session_ArgumentCapExceeded {
            account,
            agent: Address::with_last_byte(0xa9),
            target: Address::with_last_byte(0xe1),
            selector: [0x41, 0x4b, 0xf3, 0x89].into(),
            rule: U256::from(2),
            value: U256::from(700),
            remaining: U256::from(300),
            availableAt: U256::from(86_400),
        };
        reads(&capped, &book, &["argument 700", "300 left", "1970-01-02"]);
        let never =
            crate::abi::IPolicyEngine::Session_ArgumentCapExceeded { availableAt: U256::MAX, ..capped };
        // An account-wide rule broken: the word, the function and the rule.
        let broken = crate::abi::IPolicyEngine::Engine_CallRuleBroken {
            account,
            target: Address::with_last_byte(0xe1),
            selector: [0xa9, 0x05, 0x9c, 0xbb].into(),
            rule: U256::from(1),
            word: U256::from(77),
        };
        reads(&broken, &book, &["argument 77", "of transfer on", "rule 1"]);
        assert!(LeashRevert::decode(&never.abi_encode()).describe(&book).ends_with("above the cap itself"));

        // AgentValidator's refusals of the authority's changes.
        let invalid = crate::abi::AgentValidator::AgentValidator_InvalidAgent { account, agent: account };
        assert_eq!(
            LeashRevert::decode(&invalid.abi_encode()).to_string(),
            format!("{account} cannot be the agent of {account}: an agent key must be a real address other than the account and its authority")
        );
        let too_large = crate::abi::AgentValidator::AgentValidator_GasAllowanceTooLarge {
            allowance: U256::from(1) << 96,
        };
        assert_eq!(
            LeashRevert::decode(&too_large.abi_encode()).to_string(),
            "a gas allowance of 79228162514.264337593543950336 ether (79228162514264337593543950336 wei) is above the largest AgentValidator keeps (2^96 - 1 wei, about 79.2 billion ether)"
        );

        assert_eq!(LeashRevert::decode(&[]), LeashRevert::Empty);
        assert_eq!(LeashRevert::decode(&SAFE7579_EXECUTION_FAILED), LeashRevert::Safe7579ExecutionFailed);
        assert_eq!(LeashRevert::decode(&[1, 2, 3]).to_string(), "reverted with 0x010203");
    }
}
