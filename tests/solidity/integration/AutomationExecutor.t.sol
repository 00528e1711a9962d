// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_EXECUTOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {IEmergencyPauseHook} from "../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {ILeashModule} from "../../../contracts/interfaces/ILeashModule.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";

import {LeashTestBase} from "../utils/LeashTestBase.sol";
import {Target} from "../utils/mocks/Target.sol";
import {TestToken} from "../utils/mocks/Tokens.sol";

/// @dev A target that tries to run another task from inside a task.
contract Reenterer {
    IAutomationExecutor internal executor;

    constructor(IAutomationExecutor executor_) {
        executor = executor_;
    }

    function again(address account, uint256 id) external {
        executor.executeTask(account, id);
    }
}

/// @notice Keeper tasks through the real account: every hook applies to them.
contract AutomationExecutorTest is LeashTestBase {
    TestToken internal usdc;
    address internal acct;
    address internal keeper = makeAddr("keeper");
    address internal payee = makeAddr("payee");

    uint256 internal constant PAY = 1; // pays 100 USDC to the payee, hourly, at most 3 times
    uint256 internal constant PING = 2; // pings the target, no schedule limits
    uint256 internal constant BLOCKED = 3; // calls a blocked target
    uint256 internal constant BIG = 4; // pays more than the limit

    function setUp() public override {
        super.setUp();
        acct = address(account);
        usdc = new TestToken("USDC");
        usdc.mint(acct, 1_000_000e6);
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0] = policy(address(usdc), 250e6, 1 days, 0);
        installFullStack(policies);
        vm.prank(authority);
        allowlist.addPermission(acct, address(other), Target.ping.selector); // block mode: other.ping blocked

        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](4);
        tasks[0] = _task(PAY, address(usdc), abi.encodeCall(IERC20.transfer, (payee, 100e6)), 1 hours, 3);
        tasks[1] = _task(PING, address(target), abi.encodeCall(Target.ping, ()), 0, 0);
        tasks[2] = _task(BLOCKED, address(other), abi.encodeCall(Target.ping, ()), 0, 0);
        tasks[3] = _task(BIG, address(usdc), abi.encodeCall(IERC20.transfer, (payee, 300e6)), 0, 0);
        bytes memory install =
            installModuleCall(MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, tasks));
        approveAtMux(install);
        assertPasses(install);
    }

    function _task(uint256 id, address to, bytes memory data, uint32 cooldown, uint32 maxExecutions)
        internal
        view
        returns (IAutomationExecutor.Task memory t)
    {
        t.id = id;
        t.caller = keeper;
        t.target = to;
        t.callData = data;
        t.cooldown = cooldown;
        t.maxExecutions = maxExecutions;
    }

    function _run(uint256 id) internal {
        vm.prank(keeper);
        automation.executeTask(acct, id);
    }

    function _expectRun(uint256 id, bytes memory err) internal {
        vm.prank(keeper);
        vm.expectRevert(err);
        automation.executeTask(acct, id);
    }

    function test_executeTask_RunsThroughTheAccount() public {
        _run(PAY);
        assertEq(usdc.balanceOf(payee), 100e6);
        (, uint256 executions, uint256 lastRunAt) = automation.taskOf(acct, PAY);
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
        (bool ok, IAutomationExecutor.Blocker why, uint256 at) = automation.canRun(acct, PAY);
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
        automation.executeTask(acct, PING);
    }

    function test_executeTask_RevertWhen_BlockedByAllowlist() public {
        _expectRun(
            BLOCKED,
            abi.encodeWithSelector(
                IAllowlistHook.Allowlist_CallBlocked.selector, acct, address(other), Target.ping.selector
            )
        );
        assertEq(other.pings(), 0);
    }

    function test_executeTask_RevertWhen_OverSpendingLimit() public {
        _expectRun(
            BIG,
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_Exceeded.selector, acct, address(usdc), 300e6, 250e6, type(uint256).max
            )
        );
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
        vm.prank(guardian);
        pauseHook.pause(acct);
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
        IAutomationExecutor.Task memory t =
            _task(9, address(reenterer), abi.encodeCall(Reenterer.again, (acct, PING)), 0, 0);
        vm.prank(authority);
        automation.addTask(acct, t);
        _expectRun(9, abi.encodeWithSelector(IAutomationExecutor.Automation_Reentrancy.selector));
    }

    function test_executeTask_StartAndExpiry() public {
        IAutomationExecutor.Task memory t = _task(7, address(target), abi.encodeCall(Target.ping, ()), 0, 0);
        t.startsAt = uint48(block.timestamp + 100);
        t.expiresAt = uint48(block.timestamp + 200);
        vm.prank(authority);
        automation.addTask(acct, t);
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
        (bool ok, IAutomationExecutor.Blocker why,) = automation.canRun(acct, PING);
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
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(IAutomationExecutor.Automation_UnknownTask.selector, acct, PAY));
        automation.executeTask(acct, PAY);
    }
}
