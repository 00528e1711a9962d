// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {PackedWindow} from "../../../../contracts/libraries/PackedWindow.sol";

contract PackedWindowHarness {
    uint256 internal constant SLOT = 0x1000;
    uint256 internal amount;
    uint256 internal width;

    function init(uint256 amount_, uint256 window, uint256 carried) external {
        width = PackedWindow.widthOf(amount_, window);
        amount = amount_;
        PackedWindow.init(SLOT, block.timestamp, width, amount_, carried);
    }

    function spend(uint256 value) external returns (bool) {
        return PackedWindow.spend(SLOT, block.timestamp, value, amount, width);
    }

    function usedAt(uint256 t) external view returns (uint256) {
        return PackedWindow.usedAt(SLOT, t, width);
    }

    function availableAt(uint256 value) external view returns (uint256) {
        return PackedWindow.availableAt(SLOT, block.timestamp, value, amount, width);
    }

    function slots() external view returns (uint256 low, uint256 high) {
        assembly {
            low := sload(SLOT)
            high := sload(add(SLOT, 1))
        }
    }
}

/// @dev The rule PackedWindow keeps, as an exact log of every recorded spend with its bucket: at
/// time `t` the window holds the spends of buckets `t / width - BUCKETS` through `t / width`.
contract WindowLog {
    uint256 internal amount;
    uint256 internal width;
    uint256[] internal buckets;
    uint256[] internal values;

    function init(uint256 amount_, uint256 window, uint256 carried) external {
        amount = amount_;
        width = window / PackedWindow.BUCKETS;
        if (carried != 0) _record(carried > amount_ ? amount_ : carried);
    }

    function spend(uint256 value) external returns (bool) {
        if (value > amount || usedAt(block.timestamp) + value > amount) return false;
        if (value != 0) _record(value);
        return true;
    }

    function usedAt(uint256 t) public view returns (uint256 used) {
        uint256 now_ = t / width;
        for (uint256 i; i < buckets.length; ++i) {
            if (buckets[i] + PackedWindow.BUCKETS >= now_) used += values[i];
        }
    }

    /// @dev Tries every later bucket start until the value fits.
    function availableAt(uint256 value) external view returns (uint256) {
        if (value > amount) return type(uint256).max;
        if (usedAt(block.timestamp) + value <= amount) return block.timestamp;
        uint256 now_ = block.timestamp / width;
        for (uint256 b = now_ + 1; b <= now_ + PackedWindow.BUCKETS + 1; ++b) {
            if (usedAt(b * width) + value <= amount) return b * width;
        }
        revert("an empty window fits any value within the limit");
    }

    function _record(uint256 value) internal {
        buckets.push(block.timestamp / width);
        values.push(value);
    }
}

