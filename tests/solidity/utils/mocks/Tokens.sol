// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev A plain ERC-20 with open minting, plus `increaseAllowance` and a `permit`-like function
/// that could move allowance unseen.
contract TestToken is ERC20 {
    constructor(string memory name) ERC20(name, name) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function increaseAllowance(address spender, uint256 added) external returns (bool) {
        _approve(msg.sender, spender, allowance(msg.sender, spender) + added);
        return true;
    }

    function decreaseAllowance(address spender, uint256 removed) external returns (bool) {
        _approve(msg.sender, spender, allowance(msg.sender, spender) - removed);
        return true;
    }

    /// @dev Stands in for permit / transferAndCall: moves tokens through a function Leash does not count.
    function transferAndCall(address to, uint256 amount, bytes calldata) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }
}

/// @dev Burns 1% of every transfer: the recipient gets less than the amount counted.
contract FeeOnTransferToken is TestToken {
    constructor() TestToken("FEE") {}

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/// @dev Returns false instead of reverting, and moves nothing.
contract FalseReturningToken is TestToken {
    constructor() TestToken("FALSE") {}

    function transfer(address, uint256) public pure override returns (bool) {
        return false;
    }
}

/// @dev Six decimals, like USDC.
contract SixDecimalToken is TestToken {
    constructor(string memory name) TestToken(name) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
