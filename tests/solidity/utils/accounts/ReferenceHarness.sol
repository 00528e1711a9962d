// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {BootstrapConfig, IERC7579Bootstrap} from "modulekit/accounts/erc7579/interfaces/IERC7579Bootstrap.sol";
import {ERC7579Precompiles} from "modulekit/deployment/precompiles/ERC7579Precompiles.sol";

import {OwnerValidator} from "../mocks/OwnerValidator.sol";
import {ERC7579Harness} from "./ERC7579Harness.sol";

/// @notice The ERC-7579 reference account (MSA, with hook support) behind its proxy, initialised
/// through its bootstrap with the owner's validator.
/// @dev The reference account picks the validator from the nonce key's top 20 bytes.
abstract contract ReferenceHarness is ERC7579Harness, ERC7579Precompiles {
    function accountName() internal pure override returns (string memory) {
        return "ReferenceMSA";
    }

    function deployAccount(address ownerKey) internal override returns (address) {
        placeEntryPointV07();
        address implementation = address(deployERC7579Account());
        IERC7579Bootstrap bootstrap = deployERC7579Bootstrap();
        ownersValidator = new OwnerValidator();
        BootstrapConfig[] memory validators = new BootstrapConfig[](1);
        validators[0] = BootstrapConfig(address(ownersValidator), abi.encode(ownerKey));
        BootstrapConfig[] memory none = new BootstrapConfig[](0);
        BootstrapConfig memory noHook;
        bytes memory init =
            abi.encode(address(bootstrap), abi.encodeCall(IERC7579Bootstrap.initMSA, (validators, none, noHook, none)));
        return deployMSAPRoxy(keccak256("leash"), implementation, init);
    }

    /// @dev Validators live in a sentinel list; the newest sits right after the sentinel `address(1)`.
    function uninstallValidatorCall(address validator) internal pure override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (1, validator, abi.encode(address(1), "")));
    }
}
