// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev A contract the agent calls in tests; counts what reached it.
contract Target {
    uint256 public pings;
    uint256 public pongs;
    uint256 public received;
    uint256 public swapped;

    function ping() external payable {
        ++pings;
    }

    function pong() external payable {
        ++pongs;
    }

    /// @dev Stands for a swap: `amountIn` is a value the call names that no token limit sees.
    function swap(uint256 amountIn, uint256) external {
        swapped += amountIn;
    }

    receive() external payable {
        received += msg.value;
    }

    fallback() external payable {
        received += msg.value;
    }
}
