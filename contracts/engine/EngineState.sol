// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashModule} from "../base/LeashModule.sol";
import {IAllowlistHook} from "../interfaces/IAllowlistHook.sol";
import {IPolicyEngine} from "../interfaces/IPolicyEngine.sol";
import {PackedWindow} from "../libraries/PackedWindow.sol";
import {PausePolicy} from "../libraries/PausePolicy.sol";
import {PolicyKey} from "../libraries/PolicyKey.sol";
import {SpendingPolicy} from "../libraries/SpendingPolicy.sol";

/// @title EngineState
/// @notice The storage of the policy engine and what both of its halves read: PolicyEngine (the
/// hook, on every execution) and PolicyEngineConfig (configuration and views, run by the engine
/// through `delegatecall`, so in the engine's storage).
/// @dev Storage, per account:
///   - `_state[account]`, read on every execution: `generation (64) | pausedUntil (48) |
///     autoUnpauseAfter (32) | mode (8) | installed (8) | permissions (16) | protected (8) |
///     tokens (8) | accountKind (8)`;
///   - per (account, generation, target), at one hashed key `K` (`_key`): the target slot, read
///     for every item: allowlist flags, the first listed selector inline with the modes it is
///     listed in, and the spending metadata of the token at that address (tracked, capped, how
///     many limits, the first limit's amount and bucket width); `K+1` to `K+12`: the rest of the
///     token's spending policy (SpendingPolicy: packed windows, further limits, the cap);
///   - per (account, generation, target, selector): the modes a further selector is listed in.
/// The native token's policy lives at the target slot of `address(0)`, which is never a call
/// target (the guard refuses it as an alias of the account). Uninstall moves to a new generation:
/// O(1), whatever was stored.
abstract contract EngineState is LeashModule {
    bytes4 public constant WILDCARD_SELECTOR = 0x431e2cf5;
    uint256 public constant MAX_PERMISSIONS = 100;
    uint256 public constant MAX_PROTECTED = 20;
    uint256 public constant MAX_TOKENS = 16;
    uint256 public constant MAX_LIMITS_PER_TOKEN = SpendingPolicy.MAX_LIMITS;
    uint256 public constant MAX_AMOUNT = PackedWindow.MAX_AMOUNT;
    uint256 public constant PAUSE_COOLDOWN = PausePolicy.COOLDOWN;
    uint256 public constant MAX_AUTO_UNPAUSE = PausePolicy.MAX_AUTO_UNPAUSE;
    uint256 public constant MAX_LEASH_MODULES = 4;
    uint256 internal constant MANUAL = PausePolicy.MANUAL;

    // The account's state slot. Its low 64 bits are the generation (PolicyKey reads only those).
    uint256 internal constant PAUSED_SHIFT = 64;
    uint256 internal constant AUTO_SHIFT = 112;
    uint256 internal constant MODE_SHIFT = 144;
    uint256 internal constant INSTALLED = 1 << 152;
    uint256 internal constant PERMISSIONS_SHIFT = 160;
    uint256 internal constant PROTECTED_SHIFT = 176;
    uint256 internal constant TOKENS_SHIFT = 184;
    /// @dev How the account proved the install, kept for AgentValidator (`leashContext`):
    /// ACCOUNT_LISTS (it lists the engine as its hook), ACCOUNT_KERNEL (the hook of the validation
    /// named at install), ACCOUNT_SAFE7579 (its global hook).
    uint256 internal constant ACCOUNT_KIND_SHIFT = 192;
    uint256 internal constant ACCOUNT_LISTS = 0;
    uint256 internal constant ACCOUNT_KERNEL = 1;
    uint256 internal constant ACCOUNT_SAFE7579 = 2;
    /// @dev How many (target, selector) pairs have account-wide rules (8 bits), and the nonce of
    /// the last rules set (32 bits): OneOf values are marked with it, so a replaced rule's values
    /// never count for its successor.
    uint256 internal constant RULED_SHIFT = 200;
    uint256 internal constant RULE_NONCE_SHIFT = 208;
    /// @dev Whether any target slot can matter: an allowlist mode, a protected target, a limited
    /// token or an account-wide rule (the counts are exact). Without them no target slot is read.
    uint256 internal constant TARGET_POLICIES =
        (0xff << MODE_SHIFT) | (0xff << PROTECTED_SHIFT) | (0xff << TOKENS_SHIFT) | (0xff << RULED_SHIFT);

    // A target slot. Modes as bits: ALLOW (1) and BLOCK (2), as `1 << (mode - 1)`.
    uint256 internal constant ALLOW = 1;
    uint256 internal constant BLOCK = 2;
    uint256 internal constant PROTECTED = 4; // never callable
    uint256 internal constant MORE = 8; // selectors beyond the inline one have entry slots
    uint256 internal constant TRACKED = SpendingPolicy.TRACKED; // a token with a spending policy (SpendingPolicy's bits)
    uint256 internal constant LIVE = SpendingPolicy.LIVE; // set on every write: the slot is never zero again
    uint256 internal constant INLINE_MODES_SHIFT = 8;
    uint256 internal constant INLINE_SELECTOR_SHIFT = 16;
    /// @dev How many selectors of the target have account-wide rules (8 bits, above SpendingPolicy's).
    uint256 internal constant TARGET_RULES_SHIFT = 184;
    uint256 internal constant TARGET_RULES = 0xff << TARGET_RULES_SHIFT;

    // Key kinds: the target slot, and a selector's entry.
    uint256 internal constant KIND_TARGET = PolicyKey.TARGET;
    uint256 internal constant KIND_SELECTOR = PolicyKey.SELECTOR;
    /// @dev Per (account, generation, target, selector), the account-wide rules: an entry laid out
    /// as a session's call entry (below), `permitted` meaning "has rules".
    uint256 internal constant KIND_CALL_RULES = 6;
    uint256 public constant MAX_CALL_RULES = 32;

    // Sessions (IPolicyEngine.Session). The session slot, at `_sessionKey` (keyed by the account
    // first: ERC-7562's associated storage, which AgentValidator reads at validation):
    // `validAfter (48) | validUntil (48) | flags (8) | epoch (24) | uses (32) | maxUses (32) |
    // usesPerWindow (32) | usage bucket width (32)`; the usage window (PackedWindow) at +1 and +2.
    // Per (session, epoch, target, selector) a call entry `K`: `permitted (1) | rules (3, at 1) |
    // rule 0 (at 4)`, the first rule inline (a call with one rule reads one slot); rule r >= 1 at
    // `K + r`. A rule: `op (4, at 4) | argIndex (8, at 8) | width (8, at 16) | value (232, at 24)`
    // (OneOf: `count | nonce << 8`, each value marked with it at `_memberKey` of the rule's key; CapPerWindow:
    // `cap (96) | bucket width (32)`, its PackedWindow at `_capWindowKey`). Per (session,
    // epoch, token) a SpendingPolicy. A new grant of the same agent takes the next epoch: nothing of
    // the old grant is reachable from it.
    uint256 public constant MAX_SESSION_CALLS = 32;
    uint256 public constant MAX_RULES = 4;
    uint256 public constant MAX_ONE_OF = 8;
    uint256 internal constant KIND_SESSION = 3;
    uint256 internal constant KIND_SESSION_CALL = 4;
    uint256 internal constant KIND_SESSION_TOKEN = 5;
    uint256 internal constant U48 = type(uint48).max;
    uint256 internal constant VALID_UNTIL_SHIFT = 48;
    uint256 internal constant S_LIVE = 1 << 96;
    uint256 internal constant S_MAX_USES = 1 << 97;
    uint256 internal constant S_USAGE_WINDOW = 1 << 98;
    uint256 internal constant S_TOKENS = 1 << 99;
    uint256 internal constant EPOCH_SHIFT = 104;
    uint256 internal constant USES_SHIFT = 128;
    uint256 internal constant MAX_USES_SHIFT = 160;
    uint256 internal constant PER_WINDOW_SHIFT = 192;
    uint256 internal constant USAGE_WIDTH_SHIFT = 224;
    uint256 internal constant C_PERMITTED = 1;
    uint256 internal constant RULES_SHIFT = 1;
    uint256 internal constant RULE_OP_SHIFT = 4;
    uint256 internal constant RULE_VALUE_SHIFT = 24;
    /// @dev A CapPerWindow rule's value: `cap (96) | bucket width (32, at 96)`.
    uint256 internal constant CAP_WIDTH_SHIFT = 96;
    /// @dev Above every rule value (< 2^232): a cap's window never shares a OneOf member's key.
    uint256 internal constant CAP_WINDOW = 1 << 232;

    mapping(address account => uint256) internal _state;
    mapping(address account => address) internal _guardians;
    /// @dev Kernel accounts only: the validation whose hook the engine is (see `Config`).
    mapping(address account => bytes21) internal _kernelValidation;

    /// @dev The other Leash modules (the executor): immutables, so checking them reads no storage.
    address internal immutable LEASH_0;
    address internal immutable LEASH_1;
    address internal immutable LEASH_2;
    address internal immutable LEASH_3;

    /// @param leashModules The other Leash modules every account protects (at most `MAX_LEASH_MODULES`):
    /// AutomationExecutor, whose tasks the account may only remove. Not AgentValidator, which is
    /// deployed after the engine (it names the engine; naming each other would be a cycle): no
    /// function of it lets a call from the account loosen anything. `setAgent`, `revokeAgent` and
    /// `setGasAllowance` are `onlyAuthority` (the account passes only inside a change approved at
    /// the multiplexer, never one approved here); `setAuthority` and the approvals take the
    /// authority's own key; `onInstall` and `onUninstall` act only within a real install or
    /// uninstall (`_installRecord`, `_uninstallRecord`); `validateUserOp` called by the account can
    /// only spend the agent's gas allowance. The agent's own key never reaches it: AgentValidator
    /// refuses itself, and every installed validator, as a target.
    constructor(address[] memory leashModules) LeashModule(address(0)) {
        require(
            leashModules.length <= MAX_LEASH_MODULES,
            IPolicyEngine.Engine_TooManyLeashModules(leashModules.length, MAX_LEASH_MODULES)
        );
        address[MAX_LEASH_MODULES] memory m;
        for (uint256 i; i < MAX_LEASH_MODULES; ++i) {
            // Unused places hold address(0), which never reaches the policies (the guard refuses it
            // as an alias of the account). The engine itself is the guard's business: the account
            // may call its tightening functions.
            m[i] = i < leashModules.length ? leashModules[i] : address(0);
        }
        (LEASH_0, LEASH_1, LEASH_2, LEASH_3) = (m[0], m[1], m[2], m[3]);
    }

    /// @dev The account lists the engine as its hook, or (Kernel) reports it as the hook of the
    /// validation named at install.
    function _isInstalledOn(address account, uint256 moduleType) internal view override returns (bool) {
        if (super._isInstalledOn(account, moduleType)) return true;
        bytes21 validationId = _kernelValidation[account];
        return validationId != bytes21(0) && _kernelValidationHook(account, validationId) == address(this);
    }

    /// @dev The modes (target, selector) is listed in: the inline selector, or its entry slot.
    function _modesOf(address account, uint256 state, address target, uint256 slot, bytes4 selector)
        internal
        view
        returns (uint256)
    {
        uint256 inlineModes = (slot >> INLINE_MODES_SHIFT) & 0xff;
        if (inlineModes != 0 && bytes4(uint32(slot >> INLINE_SELECTOR_SHIFT)) == selector) return inlineModes;
        if (slot & MORE == 0) return 0;
        return PolicyKey.load(PolicyKey.at(account, state, KIND_SELECTOR, target, selector));
    }

    /// @dev The Leash modules every account protects (the engine itself is the guard's business:
    /// its tightening functions stay open to the account).
    function _isLeashModule(address account, address target) internal view returns (bool leash) {
        (address l0, address l1, address l2, address l3) = (LEASH_0, LEASH_1, LEASH_2, LEASH_3);
        // One expression, no short-circuit jumps: it runs for every item of every execution.
        assembly ("memory-safe") {
            leash := or(or(or(eq(target, account), eq(target, l0)), or(eq(target, l1), eq(target, l2))), eq(target, l3))
        }
    }

    /// @dev The mode bit entries are added to and removed from; the allowlist must be on.
    function _modeBit(uint256 state) internal pure returns (uint256) {
        uint256 mode = (state >> MODE_SHIFT) & 0xff;
        require(mode != 0, IAllowlistHook.Allowlist_InvalidMode(0));
        return 1 << (mode - 1);
    }

    /// @dev The agent's mark (`LeashModule._agentMarkKey`) at the key of the account's state slot,
    /// which AgentValidator's question reads: one hash for both.
    function _agentMarkKey(address account) internal pure override returns (uint256) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := _state.slot
        }
        return _accountKey(account, slot);
    }

    /// @dev `_state[account]`, marking that the caller validated an operation of the account's
    /// agent in this transaction (what `leashContext` and `sessionContext` are asked for):
    /// `LeashModule._markAt` written out beside the state's read, as this runs for every operation
    /// of the agent.
    function _stateForAgentOperation(address account) internal returns (uint256 state) {
        uint256 key = _agentMarkKey(account);
        bool found;
        assembly ("memory-safe") {
            state := sload(key)
            let marker := tload(key)
            switch marker
            case 0 { tstore(key, caller()) }
            default { found := iszero(eq(marker, caller())) }
        }
        if (found) _keepOrTakeMark(account, key);
    }

    /// @dev The end of the account's current or last pause (PausePolicy), from its state slot.
    function _pausedUntil(uint256 state) internal pure returns (uint256) {
        return (state >> PAUSED_SHIFT) & MANUAL;
    }

    /// @dev Executions may name a session: the engine applies its scope.
    function _requireSessions(address, address) internal pure override {}

    /// @dev `keccak(account ++ (KIND_SESSION << 224 | generation << 160 | agent))`.
    function _sessionKey(address account, uint256 state, address agent) internal pure returns (uint256 key) {
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, or(or(shl(224, KIND_SESSION), shl(160, and(state, 0xffffffffffffffff))), agent))
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev A session's call entry (`kind` KIND_SESSION_CALL) or token policy (KIND_SESSION_TOKEN):
    /// `keccak(account ++ (kind << 224 | generation << 160 | agent) ++ (epoch << 192 | selector << 160 | target))`.
    function _sessionEntryKey(
        address account,
        uint256 state,
        address agent,
        uint256 kind,
        uint256 epoch,
        address target,
        bytes4 selector
    ) internal pure returns (uint256 key) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, account)
            mstore(add(m, 0x20), or(or(shl(224, kind), shl(160, and(state, 0xffffffffffffffff))), agent))
            mstore(
                add(m, 0x40),
                or(or(shl(192, and(epoch, 0xffffff)), shr(64, and(selector, shl(224, 0xffffffff)))), target)
            )
            key := keccak256(m, 0x60)
        }
    }

    /// @dev Where a OneOf rule (at `ruleKey`) marks one of its values: keyed by the account first,
    /// as every session slot (an enable-in-first-op grant writes them during validation).
    function _memberKey(address account, uint256 ruleKey, uint256 value) internal pure returns (uint256 key) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, account)
            mstore(add(m, 0x20), ruleKey)
            mstore(add(m, 0x40), value)
            key := keccak256(m, 0x60)
        }
    }

    /// @dev `rule` as its word (the rule's key `ruleKey` names its OneOf values, each marked in its
    /// own slot with the rule's value field, `count | nonce << 8`, and a cap's window, started at
    /// `t`); false, storing nothing, when it is malformed. A session's rules take nonce 0 (a new
    /// grant takes new keys); account-wide ones, the account's next rule nonce.
    function _rule(address account, uint256 ruleKey, IPolicyEngine.ParamRule memory rule, uint256 t, uint256 nonce)
        internal
        returns (bool, uint256)
    {
        uint256 op = uint256(rule.op);
        uint256 count = rule.values.length;
        uint256 head = (op << RULE_OP_SHIFT) | (uint256(rule.argIndex) << 8) | (uint256(rule.width) << 16);
        if (op == uint256(IPolicyEngine.ParamOp.CapPerWindow)) {
            // `[cap, window]`: the window's bounds and the cap's size are PackedWindow's (its errors).
            if (rule.width == 0 || rule.width > 32 || count != 2 || rule.values[0] == 0) return (false, 0);
            uint256 bucket = PackedWindow.widthOf(rule.values[0], rule.values[1]);
            PackedWindow.init(_capWindowKey(account, ruleKey), t, bucket, rule.values[0], 0);
            return (true, head | ((rule.values[0] | (bucket << CAP_WIDTH_SHIFT)) << RULE_VALUE_SHIFT));
        }
        if (!_validRule(op, rule.width, rule.values)) return (false, 0);
        if (op != uint256(IPolicyEngine.ParamOp.OneOf)) {
            return (true, head | ((count == 1 ? rule.values[0] : 0) << RULE_VALUE_SHIFT));
        }
        uint256 stored = count | (nonce << 8);
        for (uint256 v; v < count; ++v) {
            PolicyKey.store(_memberKey(account, ruleKey, rule.values[v]), stored);
        }
        return (true, head | (stored << RULE_VALUE_SHIFT));
    }

    /// @dev A comparison rule's operator, width and values: `IsAccount` on an address-wide word
    /// with no value, `OneOf` with 1 to `MAX_ONE_OF`, the others with one; every value below 2^232
    /// and within the width.
    function _validRule(uint256 op, uint256 width, uint256[] memory values) private pure returns (bool valid) {
        uint256 count = values.length;
        valid = op != 0 && width != 0 && width <= 32;
        if (op == uint256(IPolicyEngine.ParamOp.IsAccount)) valid = valid && width >= 20 && count == 0;
        else if (op == uint256(IPolicyEngine.ParamOp.OneOf)) valid = valid && count != 0 && count <= MAX_ONE_OF;
        else valid = valid && count == 1;
        for (uint256 v; v < count; ++v) {
            uint256 value = values[v];
            valid = valid && value >> 232 == 0 && (width == 32 || value >> (8 * width) == 0);
        }
    }

    /// @dev What CapPerWindow rule `rule` of the entry at `key` (`entry`, holding the first) still
    /// lets through now; `type(uint256).max` for any other rule or none.
    function _capRemaining(address account, uint256 key, uint256 entry, uint256 rule) internal view returns (uint256) {
        if (entry & C_PERMITTED == 0 || rule >= (entry >> RULES_SHIFT) & 7) return type(uint256).max;
        uint256 word = rule == 0 ? entry : PolicyKey.load(key + rule);
        if ((word >> RULE_OP_SHIFT) & 0xf != uint256(IPolicyEngine.ParamOp.CapPerWindow)) return type(uint256).max;
        uint256 value = word >> RULE_VALUE_SHIFT;
        uint256 cap = value & PackedWindow.MAX_AMOUNT;
        uint256 used =
            PackedWindow.usedAt(_capWindowKey(account, key + rule), block.timestamp, value >> CAP_WIDTH_SHIFT);
        return used >= cap ? 0 : cap - used;
    }

    /// @dev Where a CapPerWindow rule (at `ruleKey`) keeps its PackedWindow (two slots from there),
    /// keyed by the account first like every session slot.
    function _capWindowKey(address account, uint256 ruleKey) internal pure returns (uint256) {
        return _memberKey(account, ruleKey, CAP_WINDOW);
    }

    /// @dev Runs this call's calldata in `part` (the engine's next half) in this contract's storage
    /// and ends the call with its return or revert data.
    function _forwardTo(address part) internal {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), part, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
