// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @dev The person's own key as a validator, on accounts that have no built-in owner: accepts any
/// operation the owner signed (65-byte ECDSA over the raw hash). Install data: `abi.encode(owner)`.
contract OwnerValidator {
    mapping(address account => address owner) public ownerOf;

    function onInstall(bytes calldata data) external {
        ownerOf[msg.sender] = abi.decode(data, (address));
    }

    function onUninstall(bytes calldata) external {
        delete ownerOf[msg.sender];
    }

    /// @dev The account hands its owner path to a new key, as real owner validators allow
    /// (`transferOwnership`, `addOwner`): a call the agent must never make through the account.
    function setOwner(address owner) external {
        ownerOf[msg.sender] = owner;
    }

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == 1;
    }

    function isInitialized(address account) external view returns (bool) {
        return ownerOf[account] != address(0);
    }

    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash) external view returns (uint256) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(userOpHash, userOp.signature);
        return err == ECDSA.RecoverError.NoError && signer == ownerOf[msg.sender] ? 0 : 1;
    }

    function isValidSignatureWithSender(address, bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return
            err == ECDSA.RecoverError.NoError && signer == ownerOf[msg.sender] ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
