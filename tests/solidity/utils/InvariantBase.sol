// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {Test} from "forge-std/Test.sol";

import {LeashTestAccount} from "./LeashTestAccount.sol";

/// @notice What every invariant campaign's set-up shares: the test account with the module under
/// test installed by its owner, and a handler the campaign calls only through the actions it names.
abstract contract InvariantBase is Test {
    /// @dev A test account with `module` installed as `moduleType`, as its owner's UserOp would.
    function newAccountWith(uint256 moduleType, address module, bytes memory initData)
        internal
        returns (LeashTestAccount account)
    {
        account = new LeashTestAccount(address(0xA11CE));
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.installModule(moduleType, module, initData);
    }

    /// @dev The campaign calls `handler` alone, and only its functions `actions`.
    function targetActions(address handler, bytes4[] memory actions) internal {
        targetContract(handler);
        targetSelector(FuzzSelector({addr: handler, selectors: actions}));
    }
}
