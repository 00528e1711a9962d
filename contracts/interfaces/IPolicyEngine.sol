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
    }

    error Engine_NoGuardian(address account);

    /// @notice What AgentValidator reads of `account` before every agent operation, from one
    /// slot: whether the engine holds an install record for it, and how the account proved that
    /// install: 0, it lists the engine as its hook; 1, Kernel, the engine is the hook of the
    /// validation named in `Config.validationId`; 2, Safe7579, the engine is its global hook. A
    /// record is no proof that the engine is still the account's hook (an account may drop a hook
    /// without its `onUninstall`): AgentValidator asks the account that, the way `accountKind` says.
    /// `pauseEnds` is the end of the current or last pause (0: never paused): AgentValidator makes
    /// the agent's operations valid only from then on, so a paused agent cannot even spend gas.
    function leashContext(address account) external view returns (bool installed, uint8 accountKind, uint48 pauseEnds);
    error Engine_TooManyLeashModules(uint256 given, uint256 max);
    /// @notice The configuration half given at deployment holds no code.
    error Engine_NoConfiguration(address config);

    function MAX_AMOUNT() external view returns (uint256);

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
