// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Vm} from "forge-std/Test.sol";

import {IPolicyEngine} from "../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../../../contracts/libraries/ExecutionDecoder.sol";

import {KernelHarness} from "../utils/accounts/KernelHarness.sol";
import {LeashAccountBase} from "../utils/accounts/LeashAccountSuite.sol";
import {NexusHarness} from "../utils/accounts/NexusHarness.sol";
import {EIP7702Harness, OpenZeppelinHarness} from "../utils/accounts/OpenZeppelinHarness.sol";
import {ReferenceHarness} from "../utils/accounts/ReferenceHarness.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";

/// @notice Gas of Leash on each account, cold (set-up installs; each test is its own
/// transaction), recorded into `snapshots/AccountGas.json`. One ERC-20 transfer each:
///   - `userOp_owner_noHook`: a whole `handleOps` of one UserOp signed by the owner, no hook;
///   - `userOp_agent_fullStack`: the same signed by the agent's key through AgentValidator, with
///     the full stack (multiplexer -> pause, allowlist, spending);
///   - `execute_noHook` / `execute_fullStack`: the EntryPoint's `execute` call alone.
/// On Kernel the hook rides on the agent's validation (its root validation, the owner's, has none),
/// so only the UserOp figures compare.
abstract contract AccountGasBase is LeashAccountBase {
    function withStack() internal pure virtual returns (bool);

    function installLeash() internal virtual override {
        if (withStack()) installStack();
    }

    function setUp() public virtual override {
        super.setUp();
        token.mint(payee, 1); // the recipient's balance slot is not fresh in any case
    }

    function test_gas_userOp() public {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = withStack()
            ? userOpFor(address(agentValidator), transfer(1e18), agent.privateKey)
            : userOpFor(ownerValidator(), transfer(1e18), owner.privateKey);
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
        vm.snapshotGasLastCall(
            "AccountGas", string.concat(accountName(), withStack() ? "_userOp_agent_fullStack" : "_userOp_owner_noHook")
        );
        assertEq(token.balanceOf(payee), 1e18 + 1, "the transfer ran");
    }
}

/// @dev The EntryPoint's `execute` call alone, on accounts whose `execute` runs the hook.
abstract contract AccountGasExecute is AccountGasBase {
    function test_gas_execute() public {
        bytes memory call = transfer(1e18);
        vm.prank(address(entryPoint));
        (bool ok,) = account.call(call);
        vm.snapshotGasLastCall(
            "AccountGas", string.concat(accountName(), withStack() ? "_execute_fullStack" : "_execute_noHook")
        );
        assertTrue(ok);
        assertEq(token.balanceOf(payee), 1e18 + 1, "the transfer ran");
    }
}

abstract contract NoHook is AccountGasExecute {
    function withStack() internal pure override returns (bool) {
        return false;
    }
}

abstract contract FullStack is AccountGasExecute {
    function withStack() internal pure override returns (bool) {
        return true;
    }
}

contract AccountGasOpenZeppelinNoHook is NoHook, OpenZeppelinHarness {}

contract AccountGasOpenZeppelinFullStack is FullStack, OpenZeppelinHarness {}

contract AccountGasNexusNoHook is NoHook, NexusHarness {}

contract AccountGasNexusFullStack is FullStack, NexusHarness {}

contract AccountGasReferenceNoHook is NoHook, ReferenceHarness {}

contract AccountGasReferenceFullStack is FullStack, ReferenceHarness {}

contract AccountGasSafeNoHook is NoHook, SafeHarness {}

contract AccountGasSafeFullStack is FullStack, SafeHarness {}

contract AccountGasKernelNoHook is NoHook, KernelHarness {}

contract AccountGasEIP7702NoHook is NoHook, EIP7702Harness {}

contract AccountGasEIP7702FullStack is FullStack, EIP7702Harness {}

contract AccountGasKernelFullStack is AccountGasBase, KernelHarness {
    function withStack() internal pure override returns (bool) {
        return true;
    }
}

