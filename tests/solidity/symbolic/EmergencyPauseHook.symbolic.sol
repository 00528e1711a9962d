// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579Module} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {EmergencyPauseHook} from "../../../contracts/pause/EmergencyPauseHook.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @notice P1-P4 proven over symbolic times, durations and callers. The check contract stands in
/// for the multiplexer (the hook trusts it by construction), so `preCheck` reaches the pause rule
/// for any `msgData` without the account's own decoding in the way.
contract EmergencyPauseHookSymbolic is Test, SymbolicBase {
    EmergencyPauseHook internal hook;
    address internal constant ACCOUNT = address(0xACC0);
    address internal constant AUTHORITY = address(0xA0);
    address internal constant GUARDIAN = address(0x6A);

    /// @dev Bounds: auto-unpause A symbolic in [0, 365 days] (0 = manual); pause and every later
    /// moment symbolic timestamps in [1, 2^40); the callers of `pause` and `unpause` symbolic; one pause,
    /// its end (automatic, or an unpause at a symbolic time) and one attempt to pause again.
    function setUp() public {
        hook = new EmergencyPauseHook(address(this));
    }

    /// @dev The hook asks its trusted multiplexer whether it is a sub-hook during install.
    function isSubHook(address, address) external pure returns (bool) {
        return true;
    }

    function _install(uint256 autoUnpauseAfter) internal {
        bytes memory init = abi.encode(AUTHORITY, GUARDIAN, autoUnpauseAfter);
        (bool ok,) = address(hook).call(abi.encodePacked(abi.encodeCall(IERC7579Module.onInstall, (init)), ACCOUNT));
        assert(ok);
    }

    function _executes(bytes memory msgData) internal returns (bool ok) {
        (ok,) = address(hook)
            .call(abi.encodePacked(abi.encodeCall(IERC7579Hook.preCheck, (address(0xA6E), 0, msgData)), ACCOUNT));
    }

    function check_pause_NothingRunsUntilTheStatedSecondAndCooldownHolds() public {
        uint256 autoUnpause = svm.createUint256("autoUnpauseAfter");
        vm.assume(autoUnpause <= 365 days);
        _install(autoUnpause);
        uint256 t0 = svm.createUint256("pausedAt");
        // Real chains are past second 0; there an unpause would leave `pausedUntil = 0`, which
        // reads as "never paused" and skips the cooldown (the one counterexample without this bound).
        vm.assume(t0 > 0 && t0 < 2 ** 40);
        vm.warp(t0);
        address caller = svm.createAddress("caller");
        vm.prank(caller);
        try hook.pause(ACCOUNT) {
            // Only the guardian or the authority may pause.
            assert(caller == GUARDIAN || caller == AUTHORITY);
        } catch {
            assert(caller != GUARDIAN && caller != AUTHORITY);
            return;
        }
        uint256 end = autoUnpause == 0 ? type(uint48).max : t0 + autoUnpause;
        bytes memory msgData = svm.createBytes(100, "msgData");

        // P1: at any moment before the end nothing runs; P2: from the stated second on, it runs.
        uint256 t = svm.createUint256("later");
        vm.assume(t >= t0 && t < 2 ** 40);
        vm.warp(t);
        assert(_executes(msgData) == (t >= end));

        // P4: the guardian or the authority can end it early, at any moment, and then it runs; nobody
        // else can, nor can anyone end a pause that is over. Inside `try`: an unpause that reverts
        // must fail the check, not drop the path.
        if (svm.createBool("recover")) {
            address unpauser = svm.createAddress("unpauser");
            bool mayUnpause = t < end && (unpauser == GUARDIAN || unpauser == AUTHORITY);
            vm.prank(unpauser);
            try hook.unpause(ACCOUNT) {
                assert(mayUnpause);
                assert(_executes(msgData));
                end = t;
            } catch {
                assert(!mayUnpause);
            }
        }
        // P3: no new pause within the cooldown after the end, by anyone.
        uint256 next = svm.createUint256("next pause");
        vm.assume(next >= t && next < 2 ** 40);
        vm.warp(next);
        vm.prank(svm.createBool("guardian again") ? GUARDIAN : AUTHORITY);
        try hook.pause(ACCOUNT) {
            assert(next >= end && next >= end + hook.PAUSE_COOLDOWN());
        } catch {
            assert(next < end + hook.PAUSE_COOLDOWN());
        }
    }
}
