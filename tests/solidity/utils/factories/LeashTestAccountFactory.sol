// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

import {LeashTestAccount} from "../LeashTestAccount.sol";

/// @notice Makes LeashTestAccounts at counterfactual addresses: one per (owner, salt), the same
/// address before and after it exists (`cargo xtask account create --kind oz` on the local chain).
contract LeashTestAccountFactory {
    event AccountCreated(address indexed account, address indexed owner, bytes32 salt);

    /// @notice The account of `owner` and `salt`, created unless it exists already.
    function createAccount(address owner, bytes32 salt) external returns (address account) {
        account = getAddress(owner, salt);
        if (account.code.length == 0) {
            new LeashTestAccount{salt: salt}(owner);
            emit AccountCreated(account, owner, salt);
        }
    }

    /// @notice Where `createAccount(owner, salt)` puts the account.
    function getAddress(address owner, bytes32 salt) public view returns (address) {
        bytes memory code = abi.encodePacked(type(LeashTestAccount).creationCode, abi.encode(owner));
        return Create2.computeAddress(salt, keccak256(code));
    }
}