/// @notice An agent's session on the OpenZeppelin account (engine as the hook, no account-wide
/// policy but the guardian's pause): granting it, and its ERC-20 transfer under one permitted pair,
/// one parameter rule (the recipient), its own limit, a usage limit and a time range. Compare the
/// transfer with `OpenZeppelin_userOp_owner_noHook` (both the first operation of their nonce key).
/// Whatever a measured call needs beforehand happens in `setUp`, a transaction of its own: done in
/// the test, it would leave the slots the measured call reads warm.
abstract contract AccountGasOpenZeppelinSessionBase is LeashAccountBase, OpenZeppelinHarness {
    Vm.Wallet internal session;
    Vm.Wallet internal granter;

    function installLeash() internal override {
        session = vm.createWallet("session");
        granter = vm.createWallet("granter");
        authority = granter.addr;
        ownerDoes(
            installValidatorCall(address(agentValidator), abi.encode(authority, address(0), 1 ether), address(engine))
        );
        IPolicyEngine.Config memory config;
        config.guardian = guardian;
        ownerDoes(installHookCall(address(engine), abi.encode(authority, config)));
    }

    function setUp() public virtual override {
        super.setUp();
        token.mint(payee, 1);
    }

    function grant() internal {
        vm.prank(authority);
        engine.grantSession(account, theSession());
    }

    function theSession() internal view returns (IPolicyEngine.Session memory s) {
        (s.agent, s.validAfter, s.validUntil) =
        (session.addr, uint48(block.timestamp), uint48(block.timestamp + 30 days));
        s.maxUses = 1000;
        IPolicyEngine.ParamRule[] memory rules = new IPolicyEngine.ParamRule[](1);
        rules[0] = IPolicyEngine.ParamRule(IPolicyEngine.ParamOp.Equal, 0, 20, new uint256[](1));
        rules[0].values[0] = uint160(payee);
        s.calls = new IPolicyEngine.SessionCall[](1);
        s.calls[0] = IPolicyEngine.SessionCall(address(token), IERC20.transfer.selector, rules);
        s.tokens = new ISpendingLimitHook.TokenPolicy[](1);
        s.tokens[0].token = address(token);
        s.tokens[0].limits = new ISpendingLimitHook.LimitConfig[](1);
        s.tokens[0].limits[0] = ISpendingLimitHook.LimitConfig(100e18, 1 days);
    }

    function transferAsSession() internal {
        transferAsSession("");
    }

    /// @dev The session's transfer; `grantData` after the agent's signature (enable-in-first-op).
    function transferAsSession(bytes memory grantData) internal {
        bytes32 mode = bytes32((uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 176) | uint160(session.addr));
        bytes memory call = abi.encodeWithSelector(
            ExecutionDecoder.EXECUTE,
            mode,
            abi.encodePacked(address(token), uint256(0), abi.encodeCall(IERC20.transfer, (payee, 1e18)))
        );
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = userOpFor(address(agentValidator), call, session.privateKey);
        ops[0].signature = bytes.concat(ops[0].signature, grantData);
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
    }
}

contract AccountGasOpenZeppelinSession is AccountGasOpenZeppelinSessionBase {
    bytes internal grantSignature;

    function setUp() public override {
        super.setUp();
        (uint8 v, bytes32 r, bytes32 sig) =
            vm.sign(granter.privateKey, engine.sessionGrantDigest(account, theSession()));
        grantSignature = abi.encodePacked(r, sig, v);
    }

    function test_gas_grantSession() public {
        grant();
        vm.snapshotGasLastCall("AccountGas", "OpenZeppelin_grantSession");
        (bool live,,,,,) = engine.sessionOf(account, session.addr);
        assertTrue(live);
    }

    /// @dev The same first transfer carrying its grant, signed by the authority: compare with
    /// `OpenZeppelin_userOp_session` (the session granted before).
    function test_gas_enableInFirstOp() public {
        transferAsSession(abi.encode(theSession(), grantSignature));
        vm.snapshotGasLastCall("AccountGas", "OpenZeppelin_userOp_session_enable");
        assertEq(token.balanceOf(payee), 1e18 + 1, "the transfer ran");
        (bool live,,,,,) = engine.sessionOf(account, session.addr);
        assertTrue(live);
    }
}

contract AccountGasOpenZeppelinSessionGranted is AccountGasOpenZeppelinSessionBase {
    function setUp() public override {
        super.setUp();
        grant();
    }

    function test_gas_sessionTransfer() public {
        transferAsSession();
        vm.snapshotGasLastCall("AccountGas", "OpenZeppelin_userOp_session");
        assertEq(token.balanceOf(payee), 1e18 + 1, "the transfer ran");
    }
}
