// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StubHook} from "./StubHook.sol";

/// @dev A hostile sub-hook: refuses to be uninstalled, and refuses every execution.
contract BrickSubHook is StubHook {
    error NoWay();

    function onUninstall(bytes calldata) external pure override {
        revert NoWay();
    }

    function preCheck(address, uint256, bytes calldata) external pure override returns (bytes memory) {
        revert NoWay();
    }
}
