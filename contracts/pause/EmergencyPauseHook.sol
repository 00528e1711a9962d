// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashModule} from "../base/LeashModule.sol";
import {IEmergencyPauseHook} from "../interfaces/IEmergencyPauseHook.sol";
import {PausePolicy} from "../libraries/PausePolicy.sol";

/// @title EmergencyPauseHook
/// @notice A guardian's kill switch for an account. Works behind the HookMultiPlexer or alone.
/// @dev Storage per account: one slot read on every execution,
/// `guardian (160) | pausedUntil (48) | autoUnpauseAfter (32) | installed (8)`. The rules of the
/// pause are PausePolicy's, as the policy engine runs them.
/// Install data: `abi.encode(address authority, address guardian, uint256 autoUnpauseAfter)`.
contract EmergencyPauseHook is LeashModule, IEmergencyPauseHook {
    /// @inheritdoc IEmergencyPauseHook
    uint256 public constant PAUSE_COOLDOWN = PausePolicy.COOLDOWN;
    /// @inheritdoc IEmergencyPauseHook
    uint256 public constant MAX_AUTO_UNPAUSE = PausePolicy.MAX_AUTO_UNPAUSE;

    struct PauseState {
        address guardian;
        uint48 pausedUntil;
        uint32 autoUnpauseAfter;
        bool installed;
    }

    mapping(address account => PauseState) internal _states;

    constructor(address multiplexer) LeashModule(multiplexer) {}

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    function onInstall(bytes calldata data) external {
        address account = _account();
        (address authority, address guardian, uint256 autoUnpauseAfter) = abi.decode(data, (address, address, uint256));
        _installRecord(account, authority, MODULE_TYPE_HOOK);
        PauseState storage state = _states[account];
        state.installed = true;
        _setGuardian(account, state, guardian);
        _setAutoUnpause(account, state, autoUnpauseAfter);
    }

    /// @inheritdoc IERC7579Module
    /// @dev Clears the pause too: a reinstall starts unpaused, with no cooldown pending.
    function onUninstall(bytes calldata) external {
        address account = _account();
        _uninstallRecord(account, MODULE_TYPE_HOOK);
        delete _states[account];
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    // ------------------------------------------------------------------ hook

    /// @inheritdoc IERC7579Hook
    /// @dev Behind the multiplexer, approved changes never reach here (the authority can recover
    /// while paused). Alone, the hook applies the authority model itself first.
    function preCheck(address msgSender, uint256, bytes calldata msgData) external returns (bytes memory) {
        address account = _account();
        PauseState memory state = _states[account];
        require(state.installed, Leash_NotInstalled(account));
        if (!_viaMultiplexer()) {
            (bool done, bytes memory hookData) = _startPreCheckAlone(account, msgSender, msgData);
            if (done) return hookData;
        }
        if (PausePolicy.isPaused(state.pausedUntil)) revert Pause_AccountPaused(account, state.pausedUntil);
        return "";
    }

    /// @inheritdoc IERC7579Hook
    function postCheck(bytes calldata hookData) external {
        _leaveCall(_account(), hookData);
    }

    // ------------------------------------------------------------------ guardian

    /// @inheritdoc IEmergencyPauseHook
    function pause(address account) external {
        PauseState storage state = _stateForGuardian(account);
        uint256 until = PausePolicy.start(account, state.pausedUntil, state.autoUnpauseAfter);
        state.pausedUntil = uint48(until);
        emit Paused(account, msg.sender, until);
    }

    /// @inheritdoc IEmergencyPauseHook
    function unpause(address account) external {
        PauseState storage state = _stateForGuardian(account);
        state.pausedUntil = uint48(PausePolicy.end(account, state.pausedUntil));
        emit Unpaused(account, msg.sender);
    }

    /// @dev The account's pause state, for its guardian or its authority only.
    function _stateForGuardian(address account) private view returns (PauseState storage state) {
        state = _states[account];
        require(state.installed, Leash_NotInstalled(account));
        require(
            msg.sender == state.guardian || msg.sender == _records[account].authority,
            Pause_NotGuardian(account, msg.sender)
        );
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IEmergencyPauseHook
    function isPaused(address account) external view returns (bool) {
        return PausePolicy.isPaused(_states[account].pausedUntil);
    }

    /// @inheritdoc IEmergencyPauseHook
    function pausedUntil(address account) external view returns (uint256) {
        return _states[account].pausedUntil;
    }

    /// @inheritdoc IEmergencyPauseHook
    function nextPauseAt(address account) external view returns (uint256) {
        return PausePolicy.nextPauseAt(_states[account].pausedUntil);
    }

    /// @inheritdoc IEmergencyPauseHook
    function guardianOf(address account) external view returns (address) {
        return _states[account].guardian;
    }

    /// @inheritdoc IEmergencyPauseHook
    function autoUnpauseAfterOf(address account) external view returns (uint256) {
        return _states[account].autoUnpauseAfter;
    }

    // ------------------------------------------------------------------ authority

    /// @inheritdoc IEmergencyPauseHook
    function setGuardian(address account, address guardian) external onlyAuthority(account) {
        _setGuardian(account, _states[account], guardian);
    }

    /// @inheritdoc IEmergencyPauseHook
    function setAutoUnpauseAfter(address account, uint256 autoUnpauseAfter) external onlyAuthority(account) {
        _setAutoUnpause(account, _states[account], autoUnpauseAfter);
    }

    function _setGuardian(address account, PauseState storage state, address guardian) internal {
        PausePolicy.requireValidGuardian(account, guardian);
        state.guardian = guardian;
        emit GuardianSet(account, guardian);
    }

    function _setAutoUnpause(address account, PauseState storage state, uint256 autoUnpauseAfter) internal {
        PausePolicy.requireValidAutoUnpause(autoUnpauseAfter);
        state.autoUnpauseAfter = uint32(autoUnpauseAfter);
        emit AutoUnpauseSet(account, autoUnpauseAfter);
    }
}
