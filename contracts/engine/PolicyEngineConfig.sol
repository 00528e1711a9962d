// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../interfaces/IEmergencyPauseHook.sol";
import {IPolicyEngine} from "../interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";

import {PausePolicy} from "../libraries/PausePolicy.sol";
import {PolicyKey} from "../libraries/PolicyKey.sol";
import {SpendingPolicy} from "../libraries/SpendingPolicy.sol";
import {EngineState} from "./EngineState.sol";

/// @title PolicyEngineConfig
/// @notice The configuration half of the policy engine: installation, the guardian's pause, the
/// allowlist's and the spending limits' settings, and the views (IPolicyEngine). PolicyEngine runs
/// it through `delegatecall`; called directly, it only ever touches its own, unused storage (an
/// install here fails: no account lists this contract as its hook).
contract PolicyEngineConfig is EngineState {
    /// @notice The sessions' configuration (SessionConfig), where this half sends what it does not
    /// know itself, also through `delegatecall`: still in the engine's storage, with its address.
    address public immutable SESSIONS;

    /// @dev `sessions` must hold code, as the engine's configuration half must (a `delegatecall` to
    /// an empty address succeeds and does nothing).
    constructor(address[] memory leashModules, address sessions) EngineState(leashModules) {
        require(sessions.code.length != 0, IPolicyEngine.Engine_NoConfiguration(sessions));
        SESSIONS = sessions;
    }

    /// @dev Sessions: SessionConfig.
    fallback() external {
        _forwardTo(SESSIONS);
    }

    /// @dev PolicyKey's key, called from one place here: configuration is off the execution path,
    /// so code size counts more than a jump.
    function _keyOf(address account, uint256 state, uint256 kind, address target, bytes4 selector)
        private
        pure
        returns (uint256)
    {
        return PolicyKey.at(account, state, kind, target, selector);
    }

    /// @notice ERC-7579 `onInstall` of the engine: `abi.encode(address authority, IPolicyEngine.Config config)`.
    function onInstall(bytes calldata data) external {
        address account = msg.sender;
        (address authority, IPolicyEngine.Config memory config) = abi.decode(data, (address, IPolicyEngine.Config));
        if (config.validationId != bytes21(0)) _kernelValidation[account] = config.validationId;
        _installRecord(account, authority, MODULE_TYPE_HOOK);
        uint256 generation = _records[account].generation;
        require(
            uint8(config.mode) <= uint8(IAllowlistHook.Mode.Block),
            IAllowlistHook.Allowlist_InvalidMode(uint8(config.mode))
        );
        uint256 state = generation | INSTALLED | (uint256(config.mode) << MODE_SHIFT)
            | (_accountKind(account) << ACCOUNT_KIND_SHIFT);
        if (config.guardian != address(0)) {
            _setGuardian(account, config.guardian);
            state = _withAutoUnpause(account, state, config.autoUnpauseAfter);
        }
        for (uint256 i; i < config.permissions.length; ++i) {
            state = _addPermission(account, state, config.permissions[i].target, config.permissions[i].selector);
        }
        for (uint256 i; i < config.protectedTargets.length; ++i) {
            state = _protect(account, state, config.protectedTargets[i]);
        }
        for (uint256 i; i < config.tokens.length; ++i) {
            state = _setPolicy(account, state, config.tokens[i]);
        }
        for (uint256 i; i < config.callRules.length; ++i) {
            IPolicyEngine.CallRules memory rules = config.callRules[i];
            state = _setCallRules(account, state, rules.target, rules.selector, rules.rules);
        }
        _state[account] = state;
    }

    /// @dev How the account proved the install `_installRecord` just accepted (`_isInstalledOn`,
    /// whose questions these are, in its order): it lists the engine when asked plainly; it cannot
    /// answer that and names the engine its global hook (Safe7579); otherwise Kernel reports the
    /// engine as the hook of the validation named in the install data. (Asked again here rather
    /// than through a shared helper, which would grow every Leash module's code.)
    function _accountKind(address account) private view returns (uint256) {
        (bool ok, bytes memory ret) = account.staticcall(
            abi.encodeCall(IERC7579ModuleConfig.isModuleInstalled, (MODULE_TYPE_HOOK, address(this), ""))
        );
        if (ok) return ret.length >= 32 && abi.decode(ret, (bool)) ? ACCOUNT_LISTS : ACCOUNT_KERNEL;
        (ok, ret) = account.staticcall(
            abi.encodeCall(
                IERC7579ModuleConfig.isModuleInstalled,
                (MODULE_TYPE_HOOK, address(this), abi.encode(uint8(0), bytes4(0)))
            )
        );
        return ok && ret.length >= 32 && abi.decode(ret, (bool)) ? ACCOUNT_SAFE7579 : ACCOUNT_KERNEL;
    }

    function _addPermission(address account, uint256 state, address target, bytes4 selector)
        internal
        returns (uint256)
    {
        uint256 bit = _modeBit(state);
        uint256 count = (state >> PERMISSIONS_SHIFT) & 0xffff;
        require(count < MAX_PERMISSIONS, IAllowlistHook.Allowlist_TooManyPermissions(account, MAX_PERMISSIONS));
        uint256 key = _keyOf(account, state, KIND_TARGET, target, 0);
        uint256 slot = PolicyKey.load(key);
        if (selector == WILDCARD_SELECTOR) {
            require(slot & bit == 0, IAllowlistHook.Allowlist_PermissionExists(account, target, selector));
            slot |= bit;
        } else {
            uint256 inlineModes = (slot >> INLINE_MODES_SHIFT) & 0xff;
            if (inlineModes != 0 && bytes4(uint32(slot >> INLINE_SELECTOR_SHIFT)) == selector) {
                require(inlineModes & bit == 0, IAllowlistHook.Allowlist_PermissionExists(account, target, selector));
                slot |= bit << INLINE_MODES_SHIFT;
            } else {
                uint256 entryKey = _keyOf(account, state, KIND_SELECTOR, target, selector);
                uint256 entry = slot & MORE != 0 ? PolicyKey.load(entryKey) : 0;
                if (entry != 0) {
                    require(entry & bit == 0, IAllowlistHook.Allowlist_PermissionExists(account, target, selector));
                    PolicyKey.store(entryKey, entry | bit);
                } else if (inlineModes == 0) {
                    slot = (slot & ~(uint256(0xffffffffff) << INLINE_MODES_SHIFT)) | (bit << INLINE_MODES_SHIFT)
                        | (uint256(uint32(selector)) << INLINE_SELECTOR_SHIFT);
                } else {
                    PolicyKey.store(entryKey, bit);
                    slot |= MORE;
                }
            }
        }
        PolicyKey.store(key, slot | LIVE);
        emit IAllowlistHook.PermissionAdded(account, target, selector);
        return state + (1 << PERMISSIONS_SHIFT);
    }

    function _removePermission(address account, uint256 state, address target, bytes4 selector)
        internal
        returns (uint256)
    {
        uint256 bit = _modeBit(state);
        uint256 key = _keyOf(account, state, KIND_TARGET, target, 0);
        uint256 slot = PolicyKey.load(key);
        bool found;
        if (selector == WILDCARD_SELECTOR) {
            found = slot & bit != 0;
            slot &= ~bit;
        } else {
            uint256 inlineModes = (slot >> INLINE_MODES_SHIFT) & 0xff;
            if (inlineModes != 0 && bytes4(uint32(slot >> INLINE_SELECTOR_SHIFT)) == selector) {
                found = inlineModes & bit != 0;
                slot &= ~(bit << INLINE_MODES_SHIFT);
            } else if (slot & MORE != 0) {
                uint256 entryKey = _keyOf(account, state, KIND_SELECTOR, target, selector);
                uint256 entry = PolicyKey.load(entryKey);
                found = entry & bit != 0;
                if (found) PolicyKey.store(entryKey, entry & ~bit);
            }
        }
        require(found, IAllowlistHook.Allowlist_PermissionMissing(account, target, selector));
        PolicyKey.store(key, slot);
        emit IAllowlistHook.PermissionRemoved(account, target, selector);
        return state - (1 << PERMISSIONS_SHIFT);
    }

    function _protect(address account, uint256 state, address target) internal returns (uint256) {
        uint256 count = (state >> PROTECTED_SHIFT) & 0xff;
        require(count < MAX_PROTECTED, IAllowlistHook.Allowlist_TooManyProtected(account, MAX_PROTECTED));
        uint256 key = _keyOf(account, state, KIND_TARGET, target, 0);
        uint256 slot = PolicyKey.load(key);
        require(slot & PROTECTED == 0, IAllowlistHook.Allowlist_ProtectedExists(account, target));
        PolicyKey.store(key, slot | PROTECTED | LIVE);
        emit IAllowlistHook.ProtectedAdded(account, target);
        return state + (1 << PROTECTED_SHIFT);
    }

    /// @dev Sets, replaces or (`rules` empty) removes the account-wide rules of (target, selector),
    /// keeping the counts exact: pairs with rules in the state slot, the target's ruled selectors
    /// in its slot (the engine reads a pair's rules only where its target has some).
    function _setCallRules(
        address account,
        uint256 state,
        address target,
        bytes4 selector,
        IPolicyEngine.ParamRule[] memory rules
    ) internal returns (uint256) {
        uint256 n = rules.length;
        require(
            selector != bytes4(0) && selector != WILDCARD_SELECTOR,
            IPolicyEngine.Engine_InvalidCallRule(target, selector, 0)
        );
        require(n <= MAX_RULES, IPolicyEngine.Engine_TooManyCallRules(account, "rules", n, MAX_RULES));
        uint256 key = _keyOf(account, state, KIND_CALL_RULES, target, selector);
        bool had = PolicyKey.load(key) & C_PERMITTED != 0;
        if (had != (n != 0)) {
            uint256 targetKey = _keyOf(account, state, KIND_TARGET, target, 0);
            uint256 slot = PolicyKey.load(targetKey);
            if (had) {
                (state, slot) = (state - (1 << RULED_SHIFT), slot - (1 << TARGET_RULES_SHIFT));
            } else {
                uint256 pairs = (state >> RULED_SHIFT) & 0xff;
                require(
                    pairs < MAX_CALL_RULES,
                    IPolicyEngine.Engine_TooManyCallRules(account, "pairs", pairs + 1, MAX_CALL_RULES)
                );
                (state, slot) = (state + (1 << RULED_SHIFT), slot + (1 << TARGET_RULES_SHIFT));
            }
            PolicyKey.store(targetKey, slot | LIVE);
        }
        uint256 nonce = ((state >> RULE_NONCE_SHIFT) + 1) & 0xffffffff;
        state = (state & ~(uint256(0xffffffff) << RULE_NONCE_SHIFT)) | (nonce << RULE_NONCE_SHIFT);
        uint256 entry = n == 0 ? 0 : C_PERMITTED | (n << RULES_SHIFT);
        for (uint256 r; r < n; ++r) {
            (bool valid, uint256 word) = _rule(account, key + r, rules[r], block.timestamp, nonce);
            require(valid, IPolicyEngine.Engine_InvalidCallRule(target, selector, r));
            if (r == 0) entry |= word;
            else PolicyKey.store(key + r, word);
        }
        PolicyKey.store(key, entry);
        emit IPolicyEngine.CallRulesSet(account, target, selector, rules);
        return state;
    }

    /// @dev Sets (or replaces) one token's policy (SpendingPolicy), counting a new token.
    function _setPolicy(address account, uint256 state, ISpendingLimitHook.TokenPolicy memory policy)
        internal
        returns (uint256)
    {
        uint256 key = _keyOf(account, state, KIND_TARGET, policy.token, 0);
        uint256 slot = PolicyKey.load(key);
        if (slot & TRACKED == 0) {
            require(
                (state >> TOKENS_SHIFT) & 0xff < MAX_TOKENS,
                ISpendingLimitHook.SpendingLimit_TooManyTokens(account, MAX_TOKENS)
            );
            state += 1 << TOKENS_SHIFT;
        }
        SpendingPolicy.set(account, key, slot, policy);
        return state;
    }

    function _setGuardian(address account, address guardian) internal {
        PausePolicy.requireValidGuardian(account, guardian);
        _guardians[account] = guardian;
        emit IEmergencyPauseHook.GuardianSet(account, guardian);
    }

    function _withAutoUnpause(address account, uint256 state, uint256 autoUnpauseAfter) internal returns (uint256) {
        PausePolicy.requireValidAutoUnpause(autoUnpauseAfter);
        emit IEmergencyPauseHook.AutoUnpauseSet(account, autoUnpauseAfter);
        return (state & ~(uint256(0xffffffff) << AUTO_SHIFT)) | (autoUnpauseAfter << AUTO_SHIFT);
    }

    /// @dev The guardian or the authority, with the pause policy on.
    function _checkGuardian(address account, uint256 state) internal view {
        require(state & INSTALLED != 0, Leash_NotInstalled(account));
        address guardian = _guardians[account];
        require(guardian != address(0), IPolicyEngine.Engine_NoGuardian(account));
        require(
            msg.sender == guardian || msg.sender == _records[account].authority,
            IEmergencyPauseHook.Pause_NotGuardian(account, msg.sender)
        );
    }

    function _withPausedUntil(uint256 state, uint256 until) internal pure returns (uint256) {
        return (state & ~(MANUAL << PAUSED_SHIFT)) | (until << PAUSED_SHIFT);
    }

    function pause(address account) external {
        uint256 state = _state[account];
        _checkGuardian(account, state);
        uint256 until = PausePolicy.start(account, _pausedUntil(state), (state >> AUTO_SHIFT) & 0xffffffff);
        _state[account] = _withPausedUntil(state, until);
        emit IEmergencyPauseHook.Paused(account, msg.sender, until);
    }

    function unpause(address account) external {
        uint256 state = _state[account];
        _checkGuardian(account, state);
        _state[account] = _withPausedUntil(state, PausePolicy.end(account, _pausedUntil(state)));
        emit IEmergencyPauseHook.Unpaused(account, msg.sender);
    }

    function setGuardian(address account, address guardian) external onlyAuthority(account) {
        _setGuardian(account, guardian);
    }

    function setAutoUnpauseAfter(address account, uint256 autoUnpauseAfter) external onlyAuthority(account) {
        _state[account] = _withAutoUnpause(account, _state[account], autoUnpauseAfter);
    }

    function addPermission(address account, address target, bytes4 selector) external {
        uint256 state = _state[account];
        _requireRole(account, _modeBit(state) == BLOCK);
        _state[account] = _addPermission(account, state, target, selector);
    }

    function removePermission(address account, address target, bytes4 selector) external {
        uint256 state = _state[account];
        _requireRole(account, _modeBit(state) == ALLOW);
        _state[account] = _removePermission(account, state, target, selector);
    }

    function addProtected(address account, address target) external onlyAccountOrAuthority(account) {
        _state[account] = _protect(account, _state[account], target);
    }

    function removeProtected(address account, address target) external onlyAuthority(account) {
        uint256 state = _state[account];
        uint256 key = _keyOf(account, state, KIND_TARGET, target, 0);
        uint256 slot = PolicyKey.load(key);
        require(slot & PROTECTED != 0, IAllowlistHook.Allowlist_ProtectedMissing(account, target));
        PolicyKey.store(key, slot & ~PROTECTED);
        _state[account] = state - (1 << PROTECTED_SHIFT);
        emit IAllowlistHook.ProtectedRemoved(account, target);
    }

    /// @dev Entries keep the mode they were listed in: a switch never reads an account's block as an
    /// allowance. `None` turns the allowlist off. Allow mode is not left in a transaction that
    /// carries an operation of the account's agent: AgentValidator asks the account about modules
    /// only outside allow mode, so the operation must execute in the mode it was validated in.
    function setMode(address account, IAllowlistHook.Mode mode) external onlyAuthority(account) {
        require(uint8(mode) <= uint8(IAllowlistHook.Mode.Block), IAllowlistHook.Allowlist_InvalidMode(uint8(mode)));
        uint256 state = _state[account];
        if (mode != IAllowlistHook.Mode.Allow && uint8(state >> MODE_SHIFT) == uint8(IAllowlistHook.Mode.Allow)) {
            require(!_agentOperationInTransaction(account), Leash_AgentOperationInTransaction(account));
        }
        _state[account] = (state & ~(uint256(0xff) << MODE_SHIFT)) | (uint256(mode) << MODE_SHIFT);
        emit IAllowlistHook.ModeSet(account, mode);
    }

    function setTokenPolicy(address account, ISpendingLimitHook.TokenPolicy calldata policy) external {
        address authority = _records[account].authority;
        require(authority != address(0), Leash_NotInstalled(account));
        uint256 state = _state[account];
        if (!_actsAsAuthority(account, authority)) {
            require(msg.sender == account, Leash_OnlyAccountOrAuthority(account, msg.sender));
            uint256 key = _keyOf(account, state, KIND_TARGET, policy.token, 0);
            require(
                SpendingPolicy.isTightening(key, PolicyKey.load(key), policy),
                ISpendingLimitHook.SpendingLimit_NotTightening(account, policy.token)
            );
        }
        _state[account] = _setPolicy(account, state, policy);
    }

    function setCallRules(address account, address target, bytes4 selector, IPolicyEngine.ParamRule[] calldata rules)
        external
        onlyAuthority(account)
    {
        _state[account] = _setCallRules(account, _state[account], target, selector, rules);
    }

    function callRuleCount(address account, address target, bytes4 selector) external view returns (uint256) {
        uint256 entry = PolicyKey.load(_keyOf(account, _state[account], KIND_CALL_RULES, target, selector));
        return entry & C_PERMITTED == 0 ? 0 : (entry >> RULES_SHIFT) & 7;
    }

    function argumentRemaining(address account, address target, bytes4 selector, uint256 rule)
        external
        view
        returns (uint256)
    {
        uint256 key = _keyOf(account, _state[account], KIND_CALL_RULES, target, selector);
        return _capRemaining(account, key, PolicyKey.load(key), rule);
    }

    function removeTokenPolicy(address account, address token) external onlyAuthority(account) {
        uint256 state = _state[account];
        uint256 key = _keyOf(account, state, KIND_TARGET, token, 0);
        SpendingPolicy.remove(account, token, key, PolicyKey.load(key));
        _state[account] = state - (1 << TOKENS_SHIFT);
    }

    /// @dev Tightening changes are open to the account and the authority; loosening to the authority.
    function _requireRole(address account, bool tightening) internal view {
        if (tightening) _checkAccountOrAuthority(account);
        else _checkAuthority(account);
    }

    /// @notice Whether the engine is installed for `account`: Kernel asks a hook this before it
    /// installs it with a validator or executor (and does not install it twice).
    function isInitialized(address account) external view returns (bool) {
        return _state[account] & INSTALLED != 0;
    }

    function isPaused(address account) external view returns (bool) {
        return PausePolicy.isPaused(_pausedUntil(_state[account]));
    }

    function pausedUntil(address account) external view returns (uint256) {
        return _pausedUntil(_state[account]);
    }

    function guardianOf(address account) external view returns (address) {
        return _guardians[account];
    }

    function modeOf(address account) external view returns (IAllowlistHook.Mode) {
        return IAllowlistHook.Mode((_state[account] >> MODE_SHIFT) & 0xff);
    }

    function isListed(address account, address target, bytes4 selector) external view returns (bool) {
        uint256 state = _state[account];
        uint256 mode = (state >> MODE_SHIFT) & 0xff;
        if (mode == 0) return false;
        uint256 key = _keyOf(account, state, KIND_TARGET, target, 0);
        uint256 slot = PolicyKey.load(key);
        uint256 bit = 1 << (mode - 1);
        if (selector == WILDCARD_SELECTOR) return slot & bit != 0;
        return _modesOf(account, state, target, slot, selector) & bit != 0;
    }

    function isProtected(address account, address target) external view returns (bool) {
        uint256 state = _state[account];
        return target == address(0) || _isLeashModule(account, target)
            || PolicyKey.load(_keyOf(account, state, KIND_TARGET, target, 0)) & PROTECTED != 0;
    }

    function policyOf(address account, address token)
        external
        view
        returns (uint256 perTxCap, ISpendingLimitHook.LimitConfig[] memory limits)
    {
        uint256 key = _keyOf(account, _state[account], KIND_TARGET, token, 0);
        return SpendingPolicy.policyOf(key, PolicyKey.load(key));
    }

    function remainingAt(address account, address token, uint256 timestamp) external view returns (uint256) {
        uint256 key = _keyOf(account, _state[account], KIND_TARGET, token, 0);
        return
            SpendingPolicy.remainingAt(
                key, PolicyKey.load(key), timestamp < block.timestamp ? block.timestamp : timestamp
            );
    }

    function availableAt(address account, address token, uint256 amount) external view returns (uint256) {
        uint256 key = _keyOf(account, _state[account], KIND_TARGET, token, 0);
        return SpendingPolicy.availableAt(key, PolicyKey.load(key), amount);
    }
}
