// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {Execution, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {MODULE_TYPE_EXECUTOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {TestToken} from "../utils/mocks/Tokens.sol";

import {LeashTestBase} from "../utils/LeashTestBase.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @notice Gas of one `execute` from the EntryPoint, cold (each test is its own transaction),
/// recorded into `snapshots/HookGas.json`. The bare account (no hook) is the baseline; the
/// difference is each configuration's overhead. Checked against the committed snapshot in CI.
abstract contract HookGasBase is LeashTestBase {
    TestToken internal token;
    address internal keeper = makeAddr("keeper");
    address internal payee = makeAddr("payee");
    IAutomationExecutor.Task internal task;
    string internal configName;

    function setUp() public virtual override {
        super.setUp();
        token = fundedToken("USD", 1_000_000e18);
        token.mint(payee, 1); // the recipient's balance slot is not fresh in any case
        vm.startPrank(address(ERC4337Utils.ENTRYPOINT_V08));
        task.id = 1;
        task.caller = keeper;
        task.target = address(token);
        task.callData = abi.encodeCall(IERC20.transfer, (payee, 1e18));
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0] = task;
        account.installModule(MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, tasks));
        // Hooks last: installing the executor needs no approval yet.
        address hook;
        bytes memory initData;
        (configName, hook, initData) = _configuration();
        if (hook != address(0)) account.installModule(MODULE_TYPE_HOOK, hook, initData);
        vm.stopPrank();
    }

    function _policies() internal view returns (ISpendingLimitHook.TokenPolicy[] memory p) {
        p = new ISpendingLimitHook.TokenPolicy[](2);
        p[0] = policy(address(token), 1000e18, 1 days, 0);
        p[1] = policy(address(0), 10 ether, 1 days, 0);
    }

    /// @dev The configuration measured: its name in the snapshot, and the hook installed with its
    /// install data (none: the bare account).
    function _configuration() internal view virtual returns (string memory, address, bytes memory);

    function _perms() internal view returns (IAllowlistHook.Permission[] memory p) {
        p = new IAllowlistHook.Permission[](3);
        p[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
        p[1] = IAllowlistHook.Permission(address(other), bytes4(0));
        p[2] = IAllowlistHook.Permission(address(token), IERC20.transfer.selector);
    }

    function test_gas_executeErc20Transfer() public {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(
            modeSingle(), abi.encodePacked(address(token), uint256(0), abi.encodeCall(IERC20.transfer, (payee, 1e18)))
        );
        vm.snapshotGasLastCall("HookGas", string.concat(configName, "_erc20Transfer"));
        assertEq(token.balanceOf(payee), 1e18 + 1);
    }

    function test_gas_executeBatchOf10Erc20Transfers() public {
        Execution[] memory items = new Execution[](10);
        for (uint256 i; i < 10; ++i) {
            items[i] = Execution(address(token), 0, abi.encodeCall(IERC20.transfer, (payee, 1e18)));
        }
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(modeBatch(), abi.encode(items));
        vm.snapshotGasLastCall("HookGas", string.concat(configName, "_batchOf10Erc20Transfers"));
        assertEq(token.balanceOf(payee), 10e18 + 1);
    }

    function test_gas_executeTask() public {
        vm.prank(keeper);
        automation.executeTask(address(account), task);
        vm.snapshotGasLastCall("HookGas", string.concat(configName, "_task"));
        assertEq(token.balanceOf(payee), 1e18 + 1);
    }

    function test_gas_executeCall() public {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(modeSingle(), abi.encodePacked(address(target), uint256(0), ping));
        vm.snapshotGasLastCall("HookGas", string.concat(configName, "_call"));
        assertEq(target.pings(), 1);
    }

    function test_gas_executeNativeTransfer() public {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(modeSingle(), abi.encodePacked(address(other), uint256(1 ether)));
        vm.snapshotGasLastCall("HookGas", string.concat(configName, "_nativeTransfer"));
        assertEq(other.received(), 1 ether);
    }
}

contract HookGasBare is HookGasBase {
    function _configuration() internal pure override returns (string memory, address, bytes memory) {
        return ("bare", address(0), "");
    }
}

contract HookGasPauseAlone is HookGasBase {
    function _configuration() internal view override returns (string memory, address, bytes memory) {
        return ("pauseAlone", address(pauseHook), pauseInit());
    }
}

contract HookGasAllowlistAlone is HookGasBase {
    function _configuration() internal view override returns (string memory, address, bytes memory) {
        return ("allowlistAlone", address(allowlist), allowlistInit(IAllowlistHook.Mode.Allow, _perms()));
    }
}

contract HookGasSpendingAlone is HookGasBase {
    function _configuration() internal view override returns (string memory, address, bytes memory) {
        return ("spendingAlone", address(spending), spendingInit(_policies()));
    }
}

contract HookGasFullStack is HookGasBase {
    function _configuration() internal view override returns (string memory, address, bytes memory) {
        return ("fullStack", address(mux), stackInit(IAllowlistHook.Mode.Allow, _perms(), true, _policies()));
    }
}

contract HookGasMultiplexerEmpty is HookGasBase {
    function _configuration() internal view override returns (string memory, address, bytes memory) {
        return ("multiplexerEmpty", address(mux), muxInit(new address[](0), new bytes[](0)));
    }
}

contract HookGasPart1Stack is HookGasBase {
    function _configuration() internal view override returns (string memory, address, bytes memory) {
        return ("multiplexerPauseAllowlist", address(mux), stackInit(IAllowlistHook.Mode.Allow, _perms()));
    }
}

contract HookGasEngine is HookGasBase {
    function _configuration() internal view override returns (string memory, address, bytes memory) {
        return
            ("engine", address(engine), engineInit(fullEngineConfig(IAllowlistHook.Mode.Allow, _perms(), _policies())));
    }
}