/// @notice The packed window against an exact log of its rule (the same decisions, the same usage
/// and the same times, at every step, with limits up to the largest it holds), and against an exact
/// sliding log of every accepted spend (never late, at most one bucket early).
contract PackedWindowTest is Test {
    PackedWindowHarness internal packed;
    WindowLog internal ref;

    function setUp() public {
        vm.warp(1_700_000_000);
        packed = new PackedWindowHarness();
        ref = new WindowLog();
    }

    function _start(uint256 amount, uint256 window, uint256 carried) internal {
        packed.init(amount, window, carried);
        ref.init(amount, window, carried);
    }

    function _same(string memory step) internal view {
        assertEq(packed.usedAt(block.timestamp), ref.usedAt(block.timestamp), string.concat("used now, ", step));
        assertEq(
            packed.usedAt(block.timestamp + 7919),
            ref.usedAt(block.timestamp + 7919),
            string.concat("used later, ", step)
        );
    }

    /// @dev Random spends and pauses: every decision, usage and availability time agrees.
    function testFuzz_spend_AgreesWithTheLog(uint256 seed, uint256 amount, uint256 window, uint256 carried) public {
        amount = bound(amount, 1, PackedWindow.MAX_AMOUNT);
        // Near the largest amounts half the time: every bit of the packing carries data.
        if (seed % 2 == 0) amount = PackedWindow.MAX_AMOUNT - (amount % 1000);
        window = bound(window, 15, 250_000) * 4;
        carried = bound(carried, 0, amount) / (seed % 3 + 1);
        _start(amount, window, carried);
        for (uint256 i; i < 40; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // Stay in the bucket, cross one or a few, or leave the whole window behind.
            uint256 dt = [0, 1, window / 8, window / 4, window / 2, window - 1, window, 3 * window][r % 8];
            vm.warp(block.timestamp + dt);
            uint256 value = [
                amount, amount / 3, amount / 10 + 1, r % (amount + 1), amount >= 7 ? amount - (r % 7) : amount, 0
            ][(r >> 8) % 6];
            uint256 availablePacked = packed.availableAt(value);
            assertEq(availablePacked, ref.availableAt(value), "availableAt");
            bool ok = packed.spend(value);
            assertEq(ok, ref.spend(value), "decision");
            // A spend fits exactly when it is available now.
            assertEq(ok, availablePacked == block.timestamp, "decision against availableAt");
            _same("after a spend");
        }
    }

    /// @dev Exact accounting: ten spends of 100 fill a limit of 1,000 to the unit, in one bucket
    /// and spread over four.
    function test_spend_TenOfOneHundredFillOneThousandExactly() public {
        _start(1000, 3600, 0);
        for (uint256 i; i < 10; ++i) {
            assertTrue(packed.spend(100), "each of ten spends of 100 fits");
        }
        assertFalse(packed.spend(1), "the limit is full");
        assertEq(packed.usedAt(block.timestamp), 1000);
    }

    function test_spend_FillsExactlyAcrossBuckets() public {
        _start(1000, 3600, 0);
        for (uint256 i; i < 10; ++i) {
            assertTrue(packed.spend(100));
            assertTrue(ref.spend(100));
            vm.warp(block.timestamp + 300); // three spends per bucket of 900 s
        }
        // 3,000 s after the first spend, all ten are within the window of 3,600 s.
        assertFalse(packed.spend(1));
        assertEq(packed.usedAt(block.timestamp), 1000);
        _same("full");
    }

    /// @dev The largest limit: one spend of all of it, then the ring turns (every bucket position
    /// written with the largest value once) and the allowance comes back in full.
    function test_spend_LargestAmountThroughAWholeTurn() public {
        uint256 max = PackedWindow.MAX_AMOUNT;
        _start(max, 3600, 0);
        for (uint256 i; i < 6; ++i) {
            assertTrue(packed.spend(max), "the whole limit, once per window and a bucket");
            assertFalse(packed.spend(1));
            assertEq(packed.usedAt(block.timestamp), max);
            vm.warp(block.timestamp + 3600 + 900);
        }
    }

    /// @dev Neither slot is ever zero, so no spend pays for a fresh slot: not at install, not after
    /// the window empties.
    function test_slots_NeverZero() public {
        vm.warp(10); // the first bucket index is 0
        _start(1000, 3600, 0);
        (uint256 low, uint256 high) = packed.slots();
        assertTrue(low != 0 && high != 0, "at install");
        packed.spend(1000);
        vm.warp(block.timestamp + 100 days);
        assertTrue(packed.spend(0));
        packed.spend(1);
        vm.warp(block.timestamp + 100 days);
        (low, high) = packed.slots();
        assertTrue(low != 0 && high != 0, "after the window emptied");
    }

    function test_widthOf_RevertWhen_AmountTooLarge() public {
        uint256 max = PackedWindow.MAX_AMOUNT;
        vm.expectRevert(abi.encodeWithSelector(PackedWindow.Window_AmountTooLarge.selector, max + 1, max));
        packed.init(max + 1, 3600, 0);
    }

    function test_widthOf_RevertWhen_WindowOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(PackedWindow.Window_TooShort.selector, 56, 60));
        packed.init(1, 56, 0);
        vm.expectRevert(abi.encodeWithSelector(PackedWindow.Window_NotMultiple.selector, 3602, 4));
        packed.init(1, 3602, 0);
        uint256 max = PackedWindow.MAX_WINDOW;
        vm.expectRevert(abi.encodeWithSelector(PackedWindow.Window_TooLong.selector, max + 4, max));
        packed.init(1, max + 4, 0);
    }

    uint256 internal constant L = 1000;
    uint256 internal constant W = 3600;
    uint256 internal constant WIDTH = W / 4;

    uint256[] internal times;
    uint256[] internal amounts;

    function _exactSum(uint256 fromExclusive, uint256 toInclusive) internal view returns (uint256 sum) {
        for (uint256 i; i < times.length; ++i) {
            if (times[i] > fromExclusive && times[i] <= toInclusive) sum += amounts[i];
        }
    }

    /// @dev Strictness (never late) and the early-refusal bound (at most one bucket early), against
    /// the exact time of every accepted spend, on random sequences with steps that often land
    /// exactly on window and bucket edges.
    function testFuzz_spend_StrictAndAtMostOneBucketEarly(uint256 seed) public {
        packed.init(L, W, 0);
        uint256[8] memory steps = [uint256(0), 1, WIDTH - 1, WIDTH, W - 1, W, W + WIDTH, 7];
        for (uint256 k; k < 40; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            uint256 dt = r % 3 == 0 ? r % (2 * W) : steps[(r >> 8) % 8];
            vm.warp(block.timestamp + dt);
            uint256 value = (r >> 32) % (L + 1);
            uint256 t = block.timestamp;
            if (packed.spend(value)) {
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

    /// @dev A lazily reset fixed window would let 2L through across its reset, one second apart.
    function test_spend_NoDoubleLimitAcrossWindowEdge() public {
        packed.init(L, W, 0);
        vm.warp((block.timestamp / W + 1) * W - 1); // one second before a fixed-window boundary
        assertTrue(packed.spend(L));
        vm.warp(block.timestamp + 1);
        assertFalse(packed.spend(1), "a fixed window would have reset here");
        vm.warp(block.timestamp + W - 1);
        assertFalse(packed.spend(1), "still inside the window of the first spend");
    }

    /// @dev Allowance comes back gradually, one bucket at a time, not all at once.
    function test_spend_AllowanceReturnsGradually() public {
        packed.init(L, W, 0);
        vm.warp((block.timestamp / WIDTH + 1) * WIDTH); // start of a bucket
        uint256 start = block.timestamp;
        for (uint256 i; i < 4; ++i) {
            assertTrue(packed.spend(L / 4));
            vm.warp(block.timestamp + WIDTH);
        }
        uint256 previous = packed.usedAt(block.timestamp);
        assertLe(previous, L);
        for (uint256 i; i < 5; ++i) {
            vm.warp(start + W + i * WIDTH);
            uint256 used = packed.usedAt(block.timestamp);
            assertLe(used, previous, "never grows by itself");
            previous = used;
            if (i > 0 && i < 4) assertGt(used, 0, "not all at once");
        }
        assertEq(packed.usedAt(start + 2 * W + WIDTH), 0);
    }

    function test_availableAt_MatchesWhenSpendFits() public {
        packed.init(L, W, 0);
        assertTrue(packed.spend(L));
        uint256 at = packed.availableAt(1);
        assertGt(at, block.timestamp);
        assertLe(at, block.timestamp + W + WIDTH, "at most one bucket late");
        vm.warp(at - 1);
        assertFalse(packed.spend(1));
        vm.warp(at);
        assertTrue(packed.spend(1));
    }

    function test_availableAt_NeverWhenOverLimit() public {
        packed.init(L, W, 0);
        assertEq(packed.availableAt(L + 1), type(uint256).max);
    }
}
