// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";
import {PackedWindow} from "./PackedWindow.sol";
import {PolicyKey} from "./PolicyKey.sol";

/// @title SpendingPolicy
/// @notice The spending rules of one token's policy, shared by the policy engine and
/// SpendingLimitHook: how a policy is stored, set, tightened, removed, charged and reported.
/// @dev A policy lives at a key `K` its caller derives (per account, generation and token):
///   - slot `K`: `tracked (bit 4) | capped (bit 5) | live (bit 7) | limits (8, at 48) |
///     first limit's amount (96, at 56) | its bucket width (32, at 152)`; the caller may keep
///     its own bits in the others (the engine keeps its allowlist flags there);
///   - `K+1+2i`, `K+2+2i`: the packed window of limit i (PackedWindow);
///   - `K+8+i`: `amount (96) | width` of limit i >= 1;
///   - `K+12`: the per-transaction cap (when capped).
/// Every slot a spend writes is made non-zero when the policy is set (the live bit, the windows'
/// sentinels), so the first spend costs what a repeat costs.
library SpendingPolicy {
    uint256 internal constant MAX_LIMITS = 4;

    uint256 internal constant TRACKED = 16; // a token with a policy
    uint256 internal constant CAPPED = 32; // with a per-transaction cap at K+12
    uint256 internal constant LIVE = 128; // set on every write: the slot is never zero again
    uint256 internal constant LIMITS_SHIFT = 48;
    uint256 internal constant AMOUNT_SHIFT = 56;
    uint256 internal constant WIDTH_SHIFT = 152;
    uint256 internal constant AMOUNT_MASK = (1 << 96) - 1;
    /// @dev The bits of slot `K` this library owns (besides `LIVE`, which it only ever sets).
    uint256 internal constant BITS =
        TRACKED | CAPPED | (0xff << LIMITS_SHIFT) | (AMOUNT_MASK << AMOUNT_SHIFT) | (0xffffffff << WIDTH_SHIFT);
    uint256 internal constant CAP_OFFSET = 12;

    /// @notice Amount and bucket width of limit `i`: the first inline in slot `K`.
    function limitAt(uint256 key, uint256 slot, uint256 i) internal view returns (uint256 amount, uint256 width) {
        if (i == 0) return ((slot >> AMOUNT_SHIFT) & AMOUNT_MASK, (slot >> WIDTH_SHIFT) & 0xffffffff);
        uint256 meta = PolicyKey.load(key + 8 + i);
        return (meta & AMOUNT_MASK, meta >> 96);
    }

    /// @notice Records `amount` against the per-transaction cap and every limit, or reverts with
    /// what is left and when `amount` fits.
    function charge(address account, address token, uint256 key, uint256 slot, uint256 amount) internal {
        record(account, token, key, slot, amount);
        emit ISpendingLimitHook.Spent(account, token, amount);
    }

    /// @notice `charge` without its event: a session's own limits (the account-wide charge reports
    /// the spend).
    function record(address account, address token, uint256 key, uint256 slot, uint256 amount) internal {
        if (slot & CAPPED != 0) {
            uint256 cap = PolicyKey.load(key + CAP_OFFSET);
            require(amount <= cap, ISpendingLimitHook.SpendingLimit_PerTxCapExceeded(account, token, amount, cap));
        }
        uint256 n = (slot >> LIMITS_SHIFT) & 0xff;
        for (uint256 i; i < n; ++i) {
            (uint256 limit, uint256 width) = limitAt(key, slot, i);
            if (!PackedWindow.spend(key + 1 + 2 * i, block.timestamp, amount, limit, width)) {
                revert ISpendingLimitHook.SpendingLimit_Exceeded(
                    account, token, amount, remainingAt(key, slot, block.timestamp), availableAt(key, slot, amount)
                );
            }
        }
    }

    /// @notice What fits at `timestamp` (>= the last spend): the smallest headroom over the limits
    /// and the cap; `type(uint256).max` for a token with no policy.
    function remainingAt(uint256 key, uint256 slot, uint256 timestamp) internal view returns (uint256 left) {
        if (slot & TRACKED == 0) return type(uint256).max;
        left = slot & CAPPED != 0 ? PolicyKey.load(key + CAP_OFFSET) : type(uint256).max;
        uint256 n = (slot >> LIMITS_SHIFT) & 0xff;
        for (uint256 i; i < n; ++i) {
            (uint256 limit, uint256 width) = limitAt(key, slot, i);
            uint256 used = PackedWindow.usedAt(key + 1 + 2 * i, timestamp, width);
            uint256 headroom = used >= limit ? 0 : limit - used;
            if (headroom < left) left = headroom;
        }
    }

    /// @notice The first second at which `amount` fits every limit and the cap (now if it fits,
    /// `type(uint256).max` if it never will).
    function availableAt(uint256 key, uint256 slot, uint256 amount) internal view returns (uint256 at) {
        at = block.timestamp;
        if (slot & TRACKED == 0) return at;
        if (slot & CAPPED != 0 && amount > PolicyKey.load(key + CAP_OFFSET)) return type(uint256).max;
        uint256 n = (slot >> LIMITS_SHIFT) & 0xff;
        for (uint256 i; i < n; ++i) {
            (uint256 limit, uint256 width) = limitAt(key, slot, i);
            uint256 limitAt_ = PackedWindow.availableAt(key + 1 + 2 * i, block.timestamp, amount, limit, width);
            if (limitAt_ > at) at = limitAt_;
        }
    }

    /// @notice Sets (or replaces) the policy at `key`, whose slot holds `slot`. A limit whose window existed keeps its exact history; a new window starts
    /// with the most any old limit still counts, recorded now, so a change never hands back spent
    /// allowance. Limits are checked by `PackedWindow.widthOf` (window and amount bounds).
    function set(address account, uint256 key, uint256 slot, ISpendingLimitHook.TokenPolicy memory policy) internal {
        store(key, slot, policy, block.timestamp);
        emit ISpendingLimitHook.TokenPolicySet(account, policy.token, policy.perTxCap, policy.limits);
    }

    /// @notice `set` without its event (a session's limits, which its grant reports), at time `t`:
    /// a fresh policy may pass 0 (its windows start empty either way) where the time may not be read.
    function store(uint256 key, uint256 slot, ISpendingLimitHook.TokenPolicy memory policy, uint256 t) internal {
        uint256 n = policy.limits.length;
        require(n != 0 || policy.perTxCap != 0, ISpendingLimitHook.SpendingLimit_NoLimits(policy.token));
        require(n <= MAX_LIMITS, ISpendingLimitHook.SpendingLimit_TooManyLimits(policy.token, n, MAX_LIMITS));
        uint256 oldCount = slot & TRACKED != 0 ? (slot >> LIMITS_SHIFT) & 0xff : 0;
        // The old windows, read before any is overwritten.
        uint256[2][MAX_LIMITS] memory rings;
        uint256[MAX_LIMITS] memory widths;
        uint256 carried;
        for (uint256 i; i < oldCount; ++i) {
            uint256 ring = key + 1 + 2 * i;
            (, widths[i]) = limitAt(key, slot, i);
            (rings[i][0], rings[i][1]) = (PolicyKey.load(ring), PolicyKey.load(ring + 1));
            uint256 used = PackedWindow.usedAt(ring, t, widths[i]);
            if (used > carried) carried = used;
        }
        slot = (slot & ~BITS) | TRACKED | LIVE | (n << LIMITS_SHIFT);
        for (uint256 i; i < n; ++i) {
            ISpendingLimitHook.LimitConfig memory limit = policy.limits[i];
            uint256 width = PackedWindow.widthOf(limit.amount, limit.window);
            // Scoped: fewer live locals where the metadata is stored (unoptimised builds: coverage).
            {
                uint256 ring = key + 1 + 2 * i;
                uint256 same = oldCount;
                for (uint256 j; j < oldCount; ++j) {
                    if (widths[j] == width) same = j;
                }
                if (same < oldCount) {
                    PolicyKey.store(ring, rings[same][0]);
                    PolicyKey.store(ring + 1, rings[same][1]);
                } else {
                    PackedWindow.init(ring, t, width, limit.amount, carried);
                }
            }
            if (i == 0) slot |= (limit.amount << AMOUNT_SHIFT) | (width << WIDTH_SHIFT);
            else PolicyKey.store(key + 8 + i, limit.amount | (width << 96));
        }
        if (policy.perTxCap != 0) {
            slot |= CAPPED;
            PolicyKey.store(key + CAP_OFFSET, policy.perTxCap);
        }
        PolicyKey.store(key, slot);
    }

    /// @notice Removes the policy at `key` (its slot: `slot`), or reverts if there is none.
    function remove(address account, address token, uint256 key, uint256 slot) internal {
        require(slot & TRACKED != 0, ISpendingLimitHook.SpendingLimit_UnknownToken(account, token));
        PolicyKey.store(key, slot & ~BITS);
        emit ISpendingLimitHook.TokenPolicyRemoved(account, token);
    }

    /// @notice Whether `policy` only tightens the one at `key`: the same windows in the same order,
    /// no amount higher, and a cap no looser.
    function isTightening(uint256 key, uint256 slot, ISpendingLimitHook.TokenPolicy calldata policy)
        internal
        view
        returns (bool)
    {
        if (slot & TRACKED == 0 || policy.limits.length != (slot >> LIMITS_SHIFT) & 0xff) return false;
        if (slot & CAPPED != 0) {
            uint256 cap = PolicyKey.load(key + CAP_OFFSET);
            if (policy.perTxCap == 0 || policy.perTxCap > cap) return false;
        }
        for (uint256 i; i < policy.limits.length; ++i) {
            (uint256 amount, uint256 width) = limitAt(key, slot, i);
            if (policy.limits[i].window != width * PackedWindow.BUCKETS || policy.limits[i].amount > amount) {
                return false;
            }
        }
        return true;
    }

    /// @notice The policy at `key` as configured (no cap: 0; no policy: no limits).
    function policyOf(uint256 key, uint256 slot)
        internal
        view
        returns (uint256 perTxCap, ISpendingLimitHook.LimitConfig[] memory limits)
    {
        if (slot & TRACKED == 0) return (0, limits);
        if (slot & CAPPED != 0) perTxCap = PolicyKey.load(key + CAP_OFFSET);
        limits = new ISpendingLimitHook.LimitConfig[]((slot >> LIMITS_SHIFT) & 0xff);
        for (uint256 i; i < limits.length; ++i) {
            (uint256 amount, uint256 width) = limitAt(key, slot, i);
            limits[i] = ISpendingLimitHook.LimitConfig(amount, width * PackedWindow.BUCKETS);
        }
    }
}
