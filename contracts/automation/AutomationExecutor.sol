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
/// @dev Storage per account: the base record's generation and, per generation, each task's hash
/// (`keccak256(abi.encode(task))`) by its id and its run state `caller (160) | executions (32) |
/// lastRunAt (48)` by its hash. The keeper passes the whole task, canonically encoded, and a run
/// reads the run state under the hash of what was passed: found, the task is byte for byte one
/// the authority added. A run reads one slot besides the generation and rewrites it; an added
/// task writes two. Uninstall bumps the generation.
/// Install data: `abi.encode(address authority, Task[] tasks)`.
contract AutomationExecutor is LeashModule, IAutomationExecutor {
    /// @inheritdoc IAutomationExecutor
    uint256 public constant MAX_TASKS = 32;

    /// @dev One slot, rewritten by each run. A task exists when its caller is set (never zero).
    struct Run {
        address caller;
        uint32 executions;
        uint48 lastRunAt;
    }

    mapping(address account => mapping(uint256 generation => mapping(uint256 id => bytes32))) internal _hashes;
    mapping(address account => mapping(uint256 generation => mapping(bytes32 hash => Run))) internal _runs;
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
            _add(account, tasks[i], keccak256(abi.encode(tasks[i])));
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
    function executeTask(address account, Task calldata task) external returns (bytes[] memory) {
        bytes32 lock = LOCK;
        bool locked;
        assembly ("memory-safe") {
            locked := tload(lock)
        }
        require(!locked, Automation_Reentrancy());
        _admit(account, task); // effects before the interaction
        _execute(account, task, lock);
        assembly ("memory-safe") {
            // The account's answer (the `bytes[]` of `executeFromExecutor`) as it came.
            let ptr := mload(0x40)
            returndatacopy(ptr, 0, returndatasize())
            return(ptr, returndatasize())
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IAutomationExecutor
    function canRun(address account, Task calldata task)
        external
        view
        returns (bool ok, Blocker blocker, uint256 availableAt)
    {
        uint256 generation = _records[account].generation;
        Run memory run = _runs[account][generation][_passedHash()];
        if (run.caller == address(0)) {
            bool known = _hashes[account][generation][task.id] != bytes32(0);
            return (false, known ? Blocker.TaskMismatch : Blocker.UnknownTask, 0);
        }
        (blocker, availableAt) = _blocker(task, run);
        ok = blocker == Blocker.None;
    }

    /// @inheritdoc IAutomationExecutor
    function taskOf(address account, uint256 id)
        external
        view
        returns (address caller, bytes32 hash, uint256 executions, uint256 lastRunAt)
    {
        uint256 generation = _records[account].generation;
        hash = _hashes[account][generation][id];
        require(hash != bytes32(0), Automation_UnknownTask(account, id));
        Run memory run = _runs[account][generation][hash];
        return (run.caller, hash, run.executions, run.lastRunAt);
    }

    /// @inheritdoc IAutomationExecutor
    function taskIds(address account) external view returns (uint256[] memory) {
        return _ids[account][_records[account].generation];
    }

    /// @inheritdoc IAutomationExecutor
    function taskHash(Task calldata task) external pure returns (bytes32) {
        return keccak256(abi.encode(task));
    }

    // ------------------------------------------------------------------ configuration

    /// @inheritdoc IAutomationExecutor
    function addTask(address account, Task calldata task) external onlyAuthority(account) {
        _add(account, task, keccak256(abi.encode(task)));
    }

    /// @inheritdoc IAutomationExecutor
    function removeTask(address account, uint256 id) external onlyAccountOrAuthority(account) {
        uint256 generation = _records[account].generation;
        bytes32 hash = _hashes[account][generation][id];
        require(hash != bytes32(0), Automation_UnknownTask(account, id));
        // Both slots go: a task re-added under this id starts from zero runs and needs its own hash.
        delete _hashes[account][generation][id];
        delete _runs[account][generation][hash];
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

    /// @dev Checks that the caller may run `task` now and records the run (one slot).
    function _admit(address account, Task calldata task) internal {
        uint256 id = task.id;
        uint256 generation = _records[account].generation;
        // The run state under the hash of the task as passed: found, every field below (target,
        // value, call, schedule) is the one the authority added.
        bytes32 given = _passedHash();
        Run storage stored = _runs[account][generation][given];
        Run memory run = stored;
        if (run.caller == address(0)) _refuseUnstored(account, generation, id, given);
        require(msg.sender == run.caller, Automation_NotCaller(account, id, msg.sender));
        (Blocker blocker, uint256 at) = _blocker(task, run);
        if (blocker == Blocker.NotStarted) revert Automation_NotStarted(account, id, at);
        if (blocker == Blocker.Expired) revert Automation_Expired(account, id, task.expiresAt);
        if (blocker == Blocker.MaxExecutionsReached) {
            revert Automation_MaxExecutionsReached(account, id, task.maxExecutions);
        }
        if (blocker == Blocker.CooldownActive) revert Automation_CooldownActive(account, id, at);
        uint32 execution = run.executions + 1;
        (stored.executions, stored.lastRunAt) = (execution, uint48(block.timestamp));
        emit TaskExecuted(account, id, execution);
    }

    /// @dev No task under `id` (`Automation_UnknownTask`), or not the one stored there
    /// (`Automation_TaskMismatch`, with both hashes; a non-canonical encoding gives zero).
    function _refuseUnstored(address account, uint256 generation, uint256 id, bytes32 given) private view {
        bytes32 expected = _hashes[account][generation][id];
        require(expected != bytes32(0), Automation_UnknownTask(account, id));
        revert Automation_TaskMismatch(account, id, expected, given);
    }

    /// @dev `account.executeFromExecutor(0, target ++ value ++ callData)` (mode 0: one call) under
    /// the lock, built from calldata; its revert is passed on, and its answer is left in the
    /// return data for `executeTask` to return as it came, without decoding and re-encoding.
    function _execute(address account, Task calldata task, bytes32 lock) private {
        (address target, uint256 value, bytes calldata data) = (task.target, task.value, task.callData);
        bytes4 selector = IERC7579Execution.executeFromExecutor.selector;
        assembly ("memory-safe") {
            if iszero(extcodesize(account)) { revert(0, 0) }
            tstore(lock, 1)
            let ptr := mload(0x40)
            let length := add(52, data.length)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), 0)
            mstore(add(ptr, 0x24), 0x40)
            mstore(add(ptr, 0x44), length)
            mstore(add(ptr, 0x64), shl(96, target))
            mstore(add(ptr, 0x78), value)
            calldatacopy(add(ptr, 0x98), data.offset, data.length)
            // Zero padding to a whole word: the account's decoder may insist on it.
            mstore(add(add(ptr, 0x64), length), 0)
            let ok := call(gas(), account, 0, ptr, add(0x64, and(add(length, 31), not(31))), 0, 0)
            tstore(lock, 0)
            if iszero(ok) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev `keccak256(abi.encode(task))` of the task passed to `executeTask` or `canRun` (arguments
    /// `(address, Task)`), hashed as it lies in calldata rather than re-encoded: `abi.encode(task)`
    /// is the word 0x20 and the task's canonical encoding, which a canonical call carries from
    /// 0x44 to its end. Any other encoding (other padding, offsets, trailing bytes) hashes to
    /// another value, so a match means the task decoded is byte for byte the one stored. An
    /// offset word other than 0x40 gives zero: the task would be decoded from elsewhere than the
    /// bytes hashed.
    function _passedHash() internal pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            if eq(calldataload(0x24), 0x40) {
                let ptr := mload(0x40)
                let length := sub(calldatasize(), 0x44)
                mstore(ptr, 0x20)
                calldatacopy(add(ptr, 0x20), 0x44, length)
                hash := keccak256(ptr, add(length, 0x20))
            }
        }
    }

    /// @dev The first rule that stops `task` now, and from when it could run (0: never again).
    function _blocker(Task calldata task, Run memory run) internal view returns (Blocker, uint256) {
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

    function _add(address account, Task memory task, bytes32 hash) internal {
        uint256 generation = _records[account].generation;
        require(_hashes[account][generation][task.id] == bytes32(0), Automation_TaskExists(account, task.id));
        uint256[] storage ids = _ids[account][generation];
        require(ids.length < MAX_TASKS, Automation_TooManyTasks(account, MAX_TASKS));
        require(
            task.caller != address(0) && task.target != address(0)
                && (task.expiresAt == 0 || task.expiresAt > task.startsAt),
            Automation_InvalidTask(account, task.id)
        );
        _hashes[account][generation][task.id] = hash;
        _runs[account][generation][hash] = Run({caller: task.caller, executions: 0, lastRunAt: 0});
        ids.push(task.id);
        emit TaskAdded(account, task.id, task.caller, task);
    }
}
