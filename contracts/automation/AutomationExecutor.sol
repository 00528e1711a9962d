// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    IERC7579Execution,
    IERC7579Module,
    MODULE_TYPE_EXECUTOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashModule} from "../base/LeashModule.sol";
import {IAutomationExecutor} from "../interfaces/IAutomationExecutor.sol";

/// @title AutomationExecutor
/// @notice Lets a keeper run preset calls on an account, on a schedule, through the account's hooks.
/// @dev Storage per account: the base record's generation and, per (generation, id), the task and its run state
/// (`executions (32) | lastRunAt (48) | exists (8)` in one slot). Uninstall bumps the generation.
/// Install data: `abi.encode(address authority, Task[] tasks)`.
contract AutomationExecutor is LeashModule, IAutomationExecutor {
    /// @inheritdoc IAutomationExecutor
    uint256 public constant MAX_TASKS = 32;

    struct RunState {
        uint32 executions;
        uint48 lastRunAt;
        bool exists;
    }

    mapping(address account => mapping(uint256 generation => mapping(uint256 id => Task))) internal _tasks;
    mapping(address account => mapping(uint256 generation => mapping(uint256 id => RunState))) internal _runs;
    mapping(address account => mapping(uint256 generation => uint256[])) internal _ids;

    /// @dev Transient reentrancy lock: a task's call may not run another task.
    bytes32 private constant LOCK = keccak256("leash.automation.lock");

    /// @dev An executor is installed on the account directly: it trusts no multiplexer.
    constructor() LeashModule(address(0)) {}

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    function onInstall(bytes calldata data) external {
        address account = msg.sender;
        (address authority, Task[] memory tasks) = abi.decode(data, (address, Task[]));
        _installRecord(account, authority, MODULE_TYPE_EXECUTOR);
        for (uint256 i; i < tasks.length; ++i) {
            _add(account, tasks[i]);
        }
    }

    /// @inheritdoc IERC7579Module
    function onUninstall(bytes calldata) external {
        address account = msg.sender;
        _uninstallRecord(account, MODULE_TYPE_EXECUTOR); // a new generation: every task is gone
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_EXECUTOR;
    }

    // ------------------------------------------------------------------ running

    /// @inheritdoc IAutomationExecutor
    function executeTask(address account, uint256 id) external returns (bytes[] memory results) {
        bytes32 lock = LOCK;
        bool locked;
        assembly ("memory-safe") {
            locked := tload(lock)
        }
        require(!locked, Automation_Reentrancy());
        uint256 generation = _records[account].generation;
        Task storage task = _tasks[account][generation][id];
        RunState memory run = _runs[account][generation][id];
        require(run.exists, Automation_UnknownTask(account, id));
        require(msg.sender == task.caller, Automation_NotCaller(account, id, msg.sender));
        (Blocker blocker, uint256 at) = _blocker(task, run);
        if (blocker == Blocker.NotStarted) revert Automation_NotStarted(account, id, at);
        if (blocker == Blocker.Expired) revert Automation_Expired(account, id, task.expiresAt);
        if (blocker == Blocker.MaxExecutionsReached) {
            revert Automation_MaxExecutionsReached(account, id, task.maxExecutions);
        }
        if (blocker == Blocker.CooldownActive) revert Automation_CooldownActive(account, id, at);

        // Effects before the interaction.
        uint32 execution = run.executions + 1;
        _runs[account][generation][id] =
            RunState({executions: execution, lastRunAt: uint48(block.timestamp), exists: true});
        emit TaskExecuted(account, id, execution);

        assembly ("memory-safe") {
            tstore(lock, 1)
        }
        results = IERC7579Execution(account)
            .executeFromExecutor(bytes32(0), abi.encodePacked(task.target, task.value, task.callData));
        assembly ("memory-safe") {
            tstore(lock, 0)
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IAutomationExecutor
    function canRun(address account, uint256 id) external view returns (bool ok, Blocker blocker, uint256 availableAt) {
        uint256 generation = _records[account].generation;
        RunState memory run = _runs[account][generation][id];
        if (!run.exists) return (false, Blocker.UnknownTask, 0);
        (blocker, availableAt) = _blocker(_tasks[account][generation][id], run);
        ok = blocker == Blocker.None;
    }

    /// @inheritdoc IAutomationExecutor
    function taskOf(address account, uint256 id)
        external
        view
        returns (Task memory task, uint256 executions, uint256 lastRunAt)
    {
        uint256 generation = _records[account].generation;
        RunState memory run = _runs[account][generation][id];
        require(run.exists, Automation_UnknownTask(account, id));
        return (_tasks[account][generation][id], run.executions, run.lastRunAt);
    }

    /// @inheritdoc IAutomationExecutor
    function taskIds(address account) external view returns (uint256[] memory) {
        return _ids[account][_records[account].generation];
    }

    // ------------------------------------------------------------------ configuration

    /// @inheritdoc IAutomationExecutor
    function addTask(address account, Task calldata task) external onlyAuthority(account) {
        _add(account, task);
    }

    /// @inheritdoc IAutomationExecutor
    function removeTask(address account, uint256 id) external onlyAccountOrAuthority(account) {
        uint256 generation = _records[account].generation;
        require(_runs[account][generation][id].exists, Automation_UnknownTask(account, id));
        delete _runs[account][generation][id];
        delete _tasks[account][generation][id];
        uint256[] storage ids = _ids[account][generation];
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == id) {
                ids[i] = ids[ids.length - 1];
                ids.pop();
                break;
            }
        }
        emit TaskRemoved(account, id);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The first rule that stops `task` now, and from when it could run (0: never again).
    function _blocker(Task storage task, RunState memory run) internal view returns (Blocker, uint256) {
        uint256 expiresAt = task.expiresAt;
        if (expiresAt != 0 && block.timestamp >= expiresAt) return (Blocker.Expired, 0);
        uint256 maxExecutions = task.maxExecutions;
        if (maxExecutions != 0 && run.executions >= maxExecutions) return (Blocker.MaxExecutionsReached, 0);
        uint256 startsAt = task.startsAt;
        if (block.timestamp < startsAt) return (Blocker.NotStarted, startsAt);
        if (run.executions != 0) {
            uint256 next = uint256(run.lastRunAt) + task.cooldown;
            if (block.timestamp < next) {
                if (expiresAt != 0 && next >= expiresAt) return (Blocker.CooldownActive, 0);
                return (Blocker.CooldownActive, next);
            }
        }
        return (Blocker.None, block.timestamp);
    }

    function _add(address account, Task memory task) internal {
        uint256 generation = _records[account].generation;
        RunState storage run = _runs[account][generation][task.id];
        require(!run.exists, Automation_TaskExists(account, task.id));
        uint256[] storage ids = _ids[account][generation];
        require(ids.length < MAX_TASKS, Automation_TooManyTasks(account, MAX_TASKS));
        require(
            task.caller != address(0) && task.target != address(0)
                && (task.expiresAt == 0 || task.expiresAt > task.startsAt),
            Automation_InvalidTask(account, task.id)
        );
        _tasks[account][generation][task.id] = task;
        run.exists = true;
        ids.push(task.id);
        emit TaskAdded(account, task.id, task.caller, task.target);
    }
}
