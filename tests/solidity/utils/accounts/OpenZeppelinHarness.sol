// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashTestAccount} from "../LeashTestAccount.sol";
import {ERC7579Harness} from "./ERC7579Harness.sol";

/// @notice OpenZeppelin 5.7's hooked ERC-7579 account with one ECDSA owner, on EntryPoint v0.8.
/// @dev The owner's own signature validates on nonce key 0; a key whose top 20 bytes name an
/// installed validator routes the UserOp to it.
abstract contract OpenZeppelinHarness is ERC7579Harness {
    function accountName() internal pure override returns (string memory) {
        return "OpenZeppelin";
    }

    function deployAccount(address ownerKey) internal override returns (address) {
        placeEntryPoint(
            "node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json",
            0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108
        );
        return address(new LeashTestAccount(ownerKey));
    }
}
