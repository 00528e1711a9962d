// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_EXECUTOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {AutomationExecutor} from "../../../contracts/automation/AutomationExecutor.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @dev An account that lists the executor and counts the executions it is asked to run.
contract CountingAccount {
    uint256 public runs;

    function isModuleInstalled(uint256 moduleType, address, bytes calldata) external pure returns (bool) {
        return moduleType == MODULE_TYPE_EXECUTOR;
    }

    function install(AutomationExecutor executor, bytes calldata init) external {
        executor.onInstall(init);
    }

    /// @dev The hash of the last execution asked for.
    bytes32 public lastExecution;

    function executeFromExecutor(bytes32, bytes calldata execution) external returns (bytes[] memory) {
        ++runs;
        lastExecution = keccak256(execution);
        return new bytes[](0);
    }
}

/// @notice T1 proven: no task runs before its start or cooldown, from its expiry on, beyond its
/// maxExecutions, or for a caller other than its own; and (T5) a task that is due runs when its
/// keeper asks, and the run is recorded.
contract AutomationExecutorSymbolic is Test, SymbolicBase {
    /// @dev Bounds: one task with symbolic cooldown, maxExecutions, startsAt and expiresAt (any
    /// values the executor accepts); RUNS attempts, each at a symbolic later timestamp (below
    /// 2^48) by a symbolic caller.
    uint256 internal constant RUNS = 3;
    address internal constant KEEPER = address(0xBEEF);

    /// @dev A counting account with a new executor holding `task` alone.
    function _install(IAutomationExecutor.Task memory task)
        internal
        returns (CountingAccount account, AutomationExecutor executor)
    {
        account = new CountingAccount();
        executor = new AutomationExecutor();
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0] = task;
        account.install(executor, abi.encode(address(0xA0), tasks));
    }

    /// @dev A symbolic cooldown, maxExecutions, startsAt and expiresAt for `task`.
    function _symbolicSchedule(IAutomationExecutor.Task memory task) internal {
        task.cooldown = uint32(svm.createUint(32, "cooldown"));
        task.maxExecutions = uint32(svm.createUint(32, "maxExecutions"));
        task.startsAt = uint48(svm.createUint(48, "startsAt"));
        task.expiresAt = uint48(svm.createUint(48, "expiresAt"));
    }

    /// @dev One task of the keeper's, with a symbolic schedule the executor accepts, installed on a
    /// counting account.
    function _installScheduledTask()
        internal
        returns (CountingAccount account, AutomationExecutor executor, IAutomationExecutor.Task memory task)
    {
        task.id = 1;
        task.caller = KEEPER;
        task.target = address(0x7A);
        _symbolicSchedule(task);
        vm.assume(task.expiresAt == 0 || task.expiresAt > task.startsAt);
        (account, executor) = _install(task);
    }

    function check_executeTask_RunsOnlyWhenTheScheduleAllows() public {
        (CountingAccount account, AutomationExecutor executor, IAutomationExecutor.Task memory task) =
            _installScheduledTask();

        uint256 last;
        uint256 runs;
        uint256 t;
        for (uint256 i; i < RUNS; ++i) {
            uint256 next = svm.createUint(48, "timestamp");
            vm.assume(next >= t);
            t = next;
            vm.warp(t);
            address caller = svm.createAddress("caller");
            vm.prank(caller);
            try executor.executeTask(address(account), task) {
                assert(caller == task.caller);
                assert(t >= task.startsAt);
                assert(task.expiresAt == 0 || t < task.expiresAt);
                assert(task.maxExecutions == 0 || runs < task.maxExecutions);
                assert(runs == 0 || t >= last + task.cooldown);
                ++runs;
                last = t;
            } catch {}
        }
        assert(account.runs() == runs);
    }

    /// @dev Bounds: one stored task (a 36-byte call, any value); the keeper passes a task whose target,
    /// value, call (36 symbolic bytes), cooldown, maxExecutions, startsAt and expiresAt are all
    /// symbolic, at the task's start.
    function check_executeTask_RunsOnlyTheStoredTask() public {
        IAutomationExecutor.Task memory stored;
        stored.id = 1;
        stored.caller = KEEPER;
        stored.target = address(0x7A);
        // Symbolic, so that both hashes are terms halmos compares (a concrete hash is a number it
        // cannot invert).
        stored.value = svm.createUint256("storedValue");
        stored.callData = abi.encodeWithSelector(bytes4(0x12345678), uint256(42));
        stored.cooldown = 60;
        stored.maxExecutions = 2;
        stored.expiresAt = 1000;
        (CountingAccount account, AutomationExecutor executor) = _install(stored);

        IAutomationExecutor.Task memory passed;
        passed.id = 1;
        passed.caller = KEEPER;
        passed.target = svm.createAddress("target");
        passed.value = svm.createUint256("value");
        passed.callData = svm.createBytes(36, "callData");
        _symbolicSchedule(passed);
        vm.prank(KEEPER);
        try executor.executeTask(address(account), passed) {
            assert(account.lastExecution() == keccak256(abi.encodePacked(stored.target, stored.value, stored.callData)));
            assert(keccak256(abi.encode(passed)) == keccak256(abi.encode(stored)));
        } catch {
            assert(account.runs() == 0);
        }
    }

    /// @dev The liveness side of T1: an executor refusing every run proves the check above. Bounds:
    /// the same symbolic schedule; the keeper's first run at any moment from the start to before
    /// the expiry, and a second at any moment from the end of the cooldown to before the expiry
    /// when maxExecutions allows two (timestamps below 2^48). Each must run, once, and be recorded.
    function check_executeTask_ADueTaskRunsAndIsRecorded() public {
        (CountingAccount account, AutomationExecutor executor, IAutomationExecutor.Task memory task) =
            _installScheduledTask();

        uint256 first = svm.createUint(48, "first");
        vm.assume(first >= task.startsAt && (task.expiresAt == 0 || first < task.expiresAt));
        _runDue(account, executor, task, first, 1);

        uint256 second = svm.createUint(48, "second");
        vm.assume(second >= first + task.cooldown && (task.expiresAt == 0 || second < task.expiresAt));
        vm.assume(task.maxExecutions == 0 || task.maxExecutions >= 2);
        _runDue(account, executor, task, second, 2);
    }

    /// @dev At `t`, the keeper's run of `task` (due) must pass, reach the account once, and be
    /// recorded as run number `n` at `t`.
    function _runDue(
        CountingAccount account,
        AutomationExecutor executor,
        IAutomationExecutor.Task memory task,
        uint256 t,
        uint256 n
    ) internal {
        vm.warp(t);
        (bool ok,,) = executor.canRun(address(account), task);
        assert(ok);
        vm.prank(KEEPER);
        try executor.executeTask(address(account), task) {}
        catch {
            assert(false); // a due task was refused
        }
        (,, uint256 executions, uint256 lastRunAt) = executor.taskOf(address(account), task.id);
        assert(executions == n && lastRunAt == t && account.runs() == n);
    }
}
