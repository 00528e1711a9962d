// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "./IAllowlistHook.sol";
import {ILeashModule} from "./ILeashModule.sol";
import {ISpendingLimitHook} from "./ISpendingLimitHook.sol";

/// @title IPolicyEngine
/// @notice One hook running Leash's own policies in its own frame: the guardian's pause, the
/// allowlist and the spending limits, with the rules (and the errors, figures included) of
/// IEmergencyPauseHook, IAllowlistHook and ISpendingLimitHook, and the authority model of
/// ILeashModule. Each policy is optional: no guardian, no pause; mode `None`, no allowlist; no
/// token policy, no limit.
/// @dev Differences from the separate hooks: (1) an allowlist entry keeps the mode it was listed
/// under and counts only in that mode, so a switch of mode never turns an account's own block
/// into an allowance; (2) the Leash modules and protected addresses are refused in every mode,
/// with or without an allowlist; (3) a limit is at most `MAX_AMOUNT` (kept exactly in two
/// slots); (4) enumeration is left to the events. Install data:
/// `abi.encode(address authority, Config config)`.
interface IPolicyEngine is IERC7579Hook, ILeashModule {
    struct Config {
        address guardian; // zero: no pause policy
        uint256 autoUnpauseAfter; // seconds; 0: a pause lasts until unpaused
        IAllowlistHook.Mode mode; // None: no allowlist policy
        IAllowlistHook.Permission[] permissions;
        address[] protectedTargets;
        ISpendingLimitHook.TokenPolicy[] tokens;
        /// @dev Kernel v3 only, which lists no account-wide hook: the validation (`0x01 ++ validator`)
        /// whose hook the engine is; Kernel's report of that hook is the install proof. Zero elsewhere.
        bytes21 validationId;
        CallRules[] callRules;
    }

    /// @notice Account-wide parameter rules: every call to (target, selector) must meet them,
    /// whoever makes it (the agent, a session, a keeper's task, the owner's own operation) and in
    /// every allowlist mode, on top of the allowlist's verdict. `selector` is a function's: not the
    /// wildcard, not 0 (plain transfers have no arguments).
    struct CallRules {
        address target;
        bytes4 selector;
        ParamRule[] rules;
    }

    // ------------------------------------------------------------------ sessions
    /// @notice How a parameter rule compares a call's argument word with its value(s), unsigned.
    /// `IsAccount`: the word is the account (recipient pinning); `OneOf`: the word is one of the
    /// values (at most `MAX_ONE_OF`); `CapPerWindow`: the words of the session's calls through this
    /// entry sum to at most `values[0]` per rolling window of `values[1]` seconds (a value the call
    /// names but the token limits do not see, as a swap's `amountIn`), strict like every Leash window.
    enum ParamOp {
        None,
        Equal,
        NotEqual,
        Less,
        LessOrEqual,
        Greater,
        GreaterOrEqual,
        IsAccount,
        OneOf,
        CapPerWindow
    }

    /// @notice A rule on argument word `argIndex` of the call (the head word at `4 + 32 * argIndex`),
    /// declared `width` bytes wide (20 for an address, 32 for a uint256, n for a uintN/8): the word
    /// must be canonical for that width (its higher bytes zero), so the rule and the called contract
    /// read the same value. Values are below 2^232.
    struct ParamRule {
        ParamOp op;
        uint8 argIndex;
        uint8 width;
        uint256[] values;
    }

    /// @notice A (target, selector) pair the session may call (`WILDCARD_SELECTOR`: any function of
    /// the target; `bytes4(0)`: plain transfers, empty calldata), with rules on its arguments.
    struct SessionCall {
        address target;
        bytes4 selector;
        ParamRule[] rules;
    }

    /// @notice An agent's session: its own key, time range, usage limits, calls and spending limits,
    /// all on top of the account-wide policies. The execution names the session in its mode
    /// (ExecutionDecoder.SESSION_MODE, the agent's address as payload); AgentValidator accepts only
    /// that agent's signature for it.
    struct Session {
        address agent;
        uint48 validAfter; // first second the session acts
        uint48 validUntil; // last second it acts
        uint32 maxUses; // calls in total (0: no limit); a batch of n calls uses n
        uint32 usesPerWindow; // calls per rolling `usageWindow` (0: no limit)
        uint32 usageWindow;
        SessionCall[] calls;
        ISpendingLimitHook.TokenPolicy[] tokens; // per-session limits (token zero: the native token)
    }

    event SessionGranted(
        address indexed account, address indexed agent, uint256 epoch, uint48 validAfter, uint48 validUntil
    );
    event SessionRevoked(address indexed account, address indexed agent);

