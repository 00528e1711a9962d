// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {RollingWindow} from "../../../contracts/libraries/RollingWindow.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @dev One limit, driven only through the library's functions (so storage layout changes inside
/// the library do not affect the check).
contract WindowUnderTest {
    using RollingWindow for RollingWindow.Limit;

    RollingWindow.Limit internal limit;

    constructor(uint256 amount, uint256 window) {
        limit.init(amount, window);
    }

    function spend(uint256 t, uint256 value) external returns (bool ok) {
        (ok,) = limit.spend(t, value);
    }
}

/// @dev One limit whose ring can be set to any state: the last bucket index and the five 128-bit
/// bucket amounts (ring position p in `buckets[p / 2]`, low half when p is even: the layout
/// `RollingWindow.Limit` documents).
contract RingUnderTest {
    using RollingWindow for RollingWindow.Limit;

    RollingWindow.Limit internal limit;

    constructor(uint256 amount, uint256 window) {
        limit.init(amount, window);
    }

    function setRing(uint256 last, uint256[5] memory b) external {
        limit.lastIndex = uint32(last);
        limit.buckets = [b[0] | (b[1] << 128), b[2] | (b[3] << 128), b[4]];
    }

    function ring(uint256 p) external view returns (uint256) {
        uint256 word = limit.buckets[p / 2];
        return p % 2 == 0 ? uint128(word) : word >> 128;
    }

    function lastIndex() external view returns (uint256) {
        return limit.lastIndex;
    }

    function spend(uint256 t, uint256 value) external returns (bool ok) {
        (ok,) = limit.spend(t, value);
    }
}

/// @notice S1/S2 proven: for every sequence of SPENDS spends (symbolic amounts and timestamps, in
/// time order) against a symbolic limit L per window W, the accepted spends inside any W seconds
/// never exceed L, and every refused spend would also be refused by an exact window of W + W / 4
/// seconds (refused at most one bucket early).
contract RollingWindowSymbolic is Test, SymbolicBase {
    /// @dev Bounds: 2 spends (3 did not finish within 500 s here: longer sequences are fuzzed by
    /// `invariant_NoWindowHoldsMoreThanItsLimit`); the limit L any uint128, each value any uint128;
    /// timestamps anywhere in the first BUCKETS_SPANNED buckets (every ring position, the
    /// wrap-around and the start of time), each path with the bucket of every spend fixed and the
    /// second within the bucket symbolic.
    uint256 internal constant SPENDS = 2;
    uint256 internal constant BUCKETS_SPANNED = 6;

    /// @dev 64 s: buckets of 16 s, a power of two, which halmos divides exactly (it abstracts
    /// division by other numbers). Windows of other sizes: fuzzed (see docs/INVARIANTS.md).
    uint256 internal constant WINDOW = 64;

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

    function check_spend_NoWindowExceedsLimitAndRefusalAtMostOneBucketEarly() public {
        uint256 window = WINDOW;
        uint256 width = window / RollingWindow.BUCKETS;
        uint256 amount = svm.createUint(128, "limit");
        WindowUnderTest limit = new WindowUnderTest(amount, window);

        uint256[SPENDS] memory t;
        uint256[SPENDS] memory v;
        bool[SPENDS] memory ok;
        for (uint256 i; i < SPENDS; ++i) {
            t[i] = _timestamp(svm.createUint256("bucket"), svm.createUint(4, "second"));
            v[i] = svm.createUint(128, "value");
            if (i > 0) vm.assume(t[i] >= t[i - 1]);
            ok[i] = limit.spend(t[i], v[i]);
        }
        // One verdict per path, asserted once and computed without branching or overflow checks
        // (one solver query per path instead of one per property; no sum comes near overflow, as
        // every value is below 2^128 and every timestamp below 2^8).
        uint256 broken;
        unchecked {
            for (uint256 i; i < SPENDS; ++i) {
                // Strict: spends accepted within any W seconds starting at spend i sum to at most L.
                uint256 sum;
                for (uint256 j = i; j < SPENDS; ++j) {
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

    /// @dev The inductive step, for sequences of any length: from ANY ring (last index L0 and five
    /// symbolic bucket amounts, read as the ledger of buckets L0-4..L0), one spend of any value at
    /// any later time is accepted exactly when the ledger's buckets c-4..c (c: its bucket) plus the
    /// value stay within the limit, leaves the ring the exact ledger of buckets c-4..c with the
    /// value added to bucket c, and changes nothing when refused. By induction from the empty
    /// ring, the ring is always the exact per-bucket ledger of accepted spends, and every accepted
    /// spend kept its five latest buckets within L; since any W seconds touch at most five
    /// consecutive buckets, all of them among the last accepted spend's five, no W seconds hold
    /// more than L (S1); a refused value at most L saw more than L in the W + width seconds before
    /// it (S2). Bounds: L0 pinned to each of 0..9 (the start of time and every ring position), the
    /// spend's bucket L0 + d with d pinned to each of 0..6 (the same bucket, each gap, and gaps
    /// past the whole ring), its second within the bucket symbolic; the limit, the value and
    /// every bucket amount any uint128; a 64 s window.
    function check_spend_RingIsTheExactLedgerOfItsLastFiveBuckets() public {
        uint256 amount = svm.createUint(128, "limit");
        RingUnderTest r = new RingUnderTest(amount, WINDOW);
        uint256 last = _pinned(svm.createUint256("lastIndex"), 9);
        uint256 current = last + _pinned(svm.createUint256("gap"), 6);
        uint256[5] memory b;
        for (uint256 p; p < 5; ++p) {
            b[p] = svm.createUint(128, "bucket");
        }
        r.setRing(last, b);
        uint256 value = svm.createUint(128, "value");
        uint256 t = (current << 4) | svm.createUint(4, "second");
        bool ok = r.spend(t, value);

        uint256 broken;
        unchecked {
            // The ledger before: bucket i (i <= last) is at ring position i % 5; later ones are empty.
            uint256 from = current > 4 ? current - 4 : 0;
            uint256 used;
            for (uint256 i = from; i <= current; ++i) {
                if (i <= last) used += b[i % 5];
            }
            broken |= _flag(ok != (value <= amount && used + value <= amount));
            if (!ok || value == 0) {
                for (uint256 p; p < 5; ++p) {
                    broken |= _flag(r.ring(p) != b[p]);
                }
                broken |= _flag(r.lastIndex() != last);
            } else {
                broken |= _flag(r.lastIndex() != current);
                for (uint256 i = from; i <= current; ++i) {
                    uint256 expected = i <= last ? b[i % 5] : 0;
                    if (i == current) expected += value;
                    broken |= _flag(r.ring(i % 5) != expected);
                }
            }
        }
        assert(broken == 0);
    }

    /// @dev `w` pinned to one of 0..max on each path (none assumed away: larger values are
    /// outside the stated bound).
    function _pinned(uint256 w, uint256 max) internal pure returns (uint256) {
        vm.assume(w <= max);
        for (uint256 c; c <= max; ++c) {
            if (w == c) return c;
        }
        return 0;
    }
}
