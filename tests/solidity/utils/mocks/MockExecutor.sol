// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    IERC7579Execution,
    IERC7579Module,
    MODULE_TYPE_EXECUTOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @dev A bare executor module: runs whatever it is told through `executeFromExecutor`.
contract MockExecutor is IERC7579Module {
    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external {}

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_EXECUTOR;
    }

    function run(address account, address target, uint256 value, bytes calldata data)
        external
        returns (bytes[] memory)
    {
        return IERC7579Execution(account).executeFromExecutor(bytes32(0), abi.encodePacked(target, value, data));
    }
}
