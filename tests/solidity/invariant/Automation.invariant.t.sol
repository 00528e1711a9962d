// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_EXECUTOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {AutomationExecutor} from "../../../contracts/automation/AutomationExecutor.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";

import {InvariantBase} from "../utils/InvariantBase.sol";
import {LeashTestAccount} from "../utils/LeashTestAccount.sol";

/// @dev A keeper (and strangers) try to run a task at random times.
contract AutomationHandler is Test {
    AutomationExecutor internal exec;
    address internal account;
    address internal keeper;

    uint256 public runs;
    uint256 public lastRun;
    uint256 public tooEarly;
    uint256 public strangerRuns;
    uint256 public outsideSchedule;

    uint256 public constant COOLDOWN = 600;
    uint256 public constant MAX = 5;
    uint256 public immutable startsAt;
    uint256 public immutable expiresAt;
    IAutomationExecutor.Task internal task;

    /// @dev Runs with a task other than the one stored (another target, value, call or schedule).
    uint256 public forgedRuns;

    /// @dev The liveness side, judged by the handler's own model of the schedule: the keeper's
    /// runs of the stored task that were due but refused, and runs whose record (executions,
    /// lastRunAt) is not the model's.
    uint256 public dueRefused;
    uint256 public unrecorded;

    constructor(AutomationExecutor e, address a, IAutomationExecutor.Task memory t) {
        (exec, account, keeper, startsAt, expiresAt) = (e, a, t.caller, t.startsAt, t.expiresAt);
        task = t;
    }

    /// @dev `forge`: 0 runs the task as stored; 1-5 changes one field of it.
    function run(bool asStranger, uint8 forge) external {
        IAutomationExecutor.Task memory t = task;
        forge = forge % 6;
        if (forge == 1) t.target = address(0xBEEF);
        if (forge == 2) t.value = 1;
        if (forge == 3) t.callData = hex"01";
        if (forge == 4) t.cooldown = 0;
        if (forge == 5) t.maxExecutions = 0;
        bool due = !asStranger && forge == 0 && _due();
        vm.prank(asStranger ? address(0xBAD) : keeper);
        try exec.executeTask(account, t) {
            if (forge != 0) ++forgedRuns;
            if (asStranger) ++strangerRuns;
            if (runs != 0 && block.timestamp < lastRun + COOLDOWN) ++tooEarly;
            if (block.timestamp < startsAt || block.timestamp >= expiresAt) ++outsideSchedule;
            ++runs;
            lastRun = block.timestamp;
            (,, uint256 executions, uint256 lastRunAt) = exec.taskOf(account, task.id);
            if (executions != runs || lastRunAt != block.timestamp) ++unrecorded;
        } catch {
            if (due) ++dueRefused;
        }
    }

    /// @dev Whether the stored task may run now, from the rules and the runs seen so far.
    function _due() internal view returns (bool) {
        return block.timestamp >= startsAt && block.timestamp < expiresAt && runs < MAX
            && (runs == 0 || block.timestamp >= lastRun + COOLDOWN);
    }

    function warp(uint256 choice, uint256 dt) external {
        uint256[4] memory edges = [uint256(1), COOLDOWN, COOLDOWN - 1, 1 hours];
        choice = choice % 6;
        // The second the cooldown ends (a random walk rarely lands on it); then the edges, then a free step.
        if (choice == 5 && runs != 0 && lastRun + COOLDOWN > block.timestamp) vm.warp(lastRun + COOLDOWN);
        else vm.warp(block.timestamp + (choice < 4 ? edges[choice] : bound(dt, 0, 2 hours)));
    }
}

contract AutomationInvariantTest is InvariantBase {
    AutomationHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        AutomationExecutor exec = new AutomationExecutor();
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0].id = 1;
        tasks[0].caller = address(0x4EE);
        tasks[0].target = address(0xCAFE);
        tasks[0].cooldown = 600;
        tasks[0].maxExecutions = 5;
        tasks[0].startsAt = uint48(block.timestamp + 300);
        tasks[0].expiresAt = uint48(block.timestamp + 10 hours);
        LeashTestAccount account = newAccountWith(MODULE_TYPE_EXECUTOR, address(exec), abi.encode(address(0xA0), tasks));
        vm.deal(address(account), 1 ether);
        handler = new AutomationHandler(exec, address(account), tasks[0]);
        bytes4[] memory actions = new bytes4[](2);
        actions[0] = AutomationHandler.run.selector;
        actions[1] = AutomationHandler.warp.selector;
        targetActions(address(handler), actions);
    }

    function invariant_NeverBeforeCooldown() public view {
        assertEq(handler.tooEarly(), 0);
    }

    function invariant_NeverPastMaxExecutions() public view {
        assertLe(handler.runs(), handler.MAX());
    }

    function invariant_OnlyItsCaller() public view {
        assertEq(handler.strangerRuns(), 0);
    }

    function invariant_OnlyTheStoredTask() public view {
        assertEq(handler.forgedRuns(), 0);
    }

    function invariant_OnlyWithinStartAndExpiry() public view {
        assertEq(handler.outsideSchedule(), 0);
    }

    /// @dev Without these an executor refusing every run would pass all the above.
    function invariant_ADueTaskRunsWhenItsKeeperAsks() public view {
        assertEq(handler.dueRefused(), 0, "the keeper's run of a due task was refused");
    }

    function invariant_EveryRunIsRecorded() public view {
        assertEq(handler.unrecorded(), 0, "a run left executions or lastRunAt behind");
    }
}
