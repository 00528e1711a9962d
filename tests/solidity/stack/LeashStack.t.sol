// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {MODULE_TYPE_EXECUTOR, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {IHookMultiPlexer} from "../../../contracts/interfaces/IHookMultiPlexer.sol";
import {ILeashModule} from "../../../contracts/interfaces/ILeashModule.sol";
import {ExecutionDecoder} from "../../../contracts/libraries/ExecutionDecoder.sol";

import {LeashTestBase} from "../utils/LeashTestBase.sol";
import {MockExecutor} from "../utils/mocks/MockExecutor.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @notice The part-1 stack (multiplexer -> pause, allowlist) through the real account and EntryPoint.
contract LeashStackTest is LeashTestBase {
    function setUp() public override {
        super.setUp();
        installStack(IAllowlistHook.Mode.Allow);
    }

    // ------------------------------------------------------------------ allowlist through UserOps

    function test_userOp_AllowedTargetPasses() public {
        assertPasses(call1(address(target), ping));
        assertEq(target.pings(), 1);
    }

    function test_userOp_RevertWhen_TargetUnlisted() public {
        assertRefused(call1(address(other), ping), callNotAllowed(address(other), Target.ping.selector));
        assertEq(other.pings(), 0);
    }

    function test_userOp_RevertWhen_SelectorUnlisted() public {
        assertRefused(call1(address(target), pong), callNotAllowed(address(target), Target.pong.selector));
    }

    function test_userOp_RevertWhen_AnyBatchItemUnlisted() public {
        assertRefused(
            batchOf(address(target), ping, address(other), ping), callNotAllowed(address(other), Target.ping.selector)
        );
        assertEq(target.pings(), 0, "no item of a refused batch runs");
    }

    function test_userOp_RevertWhen_PlainTransferNotListed() public {
        assertRefused(executeSingle(address(target), 1 ether, ""), callNotAllowed(address(target), bytes4(0)));
    }

    // ------------------------------------------------------------------ pause through UserOps and executors

    function test_userOp_RevertWhen_Paused() public {
        pauseAsGuardian();
        uint256 until = block.timestamp + AUTO_UNPAUSE;
        bytes memory paused =
            abi.encodeWithSelector(IEmergencyPauseHook.Pause_AccountPaused.selector, address(account), until);
        assertRefused(call1(address(target), ping), paused);
        assertRefused(executeSingle(address(target), 0, ""), paused);
        assertRefused(batchOf(address(target), ping, address(target), ping), paused);
        assertEq(target.pings(), 0);
    }

    function test_executor_RevertWhen_Paused() public {
        MockExecutor executor = _installExecutorApproved();
        pauseAsGuardian();
        vm.expectRevert(
            abi.encodeWithSelector(
                IEmergencyPauseHook.Pause_AccountPaused.selector, address(account), block.timestamp + AUTO_UNPAUSE
            )
        );
        executor.run(address(account), address(target), 0, ping);
    }

    function test_executor_AllowlistApplies() public {
        MockExecutor executor = _installExecutorApproved();
        executor.run(address(account), address(target), 0, ping);
        assertEq(target.pings(), 1);
        vm.expectRevert(callNotAllowed(address(other), Target.ping.selector));
        executor.run(address(account), address(other), 0, ping);
    }

    function test_userOp_PassesAfterAutoUnpause() public {
        pauseAsGuardian();
        vm.warp(block.timestamp + AUTO_UNPAUSE);
        assertPasses(call1(address(target), ping));
    }

    // ------------------------------------------------------------------ the agent cannot loosen its leash

    function test_userOp_RevertWhen_UninstallingMultiplexerUntilApproved() public {
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "");
        assertRefused(
            uninstall,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleChangeNotApproved.selector,
                address(account),
                ExecutionDecoder.UNINSTALL_MODULE,
                address(mux),
                keccak256(uninstall)
            )
        );
        assertEq(account.hook(), address(mux));

        approveAtMux(uninstall);
        assertPasses(uninstall);
        assertEq(account.hook(), address(0));
        assertEq(mux.subHooks(address(account)).length, 0);
        assertEq(pauseHook.authorityOf(address(account)), address(0), "sub-hooks uninstalled too");
        assertEq(uint8(allowlist.modeOf(address(account))), 0);
    }

    function test_userOp_RevertWhen_InstallingModuleUntilApproved() public {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installModuleCall(MODULE_TYPE_EXECUTOR, address(executor), "");
        assertRefused(
            install,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleChangeNotApproved.selector,
                address(account),
                ExecutionDecoder.INSTALL_MODULE,
                address(executor),
                keccak256(install)
            )
        );
        approveAtMux(install);
        assertPasses(install);
        assertTrue(account.isModuleInstalled(MODULE_TYPE_EXECUTOR, address(executor), ""));
    }

    function test_userOp_RevertWhen_CallingAccountItselfUntilApproved() public {
        MockExecutor executor = new MockExecutor();
        bytes memory selfCall = call1(address(account), installModuleCall(MODULE_TYPE_EXECUTOR, address(executor), ""));
        assertRefused(
            selfCall,
            abi.encodeWithSelector(
                ILeashModule.Leash_SelfCallNotApproved.selector, address(account), keccak256(selfCall)
            )
        );
        // Hidden inside a batch, too.
        bytes memory hidden = batchOf(
            address(target), ping, address(account), installModuleCall(MODULE_TYPE_EXECUTOR, address(executor), "")
        );
        assertRefused(
            hidden,
            abi.encodeWithSelector(ILeashModule.Leash_SelfCallNotApproved.selector, address(account), keccak256(hidden))
        );
        approveAtMux(selfCall);
        assertPasses(selfCall);
        assertTrue(account.isModuleInstalled(MODULE_TYPE_EXECUTOR, address(executor), ""));
    }

    function test_userOp_RevertWhen_ReconfiguringHookUntilApproved() public {
        bytes memory loosen = call1(
            address(allowlist), abi.encodeCall(IAllowlistHook.setMode, (address(account), IAllowlistHook.Mode.Block))
        );
        assertRefused(
            loosen,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleCallNotApproved.selector,
                address(account),
                address(allowlist),
                IAllowlistHook.setMode.selector,
                keccak256(loosen)
            )
        );
        approveAtMux(loosen);
        assertPasses(loosen);
        assertEq(uint8(allowlist.modeOf(address(account))), uint8(IAllowlistHook.Mode.Block));
    }

    function test_userOp_RevertWhen_RemovingSubHookThroughMultiplexer() public {
        bytes memory remove = call1(
            address(mux), abi.encodeCall(IHookMultiPlexer.removeSubHook, (address(account), address(pauseHook), ""))
        );
        assertRefused(
            remove,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleCallNotApproved.selector,
                address(account),
                address(mux),
                IHookMultiPlexer.removeSubHook.selector,
                keccak256(remove)
            )
        );
        assertEq(mux.subHooks(address(account)).length, 2);
    }

    function test_approval_IsSpentAfterOneUse() public {
        bytes memory uninstallAllowlistCall = call1(
            address(mux), abi.encodeCall(IHookMultiPlexer.removeSubHook, (address(account), address(allowlist), ""))
        );
        approveAtMux(uninstallAllowlistCall);
        assertTrue(mux.isApproved(address(account), keccak256(uninstallAllowlistCall)));
        assertPasses(uninstallAllowlistCall);
        assertFalse(mux.isApproved(address(account), keccak256(uninstallAllowlistCall)));
        assertFalse(mux.approvedChangeInProgress(address(account)), "flag cleared after the execution");
        // The allowlist is gone; the pause is still there and a second approval would be needed
        // for any further self-call.
        assertEq(mux.subHooks(address(account)).length, 1);
    }

    function test_approveChange_RevertWhen_NotAuthority() public {
        vm.prank(guardian);
        vm.expectRevert(
            abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, address(account), guardian, authority)
        );
        mux.approveChange(address(account), bytes32(uint256(1)));
    }

    // ------------------------------------------------------------------ nobody is bricked

    function test_authority_RecoversWhilePaused() public {
        pauseAsGuardian();
        // The authority rotates the guardian and removes the pause, all while paused.
        address newGuardian = makeAddr("newGuardian");
        vm.prank(authority);
        pauseHook.setGuardian(address(account), newGuardian);
        vm.prank(authority);
        mux.removeSubHook(address(account), address(pauseHook), "");
        assertPasses(call1(address(target), ping));
    }

    function test_authority_UninstallsEverythingWhilePaused() public {
        pauseAsGuardian();
        removeMux();
    }

    function test_guardian_Unpauses() public {
        vm.startPrank(guardian);
        pauseHook.pause(address(account));
        pauseHook.unpause(address(account));
        vm.stopPrank();
        assertPasses(call1(address(target), ping));
    }

    // ------------------------------------------------------------------ attacks

    function test_attack_DelegatecallModeRefused() public {
        bytes memory data = abi.encodeWithSelector(
            ExecutionDecoder.EXECUTE, bytes32(uint256(0xff) << 248), abi.encodePacked(address(target), ping)
        );
        assertRefused(
            data, abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedCallType.selector, bytes1(0xff))
        );
    }

    function test_attack_EmptyBatchRefused() public {
        assertRefused(
            executeBatch(new Execution[](0)),
            abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_EmptyBatch.selector)
        );
    }

    /// @dev The account would run the decoy (other.ping) while a fixed-offset hook sees target.ping.
    function test_attack_DecoyBatchRefused() public {
        Execution[] memory shown = new Execution[](1);
        shown[0] = Execution(address(target), 0, ping);
        bytes memory canonical = abi.encode(shown);
        bytes memory decoy = abi.encode(address(other), uint256(0), uint256(0x60), uint256(4), bytes32(ping));
        bytes memory attack = bytes.concat(canonical, decoy);
        uint256 newOffset = canonical.length - 0x40;
        assembly {
            mstore(add(attack, 0x60), newOffset)
        }
        assertRefused(
            abi.encodeWithSelector(ExecutionDecoder.EXECUTE, modeBatch(), attack),
            abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, 0x40)
        );
        assertEq(other.pings(), 0);
    }

    /// @dev Anyone can call a sub-hook pretending to be the multiplexer; the suffix is only read
    /// when the real multiplexer calls, so a forger only ever speaks for itself.
    function test_attack_ForgedMultiplexerContextRefused() public {
        address attacker = makeAddr("attacker");
        bytes memory forged = abi.encodePacked(abi.encodeCall(pauseHook.onUninstall, ("")), address(account));
        vm.prank(attacker);
        (bool ok, bytes memory ret) = address(pauseHook).call(forged);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(ILeashModule.Leash_NotInstalled.selector, attacker));
        assertEq(pauseHook.authorityOf(address(account)), authority, "victim untouched");

        // A forged preCheck that would "unpause" nothing and learns nothing: it is about the forger.
        bytes memory forgedCheck = abi.encodePacked(
            abi.encodeCall(allowlist.preCheck, (address(0), 0, call1(address(other), ping))), address(account)
        );
        vm.prank(attacker);
        (ok, ret) = address(allowlist).call(forgedCheck);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(ILeashModule.Leash_NotInstalled.selector, attacker));

        // Nobody can call onInstall outside a real install, not even to install for itself.
        vm.prank(attacker);
        (ok, ret) = address(pauseHook)
            .call(
                abi.encodePacked(
                    abi.encodeCall(pauseHook.onInstall, (abi.encode(authority, makeAddr("accomplice"), 0))),
                    address(account)
                )
            );
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, attacker));
        assertEq(pauseHook.guardianOf(address(account)), guardian, "victim's guardian unchanged");
        assertEq(pauseHook.authorityOf(address(account)), authority, "victim's record untouched");
    }

    function test_attack_WildcardOnProtectedTargetStillBlocked() public {
        vm.startPrank(authority);
        allowlist.addPermission(address(account), address(other), WILDCARD);
        allowlist.addProtected(address(account), address(other));
        vm.stopPrank();
        assertRefused(
            call1(address(other), ping),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, address(account), address(other))
        );
    }

    function test_attack_WildcardOnLeashModuleStillBlocked() public {
        vm.prank(authority);
        allowlist.addPermission(address(account), address(pauseHook), WILDCARD);
        bytes memory loosen =
            call1(address(pauseHook), abi.encodeCall(IEmergencyPauseHook.setAutoUnpauseAfter, (address(account), 0)));
        assertRefused(
            loosen,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleCallNotApproved.selector,
                address(account),
                address(pauseHook),
                IEmergencyPauseHook.setAutoUnpauseAfter.selector,
                keccak256(loosen)
            )
        );
    }

    // ------------------------------------------------------------------ uninstall leaves nothing behind

    function test_reinstall_StartsClean() public {
        pauseAsGuardian();
        bytes32 staleApproval = keccak256("some change");
        vm.prank(authority);
        mux.approveChange(address(account), staleApproval);

        removeMux();

        // Reinstall with an empty allowlist: the old (target, ping) permission must be gone.
        installMux(stackInit(IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0)));

        assertFalse(pauseHook.isPaused(address(account)), "no stale pause");
        assertEq(pauseHook.nextPauseAt(address(account)), block.timestamp, "no stale cooldown");
        assertFalse(mux.isApproved(address(account), staleApproval), "no stale approval");
        assertFalse(allowlist.isListed(address(account), address(target), Target.ping.selector), "no stale permission");
        assertEq(allowlist.permissionCount(address(account)), 0);
        assertRefused(call1(address(target), ping), callNotAllowed(address(target), Target.ping.selector));
    }

    // ------------------------------------------------------------------ helpers

    function _installExecutorApproved() internal returns (MockExecutor executor) {
        executor = new MockExecutor();
        bytes memory install = installModuleCall(MODULE_TYPE_EXECUTOR, address(executor), "");
        approveAtMux(install);
        assertPasses(install);
    }
}
