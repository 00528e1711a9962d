// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title PackedWindow
/// @notice The rolling window of Leash's spending limits (the engine and SpendingLimitHook): a
/// limit of `amount` per `window = BUCKETS * width` seconds; a spend at time `s` lands in bucket
/// `s / width`; at time `t` the window holds buckets `t / width - BUCKETS` through `t / width`:
/// never late, early by at most one bucket; kept with its exact history in two storage slots, of
/// which a spend within the current bucket reads and writes only the first.
/// @dev The ring is kept by age relative to the newest bucket written (`last`):
///   slot `s`:     `last (31) | sentinel (1) | current (95) | older (95) | third, low 34 bits`
///   slot `s + 1`: `third, high 61 bits | first (95) | second (95) | unused (4) | sentinel (1)`
/// where `current` is bucket `last`, `first`, `second` and `third` are buckets `last - 1` to
/// `last - 3`, and `older` is the sum of buckets `last - 1` to `last - 4` (the window's other
/// part; bucket `last - 4` alone is never needed again once time moves past `last`). So within
/// bucket `last` what is used is `current + older`, from slot `s` alone; a spend in a later
/// bucket rebuilds both slots from the ages. Amounts are exact (ten spends of 100 fill a limit of
/// 1,000), so a limit is at most `MAX_AMOUNT`. Both sentinels are set by `init` and never
/// cleared: every write is non-zero to non-zero, the first spend costs what a repeat costs. The
/// limit's `amount` and `width` are kept by the caller.
library PackedWindow {
    uint256 internal constant BUCKETS = 4;
    uint256 internal constant MIN_WINDOW = 60;
    /// @notice The largest limit kept exactly (95 bits per bucket).
    uint256 internal constant MAX_AMOUNT = (1 << 95) - 1;
    /// @notice The longest window (about three years): `last`, the time divided by the bucket
    /// width, is kept in 31 bits, which lasts beyond the year 2900 at the shortest width.
    uint256 internal constant MAX_WINDOW = 100_000_000;

    uint256 private constant MASK = (1 << 95) - 1;
    uint256 private constant LAST_MASK = 0x7fffffff;
    uint256 private constant LOW_SENTINEL = 1 << 31;
    uint256 private constant HIGH_SENTINEL = 1 << 255;
    uint256 private constant CURRENT_SHIFT = 32;
    uint256 private constant OLDER_SHIFT = 127;
    uint256 private constant THIRD_LOW_SHIFT = 222; // the third's low 34 bits, at the top of slot s
    uint256 private constant THIRD_LOW_BITS = 34;
    uint256 private constant FIRST_SHIFT = 61;
    uint256 private constant SECOND_SHIFT = 156;

    error Window_TooShort(uint256 window, uint256 min);
    error Window_TooLong(uint256 window, uint256 max);
    /// @notice Windows are a whole number of buckets, so the early-refusal bound is exactly one bucket.
    error Window_NotMultiple(uint256 window, uint256 buckets);
    /// @notice A limit above `MAX_AMOUNT` cannot be kept exactly in a packed window.
    error Window_AmountTooLarge(uint256 amount, uint256 max);

    /// @dev The window seen from bucket `now_`: what each age holds (`ages[a]` is bucket `now_ - a`).
    struct Ages {
        uint256[BUCKETS + 1] ages;
    }

    /// @notice Checks a limit's configuration; returns its bucket width.
    function widthOf(uint256 amount, uint256 window) internal pure returns (uint256) {
        require(window >= MIN_WINDOW, Window_TooShort(window, MIN_WINDOW));
        require(window <= MAX_WINDOW, Window_TooLong(window, MAX_WINDOW));
        require(window % BUCKETS == 0, Window_NotMultiple(window, BUCKETS));
        require(amount <= MAX_AMOUNT, Window_AmountTooLarge(amount, MAX_AMOUNT));
        return window / BUCKETS;
    }

    /// @notice An empty window at time `t`, holding `carried` (capped at `amount`) in the current
    /// bucket: history a reconfiguration must not hand back.
    function init(uint256 slot, uint256 t, uint256 width, uint256 amount, uint256 carried) internal {
        uint256 low = (t / width) | LOW_SENTINEL | ((carried > amount ? amount : carried) << CURRENT_SHIFT);
        assembly ("memory-safe") {
            sstore(slot, low)
            sstore(add(slot, 1), HIGH_SENTINEL)
        }
    }

    /// @notice Records `value` at time `t` if the limit still holds; returns false (recording
    /// nothing) if it would not. `t` is never before the last spend (block time).
    function spend(uint256 slot, uint256 t, uint256 value, uint256 amount, uint256 width) internal returns (bool) {
        uint256 low;
        assembly ("memory-safe") {
            low := sload(slot)
        }
        uint256 now_ = t / width;
        if (value > amount) return false;
        unchecked {
            if (now_ == low & LAST_MASK) {
                // Within the newest bucket: one slot.
                if (((low >> CURRENT_SHIFT) & MASK) + ((low >> OLDER_SHIFT) & MASK) > amount - value) return false;
                if (value == 0) return true;
                low += value << CURRENT_SHIFT; // the bucket stays within the limit, so within 95 bits
                assembly ("memory-safe") {
                    sstore(slot, low)
                }
                return true;
            }
            // A later bucket: rebuild both slots around it.
            uint256[BUCKETS + 1] memory a = _agesAt(low, _loadHigh(slot), now_);
            uint256 older = a[1] + a[2] + a[3] + a[4];
            if (older > amount - value) return false;
            if (value == 0) return true;
            low = now_ | LOW_SENTINEL | (value << CURRENT_SHIFT) | (older << OLDER_SHIFT) | (a[3] << THIRD_LOW_SHIFT);
            uint256 high = (a[3] >> THIRD_LOW_BITS) | (a[1] << FIRST_SHIFT) | (a[2] << SECOND_SHIFT) | HIGH_SENTINEL;
            assembly ("memory-safe") {
                sstore(slot, low)
                sstore(add(slot, 1), high)
            }
        }
        return true;
    }

    /// @notice Recorded spends that count against the limit at time `t` (t >= the last spend).
    function usedAt(uint256 slot, uint256 t, uint256 width) internal view returns (uint256 used) {
        uint256 low;
        assembly ("memory-safe") {
            low := sload(slot)
        }
        uint256[BUCKETS + 1] memory a = _agesAt(low, _loadHigh(slot), t / width);
        return a[0] + a[1] + a[2] + a[3] + a[4];
    }

    /// @notice The first time at or after `t` at which `value` more fits, or `type(uint256).max`
    /// if it never will (it exceeds the limit itself).
    function availableAt(uint256 slot, uint256 t, uint256 value, uint256 amount, uint256 width)
        internal
        view
        returns (uint256)
    {
        if (value > amount) return type(uint256).max;
        uint256 low;
        assembly ("memory-safe") {
            low := sload(slot)
        }
        uint256 now_ = t / width;
        uint256[BUCKETS + 1] memory a = _agesAt(low, _loadHigh(slot), now_);
        uint256 used = a[0] + a[1] + a[2] + a[3] + a[4];
        if (used <= amount - value) return t;
        // Bucket `now_ - age` leaves the window when the current bucket reaches `now_ - age + BUCKETS + 1`.
        for (uint256 age = BUCKETS + 1; age > 0; --age) {
            used -= a[age - 1];
            if (used <= amount - value) return (now_ + BUCKETS + 1 - (age - 1)) * width;
        }
        return (now_ + BUCKETS + 1) * width; // unreachable: an empty window fits any value <= amount
    }

    /// @dev What each age of the window at bucket `now_` (>= last) holds, from both slots.
    function _agesAt(uint256 low, uint256 high, uint256 now_) private pure returns (uint256[BUCKETS + 1] memory a) {
        unchecked {
            uint256 last = low & LAST_MASK;
            uint256[BUCKETS + 1] memory byLastAge;
            byLastAge[0] = (low >> CURRENT_SHIFT) & MASK;
            byLastAge[1] = (high >> FIRST_SHIFT) & MASK;
            byLastAge[2] = (high >> SECOND_SHIFT) & MASK;
            byLastAge[3] = (low >> THIRD_LOW_SHIFT) | ((high << THIRD_LOW_BITS) & MASK);
            byLastAge[4] = ((low >> OLDER_SHIFT) & MASK) - byLastAge[1] - byLastAge[2] - byLastAge[3];
            uint256 shift = now_ - last;
            for (uint256 age = shift; age <= BUCKETS; ++age) {
                a[age] = byLastAge[age - shift];
            }
        }
    }

    function _loadHigh(uint256 slot) private view returns (uint256 high) {
        assembly ("memory-safe") {
            high := sload(add(slot, 1))
        }
    }
}
