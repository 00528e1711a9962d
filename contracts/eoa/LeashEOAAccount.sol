// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccountERC7579} from "@openzeppelin/contracts/account/extensions/draft-AccountERC7579.sol";
import {AccountERC7579Hooked} from "@openzeppelin/contracts/account/extensions/draft-AccountERC7579Hooked.sol";
import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {IEntryPoint} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SignerEIP7702} from "@openzeppelin/contracts/utils/cryptography/signers/SignerEIP7702.sol";

/// @title LeashEOAAccount
/// @notice The ERC-7579 account an existing EOA delegates to with EIP-7702, so that it can put an
/// agent on a leash without moving its assets: the EOA keeps its address and balance, its own
/// key signs its own UserOps (nonce key 0), and the agent's key lives in AgentValidator (a UserOp
/// whose nonce key names an installed validator is that validator's). The one hook it runs is the
/// policy engine or the multiplexer.
/// @dev OpenZeppelin's hooked account with the EIP-7702 signer, stateless itself (the modules
/// keep their state in their own storage; the account's module lists live in the EOA's storage).
/// Pinned to EntryPoint v0.8, the first that supports EIP-7702 senders. The EOA's key remains
/// the EOA's: it can send its own transactions and re-delegate at any time, so on this account
/// the authority model binds the agent, its sessions and the keepers, not the person holding
/// the EOA's key (docs/COMPATIBILITY.md).
contract LeashEOAAccount is AccountERC7579Hooked, SignerEIP7702 {
    function entryPoint() public pure override returns (IEntryPoint) {
        return ERC4337Utils.ENTRYPOINT_V08;
    }

    /// @dev The EOA's own signature (AccountERC7579 alone refuses raw signatures).
    function _rawSignatureValidation(bytes32 hash, bytes calldata signature)
        internal
        view
        override(AccountERC7579, SignerEIP7702)
        returns (bool)
    {
        return SignerEIP7702._rawSignatureValidation(hash, signature);
    }
}
