// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashEOAAccount} from "../../../../contracts/eoa/LeashEOAAccount.sol";
import {LeashTestAccount} from "../LeashTestAccount.sol";
import {ERC7579Harness} from "./ERC7579Harness.sol";

/// @notice OpenZeppelin 5.7's hooked ERC-7579 account with one ECDSA owner, on EntryPoint v0.8.
/// @dev The owner's own signature validates on nonce key 0; a key whose top 20 bytes name an
/// installed validator routes the UserOp to it.
abstract contract OpenZeppelinHarness is ERC7579Harness {
    function accountName() internal pure virtual override returns (string memory) {
        return "OpenZeppelin";
    }

    function deployAccount(address ownerKey) internal virtual override returns (address) {
        placeEntryPointV08();
        return address(new LeashTestAccount(ownerKey));
    }
}

/// @notice An existing EOA (the owner's key) delegated with EIP-7702 to LeashEOAAccount, the same
/// OpenZeppelin account with the EOA's own key as its signer: the account is the owner's address,
/// and the owner's path is its own signature (nonce key 0).
abstract contract EIP7702Harness is OpenZeppelinHarness {
    function accountName() internal pure override returns (string memory) {
        return "EIP-7702 EOA";
    }

    function deployAccount(address ownerKey) internal override returns (address) {
        placeEntryPointV08();
        LeashEOAAccount implementation = new LeashEOAAccount();
        // The owner signs the authorization; the next call carries it, as a type-4 transaction.
        vm.signAndAttachDelegation(address(implementation), owner.privateKey);
        (bool ok,) = payable(ownerKey).call("");
        require(ok && ownerKey.code.length == 23, "the EOA did not delegate");
        return ownerKey;
    }
}
