// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title RollingWindow
/// @notice The one rolling-window math of Leash: a limit of `amount` per `window` seconds, kept as
/// a ring of `BUCKETS + 1` buckets of width `width = window / BUCKETS` (windows are a multiple of
/// `BUCKETS` seconds, at least 60).
/// @dev A spend at time `s` lands in bucket `s / width`. At time `t` the window holds buckets
/// `t / width - BUCKETS` through `t / width`: every spend of the last `window` seconds is among
/// them (since `BUCKETS * width == window`), plus at most `width` seconds of older ones. So the
/// rule "in no interval of `window` seconds do recorded spends exceed `amount`" always holds, and a
/// spend is refused early by at most one bucket's width: it counts for at most
/// `window + width` seconds instead of `window`. Allowance comes back one bucket at a time.
/// Storage: one meta slot (`amount | window | width | lastIndex`) and three bucket slots
/// (five 128-bit amounts). Buckets with an index above `lastIndex` are stale leftovers of an
/// earlier turn of the ring and read as zero.
library RollingWindow {
    uint256 internal constant BUCKETS = 4;
    uint256 internal constant RING = BUCKETS + 1;
    uint256 internal constant MIN_WINDOW = 60;

    struct Limit {
        uint128 amount;
        uint32 window;
        uint32 width;
        uint32 lastIndex;
        /// @dev Five 128-bit bucket amounts, two per slot: ring position p lives in
        /// `buckets[p / 2]`, low half when p is even.
        uint256[3] buckets;
    }

    error RollingWindow_WindowTooShort(uint256 window, uint256 min);
    error RollingWindow_WindowTooLong(uint256 window);
    /// @notice Windows are a whole number of buckets, so the early-refusal bound is exactly one bucket.
    error RollingWindow_WindowNotMultiple(uint256 window, uint256 buckets);

    function init(Limit storage self, uint256 amount, uint256 window) internal {
        require(window >= MIN_WINDOW, RollingWindow_WindowTooShort(window, MIN_WINDOW));
        require(window <= type(uint32).max, RollingWindow_WindowTooLong(window));
        require(window % BUCKETS == 0, RollingWindow_WindowNotMultiple(window, BUCKETS));
        self.amount = uint128(amount);
        self.window = uint32(window);
        self.width = uint32(window / BUCKETS);
        self.lastIndex = 0;
        self.buckets = [uint256(0), 0, 0];
    }

    /// @notice Recorded spends that count against the limit at time `t` (t >= the last spend).
    function usedAt(Limit storage self, uint256 t) internal view returns (uint256) {
        return _used(self.buckets, t / self.width, self.lastIndex);
    }

    /// @notice Records `value` at time `t`, and returns whether the limit still holds. Callers revert
    /// on `false`, so nothing is recorded then.
    function spend(Limit storage self, uint256 t, uint256 value) internal returns (bool ok, uint256 used) {
        // Each slot is read once: the metadata, then the ring, reused for the check and the write.
        (uint256 amount, uint256 width, uint256 lastIndex) = (self.amount, self.width, self.lastIndex);
        uint256[3] memory b = self.buckets;
        uint256 current = t / width;
        used = _used(b, current, lastIndex);
        if (value > amount || used > amount - value) return (false, used);
        if (value == 0) return (true, used);
        if (current != lastIndex) {
            // Clear the ring positions of indices (lastIndex, current]: they hold an earlier turn.
            uint256 stale = current - lastIndex;
            if (stale > RING) stale = RING;
            for (uint256 k; k < stale; ++k) {
                _write(b, (current - k) % RING, 0);
            }
            self.lastIndex = uint32(current);
        }
        uint256 p = current % RING;
        _write(b, p, _read(b, p) + value);
        if (current != lastIndex) {
            self.buckets = b;
        } else {
            self.buckets[p / 2] = b[p / 2];
        }
        return (true, used);
    }

    /// @dev The sum of the ring's buckets with indices in the window ending at `current`; indices
    /// above `lastIndex` were never written in this turn of the ring and count as zero.
    function _used(uint256[3] memory b, uint256 current, uint256 lastIndex) private pure returns (uint256 used) {
        uint256 from = current > BUCKETS ? current - BUCKETS : 0;
        uint256 to = lastIndex < current ? lastIndex : current;
        for (uint256 i = from; i <= to; ++i) {
            used += _read(b, i % RING);
        }
    }

    /// @notice Records `value` at time `t` without checking the limit: carries spent history into
    /// a new limit so that a reconfiguration never hands back spent allowance.
    function carry(Limit storage self, uint256 t, uint256 value) internal {
        uint256 current = t / self.width;
        // A freshly initialised ring: every position is empty, so only the current one is written.
        uint256 p = current % RING;
        uint256[3] memory b = self.buckets;
        uint256 amount = self.amount;
        _write(b, p, value > amount ? amount : value);
        self.buckets = b;
        self.lastIndex = uint32(current);
    }

    /// @notice The first time at or after `t` at which `value` more fits, or `type(uint256).max`
    /// if it never will (it exceeds the limit itself).
    function availableAt(Limit storage self, uint256 t, uint256 value) internal view returns (uint256) {
        uint256 amount = self.amount;
        if (value > amount) return type(uint256).max;
        uint256 used = usedAt(self, t);
        if (used <= amount - value) return t;
        (uint256 width, uint256 lastIndex) = (self.width, self.lastIndex);
        uint256 current = t / width;
        uint256[3] memory b = self.buckets;
        // Bucket j leaves the window when the current index reaches j + RING.
        uint256 from = current > BUCKETS ? current - BUCKETS : 0;
        for (uint256 j = from; j <= current; ++j) {
            if (j <= lastIndex) used -= _read(b, j % RING);
            if (used <= amount - value) return (j + RING) * width;
        }
        return (current + RING) * width; // unreachable: an empty window fits any value <= amount
    }

    function _read(uint256[3] memory b, uint256 p) private pure returns (uint256) {
        uint256 word = b[p / 2];
        return p % 2 == 0 ? uint128(word) : word >> 128;
    }

    function _write(uint256[3] memory b, uint256 p, uint256 value) private pure {
        // value <= amount <= type(uint128).max, checked by `spend`
        uint256 word = b[p / 2];
        b[p / 2] = p % 2 == 0 ? (word & ~uint256(type(uint128).max)) | value : uint128(word) | (value << 128);
    }
}
