// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashEOAAccount} from "../../../../contracts/eoa/LeashEOAAccount.sol";
import {ERC7579Harness} from "./ERC7579Harness.sol";

/// @notice An existing EOA (the owner's key) delegated with EIP-7702 to LeashEOAAccount: the
/// account is the owner's own address, and the owner's path is its own signature (nonce key 0).
abstract contract EIP7702Harness is ERC7579Harness {
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
