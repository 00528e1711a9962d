// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {PackedWindow} from "../../../../contracts/libraries/PackedWindow.sol";
import {RollingWindow} from "../../../../contracts/libraries/RollingWindow.sol";

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

contract RollingWindowReference {
    using RollingWindow for RollingWindow.Limit;

    RollingWindow.Limit internal limit;

    function init(uint256 amount, uint256 window, uint256 carried) external {
        limit.init(amount, window);
        if (carried != 0) limit.carry(block.timestamp, carried);
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

/// @notice The packed window against RollingWindow, the rule it packs: the same decisions, the
/// same usage and the same times, at every step, with limits up to the largest it holds.
contract PackedWindowTest is Test {
    PackedWindowHarness internal packed;
    RollingWindowReference internal ref;

    function setUp() public {
        vm.warp(1_700_000_000);
        packed = new PackedWindowHarness();
        ref = new RollingWindowReference();
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
    function testFuzz_spend_AgreesWithRollingWindow(uint256 seed, uint256 amount, uint256 window, uint256 carried)
        public
    {
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
}