    error Session_InvalidAgent(address account, address agent);
    error Session_InvalidTimeRange(uint256 validAfter, uint256 validUntil);
    error Session_InvalidUsageLimit(uint256 usesPerWindow, uint256 usageWindow);
    error Session_TooMany(string what, uint256 given, uint256 max);
    /// @notice Rule `rule` of call `call` in the grant is malformed (operator, width, value count,
    /// or a value wider than the width or 232 bits).
    error Session_InvalidRule(uint256 call, uint256 rule);
    error Session_DuplicateCall(address target, bytes4 selector);
    error Session_DuplicateToken(address token);
    /// @notice The signature given for the grant is not the authority's over `sessionGrantDigest`
    /// (used already, revoked since, for another account, chain, install or grant).
    error Session_GrantNotSigned(address account, address agent);
    /// @notice The execution names a session that was never granted, or was revoked (or replaced).
    error Session_NotLive(address account, address agent);
    /// @notice The session acts from `validAfter` to `validUntil`, both included.
    error Session_OutOfTime(address account, address agent, uint256 validAfter, uint256 validUntil);
    error Session_CallNotPermitted(address account, address agent, address target, bytes4 selector);
    /// @notice Argument word `argIndex` of a call to `target` breaks rule `rule` of its entry.
    error Session_ParamRuleBroken(
        address account, address agent, address target, bytes4 selector, uint256 rule, uint256 word
    );
    /// @notice Argument word `argIndex` of a call to `target`, `value`, exceeds what rule `rule`
    /// (`CapPerWindow`) leaves in its window, `remaining`; it fits from `availableAt`
    /// (`type(uint256).max`: never, it exceeds the cap itself).
    error Session_ArgumentCapExceeded(
        address account,
        address agent,
        address target,
        bytes4 selector,
        uint256 rule,
        uint256 value,
        uint256 remaining,
        uint256 availableAt
    );
    error Session_UsesExceeded(address account, address agent, uint256 uses, uint256 maxUses);
    /// @notice `uses` more calls exceed the session's calls per window; they fit from `availableAt`.
    error Session_UsageWindowExceeded(address account, address agent, uint256 uses, uint256 availableAt);

    /// @notice Grants (or replaces: a new epoch, fresh counters) `session.agent`'s session. Authority only.
    function grantSession(address account, Session calldata session) external;
    /// @notice Ends the session at once, also for operations already validated, and voids a grant
    /// signed for it and not used yet. Authority only.
    function revokeSession(address account, address agent) external;
    /// @notice Grants `session` on the authority's signature of `sessionGrantDigest(account, session)`
    /// (enable-in-first-op: AgentValidator calls it in the agent's first operation).
    function enableSession(address account, Session calldata session, bytes calldata signature) external;
    /// @notice The EIP-712 digest the authority signs to grant `session` by signature (for the
    /// agent's next epoch on this account, chain and engine).
    function sessionGrantDigest(address account, Session calldata session) external view returns (bytes32);
    /// @notice A session's state: live, its time range, calls used of `maxUses`, and its epoch
    /// (grants of the same agent so far).
    function sessionOf(address account, address agent)
        external
        view
        returns (bool live, uint48 validAfter, uint48 validUntil, uint256 uses, uint256 maxUses, uint256 epoch);
    /// @notice What AgentValidator reads before an operation of a session, from two slots keyed by the
    /// account (ERC-7562's associated storage): `leashContext`, then the session's liveness and time
    /// range. Marks the operation as `leashContext` does.
    function sessionContext(address account, address agent)
        external
        returns (bool installed, uint8 accountKind, uint48 pauseEnds, bool live, uint48 validAfter, uint48 validUntil);
    /// @notice What a session may still move of `token` now (its own limits only).
    function sessionRemaining(address account, address agent, address token) external view returns (uint256);
    /// @notice What rule `rule` (a `CapPerWindow`) of the session's entry for (target, selector)
    /// still lets through now; `type(uint256).max` for any other rule or none.
    function sessionArgumentRemaining(address account, address agent, address target, bytes4 selector, uint256 rule)
        external
        view
        returns (uint256);

    error Engine_NoGuardian(address account);

    // ------------------------------------------------------------------ account-wide rules
    /// @notice The rules of (target, selector) were set (`rules` empty: removed).
    event CallRulesSet(address indexed account, address indexed target, bytes4 selector, ParamRule[] rules);
    /// @notice Argument word `argIndex` of a call to `target`, `word`, breaks account-wide rule
    /// `rule` of (target, selector).
    error Engine_CallRuleBroken(address account, address target, bytes4 selector, uint256 rule, uint256 word);
    /// @notice Argument word `argIndex` of a call to `target`, `value`, exceeds what account-wide
    /// rule `rule` (`CapPerWindow`) leaves in its window, `remaining`; it fits from `availableAt`
    /// (`type(uint256).max`: never, it exceeds the cap itself).
    error Engine_ArgumentCapExceeded(
        address account,
        address target,
        bytes4 selector,
        uint256 rule,
        uint256 value,
        uint256 remaining,
        uint256 availableAt
    );
    /// @notice Rule `rule` for (target, selector) is malformed (operator, width, value count, a
    /// value wider than the width or 232 bits), or the selector is the wildcard or 0.
    error Engine_InvalidCallRule(address target, bytes4 selector, uint256 rule);
    /// @notice More than `MAX_CALL_RULES` ruled (target, selector) pairs on the account, or more
    /// than `MAX_RULES` rules on one (`what` says which).
    error Engine_TooManyCallRules(address account, string what, uint256 given, uint256 max);

