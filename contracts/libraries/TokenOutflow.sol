// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";

/// @title TokenOutflow
/// @notice What one call to a limited ERC-20 moves out of the account: the one reading of token
/// calls shared by SpendingLimitHook and the policy engine (the rules are in ISpendingLimitHook).
library TokenOutflow {
    bytes4 internal constant TRANSFER = 0xa9059cbb; // transfer(address,uint256)
    bytes4 internal constant APPROVE = 0x095ea7b3; // approve(address,uint256)
    bytes4 internal constant TRANSFER_FROM = 0x23b872dd; // transferFrom(address,address,uint256)
    bytes4 internal constant INCREASE_ALLOWANCE = 0x39509351; // increaseAllowance(address,uint256)
    bytes4 internal constant DECREASE_ALLOWANCE = 0xa457c2d7; // decreaseAllowance(address,uint256)

    /// @notice What a call of `data` to limited token `token` moves out of `account`. Every address
    /// argument must be a clean word (upper 96 bits zero): a token compiled with ABI coder v1
    /// ignores those bits, so `account | 1 << 160` would be the account to it and some other
    /// address to a whole-word comparison here.
    function amountOf(address account, address token, bytes calldata data) internal pure returns (uint256) {
        uint256 length = data.length;
        if (length < 4) {
            revert ISpendingLimitHook.SpendingLimit_MalformedTokenCall(account, token, bytes4(data), length);
        }
        // Words read past the end of `data` are only used once its length was checked to hold them.
        bytes4 selector;
        uint256 first;
        uint256 second;
        assembly ("memory-safe") {
            selector := and(calldataload(data.offset), shl(224, 0xffffffff))
            first := calldataload(add(data.offset, 4))
            second := calldataload(add(data.offset, 36))
        }
        // The common case first, with the same checks in the same order as below.
        if (selector == TRANSFER && length >= 68 && first >> 160 == 0) return second;
        if (
            selector != TRANSFER && selector != APPROVE && selector != INCREASE_ALLOWANCE
                && selector != DECREASE_ALLOWANCE && selector != TRANSFER_FROM
        ) revert ISpendingLimitHook.SpendingLimit_UnsupportedTokenCall(account, token, selector);
        if (length < (selector == TRANSFER_FROM ? 100 : 68)) {
            revert ISpendingLimitHook.SpendingLimit_MalformedTokenCall(account, token, selector, length);
        }
        if (first >> 160 != 0) {
            revert ISpendingLimitHook.SpendingLimit_DirtyAddressArgument(account, token, selector, 0);
        }
        if (selector == TRANSFER) return second;
        if (selector == DECREASE_ALLOWANCE) return 0;
        if (selector == TRANSFER_FROM) {
            if (second >> 160 != 0) {
                revert ISpendingLimitHook.SpendingLimit_DirtyAddressArgument(account, token, selector, 1);
            }
            uint256 third;
            assembly ("memory-safe") {
                third := calldataload(add(data.offset, 68))
            }
            return first == uint256(uint160(account)) ? third : 0;
        }
        // approve / increaseAllowance: an allowance the account grants itself is counted when used.
        return first == uint256(uint160(account)) ? 0 : second;
    }
}
