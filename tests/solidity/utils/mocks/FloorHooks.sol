// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StubHook} from "./StubHook.sol";

/// @notice A hook that checks nothing: what an account pays to call any hook at all (its cold
/// call, its encoding of `preCheck` and `postCheck`, the two calls' dispatch).
contract NoopHook is StubHook {}

/// @notice The least a pause can do: one cold slot per account, read by `preCheck`. Its figure is
/// the floor under any hook that keeps per-account state.
contract OneSlotPauseHook is StubHook {
    mapping(address account => uint256) internal _pausedUntil;

    error Paused(uint256 until);

    function onInstall(bytes calldata) external override {
        _pausedUntil[msg.sender] = 1; // non-zero, as a real hook's installed state
    }

    function preCheck(address, uint256, bytes calldata) external view override returns (bytes memory) {
        uint256 until = _pausedUntil[msg.sender];
        require(block.timestamp >= until, Paused(until));
        return "";
    }
}