    /// @notice Sets (replaces; `rules` empty: removes) the account-wide rules of (target,
    /// selector). A new set starts its caps' windows empty. Authority only.
    function setCallRules(address account, address target, bytes4 selector, ParamRule[] calldata rules) external;
    /// @notice How many account-wide rules (target, selector) has (the rules: `CallRulesSet`).
    function callRuleCount(address account, address target, bytes4 selector) external view returns (uint256);
    /// @notice What account-wide rule `rule` (a `CapPerWindow`) of (target, selector) still lets
    /// through now; `type(uint256).max` for any other rule or none.
    function argumentRemaining(address account, address target, bytes4 selector, uint256 rule)
        external
        view
        returns (uint256);

    /// @notice What AgentValidator reads of `account` before every agent operation, from one
    /// slot: whether the engine holds an install record for it, and how the account proved that
    /// install: 0, it lists the engine as its hook; 1, Kernel, the engine is the hook of the
    /// validation named in `Config.validationId`; 2, Safe7579, the engine is its global hook. A
    /// record is no proof that the engine is still the account's hook (an account may drop a hook
    /// without its `onUninstall`): AgentValidator asks the account that, the way `accountKind` says.
    /// `pauseEnds` is the end of the current or last pause (0: never paused): AgentValidator makes
    /// the agent's operations valid only from then on, so a paused agent cannot even spend gas.
    /// `allowMode`: the allowlist is in allow mode, so every target the agent's execution reaches
    /// is one the authority listed (AgentValidator then does not ask the account whether it is one
    /// of its modules).
    /// Marks, for the rest of the transaction, that the caller validated an operation of the
    /// account's agent (in transient storage at the key of the state slot, which ERC-7562 lets the
    /// account's validation write): in that transaction the engine spends no approval and does
    /// not leave allow mode (`Leash_AgentOperationInTransaction`), as the operation executes after
    /// every validation of its bundle. Anyone may ask; the mark holds who asked and counts only
    /// while the account reports that caller as an installed validator (a caller replaces only
    /// a mark that is not one).
    function leashContext(address account)
        external
        returns (bool installed, uint8 accountKind, uint48 pauseEnds, bool allowMode);
    error Engine_TooManyLeashModules(uint256 given, uint256 max);
    /// @notice The configuration half given at deployment holds no code.
    error Engine_NoConfiguration(address config);

    function MAX_AMOUNT() external view returns (uint256);
    function MAX_CALL_RULES() external view returns (uint256);

    /// @notice Whether the engine is installed for `account` (Kernel asks a hook before installing it).
    function isInitialized(address account) external view returns (bool);

    // ------------------------------------------------------------------ pause
    function pause(address account) external;
    function unpause(address account) external;
    function setGuardian(address account, address guardian) external;
    function setAutoUnpauseAfter(address account, uint256 autoUnpauseAfter) external;
    function isPaused(address account) external view returns (bool);
    function pausedUntil(address account) external view returns (uint256);
    function guardianOf(address account) external view returns (address);

    // ------------------------------------------------------------------ allowlist
    /// @notice Block mode: the account or the authority adds a block. Allow mode: the authority
    /// adds an allowance.
    function addPermission(address account, address target, bytes4 selector) external;
    /// @notice Allow mode: the account or the authority removes an allowance. Block mode: the
    /// authority removes a block.
    function removePermission(address account, address target, bytes4 selector) external;
    function addProtected(address account, address target) external;
    function removeProtected(address account, address target) external;
    function setMode(address account, IAllowlistHook.Mode mode) external;
    function modeOf(address account) external view returns (IAllowlistHook.Mode);
    /// @notice Whether (target, selector) is listed under the current mode.
    function isListed(address account, address target, bytes4 selector) external view returns (bool);
    function isProtected(address account, address target) external view returns (bool);

    // ------------------------------------------------------------------ spending
    function setTokenPolicy(address account, ISpendingLimitHook.TokenPolicy calldata policy) external;
    function removeTokenPolicy(address account, address token) external;
    function policyOf(address account, address token)
        external
        view
        returns (uint256 perTxCap, ISpendingLimitHook.LimitConfig[] memory limits);
    function remainingAt(address account, address token, uint256 timestamp) external view returns (uint256);
    function availableAt(address account, address token, uint256 amount) external view returns (uint256);
}
