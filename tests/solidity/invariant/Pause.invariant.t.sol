// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {EmergencyPauseHook} from "../../../contracts/pause/EmergencyPauseHook.sol";

import {InvariantBase} from "../utils/InvariantBase.sol";
import {LeashTestAccount} from "../utils/LeashTestAccount.sol";

/// @dev Guardian pauses and unpauses, the authority recovers, the agent keeps trying, time moves.
/// The handler keeps its own model of the pause (`until`: the end of the current or last pause,
/// zero before the first), written from the rules in IEmergencyPauseHook and never read from the
/// hook; every call's outcome is compared with what the model allows, both ways.
contract PauseHandler is Test {
    uint256 internal constant AUTO_UNPAUSE = 1 days;
    uint256 internal constant COOLDOWN = 1 hours;

    LeashTestAccount internal account;
    EmergencyPauseHook internal hook;
    address internal guardian;
    address internal authority;

    /// @dev Ghost: the end of the current pause, or of the last one; zero before the first.
    uint256 public until;

    uint256 public ranWhilePaused;
    uint256 public refusedWhileUnpaused;
    uint256 public pausedAgainstTheModel;
    uint256 public pauseRefusedAgainstTheModel;
    uint256 public unpausedAgainstTheModel;
    uint256 public unpauseRefusedAgainstTheModel;
    uint256 public pauses;
    uint256 public unpauses;

    constructor(LeashTestAccount a, EmergencyPauseHook h, address g, address au) {
        (account, hook, guardian, authority) = (a, h, g, au);
    }

    function _paused() internal view returns (bool) {
        return block.timestamp < until;
    }

    /// A pause may start when none is running and, after a first one, an hour after it ended.
    function pause(bool byAuthority) external {
        bool allowed = !_paused() && (until == 0 || block.timestamp >= until + COOLDOWN);
        vm.prank(byAuthority ? authority : guardian);
        try hook.pause(address(account)) {
            if (!allowed) ++pausedAgainstTheModel;
            until = block.timestamp + AUTO_UNPAUSE;
            ++pauses;
        } catch {
            if (allowed) ++pauseRefusedAgainstTheModel;
        }
    }

    /// The guardian and the authority can always end a running pause, and only a running one.
    function unpause(bool byAuthority) external {
        bool allowed = _paused();
        vm.prank(byAuthority ? authority : guardian);
        try hook.unpause(address(account)) {
            if (!allowed) ++unpausedAgainstTheModel;
            until = block.timestamp;
            ++unpauses;
        } catch {
            if (allowed) ++unpauseRefusedAgainstTheModel;
        }
    }

    function execute() external {
        bool paused = _paused();
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        try account.execute(bytes32(0), abi.encodePacked(address(0xCAFE), uint256(0))) {
            if (paused) ++ranWhilePaused;
        } catch {
            if (!paused) ++refusedWhileUnpaused;
        }
    }

    /// Steps of exactly the cooldown, the auto-unpause and one second either side, or any step up
    /// to two days (`choice` picks among all five edges and the free step).
    function warp(uint256 choice, uint256 dt) external {
        uint256[5] memory edges = [uint256(1), COOLDOWN, COOLDOWN - 1, AUTO_UNPAUSE, AUTO_UNPAUSE - 1];
        choice = choice % 6;
        vm.warp(block.timestamp + (choice < 5 ? edges[choice] : bound(dt, 0, 2 days)));
    }
}

contract PauseInvariantTest is InvariantBase {
    PauseHandler internal handler;
    EmergencyPauseHook internal hook;
    LeashTestAccount internal account;

    function setUp() public {
        hook = new EmergencyPauseHook(address(0));
        account = newAccountWith(MODULE_TYPE_HOOK, address(hook), abi.encode(address(0xA0), address(0x6A), 1 days));
        vm.warp(1_700_000_000);
        handler = new PauseHandler(account, hook, address(0x6A), address(0xA0));
        bytes4[] memory actions = new bytes4[](4);
        actions[0] = PauseHandler.pause.selector;
        actions[1] = PauseHandler.unpause.selector;
        actions[2] = PauseHandler.execute.selector;
        actions[3] = PauseHandler.warp.selector;
        targetActions(address(handler), actions);
    }

    /// While paused (by the model) no execution passes; while not paused none is refused.
    function invariant_PausedMeansNothingRuns() public view {
        assertEq(handler.ranWhilePaused(), 0, "an execution ran while paused");
        assertEq(handler.refusedWhileUnpaused(), 0, "an execution was refused while not paused");
    }

    /// Pauses start exactly when the model allows: never during a pause or within an hour of the
    /// end of the previous one, and never refused otherwise.
    function invariant_CooldownBetweenPauses() public view {
        assertEq(handler.pausedAgainstTheModel(), 0, "a pause started against the rules");
        assertEq(handler.pauseRefusedAgainstTheModel(), 0, "a pause the rules allow was refused");
    }

    /// The guardian and the authority can always end a running pause (and only a running one).
    function invariant_UnpauseAlwaysWorks() public view {
        assertEq(handler.unpauseRefusedAgainstTheModel(), 0, "an unpause of a running pause was refused");
        assertEq(handler.unpausedAgainstTheModel(), 0, "an unpause passed with no pause running");
    }

    /// The hook's state is the model's: the pause ends exactly when the model says (auto-unpause
    /// a day after it started, or the second it was ended).
    function invariant_PauseEndsBySchedule() public view {
        assertEq(hook.pausedUntil(address(account)), handler.until(), "the pause ends off schedule");
        assertEq(hook.isPaused(address(account)), block.timestamp < handler.until());
    }
}
