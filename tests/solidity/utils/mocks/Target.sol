// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev A contract the agent calls in tests; counts what reached it.
contract Target {
    uint256 public pings;
    uint256 public pongs;
    uint256 public received;

    function ping() external payable {
        ++pings;
    }

    function pong() external payable {
        ++pongs;
    }

    receive() external payable {
        received += msg.value;
    }

    fallback() external payable {
        received += msg.value;
    }
}
