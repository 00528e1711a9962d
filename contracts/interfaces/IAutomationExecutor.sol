// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILeashModule} from "./ILeashModule.sol";
import {IERC7579Module} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @title IAutomationExecutor
/// @notice Preset tasks a keeper may run on an account on a schedule. A task runs through the
/// account's `executeFromExecutor`, so every hook of the account applies to it: a task cannot
/// spend past the limits, reach a blocked target, or run while the account is paused.
/// @dev Adding a task grants a keeper a capability, so it is the authority's (or an approved
/// change); removing one only tightens and is open to the account too. The executor keeps a
/// task's keeper, run count and last run, and the hash of the whole task (`taskHash`): whoever
/// runs or checks a task passes it in full (as `TaskAdded` logged it), and it must hash to the
/// stored value.
interface IAutomationExecutor is IERC7579Module, ILeashModule {
    struct Task {
        uint256 id;
        address caller; // the keeper allowed to run it
        address target;
        uint256 value;
        bytes callData;
        uint32 cooldown; // seconds between executions
        uint32 maxExecutions; // 0: unlimited
        uint48 startsAt; // 0: now
        uint48 expiresAt; // 0: never; the task can run strictly before this second
    }

    /// @notice Why a task cannot run now (`None`: it can).
    enum Blocker {
        None,
        UnknownTask,
        NotStarted,
        Expired,
        MaxExecutionsReached,
        CooldownActive,
        TaskMismatch
    }

    /// @notice The whole task, so a keeper can run it from this log alone.
    event TaskAdded(address indexed account, uint256 indexed id, address indexed caller, Task task);
    event TaskRemoved(address indexed account, uint256 indexed id);
    event TaskExecuted(address indexed account, uint256 indexed id, uint256 execution);

    error Automation_UnknownTask(address account, uint256 id);
    error Automation_TaskExists(address account, uint256 id);
    error Automation_TooManyTasks(address account, uint256 max);
    error Automation_NotCaller(address account, uint256 id, address caller);
    error Automation_NotStarted(address account, uint256 id, uint256 startsAt);
    error Automation_Expired(address account, uint256 id, uint256 expiresAt);
    error Automation_MaxExecutionsReached(address account, uint256 id, uint256 maxExecutions);
    error Automation_CooldownActive(address account, uint256 id, uint256 availableAt);
    error Automation_Reentrancy();
    error Automation_InvalidTask(address account, uint256 id);
    /// @notice The task passed is not the one stored under its id (`expected` is the stored hash).
    error Automation_TaskMismatch(address account, uint256 id, bytes32 expected, bytes32 given);

    function MAX_TASKS() external view returns (uint256);

    /// @notice Runs `task` of `account` now. Only the task's caller, with the task exactly as
    /// added, in the canonical ABI encoding (any other does not match: `Automation_TaskMismatch`);
    /// state is updated before the call.
    function executeTask(address account, Task calldata task) external returns (bytes[] memory results);

    /// @notice Whether `task` of `account` can run now, why not, and from when (0 if never again).
    /// `TaskMismatch`: `task` (canonically encoded) is not the one stored under its id.
    function canRun(address account, Task calldata task)
        external
        view
        returns (bool ok, Blocker blocker, uint256 availableAt);

    /// @notice Task `id`'s keeper, the hash of the whole task, and its run state.
    function taskOf(address account, uint256 id)
        external
        view
        returns (address caller, bytes32 hash, uint256 executions, uint256 lastRunAt);
    function taskIds(address account) external view returns (uint256[] memory);

    /// @notice What the executor stores of `task`: `keccak256(abi.encode(task))`.
    function taskHash(Task calldata task) external pure returns (bytes32);

    /// @notice Adds a task. Authority only (or a change it approved).
    function addTask(address account, Task calldata task) external;
    /// @notice Removes a task. Account or authority.
    function removeTask(address account, uint256 id) external;
}
