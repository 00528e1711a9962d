// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC7484} from "modulekit/Interfaces.sol";
import {INexusBootstrap} from "modulekit/accounts/nexus/interfaces/INexusBootstrap.sol";
import {IERC7579Module} from "modulekit/accounts/nexus/interfaces/INexusBootstrap.sol";
import {NexusPrecompiles} from "modulekit/deployment/precompiles/NexusPrecompiles.sol";

import {OwnerValidator} from "../mocks/OwnerValidator.sol";
import {ERC7579Harness} from "./ERC7579Harness.sol";

/// @notice Biconomy's Nexus behind its proxy, initialised through its bootstrap with the owner's
/// validator and no module registry.
/// @dev Nexus reads the validator from bytes 4..24 of the nonce (after a mode byte): the key's low
/// 20 bytes with mode 0x00 (validate).
abstract contract NexusHarness is ERC7579Harness, NexusPrecompiles {
    function accountName() internal pure override returns (string memory) {
        return "Nexus";
    }

    function nonceKey(address validator) internal pure override returns (uint192) {
        return uint192(uint160(validator));
    }

    function deployAccount(address ownerKey) internal override returns (address) {
        placeEntryPointV07();
        address implementation = deployNexus(ENTRYPOINT_V07);
        INexusBootstrap bootstrap = deployNexusBootstrap();
        ownersValidator = new OwnerValidator();
        bytes memory init = abi.encode(
            address(bootstrap),
            abi.encodeCall(
                INexusBootstrap.initNexusWithSingleValidator,
                (
                    IERC7579Module(address(ownersValidator)),
                    abi.encode(ownerKey),
                    IERC7484(address(0)),
                    new address[](0),
                    0
                )
            )
        );
        return deployNexusProxy(keccak256("leash"), implementation, init);
    }

    /// @dev Validators live in a sentinel list; the newest sits right after the sentinel `address(1)`.
    function uninstallValidatorCall(address validator) internal pure override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (1, validator, abi.encode(address(1), "")));
    }
}
