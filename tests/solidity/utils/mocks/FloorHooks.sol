// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @notice A hook that checks nothing: what an account pays to call any hook at all (its cold
/// call, its encoding of `preCheck` and `postCheck`, the two calls' dispatch).
contract NoopHook is IERC7579Hook {
    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external {}

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    function preCheck(address, uint256, bytes calldata) external pure returns (bytes memory) {
        return "";
    }

    function postCheck(bytes calldata) external {}
}

/// @notice The least a pause can do: one cold slot per account, read by `preCheck`. Its figure is
/// the floor under any hook that keeps per-account state.
contract OneSlotPauseHook is IERC7579Hook {
    mapping(address account => uint256) internal _pausedUntil;

    error Paused(uint256 until);

    function onInstall(bytes calldata) external {
        _pausedUntil[msg.sender] = 1; // non-zero, as a real hook's installed state
    }

    function onUninstall(bytes calldata) external {}

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    function preCheck(address, uint256, bytes calldata) external view returns (bytes memory) {
        uint256 until = _pausedUntil[msg.sender];
        require(block.timestamp >= until, Paused(until));
        return "";
    }

    function postCheck(bytes calldata) external {}
}
