//! Sessions against their model: three agents' sessions on one account (the policy engine as its
//! hook, AgentValidator for sessions only), each with its own time range, usage limits (calls in
//! total, calls per rolling window) and calls with parameter rules (`one_of`, `less_or_equal`,
//! `is_account`, `greater_or_equal`, `cap_per_window`, a wildcard, plain transfers). Random steps (an agent's
//! operation, signed by its own key or another's; the authority's revocation and new grant; time
//! jumps) go through the model and through real UserOps, single calls and batches, some carrying
//! the session's signed grant (enable-in-first-op), each mined at the second the model says; the
//! verdict (accepted, invalid at validation, or the engine's exact refusal, the session's own
//! token limit included) and every session's `sessionOf`, `sessionRemaining` and
//! `sessionArgumentRemaining` must agree after each step. The guardian's pause (manual: until the
//! guardian unpauses, then an hour's cooldown before the next) stops every session at validation;
//! its `pausedUntil` is compared too, and so is what the sessions that limit the token or ether may
//! still move.

use alloy::primitives::{Address, U256};
use alloy::sol_types::SolCall;
use leash::errors::LeashRevert;
use leash_anvil_tests::abi::TestToken;
use proptest::prelude::*;

mod driver;
mod reference;

pub use driver::Driver;
pub use reference::{Model, ENABLED};

/// The chain's clock at the first block (2030).
const START: u64 = 1_900_000_000;

#[derive(Debug, Clone)]
pub enum Call {
    /// `token.transfer(to, amount)`; `to` 0 to 2 a payee, 3 the account.
    Transfer { to: u8, amount: u64 },
    /// `value` wei to a payee (or the account, which AgentValidator refuses).
    Plain { to: u8, value: u64 },
    /// `token.balanceOf(..)`: only a wildcard permits it.
    Other,
    /// Two bytes of calldata to the token: never permitted.
    Short,
}

#[derive(Debug, Clone)]
pub enum Step {
    /// An operation naming `session`'s agent, signed by agent `key` (3: a key with no session): one
    /// call, or a batch of two; with `enable`, the authority's signed grant for the session's next
    /// epoch carried after the signature (enable-in-first-op).
    Op {
        session: u8,
        key: u8,
        calls: Vec<Call>,
        enable: bool,
    },
    Warp(u64),
    Revoke(u8),
    Grant(u8),
    /// The guardian's pause and unpause, sent as they are (a refused one reverts on chain).
    Pause,
    Unpause,
}

pub fn step() -> impl Strategy<Value = Step> {
    let call = prop_oneof![
        5 => (0u8..4, 0u64..80).prop_map(|(to, amount)| Call::Transfer { to, amount }),
        2 => (0u8..4, 0u64..3).prop_map(|(to, value)| Call::Plain { to, value }),
        1 => Just(Call::Other),
        1 => Just(Call::Short),
    ];
    prop_oneof![
        12 => (0u8..3, prop::bool::weighted(0.9), 1u8..4, prop::collection::vec(call, 1..=2), prop::bool::weighted(0.2))
            .prop_map(|(session, own, other, calls, enable)| Step::Op {
                session,
                key: if own { session } else { (session + other) % 4 },
                calls,
                enable,
            }),
        4 => prop_oneof![1u64..30, 30u64..400, 400u64..1500].prop_map(Step::Warp),
        1 => (0u8..3).prop_map(Step::Revoke),
        1 => (0u8..3).prop_map(Step::Grant),
        1 => Just(Step::Pause),
        2 => Just(Step::Unpause),
    ]
}

/// What happened to a step: nothing to compare (a time jump, the authority's action), accepted,
/// refused at validation (the EntryPoint's), or refused at execution with the contracts' error.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Accepted,
    Invalid,
    Refused(LeashRevert),
}

/// The addresses a case's calls use.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    pub account: Address,
    pub token: Address,
    pub payees: [Address; 3],
}

impl Names {
    fn to(&self, i: u8) -> Address {
        if i < 3 {
            self.payees[usize::from(i)]
        } else {
            self.account
        }
    }

    /// The call as (target, value, calldata).
    pub fn call(&self, call: &Call) -> (Address, U256, Vec<u8>) {
        match call {
            Call::Transfer { to, amount } => (
                self.token,
                U256::ZERO,
                TestToken::transferCall { to: self.to(*to), amount: U256::from(*amount) }.abi_encode(),
            ),
            Call::Plain { to, value } => (self.to(*to), U256::from(*value), Vec::new()),
            Call::Other => {
                (self.token, U256::ZERO, TestToken::balanceOfCall { owner: self.account }.abi_encode())
            }
            Call::Short => (self.token, U256::ZERO, vec![0xa9, 0x05]),
        }
    }
}

/// The sessions' policy file: its times from `START`, its addresses as `$NAME`s.
pub const SESSIONS_FILE: &str = include_str!("../policies/model-sessions.toml");
