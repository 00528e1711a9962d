// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IEmergencyPauseHook} from "../../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";

import {LeashTestAccount} from "../../utils/LeashTestAccount.sol";
import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";

/// @notice The pause hook installed alone on the real account.
contract EmergencyPauseHookTest is LeashTestBase {
    bytes internal pingCall;

    function setUp() public override {
        super.setUp();
        pingCall = executeSingle(address(target), 0, abi.encodeCall(Target.ping, ()));
        (bool ok,) = submit(installModuleCall(MODULE_TYPE_HOOK, address(pauseHook), pauseInit()));
        require(ok, "install");
    }

    function test_pause_RefusesExecutionUntilAutoUnpause() public {
        pauseAsGuardian();
        uint256 until = block.timestamp + AUTO_UNPAUSE;
        assertEq(pauseHook.pausedUntil(acct), until);
        vm.warp(until - 1);
        assertTrue(pauseHook.isPaused(acct));
        assertRefused(pingCall, abi.encodeWithSelector(IEmergencyPauseHook.Pause_AccountPaused.selector, acct, until));
        vm.warp(until);
        assertFalse(pauseHook.isPaused(acct), "auto-unpause ends the pause at the stated second");
        assertPasses(pingCall);
    }

    function test_pause_ManualStaysUntilUnpaused() public {
        vm.prank(authority);
        pauseHook.setAutoUnpauseAfter(acct, 0);
        pauseAsGuardian();
        uint256 manual = type(uint48).max;
        vm.warp(block.timestamp + 400 days);
        assertRefused(pingCall, abi.encodeWithSelector(IEmergencyPauseHook.Pause_AccountPaused.selector, acct, manual));
        vm.prank(guardian);
        pauseHook.unpause(acct);
        assertPasses(pingCall);
    }

    function testFuzz_pause_CooldownBetweenPauses(uint32 pausedFor, uint32 wait) public {
        pausedFor = uint32(bound(pausedFor, 0, AUTO_UNPAUSE - 1));
        wait = uint32(bound(wait, 0, 3 hours));
        pauseAsGuardian();
        vm.warp(block.timestamp + pausedFor);
        vm.prank(guardian);
        pauseHook.unpause(acct);
        uint256 ended = block.timestamp;
        vm.warp(block.timestamp + wait);
        vm.prank(guardian);
        if (wait < 1 hours) {
            vm.expectRevert(
                abi.encodeWithSelector(IEmergencyPauseHook.Pause_CooldownActive.selector, acct, ended + 1 hours)
            );
            pauseHook.pause(acct);
        } else {
            pauseHook.pause(acct);
            assertTrue(pauseHook.isPaused(acct));
        }
    }

    function test_pause_CooldownCountsFromAutoUnpause() public {
        pauseAsGuardian();
        uint256 ended = block.timestamp + AUTO_UNPAUSE;
        vm.warp(ended + 1 hours - 1);
        assertEq(pauseHook.nextPauseAt(acct), ended + 1 hours);
        assertPauseCoolsDownUntil(address(pauseHook), ended + 1 hours, guardian);
    }

    function test_pause_RevertWhen_NotGuardian() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_NotGuardian.selector, acct, stranger));
        pauseHook.pause(acct);
    }

    function test_unpause_RevertWhen_NotGuardian() public {
        pauseAsGuardian();
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_NotGuardian.selector, acct, stranger));
        pauseHook.unpause(acct);
    }

    function test_unpause_RevertWhen_NotPaused() public {
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_NotPaused.selector, acct));
        pauseHook.unpause(acct);
    }

    function test_unpause_AuthorityCanRecover() public {
        pauseAsGuardian();
        vm.prank(authority);
        pauseHook.unpause(acct);
        assertPasses(pingCall);
    }

    function test_setGuardian_RotatesWhilePaused() public {
        pauseAsGuardian();
        address newGuardian = makeAddr("newGuardian");
        vm.prank(authority);
        pauseHook.setGuardian(acct, newGuardian);
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_NotGuardian.selector, acct, guardian));
        pauseHook.unpause(acct);
        vm.prank(newGuardian);
        pauseHook.unpause(acct);
    }

    function test_setGuardian_RevertWhen_NotAuthority() public {
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, guardian, authority));
        pauseHook.setGuardian(acct, guardian);
    }

    function test_setAutoUnpause_RevertWhen_OverOneYear() public {
        vm.prank(authority);
        vm.expectRevert(
            abi.encodeWithSelector(IEmergencyPauseHook.Pause_AutoUnpauseTooLong.selector, 365 days + 1, 365 days)
        );
        pauseHook.setAutoUnpauseAfter(acct, 365 days + 1);
    }

    function test_onInstall_RevertWhen_ZeroGuardian() public {
        LeashTestAccount fresh = new LeashTestAccount(owner.addr);
        vm.prank(address(entryPoint));
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_InvalidGuardian.selector, address(0)));
        fresh.installModule(MODULE_TYPE_HOOK, address(pauseHook), abi.encode(authority, address(0), 0));
    }

    /// @dev The account cannot pause itself: that would arm the cooldown against the guardian.
    function test_pause_RevertWhen_Account() public {
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_NotGuardian.selector, acct, acct));
        pauseHook.pause(acct);
    }

    /// @dev Installed alone, the hook applies the authority model itself: uninstalling it needs approval,
    /// which works even while paused.
    function test_alone_UninstallNeedsApprovalAlsoWhilePaused() public {
        pauseAsGuardian();
        removeHookWithApproval(address(pauseHook));
        assertEq(account.hook(), address(0));
        assertFalse(pauseHook.isPaused(acct), "no stale pause");
    }

    function test_alone_SelfCallRefused() public {
        bytes memory selfCall = executeSingle(acct, 0, "");
        assertRefused(
            selfCall, abi.encodeWithSelector(ILeashModule.Leash_SelfCallNotApproved.selector, acct, keccak256(selfCall))
        );
    }
}
