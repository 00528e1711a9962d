// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {LeashTestBase} from "../utils/LeashTestBase.sol";
import {NoopHook, OneSlotPauseHook} from "../utils/mocks/FloorHooks.sol";
import {TestToken} from "../utils/mocks/Tokens.sol";

/// @notice The floor under the "alone" rows of HookGas.json: the same ERC-20 transfer (cold, from
/// the EntryPoint's address) through a hook that checks nothing, and through the least a pause can
/// be (one cold slot). Recorded into `snapshots/HookFloorGas.json`; the overhead is the difference
/// to HookGas.json's `bare_erc20Transfer`, measured the same way.
abstract contract HookFloorGasBase is LeashTestBase {
    TestToken internal token;
    address internal payee = makeAddr("payee");

    function setUp() public override {
        super.setUp();
        token = new TestToken("USD");
        token.mint(address(account), 1_000_000e18);
        token.mint(payee, 1); // the recipient's balance slot is not fresh in any case
        address installed = hook();
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.installModule(MODULE_TYPE_HOOK, installed, "");
    }

    function hook() internal virtual returns (address);

    function name() internal pure virtual returns (string memory);

    function test_gas_executeErc20Transfer() public {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(
            modeSingle(), abi.encodePacked(address(token), uint256(0), abi.encodeCall(IERC20.transfer, (payee, 1e18)))
        );
        vm.snapshotGasLastCall("HookFloorGas", string.concat(name(), "_erc20Transfer"));
        assertEq(token.balanceOf(payee), 1e18 + 1);
    }
}

contract HookFloorGasNoop is HookFloorGasBase {
    function hook() internal override returns (address) {
        return address(new NoopHook());
    }

    function name() internal pure override returns (string memory) {
        return "noopHook";
    }
}

contract HookFloorGasOneSlotPause is HookFloorGasBase {
    function hook() internal override returns (address) {
        return address(new OneSlotPauseHook());
    }

    function name() internal pure override returns (string memory) {
        return "oneSlotPause";
    }
}
