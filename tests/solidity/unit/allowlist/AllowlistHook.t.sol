// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";

import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";

/// @notice The allowlist hook installed alone on the real account.
contract AllowlistHookTest is LeashTestBase {
    function setUp() public override {
        super.setUp();
    }

    function _install(IAllowlistHook.Mode mode, IAllowlistHook.Permission[] memory permissions) internal {
        (bool ok,) = submit(installModuleCall(MODULE_TYPE_HOOK, address(allowlist), allowlistInit(mode, permissions)));
        require(ok, "install");
    }

    function _perm(address t, bytes4 s) internal pure returns (IAllowlistHook.Permission[] memory p) {
        p = new IAllowlistHook.Permission[](1);
        p[0] = IAllowlistHook.Permission(t, s);
    }

    // ------------------------------------------------------------------ block mode

    function test_blockMode_ListedPairRefusedOthersPass() public {
        _install(IAllowlistHook.Mode.Block, _perm(address(target), Target.pong.selector));
        assertPasses(call1(address(target), ping));
        assertPasses(call1(address(other), pong));
        assertRefused(call1(address(target), pong), callBlocked(address(target), Target.pong.selector));
    }

    /// @dev Wildcard precedence in block mode: a blocked wildcard blocks every function of the target.
    function test_blockMode_WildcardBlocksEveryFunction() public {
        _install(IAllowlistHook.Mode.Block, _perm(address(target), WILDCARD));
        assertRefused(call1(address(target), ping), callBlocked(address(target), WILDCARD));
        assertRefused(executeSingle(address(target), 1, ""), callBlocked(address(target), WILDCARD));
        assertPasses(call1(address(other), ping));
    }

    /// @dev The wildcard is 0x431e2cf5, not 0x00000000: listing 0x00000000 governs plain transfers only.
    function test_blockMode_ZeroSelectorIsPlainTransferNotWildcard() public {
        _install(IAllowlistHook.Mode.Block, _perm(address(target), bytes4(0)));
        assertRefused(executeSingle(address(target), 1, ""), callBlocked(address(target), bytes4(0)));
        assertPasses(call1(address(target), ping));
    }

    function test_blockMode_ProtectedAlwaysRefused() public {
        _install(IAllowlistHook.Mode.Block, new IAllowlistHook.Permission[](0));
        vm.prank(acct); // tightening: the account itself may protect
        allowlist.addProtected(acct, address(other));
        assertRefused(
            call1(address(other), ping),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(other))
        );
        // The account itself and every Leash module are protected without being listed.
        assertTrue(allowlist.isProtected(acct, acct));
        assertTrue(allowlist.isProtected(acct, address(allowlist)));
        assertTrue(allowlist.isProtected(acct, address(pauseHook)));
        assertTrue(allowlist.isProtected(acct, address(mux)));
        assertRefused(
            call1(address(pauseHook), ""),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(pauseHook))
        );
    }

    // ------------------------------------------------------------------ allow mode

    function test_allowMode_WildcardAllowsEveryFunction() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), WILDCARD));
        assertPasses(call1(address(target), ping));
        assertPasses(call1(address(target), pong));
        assertPasses(executeSingle(address(target), 1, ""));
        assertRefused(call1(address(other), ping), callNotAllowed(address(other), Target.ping.selector));
    }

    function test_allowMode_RevertWhen_ShortCalldata() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), WILDCARD));
        assertRefused(
            call1(address(target), hex"aabbcc"),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ShortCalldata.selector, acct, address(target), 3)
        );
    }

    function testFuzz_allowMode_OnlyListedSelectorPasses(bytes4 listed, bytes4 other_, bool same) public {
        // Half of the runs call the listed selector itself (two random selectors almost never match).
        bytes4 called = same ? listed : other_;
        vm.assume(listed != WILDCARD && called != WILDCARD && called != bytes4(0));
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), listed));
        bytes memory data = abi.encodePacked(called, uint256(1));
        assertEq(allowlist.isCallAllowed(acct, address(target), data), listed == called);
        assertFalse(allowlist.isCallAllowed(acct, address(other), data));
    }

    // ------------------------------------------------------------------ roles

    function test_addPermission_RevertWhen_AccountLoosensAllowMode() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), Target.ping.selector));
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority));
        allowlist.addPermission(acct, address(other), WILDCARD);
    }

    function test_removePermission_AccountMayTightenAllowMode() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), Target.ping.selector));
        vm.prank(acct);
        allowlist.removePermission(acct, address(target), Target.ping.selector);
        assertEq(allowlist.permissionCount(acct), 0);
    }

    function test_removePermission_RevertWhen_AccountLoosensBlockMode() public {
        _install(IAllowlistHook.Mode.Block, _perm(address(target), Target.ping.selector));
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority));
        allowlist.removePermission(acct, address(target), Target.ping.selector);
    }

    function test_removeProtected_RevertWhen_NotAuthority() public {
        _install(IAllowlistHook.Mode.Block, new IAllowlistHook.Permission[](0));
        vm.startPrank(acct);
        allowlist.addProtected(acct, address(other));
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority));
        allowlist.removeProtected(acct, address(other));
        vm.stopPrank();
    }

    function test_setMode_RevertWhen_NotAuthority() public {
        _install(IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0));
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority));
        allowlist.setMode(acct, IAllowlistHook.Mode.Block);
    }

    /// @dev Each mode has its own list: `setMode` puts the other mode's list in force (empty the
    /// first time) and keeps this one for when its mode is back; protected addresses stay. An
    /// entry never changes meaning, so a block the account added never becomes an allow.
    function test_setMode_EachModeKeepsItsOwnList() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), Target.ping.selector));
        vm.prank(acct);
        allowlist.addProtected(acct, address(0xA));

        vm.prank(authority);
        allowlist.setMode(acct, IAllowlistHook.Mode.Block);
        assertEq(allowlist.permissionCount(acct), 0, "the block list starts empty");
        assertEq(allowlist.permissionsOf(acct).length, 0);
        assertFalse(allowlist.isListed(acct, address(target), Target.ping.selector));
        assertPasses(call1(address(target), ping));
        assertPasses(call1(address(other), pong));
        // The account tightens block mode: the same pair the allow list holds, and another.
        vm.startPrank(acct);
        allowlist.addPermission(acct, address(target), Target.ping.selector);
        allowlist.addPermission(acct, address(other), Target.pong.selector);
        vm.stopPrank();
        assertEq(allowlist.permissionCount(acct), 2);
        assertRefused(call1(address(target), ping), callBlocked(address(target), Target.ping.selector));
        assertRefused(call1(address(other), pong), callBlocked(address(other), Target.pong.selector));

        vm.prank(authority);
        allowlist.setMode(acct, IAllowlistHook.Mode.Allow);
        IAllowlistHook.Permission[] memory listed = allowlist.permissionsOf(acct);
        assertEq(listed.length, 1, "the allow list as the authority left it");
        assertEq(listed[0].target, address(target));
        assertEq(listed[0].selector, Target.ping.selector);
        assertEq(allowlist.permissionCount(acct), 1);
        assertFalse(allowlist.isListed(acct, address(other), Target.pong.selector));
        assertPasses(call1(address(target), ping));
        assertRefused(call1(address(other), pong), callNotAllowed(address(other), Target.pong.selector));
        // Unlisting in allow mode leaves the block list alone.
        vm.prank(acct);
        allowlist.removePermission(acct, address(target), Target.ping.selector);
        assertEq(allowlist.permissionCount(acct), 0);
        assertTrue(allowlist.isProtected(acct, address(0xA)), "protected addresses stay");

        vm.prank(authority);
        allowlist.setMode(acct, IAllowlistHook.Mode.Block);
        assertEq(allowlist.permissionCount(acct), 2, "the block list is back");
        assertRefused(call1(address(target), ping), callBlocked(address(target), Target.ping.selector));
        assertRefused(call1(address(other), pong), callBlocked(address(other), Target.pong.selector));
        assertRefused(
            call1(address(0xA), ""),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(0xA))
        );
    }

    function test_permissionsOf_EnumeratesAfterAddsAndRemoves() public {
        IAllowlistHook.Permission[] memory p = new IAllowlistHook.Permission[](3);
        p[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
        p[1] = IAllowlistHook.Permission(address(target), Target.pong.selector);
        p[2] = IAllowlistHook.Permission(address(other), WILDCARD);
        _install(IAllowlistHook.Mode.Allow, p);
        vm.prank(acct);
        allowlist.removePermission(acct, address(target), Target.ping.selector);
        IAllowlistHook.Permission[] memory listed = allowlist.permissionsOf(acct);
        assertEq(listed.length, 2);
        for (uint256 i; i < listed.length; ++i) {
            assertTrue(allowlist.isListed(acct, listed[i].target, listed[i].selector));
            assertFalse(listed[i].selector == Target.ping.selector && listed[i].target == address(target));
        }
        vm.startPrank(authority);
        allowlist.addProtected(acct, address(0xA));
        allowlist.addProtected(acct, address(0xB));
        allowlist.removeProtected(acct, address(0xA));
        vm.stopPrank();
        address[] memory prot = allowlist.protectedOf(acct);
        assertEq(prot.length, 1);
        assertEq(prot[0], address(0xB));
    }

    // ------------------------------------------------------------------ limits

    function test_addPermission_RevertWhen_Over100() public {
        IAllowlistHook.Permission[] memory p = new IAllowlistHook.Permission[](100);
        for (uint256 i; i < 100; ++i) {
            p[i] = IAllowlistHook.Permission(address(uint160(0x1000 + i)), WILDCARD);
        }
        _install(IAllowlistHook.Mode.Allow, p);
        assertEq(allowlist.permissionCount(acct), 100);
        vm.prank(authority);
        vm.expectRevert(abi.encodeWithSelector(IAllowlistHook.Allowlist_TooManyPermissions.selector, acct, 100));
        allowlist.addPermission(acct, address(target), WILDCARD);
    }

    function test_addProtected_RevertWhen_Over20() public {
        _install(IAllowlistHook.Mode.Block, new IAllowlistHook.Permission[](0));
        vm.startPrank(authority);
        for (uint256 i; i < 20; ++i) {
            allowlist.addProtected(acct, address(uint160(0x2000 + i)));
        }
        vm.expectRevert(abi.encodeWithSelector(IAllowlistHook.Allowlist_TooManyProtected.selector, acct, 20));
        allowlist.addProtected(acct, address(target));
        vm.stopPrank();
    }

    function test_onInstall_RevertWhen_ModeNone() public {
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(IAllowlistHook.Allowlist_InvalidMode.selector, 0));
        allowlist.onInstall(allowlistInit(IAllowlistHook.Mode.None, new IAllowlistHook.Permission[](0)));
    }

    function test_onInstall_RevertWhen_AuthorityIsAccount() public {
        bytes memory init =
            abi.encode(acct, IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0), new address[](0));
        assertRefused(
            installModuleCall(MODULE_TYPE_HOOK, address(allowlist), init),
            abi.encodeWithSelector(ILeashModule.Leash_InvalidAuthority.selector, acct, acct)
        );
    }

    /// @dev onInstall / onUninstall only run inside the account's own module management.
    function test_onInstall_RevertWhen_CalledDirectly() public {
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, acct));
        allowlist.onInstall(allowlistInit(IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0)));
    }

    function test_onUninstall_RevertWhen_CalledDirectlyWhileInstalled() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), Target.ping.selector));
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, acct));
        allowlist.onUninstall("");
        assertTrue(allowlist.isListed(acct, address(target), Target.ping.selector));
    }

    function test_allowMode_RevertWhen_ZeroSelectorWithData() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), bytes4(0)));
        assertPasses(executeSingle(address(target), 1, ""));
        assertRefused(
            call1(address(target), abi.encodePacked(bytes4(0), uint256(1))),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ZeroSelector.selector, acct, address(target))
        );
    }

    // ------------------------------------------------------------------ installed alone

    function test_alone_UninstallNeedsApprovalThenStartsClean() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), Target.ping.selector));
        removeHookWithApproval(address(allowlist));
        _install(IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0));
        assertFalse(allowlist.isListed(acct, address(target), Target.ping.selector));
        assertRefused(call1(address(target), ping), callNotAllowed(address(target), Target.ping.selector));
    }

    /// @dev Alone, an approved call into the module itself passes (the authority chose it).
    function test_alone_ApprovedReconfigurationThroughAccount() public {
        _install(IAllowlistHook.Mode.Allow, _perm(address(target), Target.ping.selector));
        bytes memory widen =
            call1(address(allowlist), abi.encodeCall(IAllowlistHook.addPermission, (acct, address(other), WILDCARD)));
        assertRefused(
            widen, abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(allowlist))
        );
        vm.prank(authority);
        allowlist.approveChange(acct, keccak256(widen));
        assertPasses(widen);
        assertPasses(call1(address(other), ping));
    }
}
