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
        bytes4 selector = bytes4(data);
        if (data.length < 4) {
            revert ISpendingLimitHook.SpendingLimit_MalformedTokenCall(account, token, selector, data.length);
        }
        uint256 need = selector == TRANSFER_FROM ? 100 : 68;
        if (
            selector != TRANSFER && selector != APPROVE && selector != INCREASE_ALLOWANCE
                && selector != DECREASE_ALLOWANCE && selector != TRANSFER_FROM
        ) revert ISpendingLimitHook.SpendingLimit_UnsupportedTokenCall(account, token, selector);
        if (data.length < need) {
            revert ISpendingLimitHook.SpendingLimit_MalformedTokenCall(account, token, selector, data.length);
        }
        uint256 first = uint256(bytes32(data[4:36]));
        if (first >> 160 != 0) {
            revert ISpendingLimitHook.SpendingLimit_DirtyAddressArgument(account, token, selector, 0);
        }
        if (selector == TRANSFER) return uint256(bytes32(data[36:68]));
        if (selector == DECREASE_ALLOWANCE) return 0;
        if (selector == TRANSFER_FROM) {
            if (uint256(bytes32(data[36:68])) >> 160 != 0) {
                revert ISpendingLimitHook.SpendingLimit_DirtyAddressArgument(account, token, selector, 1);
            }
            return first == uint256(uint160(account)) ? uint256(bytes32(data[68:100])) : 0;
        }
        // approve / increaseAllowance: an allowance the account grants itself is counted when used.
        return first == uint256(uint160(account)) ? 0 : uint256(bytes32(data[36:68]));
    }
}
