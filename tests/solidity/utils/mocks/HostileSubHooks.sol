// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StubHook} from "./StubHook.sol";

/// @dev On uninstall: burns every unit of gas it is given.
contract GasBurnerSubHook is StubHook {
    function onUninstall(bytes calldata) external pure override {
        while (true) {}
    }
}

/// @dev On uninstall: reverts with as much return data as its gas can pay for.
contract ReturnBombSubHook is StubHook {
    function onUninstall(bytes calldata) external view override {
        uint256 size = gasleft() * 4; // memory expansion makes the exact figure moot: it is huge
        assembly {
            revert(0, size)
        }
    }
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
