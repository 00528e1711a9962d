// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../interfaces/IEmergencyPauseHook.sol";
import {IPolicyEngine} from "../interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";
import {PackedWindow} from "../libraries/PackedWindow.sol";
import {PausePolicy} from "../libraries/PausePolicy.sol";
import {PolicyKey} from "../libraries/PolicyKey.sol";
import {SpendingPolicy} from "../libraries/SpendingPolicy.sol";
import {TokenOutflow} from "../libraries/TokenOutflow.sol";
import {EngineState} from "./EngineState.sol";

/// @title PolicyEngine
/// @notice The guardian's pause, the allowlist and the spending limits of one account, run by one
/// hook in its own frame: one canonical decode, no call per policy, packed state (EngineState).
/// Its interface is IPolicyEngine: the hook and the authority model are here; installation,
/// configuration and views run in PolicyEngineConfig through `delegatecall` (in this contract's
/// storage, with this contract's address), which keeps the code of each half small.
contract PolicyEngine is EngineState, IERC7579Hook {
    /// @notice The configuration half, fixed at deployment.
    address public immutable CONFIG;

    /// @dev `config` must hold code: a `delegatecall` to an empty address succeeds and does nothing,
    /// which would make every configuration call look done.
    constructor(address[] memory leashModules, address config) EngineState(leashModules) {
        require(config.code.length != 0, IPolicyEngine.Engine_NoConfiguration(config));
        CONFIG = config;
    }

    /// @inheritdoc IERC7579Module
    function onInstall(bytes calldata) external {
        _forwardTo(CONFIG);
    }

    /// @dev Configuration and views: PolicyEngineConfig, in this contract's storage.
    fallback() external {
        _forwardTo(CONFIG);
    }

    /// @notice What AgentValidator asks before every agent operation, from the one slot the
    /// execution reads next, marking the operation for the rest of the transaction
    /// (IPolicyEngine.leashContext). Here, not in the configuration half: no `delegatecall` on the
    /// agent's path.
    function leashContext(address account)
        external
        returns (bool installed, uint8 accountKind, uint48 pauseEnds, bool allowMode)
    {
        uint256 state = _stateForAgentOperation(account);
        return (
            state & INSTALLED != 0,
            uint8(state >> ACCOUNT_KIND_SHIFT),
            uint48(state >> PAUSED_SHIFT),
            uint8(state >> MODE_SHIFT) == uint8(IAllowlistHook.Mode.Allow)
        );
    }

    /// @notice What AgentValidator asks before an operation of a session (IPolicyEngine.sessionContext).
    function sessionContext(address account, address agent)
        external
        returns (bool installed, uint8 accountKind, uint48 pauseEnds, bool live, uint48 validAfter, uint48 validUntil)
    {
        uint256 state = _stateForAgentOperation(account);
        uint256 session = PolicyKey.load(_sessionKey(account, state, agent));
        return (
            state & INSTALLED != 0,
            uint8(state >> ACCOUNT_KIND_SHIFT),
            uint48(state >> PAUSED_SHIFT),
            session & S_LIVE != 0,
            uint48(session),
            uint48(session >> VALID_UNTIL_SHIFT)
        );
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    /// @inheritdoc IERC7579Module
    /// @dev O(1): every setting and spend lives under the old generation. Where the account runs
    /// its hook for the removal, the engine has already required the authority's approval.
    function onUninstall(bytes calldata) external {
        address account = msg.sender;
        _state[account] = _uninstallRecord(account, MODULE_TYPE_HOOK);
        _setInProgress(account, false);
        delete _guardians[account];
        delete _kernelValidation[account];
    }

    /// @inheritdoc IERC7579Hook
    /// @dev The authority model first (an approved change skips every policy), then the pause,
    /// then per item the protected targets and the allowlist, then the spending limits. Asks for
    /// no postCheck unless it spent an approval.
    function preCheck(address msgSender, uint256, bytes calldata msgData) external returns (bytes memory) {
        address account = msg.sender;
        uint256 state = _state[account];
        require(state & INSTALLED != 0, Leash_NotInstalled(account));
        // A Safe's owners reach the engine through their own transactions too (see `_guardCall`).
        bool counts = (state >> ACCOUNT_KIND_SHIFT) & 0xff == ACCOUNT_SAFE7579;
        (bool decided, bool approved, bool consumed, ExecutionDecoder.Executions memory ex) =
            _guardCall(account, msgSender, msgData, counts);
        if (approved) return _guardHookData(consumed, counts);
        if (ex.count == 1) return _preCheckOne(account, state, msgSender, msgData, ex, !decided);
        // Every item through the guard before any policy: an item that spends the authority's
        // approval exempts the whole call.
        if (!decided && _guardItemsAlone(account, msgSender, msgData, ex)) return _guardHookData(true, counts);
        _checkPause(account, state);
        if (ex.count != 0) _checkBatch(account, state, ex);
        if (ex.session != address(0)) _checkSession(account, state, ex);
        return _guardHookData(false, counts);
    }

    /// @dev `preCheck` of one item, read once for the guard (`guard`: not decided by `_guardCall`),
    /// the policies and the session.
    function _preCheckOne(
        address account,
        uint256 state,
        address msgSender,
        bytes calldata msgData,
        ExecutionDecoder.Executions memory ex,
        bool guard
    ) internal returns (bytes memory) {
        bool counts = (state >> ACCOUNT_KIND_SHIFT) & 0xff == ACCOUNT_SAFE7579;
        (address target, uint256 value, bytes calldata data) = ExecutionDecoder.at(ex, 0);
        if (guard && _guardExecutionItem(account, msgSender, msgData, target, data, target == address(this))) {
            return _guardHookData(true, counts);
        }
        _checkPause(account, state);
        _checkSingle(account, state, target, value, data);
        if (ex.session != address(0)) _checkSessionSingle(account, state, ex.session, target, value, data);
        return _guardHookData(false, counts);
    }

    function _checkPause(address account, uint256 state) internal view {
        // `_pausedUntil(state)` written out: as a call it costs 19 gas on every execution.
        uint256 until = (state >> PAUSED_SHIFT) & MANUAL;
        if (PausePolicy.isPaused(until)) revert IEmergencyPauseHook.Pause_AccountPaused(account, until);
    }

    /// @inheritdoc IERC7579Hook
    function postCheck(bytes calldata hookData) external {
        _leaveCall(msg.sender, hookData);
    }

    /// @dev One item: no memory arrays, each slot read once.
    function _checkSingle(address account, uint256 state, address target, uint256 value, bytes calldata data) internal {
        // No target slot at all (no allowlist entry, rule or limit): the protected targets and the
        // mode are all there is to check.
        if (state & TARGET_POLICIES == 0) return _checkTarget(account, state, target, 0, data);
        (uint256 key, uint256 slot) = _targetSlot(account, state, target);
        _checkTarget(account, state, target, slot, data);
        if (slot & TARGET_RULES != 0) _checkCallRules(account, state, target, data);
        if (slot & TRACKED != 0 && data.length != 0) {
            SpendingPolicy.charge(account, target, key, slot, TokenOutflow.amountOf(account, target, data));
        }
        if (value != 0) _chargeNative(account, state, value);
    }

    uint256 internal constant NO_VERDICT = type(uint256).max;

    /// @dev The previous item of a batch: its target's slot and what its allowlist check covered.
    struct Previous {
        address target;
        uint256 key;
        uint256 slot;
        uint256 call; // `_callKind` of the item that passed the allowlist
    }

    /// @dev Every item's target, then each limited token once with its total, then the native sum.
    /// An item calling the same target as the one before reuses its slot, and with the same
    /// selector its allowlist verdict (the check depends on nothing else).
    function _checkBatch(address account, uint256 state, ExecutionDecoder.Executions memory ex) internal {
        uint256 n = ex.count;
        address[] memory tokens = new address[](n);
        uint256[] memory keys = new uint256[](n);
        uint256[] memory amounts = new uint256[](n);
        uint256 distinct;
        uint256 native;
        Previous memory previous;
        for (uint256 i; i < n; ++i) {
            (address target, uint256 value, uint256 amount) = _item(account, state, ex, i, previous);
            native += value; // checked: an overflowing batch reverts
            if (previous.slot & TRACKED == 0 || amount == 0) continue;
            uint256 k;
            while (k < distinct && tokens[k] != target) ++k;
            if (k == distinct) (tokens[distinct], keys[distinct++]) = (target, previous.key);
            amounts[k] += amount;
        }
        for (uint256 k; k < distinct; ++k) {
            SpendingPolicy.charge(account, tokens[k], keys[k], PolicyKey.load(keys[k]), amounts[k]);
        }
        if (native != 0) _chargeNative(account, state, native);
    }

    /// @dev Item `i` of a batch checked against the allowlist and the account-wide rules; what it
    /// moves of a limited token. Leaves the item's target, slot and call in `previous`.
    function _item(
        address account,
        uint256 state,
        ExecutionDecoder.Executions memory ex,
        uint256 i,
        Previous memory previous
    ) internal returns (address target, uint256 value, uint256 amount) {
        bytes calldata data;
        (target, value, data) = ExecutionDecoder.at(ex, i);
        uint256 call = _callKind(data);
        if (i == 0 || target != previous.target) {
            previous.target = target;
            (previous.key, previous.slot) = _targetSlot(account, state, target);
            previous.call = NO_VERDICT;
        }
        // A verdict is reused only for the same target and the same kind of call, and never for
        // 1 to 3 bytes of calldata (NO_VERDICT), which are always checked (and refused).
        if (call == NO_VERDICT || call != previous.call) {
            _checkTarget(account, state, target, previous.slot, data);
            previous.call = call;
        }
        // Rules read the arguments: never a reused verdict.
        if (previous.slot & TARGET_RULES != 0) _checkCallRules(account, state, target, data);
        if (previous.slot & TRACKED != 0 && data.length != 0) amount = TokenOutflow.amountOf(account, target, data);
    }

    /// @dev What an item's allowlist verdict depends on besides its target: its selector when it has
    /// one, 0 for empty calldata; 1 to 3 bytes get NO_VERDICT, never reused.
    function _callKind(bytes calldata data) internal pure returns (uint256 kind) {
        uint256 length = data.length;
        if (length == 0) return 0;
        if (length < 4) return NO_VERDICT;
        assembly ("memory-safe") {
            kind := or(shl(32, 1), shr(224, calldataload(data.offset)))
        }
    }

    /// @dev One item against the protected targets (in every mode) and the allowlist (the rules of
    /// IAllowlistHook, with entries counted only in the mode they were listed in).
    function _checkTarget(address account, uint256 state, address target, uint256 slot, bytes calldata data)
        internal
        view
    {
        if (slot & PROTECTED != 0 || _isLeashModule(account, target)) {
            revert IAllowlistHook.Allowlist_ProtectedTarget(account, target);
        }
        uint256 mode = (state >> MODE_SHIFT) & 0xff;
        // The engine itself: the guard let only its tightening functions through, which stay
        // open to the account in every mode.
        if (mode == 0 || target == address(this)) return;
        uint256 length = data.length;
        bytes4 selector; // empty calldata: 0x00000000, a plain transfer
        if (length >= 4) {
            assembly ("memory-safe") {
                selector := and(calldataload(data.offset), shl(224, 0xffffffff))
            }
            // 0x00000000 is the key of plain transfers: a call with that selector would share it.
            if (selector == bytes4(0)) revert IAllowlistHook.Allowlist_ZeroSelector(account, target);
        } else if (length != 0) {
            revert IAllowlistHook.Allowlist_ShortCalldata(account, target, length);
        }
        if (mode == 1) {
            // Allow mode: the wildcard or the selector listed in allow mode.
            if (slot & ALLOW != 0 || _modesOf(account, state, target, slot, selector) & ALLOW != 0) return;
            revert IAllowlistHook.Allowlist_CallNotAllowed(account, target, selector);
        }
        if (slot & BLOCK != 0) revert IAllowlistHook.Allowlist_CallBlocked(account, target, WILDCARD_SELECTOR);
        if (_modesOf(account, state, target, slot, selector) & BLOCK != 0) {
            revert IAllowlistHook.Allowlist_CallBlocked(account, target, selector);
        }
    }

    function _chargeNative(address account, uint256 state, uint256 value) internal {
        (uint256 key, uint256 slot) = _targetSlot(account, state, address(0));
        if (slot & TRACKED != 0) SpendingPolicy.charge(account, address(0), key, slot, value);
    }

    /// @dev The target's slot and its key; an empty slot, unread, where no target slot can matter.
    function _targetSlot(address account, uint256 state, address target)
        internal
        view
        returns (uint256 key, uint256 slot)
    {
        if (state & TARGET_POLICIES == 0) return (0, 0);
        key = PolicyKey.at(account, state, KIND_TARGET, target, 0);
        slot = PolicyKey.load(key);
    }

    /// @dev The account-wide rules of the item's (target, selector), if it has any (its target has).
    function _checkCallRules(address account, uint256 state, address target, bytes calldata data) internal {
        bytes4 selector;
        if (data.length >= 4) {
            assembly ("memory-safe") {
                selector := and(calldataload(data.offset), shl(224, 0xffffffff))
            }
        }
        uint256 key = PolicyKey.at(account, state, KIND_CALL_RULES, target, selector);
        uint256 entry = PolicyKey.load(key);
        if (entry & C_PERMITTED != 0) {
            _checkRules(Scope(account, state, address(0), 0), target, selector, key, entry, data);
        }
    }

    // ------------------------------------------------------------------ sessions

    /// @dev A session's identity within one execution; `agent` zero for the account-wide rules.
    struct Scope {
        address account;
        uint256 state;
        address agent;
        uint256 epoch;
    }

    /// @dev The session the execution names, on top of the account-wide checks: live and within its
    /// time range, its usage limits, each call a permitted pair whose rules hold, then its own
    /// spending limits (each token once with its total, then the native sum).
    function _checkSession(address account, uint256 state, ExecutionDecoder.Executions memory ex) internal {
        uint256 n = ex.count;
        (Scope memory scope, uint256 session) = _openSession(account, state, ex.session, n);
        address[] memory tokens = new address[](n + 1);
        uint256[] memory amounts = new uint256[](n + 1);
        uint256 distinct;
        uint256 native;
        for (uint256 i; i < n; ++i) {
            (address target, uint256 value, uint256 amount) = _sessionItem(scope, session, ex, i);
            native += value;
            if (amount == 0) continue;
            uint256 k;
            while (k < distinct && tokens[k] != target) ++k;
            if (k == distinct) tokens[distinct++] = target;
            amounts[k] += amount;
        }
        if (session & S_TOKENS == 0) return;
        if (native != 0) (tokens[distinct], amounts[distinct++]) = (address(0), native);
        for (uint256 k; k < distinct; ++k) {
            uint256 tokenKey = _sessionTokenKey(scope, tokens[k]);
            uint256 slot = PolicyKey.load(tokenKey);
            if (slot & TRACKED != 0) SpendingPolicy.record(account, tokens[k], tokenKey, slot, amounts[k]);
        }
    }

    /// @dev One item, as `_checkSession` takes a batch: no memory arrays, the token's slot read once.
    function _checkSessionSingle(
        address account,
        uint256 state,
        address agent,
        address target,
        uint256 value,
        bytes calldata data
    ) internal {
        (Scope memory scope, uint256 session) = _openSession(account, state, agent, 1);
        _checkSessionCall(scope, target, data);
        if (session & S_TOKENS == 0) return;
        if (data.length != 0) _recordSessionSpend(scope, target, data, 0);
        if (value != 0) _recordSessionSpend(scope, address(0), data[:0], value);
    }

    /// @dev What the call moves of `token` (`data` to it; or `value` of the native token), against
    /// the session's own limits of it, if it has any.
    function _recordSessionSpend(Scope memory scope, address token, bytes calldata data, uint256 value) internal {
        uint256 key = _sessionTokenKey(scope, token);
        uint256 slot = PolicyKey.load(key);
        if (slot & TRACKED == 0) return;
        uint256 amount = token == address(0) ? value : TokenOutflow.amountOf(scope.account, token, data);
        if (amount != 0) SpendingPolicy.record(scope.account, token, key, slot, amount);
    }

    /// @dev The session named: live, within its time range, `n` more calls within its usage limits.
    function _openSession(address account, uint256 state, address agent, uint256 n)
        internal
        returns (Scope memory scope, uint256 session)
    {
        uint256 key = _sessionKey(account, state, agent);
        session = PolicyKey.load(key);
        require(session & S_LIVE != 0, IPolicyEngine.Session_NotLive(account, agent));
        uint256 validAfter = session & U48;
        uint256 validUntil = (session >> VALID_UNTIL_SHIFT) & U48;
        require(
            block.timestamp >= validAfter && block.timestamp <= validUntil,
            IPolicyEngine.Session_OutOfTime(account, agent, validAfter, validUntil)
        );
        if (session & S_MAX_USES != 0) {
            uint256 uses = ((session >> USES_SHIFT) & 0xffffffff) + n;
            uint256 maxUses = (session >> MAX_USES_SHIFT) & 0xffffffff;
            require(uses <= maxUses, IPolicyEngine.Session_UsesExceeded(account, agent, uses, maxUses));
            PolicyKey.store(key, (session & ~(uint256(0xffffffff) << USES_SHIFT)) | (uses << USES_SHIFT));
        }
        if (session & S_USAGE_WINDOW != 0) _useWindow(account, agent, key, session, n);
        scope = Scope(account, state, agent, (session >> EPOCH_SHIFT) & 0xffffff);
    }

    /// @dev Item `i` against the session's pairs; what it moves of a token the session limits.
    function _sessionItem(Scope memory scope, uint256 session, ExecutionDecoder.Executions memory ex, uint256 i)
        internal
        returns (address target, uint256 value, uint256 amount)
    {
        bytes calldata data;
        (target, value, data) = ExecutionDecoder.at(ex, i);
        _checkSessionCall(scope, target, data);
        if (session & S_TOKENS == 0 || data.length == 0) return (target, value, 0);
        if (PolicyKey.load(_sessionTokenKey(scope, target)) & TRACKED != 0) {
            amount = TokenOutflow.amountOf(scope.account, target, data);
        }
    }

    function _sessionTokenKey(Scope memory scope, address token) internal pure returns (uint256) {
        return _sessionEntryKey(scope.account, scope.state, scope.agent, KIND_SESSION_TOKEN, scope.epoch, token, 0);
    }

    /// @dev `n` more calls against the session's calls per window.
    function _useWindow(address account, address agent, uint256 key, uint256 session, uint256 n) internal {
        uint256 perWindow = (session >> PER_WINDOW_SHIFT) & 0xffffffff;
        uint256 width = session >> USAGE_WIDTH_SHIFT;
        if (!PackedWindow.spend(key + 1, block.timestamp, n, perWindow, width)) {
            revert IPolicyEngine.Session_UsageWindowExceeded(
                account, agent, n, PackedWindow.availableAt(key + 1, block.timestamp, n, perWindow, width)
            );
        }
    }

    /// @dev One call against the session's permitted pairs: its selector's entry, else the target's
    /// wildcard entry (any call, as in the allowlist; it carries no rules); then the entry's rules on
    /// the argument words, a cap's word spent in its window.
    function _checkSessionCall(Scope memory scope, address target, bytes calldata data) internal {
        (address account, address agent) = (scope.account, scope.agent);
        bytes4 selector; // empty calldata: 0x00000000, a plain transfer
        uint256 length = data.length;
        if (length >= 4) {
            assembly ("memory-safe") {
                selector := and(calldataload(data.offset), shl(224, 0xffffffff))
            }
        }
        // 1 to 3 bytes, or a real selector 0 (which would share the plain transfers' entry): never permitted.
        if ((length != 0 && length < 4) || (length >= 4 && selector == bytes4(0))) {
            revert IPolicyEngine.Session_CallNotPermitted(account, agent, target, selector);
        }
        uint256 key = _sessionEntryKey(account, scope.state, agent, KIND_SESSION_CALL, scope.epoch, target, selector);
        uint256 entry = PolicyKey.load(key);
        if (entry & C_PERMITTED == 0) {
            uint256 wildcard = _sessionEntryKey(
                account, scope.state, agent, KIND_SESSION_CALL, scope.epoch, target, WILDCARD_SELECTOR
            );
            if (PolicyKey.load(wildcard) & C_PERMITTED == 0) {
                revert IPolicyEngine.Session_CallNotPermitted(account, agent, target, selector);
            }
            return;
        }
        _checkRules(scope, target, selector, key, entry, data);
    }

    /// @dev The rules of the entry at `key` (`entry`, holding the first) on the call's argument words.
    function _checkRules(
        Scope memory scope,
        address target,
        bytes4 selector,
        uint256 key,
        uint256 entry,
        bytes calldata data
    ) internal {
        uint256 rules = (entry >> RULES_SHIFT) & 7;
        for (uint256 r; r < rules; ++r) {
            uint256 rule = r == 0 ? entry : PolicyKey.load(key + r);
            (bool present, uint256 word) = _argument(data, (rule >> 8) & 0xff);
            if (!present || !_holds(scope.account, key + r, rule, word)) {
                if (scope.agent == address(0)) {
                    revert IPolicyEngine.Engine_CallRuleBroken(scope.account, target, selector, r, word);
                }
                revert IPolicyEngine.Session_ParamRuleBroken(scope.account, scope.agent, target, selector, r, word);
            }
            if ((rule >> RULE_OP_SHIFT) & 0xf == uint256(IPolicyEngine.ParamOp.CapPerWindow)) {
                _spendCap(scope, target, selector, r, key + r, rule >> RULE_VALUE_SHIFT, word);
            }
        }
    }

    /// @dev `word` against the window of CapPerWindow rule `r` (at `ruleKey`; `value`: `cap | bucket
    /// width << 96`), or reverts with what is left and when `word` fits.
    function _spendCap(
        Scope memory scope,
        address target,
        bytes4 selector,
        uint256 r,
        uint256 ruleKey,
        uint256 value,
        uint256 word
    ) internal {
        uint256 windowKey = _capWindowKey(scope.account, ruleKey);
        uint256 cap = value & PackedWindow.MAX_AMOUNT;
        uint256 width = value >> CAP_WIDTH_SHIFT;
        if (!PackedWindow.spend(windowKey, block.timestamp, word, cap, width)) {
            uint256 used = PackedWindow.usedAt(windowKey, block.timestamp, width);
            uint256 remaining = used >= cap ? 0 : cap - used;
            uint256 at = PackedWindow.availableAt(windowKey, block.timestamp, word, cap, width);
            if (scope.agent == address(0)) {
                revert IPolicyEngine.Engine_ArgumentCapExceeded(scope.account, target, selector, r, word, remaining, at);
            }
            revert IPolicyEngine.Session_ArgumentCapExceeded(
                scope.account, scope.agent, target, selector, r, word, remaining, at
            );
        }
    }

    /// @dev Argument word `index`, if the call is long enough to hold it.
    function _argument(bytes calldata data, uint256 index) internal pure returns (bool present, uint256 word) {
        uint256 end = 36 + 32 * index;
        if (data.length < end) return (false, 0);
        present = true;
        assembly ("memory-safe") {
            word := calldataload(add(data.offset, sub(end, 32)))
        }
    }

    /// @dev Whether `word` is canonical for the rule's width and meets it (a cap: checked after, in
    /// its window).
    function _holds(address account, uint256 ruleKey, uint256 rule, uint256 word) internal view returns (bool) {
        uint256 width = (rule >> 16) & 0xff;
        if (width < 32 && word >> (8 * width) != 0) return false;
        uint256 op = (rule >> RULE_OP_SHIFT) & 0xf;
        uint256 value = rule >> RULE_VALUE_SHIFT;
        if (op == uint256(IPolicyEngine.ParamOp.Equal)) return word == value;
        if (op == uint256(IPolicyEngine.ParamOp.NotEqual)) return word != value;
        if (op == uint256(IPolicyEngine.ParamOp.Less)) return word < value;
        if (op == uint256(IPolicyEngine.ParamOp.LessOrEqual)) return word <= value;
        if (op == uint256(IPolicyEngine.ParamOp.Greater)) return word > value;
        if (op == uint256(IPolicyEngine.ParamOp.GreaterOrEqual)) return word >= value;
        if (op == uint256(IPolicyEngine.ParamOp.IsAccount)) return word == uint256(uint160(account));
        if (op == uint256(IPolicyEngine.ParamOp.CapPerWindow)) return true;
        return PolicyKey.load(_memberKey(account, ruleKey, word)) == value; // OneOf: marked with this rule's value
    }
}
