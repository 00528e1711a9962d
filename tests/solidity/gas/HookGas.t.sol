// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";

import {LeashTestBase} from "../utils/LeashTestBase.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @notice Gas of one `execute` from the EntryPoint, cold (each test is its own transaction),
/// recorded into `snapshots/HookGas.json`. The bare account (no hook) is the baseline; the
/// difference is each configuration's overhead. Checked against the committed snapshot in CI.
abstract contract HookGasBase is LeashTestBase {
    bytes internal pingData = abi.encodeCall(Target.ping, ());

    function setUp() public virtual override {
        super.setUp();
        vm.startPrank(address(ERC4337Utils.ENTRYPOINT_V08));
        _install();
        vm.stopPrank();
    }

    function _install() internal virtual;

    function _name() internal pure virtual returns (string memory);

    function _perms() internal view returns (IAllowlistHook.Permission[] memory p) {
        p = new IAllowlistHook.Permission[](2);
        p[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
        p[1] = IAllowlistHook.Permission(address(other), bytes4(0));
    }

    function test_gas_executeCall() public {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(modeSingle(), abi.encodePacked(address(target), uint256(0), pingData));
        vm.snapshotGasLastCall("HookGas", string.concat(_name(), "_call"));
        assertEq(target.pings(), 1);
    }

    function test_gas_executeNativeTransfer() public {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(modeSingle(), abi.encodePacked(address(other), uint256(1 ether)));
        vm.snapshotGasLastCall("HookGas", string.concat(_name(), "_nativeTransfer"));
        assertEq(other.received(), 1 ether);
    }
}

contract HookGasBare is HookGasBase {
    function _install() internal override {}

    function _name() internal pure override returns (string memory) {
        return "bare";
    }
}

contract HookGasPauseAlone is HookGasBase {
    function _install() internal override {
        account.installModule(MODULE_TYPE_HOOK, address(pauseHook), pauseInit());
    }

    function _name() internal pure override returns (string memory) {
        return "pauseAlone";
    }
}

contract HookGasAllowlistAlone is HookGasBase {
    function _install() internal override {
        account.installModule(MODULE_TYPE_HOOK, address(allowlist), allowlistInit(IAllowlistHook.Mode.Allow, _perms()));
    }

    function _name() internal pure override returns (string memory) {
        return "allowlistAlone";
    }
}

contract HookGasMultiplexerEmpty is HookGasBase {
    function _install() internal override {
        account.installModule(MODULE_TYPE_HOOK, address(mux), muxInit(new address[](0), new bytes[](0)));
    }

    function _name() internal pure override returns (string memory) {
        return "multiplexerEmpty";
    }
}

contract HookGasPart1Stack is HookGasBase {
    function _install() internal override {
        address[] memory hooks = new address[](2);
        bytes[] memory initData = new bytes[](2);
        hooks[0] = address(pauseHook);
        initData[0] = pauseInit();
        hooks[1] = address(allowlist);
        initData[1] = allowlistInit(IAllowlistHook.Mode.Allow, _perms());
        account.installModule(MODULE_TYPE_HOOK, address(mux), muxInit(hooks, initData));
    }

    function _name() internal pure override returns (string memory) {
        return "multiplexerPauseAllowlist";
    }
}
