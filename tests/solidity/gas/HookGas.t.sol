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
    bytes internal pingData = abi.encodeCall(Target.ping, ());
    TestToken internal token;
    address internal keeper = makeAddr("keeper");
    address internal payee = makeAddr("payee");
    IAutomationExecutor.Task internal task;

    function setUp() public virtual override {
        super.setUp();
        token = new TestToken("USD");
        token.mint(address(account), 1_000_000e18);
        token.mint(payee, 1); // the recipient's balance slot is not fresh in any case
        vm.startPrank(address(ERC4337Utils.ENTRYPOINT_V08));
        task.id = 1;
        task.caller = keeper;
        task.target = address(token);
        task.callData = abi.encodeCall(IERC20.transfer, (payee, 1e18));
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0] = task;
        account.installModule(MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, tasks));
        _install(); // hooks last: installing the executor needs no approval yet
        vm.stopPrank();
    }

    function _policies() internal view returns (ISpendingLimitHook.TokenPolicy[] memory p) {
        p = new ISpendingLimitHook.TokenPolicy[](2);
        p[0] = policy(address(token), 1000e18, 1 days, 0);
        p[1] = policy(address(0), 10 ether, 1 days, 0);
    }

    function _install() internal virtual;

    function _name() internal pure virtual returns (string memory);

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
        vm.snapshotGasLastCall("HookGas", string.concat(_name(), "_erc20Transfer"));
        assertEq(token.balanceOf(payee), 1e18 + 1);
    }

    function test_gas_executeBatchOf10Erc20Transfers() public {
        Execution[] memory items = new Execution[](10);
        for (uint256 i; i < 10; ++i) {
            items[i] = Execution(address(token), 0, abi.encodeCall(IERC20.transfer, (payee, 1e18)));
        }
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.execute(modeBatch(), abi.encode(items));
        vm.snapshotGasLastCall("HookGas", string.concat(_name(), "_batchOf10Erc20Transfers"));
        assertEq(token.balanceOf(payee), 10e18 + 1);
    }

    function test_gas_executeTask() public {
        vm.prank(keeper);
        automation.executeTask(address(account), task);
        vm.snapshotGasLastCall("HookGas", string.concat(_name(), "_task"));
        assertEq(token.balanceOf(payee), 1e18 + 1);
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

contract HookGasSpendingAlone is HookGasBase {
    function _install() internal override {
        account.installModule(MODULE_TYPE_HOOK, address(spending), spendingInit(_policies()));
    }

    function _name() internal pure override returns (string memory) {
        return "spendingAlone";
    }
}

contract HookGasFullStack is HookGasBase {
    function _install() internal override {
        address[] memory hooks = new address[](3);
        bytes[] memory initData = new bytes[](3);
        hooks[0] = address(pauseHook);
        initData[0] = pauseInit();
        hooks[1] = address(allowlist);
        initData[1] = allowlistInit(IAllowlistHook.Mode.Allow, _perms());
        hooks[2] = address(spending);
        initData[2] = spendingInit(_policies());
        account.installModule(MODULE_TYPE_HOOK, address(mux), muxInit(hooks, initData));
    }

    function _name() internal pure override returns (string memory) {
        return "fullStack";
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

contract HookGasEngine is HookGasBase {
    function _install() internal override {
        account.installModule(
            MODULE_TYPE_HOOK,
            address(engine),
            engineInit(fullEngineConfig(IAllowlistHook.Mode.Allow, _perms(), _policies()))
        );
    }

    function _name() internal pure override returns (string memory) {
        return "engine";
    }
}
