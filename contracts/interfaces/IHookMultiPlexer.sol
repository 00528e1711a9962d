// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILeashModule} from "./ILeashModule.sol";
import {IERC7579Hook} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @title IHookMultiPlexer
/// @notice The one hook installed on the account. It owns the authority model (module management
/// and self-calls need the authority's approval of the exact call) and runs an ordered list of
/// sub-hooks, at most `MAX_SUB_HOOKS`, on every execution.
/// @dev Sub-hook convention (the ERC-2771 pattern, with the multiplexer as the trusted forwarder):
/// the multiplexer calls `onInstall`, `onUninstall`, `preCheck` and `postCheck` of a sub-hook with
/// the account's address (20 bytes) appended to the calldata. The account is always the
/// multiplexer's own `msg.sender`, so the suffix cannot be forged through it. A sub-hook reads the
/// suffix only when `msg.sender` is the multiplexer it trusts (fixed at its deployment), and
/// otherwise treats `msg.sender` as the account (installed alone). A sub-hook that wants
/// `postCheck` returns non-empty data from `preCheck`; one that returns nothing is not called back.
/// `onInstall` and `onUninstall` of a sub-hook may check `isSubHook` (true during an addition,
/// false during a removal) to refuse calls outside a real addition or removal.
/// Reverts of sub-hooks reach the caller byte for byte.
interface IHookMultiPlexer is IERC7579Hook, ILeashModule {
    event SubHookAdded(address indexed account, address indexed subHook);
    /// @notice `cleanUninstall` is false when the sub-hook's `onUninstall` reverted (it is removed anyway).
    event SubHookRemoved(address indexed account, address indexed subHook, bool cleanUninstall);

    /// @notice The account already runs `MAX_SUB_HOOKS` sub-hooks.
    error Multiplexer_TooManySubHooks(address account, uint256 max);
    /// @notice The sub-hook is already in the account's list.
    error Multiplexer_DuplicateSubHook(address account, address subHook);
    /// @notice Not a contract that could be a sub-hook (no code, the multiplexer or the account itself).
    error Multiplexer_InvalidSubHook(address subHook);
    /// @notice The sub-hook is not in the account's list.
    error Multiplexer_UnknownSubHook(address account, address subHook);
    /// @notice The install data names a different number of sub-hooks and init data.
    error Multiplexer_LengthMismatch(uint256 subHooks, uint256 initData);
    /// @notice `postCheck` with hook data this multiplexer did not hand out for this account.
    error Multiplexer_UnknownHookData(address account);
    /// @notice Too little gas left to give a sub-hook's `onUninstall` its fixed allowance.
    error Multiplexer_InsufficientGas(uint256 needed, uint256 left);

    /// @notice The hard cap on sub-hooks per account: bounds the gas of every execution.
    function MAX_SUB_HOOKS() external view returns (uint256);

    /// @notice Whether the multiplexer is installed for `account` (Kernel asks before it calls
    /// `onInstall` again for a second validator or executor carrying the same hook).
    function isInitialized(address account) external view returns (bool);

    /// @notice What AgentValidator asks before an operation of the account's agent behind the
    /// multiplexer: whether it is installed for `account`. Marks, for the rest of the transaction,
    /// that the caller validated such an operation (transient storage keyed by the account): in
    /// that transaction the multiplexer spends no approval (`Leash_AgentOperationInTransaction`).
    /// Anyone may ask; the mark holds who asked and counts only while the account reports that
    /// caller as an installed validator (a caller replaces only a mark that is not one).
    function leashContext(address account) external returns (bool installed);

    /// @notice The account's sub-hooks, in the order their checks run.
    function subHooks(address account) external view returns (address[] memory);

    /// @notice Whether `subHook` is in the account's list (sub-hooks check it in `onInstall` and
    /// `onUninstall`, so that only a real addition or removal can call those).
    function isSubHook(address account, address subHook) external view returns (bool);

    /// @notice Appends a sub-hook and installs it for `account` with `initData`. Authority only:
    /// a sub-hook is code that runs on every execution of the account.
    function addSubHook(address account, address subHook, bytes calldata initData) external;

    /// @notice Removes a sub-hook (loosening: authority only, also while paused). The sub-hook's
    /// `onUninstall` is called; if it reverts the sub-hook is still removed, so none can brick this.
    function removeSubHook(address account, address subHook, bytes calldata deInitData) external;
}
