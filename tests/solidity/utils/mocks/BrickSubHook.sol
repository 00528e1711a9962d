// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @dev A hostile sub-hook: refuses to be uninstalled, and refuses every execution.
contract BrickSubHook is IERC7579Hook {
    error NoWay();

    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external pure {
        revert NoWay();
    }

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    function preCheck(address, uint256, bytes calldata) external pure returns (bytes memory) {
        revert NoWay();
    }

    function postCheck(bytes calldata) external {}
}
