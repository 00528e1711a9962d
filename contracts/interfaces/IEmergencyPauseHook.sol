// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILeashModule} from "./ILeashModule.sol";
import {IERC7579Hook} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @title IEmergencyPauseHook
/// @notice A guardian's circuit breaker. While an account is paused every execution reverts with
/// `Pause_AccountPaused(account, until)`. A pause ends when the guardian (or the authority)
/// unpauses, or by itself `autoUnpauseAfter` seconds after it began (0: manual only). A new pause
/// may start no sooner than `PAUSE_COOLDOWN` after the previous one ended, so a guardian cannot
/// keep an account paused for ever through auto-unpause. The authority rotates the guardian and
/// recovers the account, also while paused (its calls do not go through the account).
interface IEmergencyPauseHook is IERC7579Hook, ILeashModule {
    event Paused(address indexed account, address indexed by, uint256 until);
    event Unpaused(address indexed account, address indexed by);
    event GuardianSet(address indexed account, address indexed guardian);
    event AutoUnpauseSet(address indexed account, uint256 autoUnpauseAfter);

    /// @notice The account is paused until `until` (`type(uint48).max`: until someone unpauses it).
    error Pause_AccountPaused(address account, uint256 until);
    /// @notice `unpause` of an account that is not paused.
    error Pause_NotPaused(address account);
    /// @notice The previous pause ended too recently; the next may start at `availableAt`.
    error Pause_CooldownActive(address account, uint256 availableAt);
    /// @notice `caller` is neither the account's guardian nor its authority.
    error Pause_NotGuardian(address account, address caller);
    /// @notice A guardian must be set, and must not be the account itself.
    error Pause_InvalidGuardian(address guardian);
    /// @notice An automatic unpause later than `MAX_AUTO_UNPAUSE` after the pause begins.
    error Pause_AutoUnpauseTooLong(uint256 autoUnpauseAfter, uint256 max);

    function PAUSE_COOLDOWN() external view returns (uint256);
    function MAX_AUTO_UNPAUSE() external view returns (uint256);

    /// @notice Pauses `account`. Guardian or authority; respects the cooldown. (Not the account:
    /// a pause it started would arm the cooldown against the guardian.)
    function pause(address account) external;
    /// @notice Ends the current pause now. Guardian or authority.
    function unpause(address account) external;
    function isPaused(address account) external view returns (bool);
    /// @notice End of the current or last pause (0 if never paused; `type(uint48).max` if manual and ongoing).
    function pausedUntil(address account) external view returns (uint256);
    /// @notice The first second at which a new pause may start.
    function nextPauseAt(address account) external view returns (uint256);
    function guardianOf(address account) external view returns (address);
    function autoUnpauseAfterOf(address account) external view returns (uint256);

    /// @notice Rotates the guardian. Authority only, also while paused.
    function setGuardian(address account, address guardian) external;
    /// @notice Sets the auto-unpause delay for later pauses (0 = manual only). Authority only.
    function setAutoUnpauseAfter(address account, uint256 autoUnpauseAfter) external;
}
