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
//! [agent]                                 # the agent's own key, installed in AgentValidator
//! key = "0x…"                             # the agent's address (never an owner of the account)
//! gas_allowance = "0.05"                  # required, in ether: what the agent's UserOps may cost
//!                                         # the account in gas fees ("0": only paymaster-paid ones)
//!
//! [[custom_hooks]]                        # only with hook = "multiplexer"
//! address = "0x…"
//! init_data = "0x…"
//!
//! [[session]]                             # only with hook = "engine": an agent's own grant
//! agent = "0x…"
//! valid_from = 2026-01-01T00:00:00Z       # RFC 3339 UTC or unix seconds; default: at once
//! valid_until = "2026-02-01T00:00:00Z"
//! max_uses = 100                          # calls in total (a batch of n uses n)
//! uses_per_window = 10                    # with usage_window: calls per rolling window
//! usage_window = "1h"
//!
//! [[session.call]]
//! target = "USDC"
//! function = "transfer(address,uint256)"  # or "*" (any function), "plain" (value transfers)
//!
//! [[session.call.rule]]                   # only on an exact function
//! arg = 0                                 # the argument's index
//! op = "one_of"                           # equal, not_equal, less, less_or_equal, greater,
//!                                         # greater_or_equal, is_account, one_of, cap_per_window
//! type = "address"                        # address, uintN, bytes32 or bool
//! values = ["0x…", "0x…"]                 # one_of; the others take one `value`
//! # op = "cap_per_window": `value` is the most the argument may sum to per rolling `window`
//! # (window = "1d"), over the session's calls of this function (e.g. a swap's amountIn)
//!
//! [[session.spending]]                    # the session's own limits, as [[spending]]
//! token = "USDC"
//! limits = [ { amount = "100", window = "1d" } ]
//! ```
//!
//!
//! `format` reads the file as written (its TOML shapes and values, each error with its line),
//! `checks` holds it to the rules the contracts enforce, and the encoding turns the checked
//! policy into the engine's `Config` and the modules' install data.

mod checks;
mod encoding;
mod format;

pub use encoding::install_batch;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use alloy::primitives::{Address, Bytes, FixedBytes, U256};

use crate::abi;

pub use format::{
    canonical_signature, known_signature, parse_address, parse_amount, parse_duration, parse_selector,
    parse_time,
};

/// ERC-7579 module types.
pub const MODULE_TYPE_VALIDATOR: u64 = 1;
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
/// A session's bounds at the engine: calls, rules per call, values of a `one_of`, and rule values
/// below 2^232 (a rule keeps its value in 232 bits of one slot).
pub const MAX_SESSION_CALLS: usize = 32;
pub const MAX_RULES: usize = 4;
/// Ruled (target, function) pairs account-wide (`PolicyEngine.MAX_CALL_RULES`).
pub const MAX_CALL_RULES: usize = 32;
pub const MAX_ONE_OF: usize = 8;
pub const RULE_VALUE_BITS: usize = 232;
/// The last second a `uint48` time holds.
pub const MAX_TIME: u64 = (1 << 48) - 1;
/// The largest gas allowance AgentValidator keeps, in wei (it packs the allowance in 96 bits).
pub const MAX_GAS_ALLOWANCE: U256 = U256::from_limbs([u64::MAX, u32::MAX as u64, 0, 0]);

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

/// How a session's rule compares an argument word with its value(s), unsigned (`IPolicyEngine.ParamOp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamOp {
    Equal = 1,
    NotEqual = 2,
    Less = 3,
    LessOrEqual = 4,
    Greater = 5,
    GreaterOrEqual = 6,
    /// The word is the account itself (recipient pinning); no value.
    IsAccount = 7,
    /// The word is one of the values (at most [`MAX_ONE_OF`]).
    OneOf = 8,
    /// The words of the session's calls through the entry sum to at most `values[0]` per rolling
    /// window of `values[1]` seconds (strict, as every Leash window).
    CapPerWindow = 9,
}

impl ParamOp {
    pub const ALL: [ParamOp; 9] = [
        ParamOp::Equal,
        ParamOp::NotEqual,
        ParamOp::Less,
        ParamOp::LessOrEqual,
        ParamOp::Greater,
        ParamOp::GreaterOrEqual,
        ParamOp::IsAccount,
        ParamOp::OneOf,
        ParamOp::CapPerWindow,
    ];

