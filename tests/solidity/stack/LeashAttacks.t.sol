// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {
    IERC7579Module,
    MODULE_TYPE_EXECUTOR,
    MODULE_TYPE_HOOK
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IHookMultiPlexer} from "../../../contracts/interfaces/IHookMultiPlexer.sol";
import {ILeashModule} from "../../../contracts/interfaces/ILeashModule.sol";

import {LeashTestBase} from "../utils/LeashTestBase.sol";
import {ExecutorTrigger, GasBurnerSubHook, ReturnBombSubHook} from "../utils/mocks/HostileSubHooks.sol";
import {MockExecutor} from "../utils/mocks/MockExecutor.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @notice Exploits against the authority model, each written out and shown to fail.
contract LeashAttacksTest is LeashTestBase {
    function _notApproved(address module, bytes4 selector, bytes memory callData) internal view returns (bytes memory) {
        return abi.encodeWithSelector(
            ILeashModule.Leash_ModuleCallNotApproved.selector, acct, module, selector, keccak256(callData)
        );
    }

    /// @dev Without an allowlist, the agent tries to reinstall the multiplexer with itself as authority.
    function test_attack_AgentReinstallsMultiplexerWithItselfAsAuthority() public {
        installPauseOnly();
        address agentKey = makeAddr("agentKey");
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(mux), 0, abi.encodeCall(IERC7579Module.onUninstall, ("")));
        items[1] = Execution(
            address(mux),
            0,
            abi.encodeCall(IERC7579Module.onInstall, (abi.encode(agentKey, new address[](0), new bytes[](0))))
        );
        bytes memory attack = executeBatch(items);
        assertRefused(attack, _notApproved(address(mux), IERC7579Module.onUninstall.selector, attack));
        assertEq(mux.authorityOf(acct), authority);
        // Even a direct call from the account is refused: the multiplexer is still installed.
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, acct));
        mux.onUninstall("");
    }

    /// @dev The pause hook alone: the agent tries to wipe it (which would brick the account) or
    /// to reinstall it with itself as authority and guardian.
    function test_attack_AgentResetsPauseHookInstalledAlone() public {
        (bool ok,) = submit(installModuleCall(MODULE_TYPE_HOOK, address(pauseHook), pauseInit()));
        require(ok);
        bytes memory wipe = call1(address(pauseHook), abi.encodeCall(IERC7579Module.onUninstall, ("")));
        assertRefused(wipe, _notApproved(address(pauseHook), IERC7579Module.onUninstall.selector, wipe));
        assertEq(pauseHook.guardianOf(acct), guardian);
        assertPasses(call1(address(target), ping));
    }

    /// @dev The pause hook alone: the agent installs a multiplexer for itself directly, to mint
    /// approvals with a key it holds. The pause hook refuses the lifecycle call unapproved; the
    /// multiplexer, called so, would refuse it too (it is not being installed).
    function test_attack_AgentPlantsMultiplexerItDoesNotHave() public {
        (bool ok,) = submit(installModuleCall(MODULE_TYPE_HOOK, address(pauseHook), pauseInit()));
        require(ok);
        bytes memory plant = abi.encodeCall(
            IERC7579Module.onInstall, (abi.encode(makeAddr("agentKey"), new address[](0), new bytes[](0)))
        );
        bytes memory attack = call1(address(mux), plant);
        assertRefused(attack, _notApproved(address(mux), IERC7579Module.onInstall.selector, attack));
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, acct));
        mux.onInstall(abi.encode(makeAddr("agentKey"), new address[](0), new bytes[](0)));
        assertEq(mux.authorityOf(acct), address(0));
    }

    /// @dev The agent calls the multiplexer's preCheck itself to spend a pending approval and
    /// borrow the "approved change" flag for another call in the same batch.
    function test_attack_AgentCallsPreCheckToBorrowAnApproval() public {
        installStack(IAllowlistHook.Mode.Allow);
        bytes memory pending = uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "");
        approveAtMux(pending); // approved for a later, legitimate use
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(mux), 0, abi.encodeCall(mux.preCheck, (acct, 0, pending)));
        items[1] =
            Execution(address(allowlist), 0, abi.encodeCall(IAllowlistHook.setMode, (acct, IAllowlistHook.Mode.Block)));
        bytes memory attack = executeBatch(items);
        assertRefused(attack, _notApproved(address(mux), mux.preCheck.selector, attack));
        assertTrue(mux.isApproved(acct, keccak256(pending)), "the approval is still there, unspent");
        assertEq(uint8(allowlist.modeOf(acct)), uint8(IAllowlistHook.Mode.Allow));
    }

    /// @dev During an approved change, an executor triggered from inside it is still checked.
    function test_attack_ExecutorReenteringAnApprovedChangeIsChecked() public {
        installStack(IAllowlistHook.Mode.Allow);
        MockExecutor executor = new MockExecutor();
        bytes memory install = installModuleCall(MODULE_TYPE_EXECUTOR, address(executor), "");
        approveAtMux(install);
        assertPasses(install);
        ExecutorTrigger trigger = new ExecutorTrigger();
        vm.prank(authority);
        allowlist.addPermission(acct, address(trigger), WILDCARD);

        Execution[] memory items = new Execution[](2);
        items[0] =
            Execution(address(allowlist), 0, abi.encodeCall(IAllowlistHook.addProtected, (acct, address(0xdead))));
        items[1] = Execution(
            address(trigger), 0, abi.encodeCall(ExecutorTrigger.fire, (address(executor), acct, address(other), ping))
        );
        bytes memory approved = executeBatch(items);
        approveAtMux(approved);
        assertRefused(approved, callNotAllowed(address(other), Target.ping.selector));
        assertEq(other.pings(), 0);
    }

    /// @dev One approval covers a batch of changes: a nested postCheck does not end it early.
    function test_approvedBatchOfTwoModuleChanges() public {
        installStack(IAllowlistHook.Mode.Allow);
        MockExecutor a = new MockExecutor();
        MockExecutor b = new MockExecutor();
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(acct, 0, installModuleCall(MODULE_TYPE_EXECUTOR, address(a), ""));
        items[1] = Execution(acct, 0, installModuleCall(MODULE_TYPE_EXECUTOR, address(b), ""));
        bytes memory both = executeBatch(items);
        approveAtMux(both);
        assertPasses(both);
        assertTrue(account.isModuleInstalled(MODULE_TYPE_EXECUTOR, address(a), ""));
        assertTrue(account.isModuleInstalled(MODULE_TYPE_EXECUTOR, address(b), ""));
        assertFalse(mux.approvedChangeInProgress(acct));
    }

    /// @dev Hostile sub-hooks (gas burner, return-data bomb) cannot block removal or uninstall.
    function test_attack_HostileSubHooksCannotBlockUninstall() public {
        installPauseOnly();
        GasBurnerSubHook burner = new GasBurnerSubHook();
        ReturnBombSubHook bomb = new ReturnBombSubHook();
        vm.startPrank(authority);
        mux.addSubHook(acct, address(burner), "");
        mux.addSubHook(acct, address(bomb), "");
        mux.addSubHook(acct, address(new GasBurnerSubHook()), "");
        vm.stopPrank();

        vm.prank(authority);
        mux.removeSubHook(acct, address(bomb), "");
        removeMux();
    }

    function test_attack_ForgedPostCheckHookDataRefused() public {
        installStack(IAllowlistHook.Mode.Allow);
        address[] memory hooks = new address[](1);
        hooks[0] = address(pauseHook);
        bytes[] memory data = new bytes[](1);
        data[0] = hex"00";
        vm.prank(makeAddr("stranger"));
        vm.expectRevert(
            abi.encodeWithSelector(IHookMultiPlexer.Multiplexer_UnknownHookData.selector, makeAddr("stranger"))
        );
        mux.postCheck(abi.encode(hooks, data));
    }

    /// @dev An outgoing authority's pending approvals die with its authority.
    function test_setAuthority_VoidsPendingApprovals() public {
        installStack(IAllowlistHook.Mode.Allow);
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "");
        approveAtMux(uninstall);
        vm.prank(authority);
        mux.setAuthority(acct, makeAddr("newAuthority"));
        assertFalse(mux.isApproved(acct, keccak256(uninstall)));
        (bool ok,) = submit(uninstall);
        assertFalse(ok);
    }

    /// @dev The account cannot hand the authority to anyone, even inside an approved change.
    function test_setAuthority_RevertWhen_ThroughAccount() public {
        installStack(IAllowlistHook.Mode.Allow);
        bytes memory handOver =
            call1(address(mux), abi.encodeCall(ILeashModule.setAuthority, (acct, makeAddr("agentKey"))));
        approveAtMux(handOver);
        assertRefused(
            handOver, abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority)
        );
    }
}
