// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @dev A third-party policy written against the documented sub-hook convention only (no Leash
/// base contract): it trusts one multiplexer, reads the account from the 20-byte suffix, caps
/// the value of a single execution, and asks for a postCheck to count executions.
contract MaxValueSubHook is IERC7579Hook {
    error MaxValueExceeded(address account, uint256 value, uint256 max);
    error UnknownAccount(address account);

    address public immutable multiplexer;
    mapping(address account => uint256) public maxValue;
    mapping(address account => uint256) public postChecks;

    constructor(address multiplexer_) {
        multiplexer = multiplexer_;
    }

    function _account() internal view returns (address account) {
        if (msg.sender != multiplexer) return msg.sender;
        account = address(bytes20(msg.data[msg.data.length - 20:]));
    }

    function onInstall(bytes calldata data) external {
        maxValue[_account()] = abi.decode(data, (uint256));
    }

    function onUninstall(bytes calldata) external {
        delete maxValue[_account()];
    }

    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    function preCheck(address, uint256, bytes calldata msgData) external view returns (bytes memory) {
        address account = _account();
        uint256 max = maxValue[account];
        require(max != 0, UnknownAccount(account));
        // Single-mode execute only: value sits after mode, offset, length and the 20-byte target.
        uint256 value = uint256(bytes32(msgData[4 + 96 + 20:4 + 96 + 52]));
        require(value <= max, MaxValueExceeded(account, value, max));
        return abi.encode(account);
    }

    function postCheck(bytes calldata hookData) external {
        address account = _account();
        require(abi.decode(hookData, (address)) == account, UnknownAccount(account));
        ++postChecks[account];
    }
}
