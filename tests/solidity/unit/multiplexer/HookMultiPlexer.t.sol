// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IEmergencyPauseHook} from "../../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {IHookMultiPlexer} from "../../../../contracts/interfaces/IHookMultiPlexer.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";

import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {BrickSubHook} from "../../utils/mocks/BrickSubHook.sol";
import {MaxValueSubHook} from "../../utils/mocks/MaxValueSubHook.sol";
import {Target} from "../../utils/mocks/Target.sol";

contract HookMultiPlexerTest is LeashTestBase {
    MaxValueSubHook internal custom;

    function setUp() public override {
        super.setUp();
        custom = new MaxValueSubHook(address(mux));
        installPauseOnly();
    }

    function _addAsAuthority(address subHook, bytes memory initData) internal {
        vm.prank(authority);
        mux.addSubHook(acct, subHook, initData);
    }

    // ------------------------------------------------------------------ third-party sub-hooks

    function test_customSubHook_EnforcesAndGetsPostCheck() public {
        _addAsAuthority(address(custom), abi.encode(uint256(1 ether)));
        assertPasses(executeSingle(address(target), 1 ether, ""));
        assertEq(custom.postChecks(acct), 1, "postCheck reached the sub-hook with the account");
        assertRefused(
            executeSingle(address(target), 2 ether, ""),
            abi.encodeWithSelector(MaxValueSubHook.MaxValueExceeded.selector, acct, 2 ether, 1 ether)
        );
        assertEq(custom.postChecks(acct), 1);
    }

    /// @dev Checks run in order: the first refusing sub-hook's error is the one the caller sees.
    function test_preCheck_RunsInOrderAndBubblesFirstRevert() public {
        _addAsAuthority(address(custom), abi.encode(uint256(1 ether)));
        pauseAsGuardian();
        assertRefused(
            executeSingle(address(target), 2 ether, ""),
            abi.encodeWithSelector(
                IEmergencyPauseHook.Pause_AccountPaused.selector, acct, block.timestamp + AUTO_UNPAUSE
            )
        );
    }

    /// @dev A sub-hook is code that runs on every execution: the account may not add one alone.
    function test_addSubHook_AccountNeedsApproval() public {
        bytes memory add = call1(
            address(mux),
            abi.encodeCall(IHookMultiPlexer.addSubHook, (acct, address(custom), abi.encode(uint256(1 ether))))
        );
        assertRefused(
            add,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleCallNotApproved.selector,
                acct,
                address(mux),
                IHookMultiPlexer.addSubHook.selector,
                keccak256(add)
            )
        );
        approveAtMux(add);
        assertPasses(add);
        assertEq(mux.subHooks(acct).length, 2);
    }

    function test_removeSubHook_RevertWhen_AccountLoosens() public {
        bytes memory remove =
            call1(address(mux), abi.encodeCall(IHookMultiPlexer.removeSubHook, (acct, address(pauseHook), "")));
        assertRefused(
            remove,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleCallNotApproved.selector,
                acct,
                address(mux),
                IHookMultiPlexer.removeSubHook.selector,
                keccak256(remove)
            )
        );
    }

    function test_removeSubHook_KeepsOrder() public {
        MaxValueSubHook second = new MaxValueSubHook(address(mux));
        _addAsAuthority(address(custom), abi.encode(uint256(1)));
        _addAsAuthority(address(second), abi.encode(uint256(1)));
        vm.prank(authority);
        mux.removeSubHook(acct, address(custom), "");
        address[] memory hooks = mux.subHooks(acct);
        assertEq(hooks.length, 2);
        assertEq(hooks[0], address(pauseHook));
        assertEq(hooks[1], address(second));
        assertEq(custom.maxValue(acct), 0, "sub-hook uninstalled");
    }

    function test_removeSubHook_HostileSubHookCannotBlockRemoval() public {
        BrickSubHook brick = new BrickSubHook();
        _addAsAuthority(address(brick), "");
        (bool ok,) = submit(call1(address(target), abi.encodeCall(Target.ping, ())));
        assertFalse(ok, "the brick refuses everything");
        vm.expectEmit(address(mux));
        emit IHookMultiPlexer.SubHookRemoved(acct, address(brick), false);
        vm.prank(authority);
        mux.removeSubHook(acct, address(brick), "");
        assertPasses(call1(address(target), abi.encodeCall(Target.ping, ())));
    }

    function test_uninstall_HostileSubHookCannotBlockIt() public {
        _addAsAuthority(address(new BrickSubHook()), "");
        removeMux();
    }

    function test_addSubHook_RevertWhen_Duplicate() public {
        vm.prank(authority);
        vm.expectRevert(
            abi.encodeWithSelector(IHookMultiPlexer.Multiplexer_DuplicateSubHook.selector, acct, address(pauseHook))
        );
        mux.addSubHook(acct, address(pauseHook), pauseInit());
    }

    function test_addSubHook_RevertWhen_OverCap() public {
        for (uint256 i = 1; i < 8; ++i) {
            _addAsAuthority(address(new MaxValueSubHook(address(mux))), abi.encode(uint256(1)));
        }
        address ninth = address(new MaxValueSubHook(address(mux)));
        vm.prank(authority);
        vm.expectRevert(abi.encodeWithSelector(IHookMultiPlexer.Multiplexer_TooManySubHooks.selector, acct, 8));
        mux.addSubHook(acct, ninth, abi.encode(uint256(1)));
    }

    function test_addSubHook_RevertWhen_NotAContract() public {
        address eoa = makeAddr("eoa");
        vm.prank(authority);
        vm.expectRevert(abi.encodeWithSelector(IHookMultiPlexer.Multiplexer_InvalidSubHook.selector, eoa));
        mux.addSubHook(acct, eoa, "");
    }

    function test_addSubHook_RevertWhen_Stranger() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, stranger, authority));
        mux.addSubHook(acct, address(custom), abi.encode(uint256(1)));
    }

    function test_setAuthority_HandsOver() public {
        address next = makeAddr("next");
        vm.prank(authority);
        mux.setAuthority(acct, next);
        vm.prank(authority);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, authority, next));
        mux.approveChange(acct, bytes32(0));
        vm.prank(next);
        mux.approveChange(acct, bytes32(0));
    }

    function test_revokeApproval_WithdrawsIt() public {
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "");
        approveAtMux(uninstall);
        vm.prank(authority);
        mux.revokeApproval(acct, keccak256(uninstall));
        (bool ok,) = submit(uninstall);
        assertFalse(ok);
        assertEq(account.hook(), address(mux));
    }
}
