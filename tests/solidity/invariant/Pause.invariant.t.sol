// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {EmergencyPauseHook} from "../../../contracts/pause/EmergencyPauseHook.sol";

import {LeashTestAccount} from "../utils/LeashTestAccount.sol";

/// @dev Guardian pauses and unpauses, the authority recovers, the agent keeps trying, time moves.
contract PauseHandler is Test {
    LeashTestAccount internal account;
    EmergencyPauseHook internal hook;
    address internal guardian;
    address internal authority;

    uint256 public ranWhilePaused;
    uint256 public pausedDuringCooldown;
    uint256 public refusedWhileUnpaused;
    uint256 public lastEnd; // ghost: end of the last pause, as the model computes it
    uint256 public pauses;

    constructor(LeashTestAccount a, EmergencyPauseHook h, address g, address au) {
        (account, hook, guardian, authority) = (a, h, g, au);
    }

    function _modelPaused() internal view returns (bool) {
        return block.timestamp < hook.pausedUntil(address(account));
    }

    function pause(bool byAuthority) external {
        uint256 before = hook.pausedUntil(address(account));
        vm.prank(byAuthority ? authority : guardian);
        try hook.pause(address(account)) {
            ++pauses;
            if (before != 0 && block.timestamp < before + 1 hours) ++pausedDuringCooldown;
        } catch {}
    }

    function unpause(bool byAuthority) external {
        vm.prank(byAuthority ? authority : guardian);
        try hook.unpause(address(account)) {} catch {}
    }

    function execute() external {
        bool paused = _modelPaused();
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        try account.execute(bytes32(0), abi.encodePacked(address(0xCAFE), uint256(0))) {
            if (paused) ++ranWhilePaused;
        } catch {
            if (!paused) ++refusedWhileUnpaused;
        }
    }

    function warp(uint256 choice, uint256 dt) external {
        uint256[5] memory edges = [uint256(1), 1 hours, 1 hours - 1, 1 days, 1 days - 1];
        vm.warp(block.timestamp + (choice % 2 == 0 ? edges[choice % 5] : bound(dt, 0, 2 days)));
    }
}

contract PauseInvariantTest is Test {
    PauseHandler internal handler;
    EmergencyPauseHook internal hook;
    LeashTestAccount internal account;

    function setUp() public {
        account = new LeashTestAccount(address(0xA11CE));
        hook = new EmergencyPauseHook(address(0));
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.installModule(MODULE_TYPE_HOOK, address(hook), abi.encode(address(0xA0), address(0x6A), 1 days));
        vm.warp(1_700_000_000);
        handler = new PauseHandler(account, hook, address(0x6A), address(0xA0));
        targetContract(address(handler));
    }

    /// While paused no execution passes; while not paused none is refused by the pause.
    function invariant_PausedMeansNothingRuns() public view {
        assertEq(handler.ranWhilePaused(), 0, "an execution ran while paused");
        assertEq(handler.refusedWhileUnpaused(), 0, "an execution was refused while not paused");
    }

    /// No pause starts within an hour of the end of the previous one.
    function invariant_CooldownBetweenPauses() public view {
        assertEq(handler.pausedDuringCooldown(), 0);
    }

    /// Auto-unpause always ends a pause: it never lasts longer than autoUnpauseAfter.
    function invariant_PauseEndsBySchedule() public view {
        uint256 until = hook.pausedUntil(address(account));
        if (until > block.timestamp) assertLe(until, block.timestamp + 1 days);
    }
}
