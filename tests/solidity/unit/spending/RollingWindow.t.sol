// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {RollingWindow} from "../../../../contracts/libraries/RollingWindow.sol";

contract RollingWindowHarness {
    using RollingWindow for RollingWindow.Limit;

    RollingWindow.Limit internal limit;

    function init(uint256 amount, uint256 window) external {
        limit.init(amount, window);
    }

    function spend(uint256 value) external returns (bool ok) {
        (ok,) = limit.spend(block.timestamp, value);
    }

    function usedAt(uint256 t) external view returns (uint256) {
        return limit.usedAt(t);
    }

    function availableAt(uint256 value) external view returns (uint256) {
        return limit.availableAt(block.timestamp, value);
    }
}

/// @notice The window math against an exact sliding log of every accepted spend.
contract RollingWindowTest is Test {
    RollingWindowHarness internal w = new RollingWindowHarness();
    uint256 internal constant L = 1000;
    uint256 internal constant W = 3600;
    uint256 internal constant WIDTH = W / 4;

    uint256[] internal times;
    uint256[] internal amounts;

    function setUp() public {
        w.init(L, W);
        vm.warp(1_700_000_000);
    }

    function _exactSum(uint256 fromExclusive, uint256 toInclusive) internal view returns (uint256 sum) {
        for (uint256 i; i < times.length; ++i) {
            if (times[i] > fromExclusive && times[i] <= toInclusive) sum += amounts[i];
        }
    }

    /// @dev Strictness (never late) and the early-refusal bound (at most one bucket early), on
    /// random sequences with steps that often land exactly on window and bucket edges.
    function testFuzz_spend_StrictAndAtMostOneBucketEarly(uint256 seed) public {
        uint256[8] memory steps = [uint256(0), 1, WIDTH - 1, WIDTH, W - 1, W, W + WIDTH, 7];
        for (uint256 k; k < 40; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            uint256 dt = r % 3 == 0 ? r % (2 * W) : steps[(r >> 8) % 8];
            vm.warp(block.timestamp + dt);
            uint256 value = (r >> 32) % (L + 1);
            uint256 t = block.timestamp;
            bool ok = w.spend(value);
            if (ok) {
                times.push(t);
                amounts.push(value);
                // Never late: no interval of W seconds ending now holds more than L.
                assertLe(_exactSum(t - W, t), L, "more than L inside one window");
            } else {
                // At most one bucket early: what is counted is within the last W + WIDTH seconds.
                assertGt(_exactSum(t - W - WIDTH, t) + value, L, "refused more than one bucket early");
            }
        }
    }

    /// @dev The lazily reset fixed window lets 2L through across its reset, one second apart.
    function test_spend_NoDoubleLimitAcrossWindowEdge() public {
        vm.warp((block.timestamp / W + 1) * W - 1); // one second before a fixed-window boundary
        assertTrue(w.spend(L));
        vm.warp(block.timestamp + 1);
        assertFalse(w.spend(1), "a fixed window would have reset here");
        vm.warp(block.timestamp + W - 1);
        assertFalse(w.spend(1), "still inside the window of the first spend");
    }

    /// @dev Allowance comes back gradually, one bucket at a time, not all at once.
    function test_spend_AllowanceReturnsGradually() public {
        vm.warp((block.timestamp / WIDTH + 1) * WIDTH); // start of a bucket
        uint256 start = block.timestamp;
        for (uint256 i; i < 4; ++i) {
            assertTrue(w.spend(L / 4));
            vm.warp(block.timestamp + WIDTH);
        }
        // Now at start + W: the first quarter has just left the window (it was counted W + 0 s... at
        // most one bucket longer than exact).
        uint256 previous = w.usedAt(block.timestamp);
        assertLe(previous, L);
        for (uint256 i; i < 5; ++i) {
            vm.warp(start + W + i * WIDTH);
            uint256 used = w.usedAt(block.timestamp);
            assertLe(used, previous, "never grows by itself");
            previous = used;
            if (i > 0 && i < 4) assertGt(used, 0, "not all at once");
        }
        assertEq(w.usedAt(start + 2 * W + WIDTH), 0);
    }

    function test_availableAt_MatchesWhenSpendFits() public {
        assertTrue(w.spend(L));
        uint256 at = w.availableAt(1);
        assertGt(at, block.timestamp);
        assertLe(at, block.timestamp + W + WIDTH, "at most one bucket late");
        vm.warp(at - 1);
        assertFalse(w.spend(1));
        vm.warp(at);
        assertTrue(w.spend(1));
    }

    function test_availableAt_NeverWhenOverLimit() public view {
        assertEq(w.availableAt(L + 1), type(uint256).max);
    }

    function test_init_RevertWhen_WindowTooShort() public {
        vm.expectRevert(abi.encodeWithSelector(RollingWindow.RollingWindow_WindowTooShort.selector, 59, 60));
        w.init(L, 59);
    }

    function test_init_RevertWhen_WindowNotMultipleOfBuckets() public {
        vm.expectRevert(abi.encodeWithSelector(RollingWindow.RollingWindow_WindowNotMultiple.selector, 61, 4));
        w.init(L, 61);
    }
}
