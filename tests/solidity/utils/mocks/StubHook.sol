// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @dev A hook that does nothing; each mock overrides what it is about.
abstract contract StubHook is IERC7579Hook {
    function onInstall(bytes calldata) external virtual {}

    function onUninstall(bytes calldata) external virtual {}

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    function preCheck(address, uint256, bytes calldata) external virtual returns (bytes memory) {
        return "";
    }

    function postCheck(bytes calldata) external virtual {}
}
