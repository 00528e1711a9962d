// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @dev On uninstall: burns every unit of gas it is given.
contract GasBurnerSubHook is IERC7579Hook {
    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external pure {
        while (true) {}
    }

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    function preCheck(address, uint256, bytes calldata) external pure returns (bytes memory) {
        return "";
    }

    function postCheck(bytes calldata) external {}
}

/// @dev On uninstall: reverts with as much return data as its gas can pay for.
contract ReturnBombSubHook is IERC7579Hook {
    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external view {
        uint256 size = gasleft() * 4; // memory expansion makes the exact figure moot: it is huge
        assembly {
            revert(0, size)
        }
    }

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    function preCheck(address, uint256, bytes calldata) external pure returns (bytes memory) {
        return "";
    }

    function postCheck(bytes calldata) external {}
}

/// @dev Asks an executor to run something on the account from inside another execution.
contract ExecutorTrigger {
    function fire(address executor, address account, address target, bytes calldata data) external {
        (bool ok, bytes memory ret) = executor.call(
            abi.encodeWithSignature("run(address,address,uint256,bytes)", account, target, uint256(0), data)
        );
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
