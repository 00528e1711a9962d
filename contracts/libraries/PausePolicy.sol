// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IEmergencyPauseHook} from "../interfaces/IEmergencyPauseHook.sol";

/// @title PausePolicy
/// @notice The guardian's pause, the one source of its rules for EmergencyPauseHook and the policy
/// engine. Each keeps `pausedUntil` (48 bits) and `autoUnpauseAfter` (32 bits) in a slot of its own
/// layout and asks here what they allow; who may pause (the guardian or the authority) is each
/// module's own check, as it reads the guardian and the authority where it keeps them.
/// @dev `pausedUntil` is the end of the current or last pause: an unpause sets it to now, a pause
/// with auto-unpause to its last second, a manual pause to `MANUAL`. So "paused" is
/// `now < pausedUntil`, and the next pause may start `COOLDOWN` after it ends.
library PausePolicy {
    uint256 internal constant COOLDOWN = 1 hours;
    uint256 internal constant MAX_AUTO_UNPAUSE = 365 days;
    /// @dev A pause that lasts until the guardian or the authority ends it.
    uint256 internal constant MANUAL = type(uint48).max;

    /// @dev The `pausedUntil` of a pause that starts now, after the last one ended at `lastEnd` (zero:
    /// never paused): refused while a pause runs and within the cooldown after one.
    function start(address account, uint256 lastEnd, uint256 autoUnpauseAfter) internal view returns (uint256) {
        require(!isPaused(lastEnd), IEmergencyPauseHook.Pause_AccountPaused(account, lastEnd));
        if (lastEnd != 0) {
            uint256 availableAt = lastEnd + COOLDOWN;
            require(block.timestamp >= availableAt, IEmergencyPauseHook.Pause_CooldownActive(account, availableAt));
        }
        return autoUnpauseAfter == 0 ? MANUAL : block.timestamp + autoUnpauseAfter;
    }

    /// @dev The `pausedUntil` of an unpause: now, which starts the cooldown. Refused when no pause
    /// runs.
    function end(address account, uint256 pausedUntil) internal view returns (uint256) {
        require(isPaused(pausedUntil), IEmergencyPauseHook.Pause_NotPaused(account));
        return block.timestamp;
    }

    /// @dev Whether a pause runs: no execution does then (each module refuses it with
    /// `Pause_AccountPaused`), and one runs from the second the pause ends. Small enough for the
    /// compiler to inline on every execution's path.
    function isPaused(uint256 pausedUntil) internal view returns (bool) {
        return block.timestamp < pausedUntil;
    }

    /// @dev When a pause could start, after the last one ended at `lastEnd` (`type(uint256).max`
    /// while a manual pause runs: only an unpause ends it).
    function nextPauseAt(uint256 lastEnd) internal view returns (uint256) {
        if (lastEnd == 0) return block.timestamp;
        if (lastEnd == MANUAL) return type(uint256).max;
        uint256 at = lastEnd + COOLDOWN;
        return at > block.timestamp ? at : block.timestamp;
    }

    /// @dev A guardian is set and is not the account itself.
    function requireValidGuardian(address account, address guardian) internal pure {
        require(guardian != address(0) && guardian != account, IEmergencyPauseHook.Pause_InvalidGuardian(guardian));
    }

    /// @dev An automatic unpause at most `MAX_AUTO_UNPAUSE` after the pause begins (zero: manual).
    function requireValidAutoUnpause(uint256 autoUnpauseAfter) internal pure {
        require(
            autoUnpauseAfter <= MAX_AUTO_UNPAUSE,
            IEmergencyPauseHook.Pause_AutoUnpauseTooLong(autoUnpauseAfter, MAX_AUTO_UNPAUSE)
        );
    }
}
