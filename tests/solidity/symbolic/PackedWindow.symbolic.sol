// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {PackedWindow} from "../../../contracts/libraries/PackedWindow.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @dev One limit, driven only through the library's functions (so the packing inside the library
/// does not affect the check), set up as the engine and SpendingLimitHook set one up.
contract WindowUnderTest {
    uint256 internal constant SLOT = 0x1000;
    uint256 internal immutable AMOUNT;
    uint256 internal immutable WIDTH;

    constructor(uint256 amount, uint256 window) {
        (AMOUNT, WIDTH) = (amount, PackedWindow.widthOf(amount, window));
        PackedWindow.init(SLOT, 0, WIDTH, amount, 0); // at time 0: every spend comes later
    }

    function spend(uint256 t, uint256 value) external returns (bool) {
        return PackedWindow.spend(SLOT, t, value, AMOUNT, WIDTH);
    }
}

/// @notice S1/S2 proven: for every sequence of spends (symbolic amounts and timestamps, in time
/// order) against a symbolic limit L per window W, the accepted spends inside any W seconds never
/// exceed L, and every refused spend would also be refused by an exact window of W + W / 4
/// seconds (refused at most one bucket early); a spend that fits under that exact window of
/// W + W / 4 is accepted (exact fill: no amount is lost or rounded). Two checks: 2 spends with any
/// 95-bit amounts (every bit of the packing at full width), and 3 spends with 8-bit amounts (the
/// interleavings of a longer sequence).
contract PackedWindowSymbolic is Test, SymbolicBase {
    /// @dev Timestamps anywhere in the first BUCKETS_SPANNED buckets (every ring position, the
    /// wrap-around and the start of time), each path with the bucket of every spend fixed and the
    /// second within the bucket symbolic.
    uint256 internal constant BUCKETS_SPANNED = 6;

    /// @dev 64 s: buckets of 16 s, a power of two, which halmos divides exactly (it abstracts
    /// division by other numbers). Windows of other sizes: fuzzed (see docs/INVARIANTS.md).
    uint256 internal constant WINDOW = 64;

    /// @dev Bounds: 2 spends; the limit L and each value any 95-bit number (0, L and above L included).
    function check_spend_NoWindowExceedsLimitAndRefusalAtMostOneBucketEarly() public {
        _checkSpends(2, 95);
    }

    /// @dev Bounds: 3 spends; the limit L and each value any 8-bit number (0 and above L included).
    function check_spend_ThreeSpendsNoWindowExceedsLimitAndRefusalAtMostOneBucketEarly() public {
        _checkSpends(3, 8);
    }

    /// @dev Bucket `bucket` (any of the first BUCKETS_SPANNED, one per path, so the ring position
    /// is concrete), second `second` (symbolic) within it.
    function _timestamp(uint256 bucket, uint256 second) internal pure returns (uint256) {
        vm.assume(bucket < BUCKETS_SPANNED);
        for (uint256 c; c < BUCKETS_SPANNED; ++c) {
            if (bucket == c) return (c << 4) | second;
        }
        return 0;
    }

    /// @dev `x` when flag `f` (0 or 1) is set, else 0, without a branch.
    function _when(uint256 f, uint256 x) internal pure returns (uint256 r) {
        unchecked {
            r = x & (0 - f);
        }
    }

    function _flag(bool b) internal pure returns (uint256 f) {
        assembly ("memory-safe") {
            f := b
        }
    }

    /// @dev `spends` spends of `bits`-bit values against a `bits`-bit limit.
    function _checkSpends(uint256 spends, uint256 bits) internal {
        uint256 window = WINDOW;
        uint256 width = window / PackedWindow.BUCKETS;
        uint256 amount = svm.createUint(bits, "limit");
        WindowUnderTest limit = new WindowUnderTest(amount, window);

        uint256[] memory t = new uint256[](spends);
        uint256[] memory v = new uint256[](spends);
        bool[] memory ok = new bool[](spends);
        for (uint256 i; i < spends; ++i) {
            t[i] = _timestamp(svm.createUint256("bucket"), svm.createUint(4, "second"));
            v[i] = svm.createUint(bits, "value");
            if (i > 0) vm.assume(t[i] >= t[i - 1]);
            ok[i] = limit.spend(t[i], v[i]);
        }
        // One verdict per path, asserted once and computed without branching or overflow checks
        // (one solver query per path instead of one per property; no sum comes near overflow, as
        // every value is below 2^128 and every timestamp below 2^8).
        uint256 broken;
        unchecked {
            for (uint256 i; i < spends; ++i) {
                // Strict: spends accepted within any W seconds starting at spend i sum to at most L.
                uint256 sum;
                for (uint256 j = i; j < spends; ++j) {
                    sum += _when(_flag(ok[j]) & _flag(t[j] < t[i] + window), v[j]);
                }
                broken |= _flag(sum > amount);
                // Conservative by at most one bucket: a refusal of a value within the limit means
                // the exact window of W + width seconds before it would also overflow.
                uint256 recent = v[i];
                for (uint256 j; j < i; ++j) {
                    recent += _when(_flag(ok[j]) & _flag(t[j] + window + width > t[i]), v[j]);
                }
                broken |= _flag(!ok[i]) & _flag(v[i] <= amount) & _flag(recent <= amount);
            }
        }
        assert(broken == 0);
    }
}