    /// The word a policy file uses.
    pub fn name(self) -> &'static str {
        match self {
            ParamOp::Equal => "equal",
            ParamOp::NotEqual => "not_equal",
            ParamOp::Less => "less",
            ParamOp::LessOrEqual => "less_or_equal",
            ParamOp::Greater => "greater",
            ParamOp::GreaterOrEqual => "greater_or_equal",
            ParamOp::IsAccount => "is_account",
            ParamOp::OneOf => "one_of",
            ParamOp::CapPerWindow => "cap_per_window",
        }
    }

    /// Whether `word` (the argument, canonical for the rule's width) passes against `values` on
    /// `account`, as the engine decides it; a cap's window is its caller's to keep (any word
    /// passes here).
    pub fn holds(self, word: U256, values: &[U256], account: Address) -> bool {
        let v = values.first().copied().unwrap_or_default();
        match self {
            ParamOp::Equal => word == v,
            ParamOp::NotEqual => word != v,
            ParamOp::Less => word < v,
            ParamOp::LessOrEqual => word <= v,
            ParamOp::Greater => word > v,
            ParamOp::GreaterOrEqual => word >= v,
            ParamOp::IsAccount => word == U256::from_be_slice(account.as_slice()),
            ParamOp::OneOf => values.contains(&word),
            ParamOp::CapPerWindow => true,
        }
    }
}

/// A rule on argument `arg` (the head word at `4 + 32 * arg`) of a session's call, `width` bytes wide.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRuleConfig {
    pub op: ParamOp,
    pub arg: u8,
    pub width: u8,
    pub values: Vec<U256>,
}

/// A (target, selector) a session may call, with rules on its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCallConfig {
    pub target: Address,
    /// [`WILDCARD_SELECTOR`]: any function; zero: plain transfers.
    pub selector: FixedBytes<4>,
    pub rules: Vec<ParamRuleConfig>,
}

/// An agent's session: its time range (both seconds included), usage limits (0: none), calls and
/// its own spending limits, on top of the account-wide policies.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    pub agent: Address,
    pub valid_from: u64,
    pub valid_until: u64,
    pub max_uses: u32,
    pub uses_per_window: u32,
    pub usage_window: u32,
    pub calls: Vec<SessionCallConfig>,
    pub spending: Vec<SpendingConfig>,
}

/// The agent's own key at AgentValidator (`[agent]`): installed with the policy as
/// `abi.encode(authority, key, gas_allowance)`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// The agent's address: its ECDSA signatures validate the account's operations the hook sees.
    pub key: Address,
    /// What the agent's UserOps may cost the account in gas fees, in wei (at most
    /// [`MAX_GAS_ALLOWANCE`]); each one without a paymaster is charged its maximum cost.
    pub gas_allowance: U256,
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
    /// Granted by the authority after the install (engine only).
    pub sessions: Vec<SessionConfig>,
    /// Account-wide parameter rules (engine only): every call to each (target, selector) must meet
    /// its rules, whoever makes it and in every allowlist mode.
    pub call_rules: Vec<SessionCallConfig>,
    /// The agent's key, installed in AgentValidator with the policy (`[agent]`).
    pub agent: Option<AgentConfig>,
}

impl PolicyConfig {
    /// A policy with nothing in it yet, under `authority` on `hook`.
    pub fn empty(authority: Address, hook: HookStack) -> Self {
        PolicyConfig {
            authority,
            hook,
            tokens: Vec::new(),
            pause: None,
            allowlist: None,
            spending: Vec::new(),
            tasks: Vec::new(),
            custom_hooks: Vec::new(),
            sessions: Vec::new(),
            call_rules: Vec::new(),
            agent: None,
        }
    }

    /// A policy holding only the agent's key, under `authority`: AgentValidator's install.
    pub fn agent_only(authority: Address, agent: AgentConfig) -> Self {
        PolicyConfig { agent: Some(agent), ..Self::empty(authority, HookStack::default()) }
    }
}

/// Names for selectors, where they are shown: the canonical signature of each function a policy
/// file wrote as a signature (permissions and session calls), else a commonly called function's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signatures(pub BTreeMap<FixedBytes<4>, String>);

impl Signatures {
    /// The signatures the policy file at `path` writes (the file is read, not checked).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The signatures the policy file `text` (named `file` in errors) writes.
    pub fn parse(file: &str, text: &str) -> Result<Self, ConfigError> {
        let raw = format::read(file, text)?;
        let permissions =
            raw.allowlist.iter().flat_map(|a| &a.get_ref().permissions).map(|p| &p.get_ref().function);
        let calls = raw.session.iter().flat_map(|s| &s.get_ref().call).map(|c| &c.get_ref().function);
        Ok(Self(
            permissions
                .chain(calls)
                .filter_map(|f| Some((parse_selector(f.get_ref()).ok()?, canonical_signature(f.get_ref())?)))
                .collect(),
        ))
    }

    /// The signature of `selector`: as the file wrote it, else a commonly called function's.
    pub fn name(&self, selector: FixedBytes<4>) -> Option<String> {
        self.0.get(&selector).cloned().or_else(|| known_signature(selector).map(str::to_string))
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

// ---------------------------------------------------------------------- reading a file

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
    let raw = format::read(file, text)?;
    checks::check(file, text, &raw, vars)
}
