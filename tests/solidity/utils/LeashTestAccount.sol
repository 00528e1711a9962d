// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccountERC7579} from "@openzeppelin/contracts/account/extensions/draft-AccountERC7579.sol";
import {AccountERC7579Hooked} from "@openzeppelin/contracts/account/extensions/draft-AccountERC7579Hooked.sol";
import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {IEntryPoint} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SignerECDSA} from "@openzeppelin/contracts/utils/cryptography/signers/SignerECDSA.sol";

/// @title LeashTestAccount
/// @notice The ERC-7579 account Leash is tested through: OpenZeppelin's hooked account with one
/// ECDSA owner. UserOps signed by the owner validate without a validator module; a UserOp whose
/// nonce key names an installed validator is validated by that module instead.
/// @dev OpenZeppelin 5.7 defaults to EntryPoint v0.9, which has no final release; the account is
/// pinned to v0.8, whose real bytecode the test bed places at the canonical address.
contract LeashTestAccount is AccountERC7579Hooked, SignerECDSA {
    constructor(address owner) SignerECDSA(owner) {}

    function entryPoint() public pure override returns (IEntryPoint) {
        return ERC4337Utils.ENTRYPOINT_V08;
    }

    /// @dev Owner signatures are checked by the ECDSA signer (AccountERC7579 alone refuses raw signatures).
    function _rawSignatureValidation(bytes32 hash, bytes calldata signature)
        internal
        view
        override(AccountERC7579, SignerECDSA)
        returns (bool)
    {
        return SignerECDSA._rawSignatureValidation(hash, signature);
    }
}
