// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title PolicyKey
/// @notice The storage key of a policy's slots, shared by the policy engine and the separate hooks.
library PolicyKey {
    /// @dev Key kinds: a target's slot (its allowlist flags, or a token's spending policy), and a
    /// selector's allowlist entry.
    uint256 internal constant TARGET = 1;
    uint256 internal constant SELECTOR = 2;

    /// @notice One keccak per key: `(generation << 160 | account) ++ (kind << 224 | selector << 160 | target)`.
    /// The second word is at least 2^224, so no key equals a Solidity mapping slot of the caller.
    /// Only the low 64 bits of `generation` count: the engine passes its account state word, whose
    /// low 64 bits are the generation.
    function at(address account, uint256 generation, uint256 kind, address target, bytes4 selector)
        internal
        pure
        returns (uint256 key)
    {
        assembly ("memory-safe") {
            mstore(0x00, or(shl(160, and(generation, 0xffffffffffffffff)), account))
            mstore(0x20, or(or(shl(224, kind), shr(64, and(selector, shl(224, 0xffffffff)))), target))
            key := keccak256(0x00, 0x40)
        }
    }

    function load(uint256 key) internal view returns (uint256 value) {
        assembly ("memory-safe") {
            value := sload(key)
        }
    }

    function store(uint256 key, uint256 value) internal {
        assembly ("memory-safe") {
            sstore(key, value)
        }
    }
}
