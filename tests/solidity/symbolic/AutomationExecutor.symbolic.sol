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
/// maxExecutions, or for a caller other than its own.
contract AutomationExecutorSymbolic is Test, SymbolicBase {
    /// @dev Bounds: one task with symbolic cooldown, maxExecutions, startsAt and expiresAt (any
    /// values the executor accepts); RUNS attempts, each at a symbolic later timestamp (below
    /// 2^48) by a symbolic caller.
    uint256 internal constant RUNS = 3;

    function check_executeTask_RunsOnlyWhenTheScheduleAllows() public {
        CountingAccount account = new CountingAccount();
        AutomationExecutor executor = new AutomationExecutor();
        IAutomationExecutor.Task memory task;
        task.id = 1;
        task.caller = address(0xBEEF);
        task.target = address(0x7A);
        task.cooldown = uint32(svm.createUint(32, "cooldown"));
        task.maxExecutions = uint32(svm.createUint(32, "maxExecutions"));
        task.startsAt = uint48(svm.createUint(48, "startsAt"));
        task.expiresAt = uint48(svm.createUint(48, "expiresAt"));
        vm.assume(task.expiresAt == 0 || task.expiresAt > task.startsAt);
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0] = task;
        account.install(executor, abi.encode(address(0xA0), tasks));

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
        CountingAccount account = new CountingAccount();
        AutomationExecutor executor = new AutomationExecutor();
        IAutomationExecutor.Task memory stored;
        stored.id = 1;
        stored.caller = address(0xBEEF);
        stored.target = address(0x7A);
        // Symbolic, so that both hashes are terms halmos compares (a concrete hash is a number it
        // cannot invert).
        stored.value = svm.createUint256("storedValue");
        stored.callData = abi.encodeWithSelector(bytes4(0x12345678), uint256(42));
        stored.cooldown = 60;
        stored.maxExecutions = 2;
        stored.expiresAt = 1000;
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0] = stored;
        account.install(executor, abi.encode(address(0xA0), tasks));

        IAutomationExecutor.Task memory passed;
        passed.id = 1;
        passed.caller = address(0xBEEF);
        passed.target = svm.createAddress("target");
        passed.value = svm.createUint256("value");
        passed.callData = svm.createBytes(36, "callData");
        passed.cooldown = uint32(svm.createUint(32, "cooldown"));
        passed.maxExecutions = uint32(svm.createUint(32, "maxExecutions"));
        passed.startsAt = uint48(svm.createUint(48, "startsAt"));
        passed.expiresAt = uint48(svm.createUint(48, "expiresAt"));
        vm.prank(address(0xBEEF));
        try executor.executeTask(address(account), passed) {
            assert(account.lastExecution() == keccak256(abi.encodePacked(stored.target, stored.value, stored.callData)));
            assert(keccak256(abi.encode(passed)) == keccak256(abi.encode(stored)));
        } catch {
            assert(account.runs() == 0);
        }
    }
}
