// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Execution, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IPolicyEngine} from "../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../../../contracts/libraries/ExecutionDecoder.sol";
import {AgentAccountSymbolic} from "./AgentAccountSymbolic.sol";

/// @notice Two sessions on the OpenZeppelin account behind the policy engine (no account-wide
/// policy), each with its own native limit: Alice may pay `PAYEE` and call `TARGET.RULED` with its
/// first argument equal to `PAYEE` (10 ether an hour, 3 already spent); Bob may pay `OUTSIDER` (5
/// ether an hour, 3 calls in all, one made).
///   - SE6 (`check_session_StaysInItsScopeAndItsOwnLimits`): whatever execution names whichever
///     session (Alice, Bob, or one never granted), if it passes then the session was granted, the
///     call is one of its pairs with its rule holding, its value came out of that session's own
///     headroom exactly, and the other session's headroom and uses did not move.
///   - SE7 (`check_session_PermittedPaymentWithinItsLimitPasses`): the liveness side: Alice paying
///     `PAYEE` within her headroom goes through and is charged exactly.
/// @dev Bounds: the session, the target and the calldata's selector (none, the ruled one, another)
/// are chosen among concrete ones (storage keys hash them); the value and the argument word are
/// symbolic.
/// Time does not move (the window over time is PackedWindow's check).
contract SessionsSymbolic is AgentAccountSymbolic {
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant NOBODY = address(0x0B0D1);
    address internal constant PAYEE = address(0xFEE);
    address internal constant TARGET = address(0x7A46E7);
    bytes4 internal constant RULED = 0x11223344;
    bytes4 internal constant OTHER = 0x0badf00d; // a selector no session lists
    uint256 internal constant ALICE_LIMIT = 10 ether;
    uint256 internal constant BOB_LIMIT = 5 ether;

    function setUp() public {
        _newAccount();
        IPolicyEngine.Config memory config;
        require(
            _asEntryPoint(
                abi.encodeCall(
                    account.installModule, (MODULE_TYPE_HOOK, address(engine), abi.encode(AUTHORITY, config))
                )
            )
        );
        vm.etch(TARGET, hex"00"); // a contract that accepts any call

        IPolicyEngine.Session memory alice = _session(ALICE, ALICE_LIMIT);
        alice.calls = new IPolicyEngine.SessionCall[](2);
        alice.calls[0] = IPolicyEngine.SessionCall(PAYEE, bytes4(0), new IPolicyEngine.ParamRule[](0));
        alice.calls[1] = IPolicyEngine.SessionCall(TARGET, RULED, new IPolicyEngine.ParamRule[](1));
        alice.calls[1].rules[0] = IPolicyEngine.ParamRule(IPolicyEngine.ParamOp.Equal, 0, 20, new uint256[](1));
        alice.calls[1].rules[0].values[0] = uint160(PAYEE);
        IPolicyEngine.Session memory bob = _session(BOB, BOB_LIMIT);
        bob.maxUses = 3;
        bob.calls = new IPolicyEngine.SessionCall[](1);
        bob.calls[0] = IPolicyEngine.SessionCall(OUTSIDER, bytes4(0), new IPolicyEngine.ParamRule[](0));
        vm.startPrank(AUTHORITY);
        engine.grantSession(address(account), alice);
        engine.grantSession(address(account), bob);
        vm.stopPrank();

        // History, so that headroom coming back, or moving between sessions, would show.
        require(_asEntryPoint(_asSession(ALICE, PAYEE, 3 ether, "")));
        require(_asEntryPoint(_asSession(BOB, OUTSIDER, 1 ether, "")));
    }

    function _session(address agent, uint256 limit) internal view returns (IPolicyEngine.Session memory s) {
        (s.agent, s.validAfter, s.validUntil) = (agent, uint48(block.timestamp), uint48(block.timestamp + 1 days));
        s.tokens = new ISpendingLimitHook.TokenPolicy[](1);
        s.tokens[0].token = NATIVE;
        s.tokens[0].limits = new ISpendingLimitHook.LimitConfig[](1);
        s.tokens[0].limits[0] = ISpendingLimitHook.LimitConfig(limit, 1 hours);
    }

    function _asSession(address session, address target, uint256 value, bytes memory data)
        internal
        pure
        returns (bytes memory)
    {
        bytes32 mode = bytes32((uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 176) | uint160(session));
        return abi.encodeCall(IERC7579Execution.execute, (mode, abi.encodePacked(target, value, data)));
    }

    struct Seen {
        uint256 aliceLeft;
        uint256 bobLeft;
        uint256 bobUses;
        uint256 aliceUses;
    }

    function _seen() internal view returns (Seen memory s) {
        address a = address(account);
        s.aliceLeft = engine.sessionRemaining(a, ALICE, NATIVE);
        s.bobLeft = engine.sessionRemaining(a, BOB, NATIVE);
        (,,, s.aliceUses,,) = engine.sessionOf(a, ALICE);
        (,,, s.bobUses,,) = engine.sessionOf(a, BOB);
    }

    function check_session_StaysInItsScopeAndItsOwnLimits() public {
        uint256 who = svm.createUint256("session");
        vm.assume(who < 3);
        address session = who == 0 ? ALICE : who == 1 ? BOB : NOBODY;
        uint256 where = svm.createUint256("target");
        vm.assume(where < 3);
        address target = where == 0 ? PAYEE : where == 1 ? OUTSIDER : TARGET;
        uint256 value = svm.createUint256("value");
        uint256 shape = svm.createUint256("shape");
        vm.assume(shape < 3);
        uint256 word = svm.createUint256("word");
        bytes memory data = shape == 0 ? bytes("") : abi.encodePacked(shape == 1 ? RULED : OTHER, word);

        Seen memory before = _seen();
        bool ok = _asEntryPoint(_asSession(session, target, value, data));
        Seen memory afterwards = _seen();
        if (!ok) return;

        assert(session != NOBODY);
        if (session == ALICE) {
            // One of Alice's pairs, its rule holding; paid from her headroom, Bob's untouched.
            assert((target == PAYEE && shape == 0) || (target == TARGET && shape == 1 && word == uint160(PAYEE)));
            assert(value <= before.aliceLeft && afterwards.aliceLeft == before.aliceLeft - value);
            assert(afterwards.aliceUses == before.aliceUses);
            assert(afterwards.bobLeft == before.bobLeft && afterwards.bobUses == before.bobUses);
        } else {
            assert(target == OUTSIDER && shape == 0);
            assert(value <= before.bobLeft && afterwards.bobLeft == before.bobLeft - value);
            assert(afterwards.bobUses == before.bobUses + 1 && afterwards.bobUses <= 3);
            assert(afterwards.aliceLeft == before.aliceLeft && afterwards.aliceUses == before.aliceUses);
        }
    }

    function check_session_PermittedPaymentWithinItsLimitPasses() public {
        uint256 value = svm.createUint256("value");
        Seen memory before = _seen();
        vm.assume(value <= before.aliceLeft);
        bool ok = _asEntryPoint(_asSession(ALICE, PAYEE, value, ""));
        assert(ok);
        assert(_seen().aliceLeft == before.aliceLeft - value);
    }
}
