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
        placeEntryPointV08();
        return address(new LeashTestAccount(ownerKey));
    }
}
