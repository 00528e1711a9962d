// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_EXECUTOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../../contracts/interfaces/IAutomationExecutor.sol";
import {IEmergencyPauseHook} from "../../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";

import {LeashTestAccount} from "../../utils/LeashTestAccount.sol";
import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";
import {TestToken} from "../../utils/mocks/Tokens.sol";

/// @dev A target that tries to run another task from inside a task.
contract Reenterer {
    IAutomationExecutor internal executor;

    constructor(IAutomationExecutor executor_) {
        executor = executor_;
    }

    function again(address account, IAutomationExecutor.Task calldata task) external {
        executor.executeTask(account, task);
    }
}

/// @notice Keeper tasks through the real account: every hook applies to them.
contract AutomationExecutorTest is LeashTestBase {
    TestToken internal usdc;
    address internal keeper = makeAddr("keeper");
    address internal payee = makeAddr("payee");

    uint256 internal constant PAY = 1; // pays 100 USDC to the payee, hourly, at most 3 times
    uint256 internal constant PING = 2; // pings the target, no schedule limits
    uint256 internal constant BLOCKED = 3; // calls a blocked target
    uint256 internal constant BIG = 4; // pays more than the limit

    /// @dev Every task added, by id, as the keeper passes it.
    mapping(uint256 id => IAutomationExecutor.Task) internal tasks;

    function setUp() public override {
        super.setUp();
        usdc = fundedToken("USDC", 1_000_000e6);
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0] = policy(address(usdc), 250e6, 1 days, 0);
        installFullStack(policies);
        vm.prank(authority);
        allowlist.addPermission(acct, address(other), Target.ping.selector); // block mode: other.ping blocked

        IAutomationExecutor.Task[] memory initial = new IAutomationExecutor.Task[](4);
        initial[0] = _task(PAY, address(usdc), abi.encodeCall(IERC20.transfer, (payee, 100e6)), 1 hours, 3);
        initial[1] = _task(PING, address(target), abi.encodeCall(Target.ping, ()), 0, 0);
        initial[2] = _task(BLOCKED, address(other), abi.encodeCall(Target.ping, ()), 0, 0);
        initial[3] = _task(BIG, address(usdc), abi.encodeCall(IERC20.transfer, (payee, 300e6)), 0, 0);
        for (uint256 i; i < initial.length; ++i) {
            tasks[initial[i].id] = initial[i];
        }
        bytes memory install =
            installModuleCall(MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, initial));
        approveAtMux(install);
        assertPasses(install);
    }

    function _task(uint256 id, address to, bytes memory data, uint32 cooldown, uint32 maxExecutions)
        internal
        view
        returns (IAutomationExecutor.Task memory)
    {
        // No value, no start or expiry.
        return IAutomationExecutor.Task(id, keeper, to, 0, data, cooldown, maxExecutions, 0, 0);
    }

    function _add(IAutomationExecutor.Task memory t) internal {
        vm.prank(authority);
        automation.addTask(acct, t);
        tasks[t.id] = t;
    }

    function _run(uint256 id) internal {
        vm.prank(keeper);
        automation.executeTask(acct, tasks[id]);
    }

    function _expectRun(uint256 id, bytes memory err) internal {
        _expectRun(tasks[id], err);
    }

    function _expectRun(IAutomationExecutor.Task memory t, bytes memory err) internal {
        vm.prank(keeper);
        vm.expectRevert(err);
        automation.executeTask(acct, t);
    }

    function _mismatch(uint256 id, IAutomationExecutor.Task memory given) internal view returns (bytes memory) {
        return abi.encodeWithSelector(
            IAutomationExecutor.Automation_TaskMismatch.selector,
            acct,
            id,
            automation.taskHash(tasks[id]),
            automation.taskHash(given)
        );
    }

    function test_executeTask_RunsThroughTheAccount() public {
        vm.prank(keeper);
        bytes[] memory results = automation.executeTask(acct, tasks[PAY]);
        assertEq(results.length, 1, "the account's answer, passed back");
        assertTrue(abi.decode(results[0], (bool)), "transfer's return value");
        assertEq(usdc.balanceOf(payee), 100e6);
        (address caller, bytes32 hash, uint256 executions, uint256 lastRunAt) = automation.taskOf(acct, PAY);
        assertEq(caller, keeper);
        assertEq(hash, keccak256(abi.encode(tasks[PAY])));
        assertEq(executions, 1);
        assertEq(lastRunAt, block.timestamp);
    }

    function test_executeTask_RevertWhen_CooldownActive() public {
        _run(PAY);
        vm.warp(block.timestamp + 1 hours - 1);
        _expectRun(
            PAY,
            abi.encodeWithSelector(
                IAutomationExecutor.Automation_CooldownActive.selector, acct, PAY, block.timestamp + 1
            )
        );
        (bool ok, IAutomationExecutor.Blocker why, uint256 at) = automation.canRun(acct, tasks[PAY]);
        assertFalse(ok);
        assertEq(uint8(why), uint8(IAutomationExecutor.Blocker.CooldownActive));
        assertEq(at, block.timestamp + 1);
        vm.warp(block.timestamp + 1);
        _run(PAY);
    }

    function test_executeTask_RevertWhen_MaxExecutionsReached() public {
        vm.prank(authority);
        spending.setTokenPolicy(acct, policy(address(usdc), 1000e6, 1 days, 0));
        for (uint256 i; i < 3; ++i) {
            _run(PAY);
            vm.warp(block.timestamp + 1 hours);
        }
        _expectRun(
            PAY, abi.encodeWithSelector(IAutomationExecutor.Automation_MaxExecutionsReached.selector, acct, PAY, 3)
        );
    }

    function test_executeTask_RevertWhen_WrongCaller() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IAutomationExecutor.Automation_NotCaller.selector, acct, PING, stranger));
        automation.executeTask(acct, tasks[PING]);
    }

    function test_executeTask_RevertWhen_BlockedByAllowlist() public {
        _expectRun(BLOCKED, callBlocked(address(other), Target.ping.selector));
        assertEq(other.pings(), 0);
    }

    function test_executeTask_RevertWhen_OverSpendingLimit() public {
        _expectRun(BIG, exceeded(address(usdc), 300e6, 250e6, type(uint256).max));
        _run(PAY);
        _run(PING);
        vm.warp(block.timestamp + 1 hours);
        _run(PAY); // 200 of 250 spent
        vm.warp(block.timestamp + 1 hours);
        _expectRun(
            PAY,
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_Exceeded.selector,
                acct,
                address(usdc),
                100e6,
                50e6,
                spending.availableAt(acct, address(usdc), 100e6)
            )
        );
    }

    function test_executeTask_RevertWhen_Paused() public {
        pauseAsGuardian();
        _expectRun(
            PING,
            abi.encodeWithSelector(
                IEmergencyPauseHook.Pause_AccountPaused.selector, acct, block.timestamp + AUTO_UNPAUSE
            )
        );
        // A refused run leaves no trace: it can run once the pause ends.
        vm.warp(block.timestamp + AUTO_UNPAUSE);
        _run(PING);
        assertEq(target.pings(), 1);
    }

    function test_executeTask_RevertWhen_Reentered() public {
        Reenterer reenterer = new Reenterer(automation);
        _add(_task(9, address(reenterer), abi.encodeCall(Reenterer.again, (acct, tasks[PING])), 0, 0));
        _expectRun(9, abi.encodeWithSelector(IAutomationExecutor.Automation_Reentrancy.selector));
    }

    function test_executeTask_StartAndExpiry() public {
        IAutomationExecutor.Task memory t = _task(7, address(target), abi.encodeCall(Target.ping, ()), 0, 0);
        t.startsAt = uint48(block.timestamp + 100);
        t.expiresAt = uint48(block.timestamp + 200);
        _add(t);
        _expectRun(7, abi.encodeWithSelector(IAutomationExecutor.Automation_NotStarted.selector, acct, 7, t.startsAt));
        vm.warp(t.startsAt);
        _run(7);
        vm.warp(t.expiresAt);
        _expectRun(7, abi.encodeWithSelector(IAutomationExecutor.Automation_Expired.selector, acct, 7, t.expiresAt));
    }

    function test_addTask_RevertWhen_AccountAddsIt() public {
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority));
        automation.addTask(acct, _task(8, address(target), "", 0, 0));
    }

    function test_addTask_AgentCannotThroughUserOp() public {
        bytes memory add = call1(
            address(automation),
            abi.encodeCall(IAutomationExecutor.addTask, (acct, _task(8, address(target), "", 0, 0)))
        );
        assertRefused(
            add, abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(automation))
        );
    }

    function test_removeTask_AccountMayTighten() public {
        vm.prank(acct);
        automation.removeTask(acct, PING);
        (bool ok, IAutomationExecutor.Blocker why,) = automation.canRun(acct, tasks[PING]);
        assertFalse(ok);
        assertEq(uint8(why), uint8(IAutomationExecutor.Blocker.UnknownTask));
    }

    function test_reinstall_StartsClean() public {
        _run(PAY);
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_EXECUTOR, address(automation), "");
        approveAtMux(uninstall);
        assertPasses(uninstall);
        bytes memory install = installModuleCall(
            MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, new IAutomationExecutor.Task[](0))
        );
        approveAtMux(install);
        assertPasses(install);
        assertEq(automation.taskIds(acct).length, 0, "no stale task");
        _expectRun(PAY, abi.encodeWithSelector(IAutomationExecutor.Automation_UnknownTask.selector, acct, PAY));
    }

    // ------------------------------------------------------------------ attacks: the keeper passes the task

    function _assertNothingRan() internal view {
        assertEq(usdc.balanceOf(payee), 0, "nothing paid");
        assertEq(usdc.balanceOf(keeper), 0, "nothing to the keeper");
        assertEq(target.pings(), 0, "nothing pinged");
        (,, uint256 executions,) = automation.taskOf(acct, PAY);
        assertEq(executions, 0, "no run recorded");
    }

    /// @dev The keeper pays itself instead of the payee, or more than the task pays.
    function test_attack_KeeperChangesTheCall() public {
        IAutomationExecutor.Task memory t = tasks[PAY];
        t.callData = abi.encodeCall(IERC20.transfer, (keeper, 100e6));
        _expectRun(t, _mismatch(PAY, t));
        t.callData = abi.encodeCall(IERC20.transfer, (payee, 200e6));
        _expectRun(t, _mismatch(PAY, t));
        // The stored call with a byte appended: not the same call either.
        t.callData = bytes.concat(tasks[PAY].callData, hex"00");
        _expectRun(t, _mismatch(PAY, t));
        _assertNothingRan();
    }

    function test_attack_KeeperChangesTargetOrValue() public {
        IAutomationExecutor.Task memory t = tasks[PING];
        t.target = address(other);
        _expectRun(t, _mismatch(PING, t));
        t = tasks[PING];
        t.value = 1 ether;
        vm.deal(acct, 10 ether);
        _expectRun(t, _mismatch(PING, t));
        _assertNothingRan();
        assertEq(acct.balance, 10 ether, "no value sent");
    }

    /// @dev A schedule passed looser than stored (no cooldown, no cap, no start or expiry) is refused.
    function test_attack_KeeperLoosensTheSchedule() public {
        _run(PAY);
        IAutomationExecutor.Task memory t = tasks[PAY];
        t.cooldown = 0;
        _expectRun(t, _mismatch(PAY, t));
        t = tasks[PAY];
        t.maxExecutions = 0;
        _expectRun(t, _mismatch(PAY, t));
        t = tasks[PAY];
        t.expiresAt = type(uint48).max;
        _expectRun(t, _mismatch(PAY, t));
        (bool ok, IAutomationExecutor.Blocker why, uint256 at) = automation.canRun(acct, t);
        assertFalse(ok);
        assertEq(uint8(why), uint8(IAutomationExecutor.Blocker.TaskMismatch));
        assertEq(at, 0);
        (,, uint256 executions,) = automation.taskOf(acct, PAY);
        assertEq(executions, 1, "only the honest run");
        assertEq(usdc.balanceOf(payee), 100e6);
    }

    /// @dev Another task's body under this id (the id picks the stored hash, and the hash covers the id).
    function test_attack_KeeperPassesAnotherTaskUnderThisId() public {
        IAutomationExecutor.Task memory t = tasks[BIG];
        t.id = PAY;
        _expectRun(t, _mismatch(PAY, t));
        t = tasks[PAY];
        t.id = PING;
        _expectRun(t, _mismatch(PING, t));
        _assertNothingRan();
    }

    /// @dev Tasks are per account: one account's task does not run on another, even with the same
    /// id, and the same task on two accounts keeps two run counts.
    function test_attack_KeeperRunsAnotherAccountsTask() public {
        LeashTestAccount second = new LeashTestAccount(makeAddr("secondOwner"));
        address acct2 = address(second);
        usdc.mint(acct2, 1000e6);
        IAutomationExecutor.Task[] memory theirs = new IAutomationExecutor.Task[](2);
        theirs[0] = _task(PING, address(usdc), abi.encodeCall(IERC20.transfer, (keeper, 1000e6)), 0, 0);
        theirs[1] = tasks[PAY];
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        second.installModule(MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, theirs));

        // The second account's task against this account, and this account's task against the second.
        _expectRun(theirs[0], _mismatch(PING, theirs[0]));
        IAutomationExecutor.Task memory ours = tasks[BLOCKED];
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IAutomationExecutor.Automation_UnknownTask.selector, acct2, BLOCKED));
        automation.executeTask(acct2, ours);
        assertEq(usdc.balanceOf(keeper), 0);

        _run(PAY);
        (,, uint256 executions,) = automation.taskOf(acct2, PAY);
        assertEq(executions, 0, "the second account's count is its own");
        vm.prank(keeper);
        automation.executeTask(acct2, tasks[PAY]);
        assertEq(usdc.balanceOf(payee), 200e6);
        _expectRun(
            PAY,
            abi.encodeWithSelector(
                IAutomationExecutor.Automation_CooldownActive.selector, acct, PAY, block.timestamp + 1 hours
            )
        );
    }

    /// @dev A task removed and re-added under the same id: the old task's bytes no longer run, the
    /// new task runs from zero.
    function test_attack_RemovedTaskReAddedUnderTheSameId() public {
        _run(PAY);
        IAutomationExecutor.Task memory old = tasks[PAY];
        vm.prank(acct);
        automation.removeTask(acct, PAY);
        _expectRun(old, abi.encodeWithSelector(IAutomationExecutor.Automation_UnknownTask.selector, acct, PAY));

        _add(_task(PAY, address(usdc), abi.encodeCall(IERC20.transfer, (payee, 1e6)), 1 days, 1));
        _expectRun(old, _mismatch(PAY, old));
        _run(PAY);
        assertEq(usdc.balanceOf(payee), 101e6, "the old run and the new task's");
        (,, uint256 executions,) = automation.taskOf(acct, PAY);
        assertEq(executions, 1);
        _expectRun(
            PAY, abi.encodeWithSelector(IAutomationExecutor.Automation_MaxExecutionsReached.selector, acct, PAY, 1)
        );
    }

    /// @dev After uninstall and reinstall with a different task under the same id, the old bytes are refused.
    function test_attack_OldTaskAfterReinstall() public {
        IAutomationExecutor.Task memory old = tasks[PING];
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_EXECUTOR, address(automation), "");
        approveAtMux(uninstall);
        assertPasses(uninstall);
        IAutomationExecutor.Task[] memory fresh = new IAutomationExecutor.Task[](1);
        fresh[0] = _task(PING, address(target), abi.encodeCall(Target.ping, ()), 1 days, 0);
        bytes memory install =
            installModuleCall(MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, fresh));
        approveAtMux(install);
        assertPasses(install);
        tasks[PING] = fresh[0];
        _expectRun(old, _mismatch(PING, old));
        _run(PING);
        assertEq(target.pings(), 1);
    }

    /// @dev Dirty upper bits in an address word of the passed task are refused, not cleaned into a match.
    function test_attack_DirtyAddressWordInThePassedTask() public {
        bytes memory data = abi.encodeCall(IAutomationExecutor.executeTask, (acct, tasks[PING]));
        // Word layout: selector, account, offset, then the task: id, caller, target, ...
        uint256 targetWord = 4 + 32 * 2 + 32 * 2;
        assertEq(uint256(bytes32(_slice(data, targetWord))), uint256(uint160(address(target))));
        data[targetWord] = 0x01;
        vm.prank(keeper);
        (bool ok,) = address(automation).call(data);
        assertFalse(ok, "dirty word refused");
        assertEq(target.pings(), 0);
        (,, uint256 executions,) = automation.taskOf(acct, PING);
        assertEq(executions, 0);
    }

    function _slice(bytes memory data, uint256 at) internal pure returns (bytes32 word) {
        assembly ("memory-safe") {
            word := mload(add(add(data, 32), at))
        }
    }

    /// @dev A task whose call carries another task's encoding, and a run whose offset points at it:
    /// the bytes hashed would be the stored task's, the task decoded the embedded one. Refused.
    function test_attack_OffsetPointsIntoTheStoredTask() public {
        IAutomationExecutor.Task memory inner =
            _task(20, address(usdc), abi.encodeCall(IERC20.transfer, (keeper, 100e6)), 0, 0);
        // The encoding of `inner` without abi.encode's leading offset word.
        IAutomationExecutor.Task memory outer = _task(20, payee, _tail(abi.encode(inner), 32), 0, 0);
        _add(outer);
        // Selector, account, offset, then the outer task's encoding: its 9 head words, the length
        // of its call, then the call, which is the inner task. The offset points there.
        bytes memory data = bytes.concat(
            IAutomationExecutor.executeTask.selector, abi.encode(acct, uint256(0x180)), _tail(abi.encode(outer), 32)
        );
        assertEq(keccak256(abi.encodePacked(bytes32(uint256(0x20)), _tail(data, 0x44))), automation.taskHash(outer));
        vm.prank(keeper);
        (bool ok, bytes memory err) = address(automation).call(data);
        assertFalse(ok, "refused");
        assertEq(
            err,
            abi.encodeWithSelector(
                IAutomationExecutor.Automation_TaskMismatch.selector, acct, 20, automation.taskHash(outer), bytes32(0)
            )
        );
        assertEq(usdc.balanceOf(keeper), 0, "the embedded task did not run");
        // The outer task itself, passed canonically, is the stored one.
        (bool can,,) = automation.canRun(acct, outer);
        assertTrue(can);
    }

    /// @dev The stored task with a byte after it: not the canonical encoding, so not a match.
    function test_attack_TrailingBytesAfterThePassedTask() public {
        bytes memory data = bytes.concat(abi.encodeCall(IAutomationExecutor.executeTask, (acct, tasks[PING])), hex"00");
        vm.prank(keeper);
        (bool ok, bytes memory err) = address(automation).call(data);
        assertFalse(ok);
        assertEq(bytes4(err), IAutomationExecutor.Automation_TaskMismatch.selector);
        assertEq(target.pings(), 0);
    }

    function _tail(bytes memory data, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(data.length - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = data[i + from];
        }
    }
}
