// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../interfaces/IEmergencyPauseHook.sol";
import {IPolicyEngine} from "../interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {PackedWindow} from "../libraries/PackedWindow.sol";
import {PolicyKey} from "../libraries/PolicyKey.sol";
import {SpendingPolicy} from "../libraries/SpendingPolicy.sol";
import {EngineState} from "./EngineState.sol";

/// @title PolicyEngineConfig
/// @notice The configuration half of the policy engine: installation, the guardian's pause, the
/// allowlist's and the spending limits' settings, and the views (IPolicyEngine). PolicyEngine runs
/// it through `delegatecall`; called directly, it only ever touches its own, unused storage (an
/// install here fails: no account lists this contract as its hook).
contract PolicyEngineConfig is EngineState {
    constructor(address[] memory leashModules) EngineState(leashModules) {}

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
        uint256 slot = _load(key);
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
                uint256 entry = slot & MORE != 0 ? _load(entryKey) : 0;
                if (entry != 0) {
                    require(entry & bit == 0, IAllowlistHook.Allowlist_PermissionExists(account, target, selector));
                    _store(entryKey, entry | bit);
                } else if (inlineModes == 0) {
                    slot = (slot & ~(uint256(0xffffffffff) << INLINE_MODES_SHIFT)) | (bit << INLINE_MODES_SHIFT)
                        | (uint256(uint32(selector)) << INLINE_SELECTOR_SHIFT);
                } else {
                    _store(entryKey, bit);
                    slot |= MORE;
                }
            }
        }
        _store(key, slot | LIVE);
        emit IAllowlistHook.PermissionAdded(account, target, selector);
        return state + (1 << PERMISSIONS_SHIFT);
    }

    function _removePermission(address account, uint256 state, address target, bytes4 selector)
        internal
        returns (uint256)
    {
        uint256 bit = _modeBit(state);
        uint256 key = _keyOf(account, state, KIND_TARGET, target, 0);
        uint256 slot = _load(key);
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
                uint256 entry = _load(entryKey);
                found = entry & bit != 0;
                if (found) _store(entryKey, entry & ~bit);
            }
        }
        require(found, IAllowlistHook.Allowlist_PermissionMissing(account, target, selector));
        _store(key, slot);
        emit IAllowlistHook.PermissionRemoved(account, target, selector);
        return state - (1 << PERMISSIONS_SHIFT);
    }

    function _protect(address account, uint256 state, address target) internal returns (uint256) {
        uint256 count = (state >> PROTECTED_SHIFT) & 0xff;
        require(count < MAX_PROTECTED, IAllowlistHook.Allowlist_TooManyProtected(account, MAX_PROTECTED));
        uint256 key = _keyOf(account, state, KIND_TARGET, target, 0);
        uint256 slot = _load(key);
        require(slot & PROTECTED == 0, IAllowlistHook.Allowlist_ProtectedExists(account, target));
        _store(key, slot | PROTECTED | LIVE);
        emit IAllowlistHook.ProtectedAdded(account, target);
        return state + (1 << PROTECTED_SHIFT);
    }

    /// @dev Sets (or replaces) one token's policy (SpendingPolicy), counting a new token.
    function _setPolicy(address account, uint256 state, ISpendingLimitHook.TokenPolicy memory policy)
        internal
        returns (uint256)
    {
        uint256 key = _keyOf(account, state, KIND_TARGET, policy.token, 0);
        uint256 slot = _load(key);
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
        require(guardian != address(0) && guardian != account, IEmergencyPauseHook.Pause_InvalidGuardian(guardian));
        _guardians[account] = guardian;
        emit IEmergencyPauseHook.GuardianSet(account, guardian);
    }

    function _withAutoUnpause(address account, uint256 state, uint256 autoUnpauseAfter) internal returns (uint256) {
        require(
            autoUnpauseAfter <= MAX_AUTO_UNPAUSE,
            IEmergencyPauseHook.Pause_AutoUnpauseTooLong(autoUnpauseAfter, MAX_AUTO_UNPAUSE)
        );
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
        uint256 lastEnd = (state >> PAUSED_SHIFT) & MANUAL;
        require(block.timestamp >= lastEnd, IEmergencyPauseHook.Pause_AccountPaused(account, lastEnd));
        if (lastEnd != 0) {
            uint256 availableAt_ = lastEnd + PAUSE_COOLDOWN;
            require(block.timestamp >= availableAt_, IEmergencyPauseHook.Pause_CooldownActive(account, availableAt_));
        }
        uint256 autoUnpause = (state >> AUTO_SHIFT) & 0xffffffff;
        uint256 until = autoUnpause == 0 ? MANUAL : block.timestamp + autoUnpause;
        _state[account] = _withPausedUntil(state, until);
        emit IEmergencyPauseHook.Paused(account, msg.sender, until);
    }

    function unpause(address account) external {
        uint256 state = _state[account];
        _checkGuardian(account, state);
        require(block.timestamp < (state >> PAUSED_SHIFT) & MANUAL, IEmergencyPauseHook.Pause_NotPaused(account));
        _state[account] = _withPausedUntil(state, block.timestamp);
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
        uint256 slot = _load(key);
        require(slot & PROTECTED != 0, IAllowlistHook.Allowlist_ProtectedMissing(account, target));
        _store(key, slot & ~PROTECTED);
        _state[account] = state - (1 << PROTECTED_SHIFT);
        emit IAllowlistHook.ProtectedRemoved(account, target);
    }

    /// @dev Entries keep the mode they were listed in: a switch never reads an account's block as an
    /// allowance. `None` turns the allowlist off.
    function setMode(address account, IAllowlistHook.Mode mode) external onlyAuthority(account) {
        require(uint8(mode) <= uint8(IAllowlistHook.Mode.Block), IAllowlistHook.Allowlist_InvalidMode(uint8(mode)));
        _state[account] = (_state[account] & ~(uint256(0xff) << MODE_SHIFT)) | (uint256(mode) << MODE_SHIFT);
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
                SpendingPolicy.isTightening(key, _load(key), policy),
                ISpendingLimitHook.SpendingLimit_NotTightening(account, policy.token)
            );
        }
        _state[account] = _setPolicy(account, state, policy);
    }

    function removeTokenPolicy(address account, address token) external onlyAuthority(account) {
        uint256 state = _state[account];
        uint256 key = _keyOf(account, state, KIND_TARGET, token, 0);
        SpendingPolicy.remove(account, token, key, _load(key));
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
        return block.timestamp < (_state[account] >> PAUSED_SHIFT) & MANUAL;
    }

    function pausedUntil(address account) external view returns (uint256) {
        return (_state[account] >> PAUSED_SHIFT) & MANUAL;
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
        uint256 slot = _load(key);
        uint256 bit = 1 << (mode - 1);
        if (selector == WILDCARD_SELECTOR) return slot & bit != 0;
        return _modesOf(account, state, target, slot, selector) & bit != 0;
    }

    function isProtected(address account, address target) external view returns (bool) {
        uint256 state = _state[account];
        return target == address(0) || _isLeashModule(account, target)
            || _load(_keyOf(account, state, KIND_TARGET, target, 0)) & PROTECTED != 0;
    }

    function policyOf(address account, address token)
        external
        view
        returns (uint256 perTxCap, ISpendingLimitHook.LimitConfig[] memory limits)
    {
        uint256 key = _keyOf(account, _state[account], KIND_TARGET, token, 0);
        return SpendingPolicy.policyOf(key, _load(key));
    }

    function remainingAt(address account, address token, uint256 timestamp) external view returns (uint256) {
        uint256 key = _keyOf(account, _state[account], KIND_TARGET, token, 0);
        return SpendingPolicy.remainingAt(key, _load(key), timestamp < block.timestamp ? block.timestamp : timestamp);
    }

    function availableAt(address account, address token, uint256 amount) external view returns (uint256) {
        uint256 key = _keyOf(account, _state[account], KIND_TARGET, token, 0);
        return SpendingPolicy.availableAt(key, _load(key), amount);
    }

    // ------------------------------------------------------------------ sessions

    /// @notice Grants `session` (or replaces the agent's earlier grant: a new epoch, its counters and
    /// entries fresh, the old ones unreachable).
    function grantSession(address account, IPolicyEngine.Session calldata session) external onlyAuthority(account) {
        uint256 state = _state[account];
        _grant(account, state, session, _nextEpoch(account, state, session.agent), block.timestamp);
    }

    /// @notice Grants `session` on the authority's EIP-712 signature of it (`sessionGrantDigest`),
    /// whoever submits it: what AgentValidator does in the agent's first operation. Reads no time
    /// and only storage keyed by the account (ERC-7562), so it may run during validation. The
    /// signature names the account, the install's generation and the grant's epoch (the engine and
    /// the chain in its domain): it grants once, on one account and chain, and a revocation (which
    /// takes the epoch on) voids it. ECDSA signatures of an EOA authority only.
    function enableSession(address account, IPolicyEngine.Session calldata session, bytes calldata signature) external {
        uint256 state = _state[account];
        require(state & INSTALLED != 0, Leash_NotInstalled(account));
        uint256 epoch = _nextEpoch(account, state, session.agent);
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecoverCalldata(_grantDigest(account, state, epoch, session), signature);
        address authority = _records[account].authority;
        require(
            err == ECDSA.RecoverError.NoError && signer == authority,
            IPolicyEngine.Session_GrantNotSigned(account, session.agent)
        );
        _grant(account, state, session, epoch, 0);
    }

    /// @notice The digest the authority signs to grant `session` by signature, for the next epoch.
    function sessionGrantDigest(address account, IPolicyEngine.Session calldata session)
        external
        view
        returns (bytes32)
    {
        uint256 state = _state[account];
        return _grantDigest(account, state, _nextEpoch(account, state, session.agent), session);
    }

    /// @dev EIP-712: `EnableSession(address account,uint64 generation,uint24 epoch,bytes32 session)`,
    /// `session` the keccak of the ABI-encoded Session; domain `Leash PolicyEngine`, version 1, this
    /// chain, the engine.
    function _grantDigest(address account, uint256 state, uint256 epoch, IPolicyEngine.Session calldata session)
        private
        view
        returns (bytes32)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Leash PolicyEngine"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
        bytes32 grant = keccak256(
            abi.encode(
                keccak256("EnableSession(address account,uint64 generation,uint24 epoch,bytes32 session)"),
                account,
                uint64(state),
                epoch,
                keccak256(abi.encode(session))
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domain, grant));
    }

    /// @dev The epoch the agent's next grant takes (the first is 1, so no entry of epoch 0 exists).
    function _nextEpoch(address account, uint256 state, address agent) private view returns (uint256) {
        return ((_load(_sessionKey(account, state, agent)) >> EPOCH_SHIFT) & 0xffffff) + 1;
    }

    /// @dev Stores `session` as the agent's grant of `epoch`, its windows starting at `t`.
    function _grant(address account, uint256 state, IPolicyEngine.Session calldata session, uint256 epoch, uint256 t)
        private
    {
        address agent = session.agent;
        require(
            agent != address(0) && agent != account && agent != _records[account].authority
                && !_isOwner(account, agent),
            IPolicyEngine.Session_InvalidAgent(account, agent)
        );
        require(
            session.validUntil != 0 && session.validAfter <= session.validUntil,
            IPolicyEngine.Session_InvalidTimeRange(session.validAfter, session.validUntil)
        );
        require(
            session.calls.length <= MAX_SESSION_CALLS,
            IPolicyEngine.Session_TooMany("calls", session.calls.length, MAX_SESSION_CALLS)
        );
        require(
            session.tokens.length <= MAX_TOKENS,
            IPolicyEngine.Session_TooMany("tokens", session.tokens.length, MAX_TOKENS)
        );
        uint256 key = _sessionKey(account, state, agent);
        uint256 slot = uint256(session.validAfter) | (uint256(session.validUntil) << VALID_UNTIL_SHIFT) | S_LIVE
            | (epoch << EPOCH_SHIFT);
        if (session.maxUses != 0) slot |= S_MAX_USES | (uint256(session.maxUses) << MAX_USES_SHIFT);
        if (session.usesPerWindow != 0) {
            uint256 width = PackedWindow.widthOf(session.usesPerWindow, session.usageWindow);
            slot |= S_USAGE_WINDOW | (uint256(session.usesPerWindow) << PER_WINDOW_SHIFT) | (width << USAGE_WIDTH_SHIFT);
            PackedWindow.init(key + 1, t, width, session.usesPerWindow, 0);
        } else {
            require(
                session.usageWindow == 0,
                IPolicyEngine.Session_InvalidUsageLimit(session.usesPerWindow, session.usageWindow)
            );
        }
        for (uint256 i; i < session.calls.length; ++i) {
            _grantCall(account, state, agent, epoch, i, session.calls[i]);
        }
        if (session.tokens.length != 0) slot |= S_TOKENS;
        for (uint256 i; i < session.tokens.length; ++i) {
            ISpendingLimitHook.TokenPolicy memory policy = session.tokens[i];
            uint256 tokenKey = _sessionEntryKey(account, state, agent, KIND_SESSION_TOKEN, epoch, policy.token, 0);
            uint256 tokenSlot = _load(tokenKey);
            require(tokenSlot & TRACKED == 0, IPolicyEngine.Session_DuplicateToken(policy.token));
            SpendingPolicy.store(tokenKey, tokenSlot, policy, t);
        }
        _store(key, slot);
        emit IPolicyEngine.SessionGranted(account, agent, epoch, session.validAfter, session.validUntil);
    }

    /// @dev One permitted (target, selector) of a session with its rules, checked.
    function _grantCall(
        address account,
        uint256 state,
        address agent,
        uint256 epoch,
        uint256 index,
        IPolicyEngine.SessionCall calldata call
    ) private {
        uint256 key = _sessionEntryKey(account, state, agent, KIND_SESSION_CALL, epoch, call.target, call.selector);
        require(_load(key) == 0, IPolicyEngine.Session_DuplicateCall(call.target, call.selector));
        uint256 n = call.rules.length;
        require(n <= MAX_RULES, IPolicyEngine.Session_TooMany("rules", n, MAX_RULES));
        // Selector 0 names plain transfers, which have no arguments to rule on; the wildcard, any call.
        bool ruled = call.selector != bytes4(0) && call.selector != WILDCARD_SELECTOR;
        for (uint256 r; r < n; ++r) {
            require(
                ruled && _storeRule(account, key + 1 + r, call.rules[r]), IPolicyEngine.Session_InvalidRule(index, r)
            );
        }
        _store(key, C_PERMITTED | (n << RULES_SHIFT));
    }

    /// @dev Stores `rule` at `ruleKey` (a OneOf's values marked each in its own slot); false,
    /// storing nothing, when it is malformed.
    function _storeRule(address account, uint256 ruleKey, IPolicyEngine.ParamRule calldata rule)
        private
        returns (bool)
    {
        uint256 op = uint256(rule.op);
        uint256 width = rule.width;
        uint256 count = rule.values.length;
        bool oneOf = op == uint256(IPolicyEngine.ParamOp.OneOf);
        bool valid = op != 0 && width != 0 && width <= 32;
        if (op == uint256(IPolicyEngine.ParamOp.IsAccount)) valid = valid && width >= 20 && count == 0;
        else if (oneOf) valid = valid && count != 0 && count <= MAX_ONE_OF;
        else valid = valid && count == 1;
        for (uint256 v; v < count; ++v) {
            uint256 value = rule.values[v];
            valid = valid && value >> 232 == 0 && (width == 32 || value >> (8 * width) == 0);
        }
        if (!valid) return false;
        uint256 stored = oneOf ? count : count == 1 ? rule.values[0] : 0;
        _store(ruleKey, op | (uint256(rule.argIndex) << 8) | (width << 16) | (stored << RULE_VALUE_SHIFT));
        for (uint256 v; oneOf && v < count; ++v) {
            _store(_memberKey(account, ruleKey, rule.values[v]), 1);
        }
        return true;
    }

    /// @notice Ends the session now (its operations already validated fail at execution too) and
    /// takes its epoch on, which voids a grant signed for it and not used yet.
    function revokeSession(address account, address agent) external onlyAuthority(account) {
        uint256 key = _sessionKey(account, _state[account], agent);
        uint256 slot = _load(key);
        uint256 epoch = (slot >> EPOCH_SHIFT) & 0xffffff;
        require(epoch < 0xffffff, IPolicyEngine.Session_TooMany("epochs", epoch + 1, 0xffffff));
        _store(key, (slot & ~S_LIVE) + (1 << EPOCH_SHIFT));
        emit IPolicyEngine.SessionRevoked(account, agent);
    }

    function sessionOf(address account, address agent)
        external
        view
        returns (bool live, uint48 validAfter, uint48 validUntil, uint256 uses, uint256 maxUses, uint256 epoch)
    {
        uint256 slot = _load(_sessionKey(account, _state[account], agent));
        return (
            slot & S_LIVE != 0,
            uint48(slot),
            uint48(slot >> VALID_UNTIL_SHIFT),
            uint32(slot >> USES_SHIFT),
            uint32(slot >> MAX_USES_SHIFT),
            (slot >> EPOCH_SHIFT) & 0xffffff
        );
    }

    function sessionRemaining(address account, address agent, address token) external view returns (uint256) {
        uint256 state = _state[account];
        uint256 epoch = (_load(_sessionKey(account, state, agent)) >> EPOCH_SHIFT) & 0xffffff;
        uint256 key = _sessionEntryKey(account, state, agent, KIND_SESSION_TOKEN, epoch, token, 0);
        return SpendingPolicy.remainingAt(key, _load(key), block.timestamp);
    }

    /// @dev Whether the account says `agent` is one of its owners (`isOwner(address)`, as a Safe
    /// answers): an owner acts through paths no hook sees. Accounts that cannot answer: false.
    function _isOwner(address account, address agent) private view returns (bool) {
        (bool ok, bytes memory ret) = account.staticcall(abi.encodeWithSignature("isOwner(address)", agent));
        return ok && ret.length >= 32 && abi.decode(ret, (bool));
    }
}
