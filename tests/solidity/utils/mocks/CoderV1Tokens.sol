// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev An ERC-20 that reads its address arguments the way ABI coder v1 does: it masks a word to
/// its low 160 bits instead of reverting on non-zero upper bits (coder v2, which this 0.8 compiler
/// always uses for typed parameters, reverts). So every function that takes an address goes
/// through the fallback, which reads the raw calldata words itself.
abstract contract CoderV1Token {
    bytes4 internal constant TRANSFER = 0xa9059cbb; // transfer(address,uint256)
    bytes4 internal constant APPROVE = 0x095ea7b3; // approve(address,uint256)
    bytes4 internal constant TRANSFER_FROM = 0x23b872dd; // transferFrom(address,address,uint256)
    bytes4 internal constant INCREASE_ALLOWANCE = 0x39509351; // increaseAllowance(address,uint256)
    bytes4 internal constant DECREASE_ALLOWANCE = 0xa457c2d7; // decreaseAllowance(address,uint256)

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    mapping(address => uint256) internal _balances;
    mapping(address => mapping(address => uint256)) internal _allowances;

    /// @dev Open minting, with a typed (clean) address: only test set-up calls it.
    function mint(address to, uint256 amount) external {
        _balances[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function balanceOf(address owner) external view returns (uint256) {
        return _balances[owner];
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @dev `transfer`, `approve`, `transferFrom`, `increaseAllowance`, `decreaseAllowance`, with
    /// their arguments read as coder v1 would. Returns `abi.encode(true)`; failures revert.
    fallback(bytes calldata) external returns (bytes memory) {
        bytes4 selector = msg.sig;
        if (selector == TRANSFER) {
            _move(msg.sender, _addressArg(0), _uintArg(1));
        } else if (selector == APPROVE) {
            _approve(msg.sender, _addressArg(0), _uintArg(1));
        } else if (selector == INCREASE_ALLOWANCE) {
            address spender = _addressArg(0);
            _approve(msg.sender, spender, _allowances[msg.sender][spender] + _uintArg(1));
        } else if (selector == DECREASE_ALLOWANCE) {
            address spender = _addressArg(0);
            _approve(msg.sender, spender, _allowances[msg.sender][spender] - _uintArg(1));
        } else if (selector == TRANSFER_FROM) {
            (address from, address to, uint256 amount) = (_addressArg(0), _addressArg(1), _uintArg(2));
            if (_needsAllowance(from)) {
                uint256 allowed = _allowances[from][msg.sender];
                if (allowed != type(uint256).max) {
                    require(allowed >= amount, "allowance");
                    _allowances[from][msg.sender] = allowed - amount;
                }
            }
            _move(from, to, amount);
        } else {
            revert("unknown function");
        }
        return abi.encode(true);
    }

    /// @dev Whether `transferFrom(from, ...)` called by msg.sender spends an allowance.
    function _needsAllowance(address from) internal view virtual returns (bool);

    /// @dev Argument `i` as coder v1 reads an address: the low 160 bits of the word, the rest ignored.
    function _addressArg(uint256 i) internal pure returns (address a) {
        require(msg.data.length >= 36 + 32 * i, "short calldata");
        assembly ("memory-safe") {
            a := and(calldataload(add(4, mul(32, i))), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    function _uintArg(uint256 i) internal pure returns (uint256 v) {
        require(msg.data.length >= 36 + 32 * i, "short calldata");
        assembly ("memory-safe") {
            v := calldataload(add(4, mul(32, i)))
        }
    }

    function _move(address from, address to, uint256 amount) internal {
        require(_balances[from] >= amount, "balance");
        _balances[from] -= amount;
        _balances[to] += amount;
        emit Transfer(from, to, amount);
    }

    function _approve(address owner, address spender, uint256 amount) internal {
        _allowances[owner][spender] = amount;
        emit Approval(owner, spender, amount);
    }
}

/// @dev WETH9's rules: `transferFrom(src, ...)` needs no allowance when src == msg.sender. With the
/// masked read, `transferFrom(account | 1 << 160, attacker, x)` sent by the account moves the
/// account's own tokens with no allowance at all.
contract Weth9LikeToken is CoderV1Token {
    function _needsAllowance(address from) internal view override returns (bool) {
        return from != msg.sender;
    }
}

/// @dev An ordinary ERC-20 (OpenZeppelin's rules: `transferFrom` always spends an allowance, even
/// the caller's own) that reads its arguments as coder v1 does. The dirty word is the account here
/// too once the account has approved itself.
contract MaskingToken is CoderV1Token {
    function _needsAllowance(address) internal pure override returns (bool) {
        return true;
    }
}
