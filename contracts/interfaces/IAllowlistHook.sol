// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILeashModule} from "./ILeashModule.sol";
import {IERC7579Hook} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @title IAllowlistHook
/// @notice Which (target, selector) pairs an account may call. Allow mode: only listed pairs pass.
/// Block mode: everything but listed pairs passes. Each mode has its own list, and the views and
/// changes below are of the list of the mode in force. Protected addresses can never be called, in
/// either mode; the account itself and every Leash module are always protected.
/// @dev Matching, for one execution item (target, calldata):
///   1. target is the account, a Leash module, or protected -> refused (`Allowlist_ProtectedTarget`);
///   2. calldata of 1 to 3 bytes is not a function call, and calldata starting with 0x00000000
///      would collide with plain transfers -> both refused in both modes;
///   3. the selector is the first 4 bytes, or `0x00000000` for empty calldata (a plain value transfer);
///   4. allow mode passes if (target, WILDCARD) or (target, selector) is listed;
///      block mode refuses if (target, WILDCARD) or (target, selector) is listed.
/// Listing `0x00000000` therefore governs plain transfers to a target. Every check is two storage
/// reads at most, whatever the number of entries. Batches check every item.
interface IAllowlistHook is IERC7579Hook, ILeashModule {
    enum Mode {
        None,
        Allow,
        Block
    }

    struct Permission {
        address target;
        bytes4 selector; // WILDCARD_SELECTOR for every function of `target`
    }

    event ModeSet(address indexed account, Mode mode);
    event PermissionAdded(address indexed account, address indexed target, bytes4 selector);
    event PermissionRemoved(address indexed account, address indexed target, bytes4 selector);
    event ProtectedAdded(address indexed account, address indexed target);
    event ProtectedRemoved(address indexed account, address indexed target);

    /// @notice Allow mode: (target, selector) is not listed.
    error Allowlist_CallNotAllowed(address account, address target, bytes4 selector);
    /// @notice Block mode: (target, selector) is listed; `selector` is the wildcard when the whole target is.
    error Allowlist_CallBlocked(address account, address target, bytes4 selector);
    /// @notice `target` is protected (listed, the account itself, or a Leash module).
    error Allowlist_ProtectedTarget(address account, address target);
    error Allowlist_ShortCalldata(address account, address target, uint256 length);
    /// @notice Calldata starting with 0x00000000: that selector is reserved for plain transfers.
    error Allowlist_ZeroSelector(address account, address target);
    error Allowlist_InvalidMode(uint8 mode);
    error Allowlist_TooManyPermissions(address account, uint256 max);
    error Allowlist_TooManyProtected(address account, uint256 max);
    error Allowlist_TooManyLeashModules(uint256 given, uint256 max);
    error Allowlist_PermissionExists(address account, address target, bytes4 selector);
    error Allowlist_PermissionMissing(address account, address target, bytes4 selector);
    error Allowlist_ProtectedExists(address account, address target);
    error Allowlist_ProtectedMissing(address account, address target);

    function WILDCARD_SELECTOR() external view returns (bytes4);
    function MAX_PERMISSIONS() external view returns (uint256);
    function MAX_PROTECTED() external view returns (uint256);

    function modeOf(address account) external view returns (Mode);
    function isListed(address account, address target, bytes4 selector) external view returns (bool);
    function isProtected(address account, address target) external view returns (bool);
    function permissionCount(address account) external view returns (uint256);
    function protectedCount(address account) external view returns (uint256);
    /// @notice Every (target, selector) pair listed in the mode in force, in no particular order.
    function permissionsOf(address account) external view returns (Permission[] memory);
    /// @notice Every user-listed protected address (the built-in ones are not repeated).
    function protectedOf(address account) external view returns (address[] memory);

    /// @notice Whether a call to `target` with `data` would pass for `account` right now.
    function isCallAllowed(address account, address target, bytes calldata data) external view returns (bool);

    /// @notice Lists (target, selector). Tightens in block mode (account or authority), loosens in
    /// allow mode (authority only).
    function addPermission(address account, address target, bytes4 selector) external;
    /// @notice Unlists (target, selector). Tightens in allow mode, loosens in block mode.
    function removePermission(address account, address target, bytes4 selector) external;
    /// @notice Protects `target` (tightening: account or authority).
    function addProtected(address account, address target) external;
    /// @notice Unprotects a user-listed `target` (authority only). Built-in protections stay.
    function removeProtected(address account, address target) external;
    /// @notice Switches mode, putting that mode's own list in force (empty until entries are listed
    /// in it); the other mode's list is kept and means nothing until its mode is back, so no entry
    /// ever changes meaning. Protected addresses stay. Authority only.
    function setMode(address account, Mode mode) external;
}
