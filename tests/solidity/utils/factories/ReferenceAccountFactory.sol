// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

/// @notice Makes ERC-7579 reference accounts (MSA) at counterfactual addresses, with the
/// reference factory's interface: the account proxy (its creation code given at construction, as
/// the compiled reference proxy ships) pointing at `implementation`, initialised with `initCode`
/// (`abi.encode(bootstrap, bootstrapCall)`), at an address fixed by the salt and `initCode`.
contract ReferenceAccountFactory {
    address public immutable implementation;
    bytes public proxyCode;

    constructor(address implementation_, bytes memory proxyCode_) {
        implementation = implementation_;
        proxyCode = proxyCode_;
    }

    /// @notice The account of `salt` and `initCode`, created unless it exists already.
    function createAccount(bytes32 salt, bytes calldata initCode) external payable returns (address account) {
        account = getAddress(salt, initCode);
        if (account.code.length == 0) {
            Create2.deploy(msg.value, _salt(salt, initCode), _creationCode(initCode));
        }
    }

    /// @notice Where `createAccount(salt, initCode)` puts the account.
    function getAddress(bytes32 salt, bytes calldata initCode) public view returns (address) {
        return Create2.computeAddress(_salt(salt, initCode), keccak256(_creationCode(initCode)));
    }

    function _salt(bytes32 salt, bytes calldata initCode) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(salt, initCode));
    }

    /// @dev The proxy's constructor takes `(implementation, initializeAccount(initCode))`.
    function _creationCode(bytes calldata initCode) private view returns (bytes memory) {
        bytes memory init = abi.encodeWithSignature("initializeAccount(bytes)", initCode);
        return abi.encodePacked(proxyCode, abi.encode(implementation, init));
    }
}
