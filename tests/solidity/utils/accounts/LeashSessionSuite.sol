// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Vm} from "forge-std/Test.sol";

import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {IPolicyEngine} from "../../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../../../../contracts/libraries/ExecutionDecoder.sol";

import {Target} from "../mocks/Target.sol";
import {LeashEngineAccountBase} from "./LeashEngineAccountSuite.sol";

/// @dev An authority that is a contract anyone may ask to revoke a session: lets one operation of a
/// bundle revoke another's session between its validation and its execution.
contract RevokingAuthority {
    function revoke(IPolicyEngine engine, address account, address agent) external {
        engine.revokeSession(account, agent);
    }
}

/// @notice Sessions through the real account and EntryPoint: two agents on one account, each with
/// its own key, scope, parameter rules, limits and usage, on top of the account-wide limit (80
/// TOKEN an hour, no allowlist).
abstract contract LeashSessionSuite is LeashEngineAccountBase {
    uint256 internal constant ACCOUNT_LIMIT = 80e18;
    uint256 internal constant SESSION_LIMIT = 50e18;

    RevokingAuthority internal revoker;
    Vm.Wallet internal alice; // pays `payee` only
    Vm.Wallet internal bob; // pings, pays `payee` or `merchant`, at most 3 calls
    address internal merchant = makeAddr("merchant");
    address internal spender = makeAddr("spender");

    function setUp() public virtual override {
        revoker = new RevokingAuthority();
        authority = address(revoker);
        alice = vm.createWallet("alice");
        bob = vm.createWallet("bob");
        super.setUp();
        grant(aliceSession());
        grant(bobSession());
    }

    function engineConfig() internal view virtual override returns (IPolicyEngine.Config memory config) {
        config = super.engineConfig();
        config.mode = IAllowlistHook.Mode.None;
        config.permissions = new IAllowlistHook.Permission[](0);
        config.tokens[0].limits[0].amount = ACCOUNT_LIMIT;
    }

    // ------------------------------------------------------------------ grants

    function baseSession(address key) internal view returns (IPolicyEngine.Session memory s) {
        s.agent = key;
        s.validAfter = uint48(block.timestamp);
        s.validUntil = uint48(block.timestamp + 30 days);
    }

    function tokenLimit(uint256 amount) internal view returns (ISpendingLimitHook.TokenPolicy[] memory tokens) {
        tokens = new ISpendingLimitHook.TokenPolicy[](1);
        tokens[0].token = address(token);
        tokens[0].limits = new ISpendingLimitHook.LimitConfig[](1);
        tokens[0].limits[0] = ISpendingLimitHook.LimitConfig(amount, 1 hours);
    }

    function rule(IPolicyEngine.ParamOp op, uint8 argIndex, uint8 width, uint256 value)
        internal
        pure
        returns (IPolicyEngine.ParamRule memory r)
    {
        r = IPolicyEngine.ParamRule(op, argIndex, width, new uint256[](1));
        r.values[0] = value;
    }

    function one(IPolicyEngine.ParamRule memory r) internal pure returns (IPolicyEngine.ParamRule[] memory rules) {
        rules = new IPolicyEngine.ParamRule[](1);
        rules[0] = r;
    }

    /// @dev Alice: `transfer` to `payee` only (Equal on the recipient), `approve` of anyone; 50 TOKEN an hour.
    function aliceSession() internal view returns (IPolicyEngine.Session memory s) {
        s = baseSession(alice.addr);
        s.calls = new IPolicyEngine.SessionCall[](2);
        s.calls[0] = IPolicyEngine.SessionCall(
            address(token), IERC20.transfer.selector, one(rule(IPolicyEngine.ParamOp.Equal, 0, 20, uint160(payee)))
        );
        s.calls[1] =
            IPolicyEngine.SessionCall(address(token), IERC20.approve.selector, new IPolicyEngine.ParamRule[](0));
        s.tokens = tokenLimit(SESSION_LIMIT);
    }

    /// @dev Bob: `ping`, `transfer` to `payee` or `merchant` (OneOf), the revoker; 50 TOKEN an hour; 3 calls in all.
    function bobSession() internal view returns (IPolicyEngine.Session memory s) {
        s = baseSession(bob.addr);
        s.maxUses = 3;
        IPolicyEngine.ParamRule memory payees =
            IPolicyEngine.ParamRule(IPolicyEngine.ParamOp.OneOf, 0, 20, new uint256[](2));
        (payees.values[0], payees.values[1]) = (uint160(payee), uint160(merchant));
        s.calls = new IPolicyEngine.SessionCall[](3);
        s.calls[0] = IPolicyEngine.SessionCall(address(target), Target.ping.selector, new IPolicyEngine.ParamRule[](0));
        s.calls[1] = IPolicyEngine.SessionCall(address(token), IERC20.transfer.selector, one(payees));
        s.calls[2] = IPolicyEngine.SessionCall(
            address(revoker), RevokingAuthority.revoke.selector, new IPolicyEngine.ParamRule[](0)
        );
        s.tokens = tokenLimit(SESSION_LIMIT);
    }

    function grant(IPolicyEngine.Session memory s) internal {
        vm.prank(authority);
        engine.grantSession(account, s);
    }

    // ------------------------------------------------------------------ operations

    function sessionMode(address session) internal pure returns (bytes32) {
        return bytes32((uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 176) | uint160(session));
    }

    /// @dev One call as `session`'s execution.
    function asSession(address session, address to, bytes memory data) internal pure returns (bytes memory) {
        return
            abi.encodeWithSelector(
                ExecutionDecoder.EXECUTE, sessionMode(session), abi.encodePacked(to, uint256(0), data)
            );
    }

    function pay(address session, address to, uint256 amount) internal view returns (bytes memory) {
        return asSession(session, address(token), abi.encodeCall(IERC20.transfer, (to, amount)));
    }

    function opOf(Vm.Wallet memory key, bytes memory execution) internal view returns (PackedUserOperation memory) {
        return userOpFor(address(agentValidator), execution, key.privateKey);
    }

    function assertSessionPasses(Vm.Wallet memory key, bytes memory execution) internal {
        (bool ok, bytes memory reason) = handleOp(opOf(key, execution));
        assertTrue(ok, "the session's operation should pass");
        assertEq(reason.length, 0);
    }

    /// @dev Refused at execution by the engine with exactly `expected` (checked at the engine itself
    /// where the account reports refusals in its own words).
    function assertSessionRefused(Vm.Wallet memory key, bytes memory execution, bytes memory expected) internal {
        (bool ok, bytes memory reason) = handleOp(opOf(key, execution));
        assertFalse(ok, "the session's operation should be refused");
        assertEq(reason, reported(expected), "revert data");
        if (keccak256(reason) != keccak256(expected)) assertHookRefuses(execution, expected);
    }

    function assertNotDue(PackedUserOperation memory op) internal {
        expectOpRefused(op, failedOp("AA22 expired or not due"));
    }

    /// @dev When a spend made now leaves its hourly window: five 15-minute buckets on (strict).
    function nextWindow() internal view returns (uint256) {
        return (block.timestamp / 15 minutes + 5) * 15 minutes;
    }

    function notPermitted(address session, address to, bytes4 selector) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IPolicyEngine.Session_CallNotPermitted.selector, account, session, to, selector);
    }

    function ruleBroken(address session, bytes4 selector, uint256 index, uint256 word)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodeWithSelector(
            IPolicyEngine.Session_ParamRuleBroken.selector, account, session, address(token), selector, index, word
        );
    }

    function exceeded(uint256 amount, uint256 remaining, uint256 availableAt) internal view returns (bytes memory) {
        return abi.encodeWithSelector(
            ISpendingLimitHook.SpendingLimit_Exceeded.selector, account, address(token), amount, remaining, availableAt
        );
    }

    // ------------------------------------------------------------------ scope

    /// @dev A session's operation keeps its leash across a bundle as the agent's key does
    /// (`checkRemovalBesideTheAgentRefused`): here a payment past the session's own limit.
    function test_session_attack_BundledWithTheOwnersApprovedRemoval() public {
        checkRemovalBesideTheAgentRefused(address(engine), opOf(alice, pay(alice.addr, payee, SESSION_LIMIT + 1)));
    }

    /// @dev Strangers ask the engine about the session first (`sessionContext`): the session's
    /// validation, asking after them, still takes the mark, and the removal is refused beside it.
    function test_session_attack_StrangersAskBeforeTheBundle() public {
        askAsStrangers(address(engine), abi.encodeCall(engine.sessionContext, (account, alice.addr)));
        checkRemovalBesideTheAgentRefused(address(engine), opOf(alice, pay(alice.addr, payee, SESSION_LIMIT + 1)));
    }

    function test_session_EachAgentActsOnlyInItsOwnScope() public {
        assertSessionPasses(alice, pay(alice.addr, payee, 30e18));
        assertSessionPasses(bob, asSession(bob.addr, address(target), ping));
        assertSessionPasses(bob, pay(bob.addr, merchant, 20e18));
        assertEq(token.balanceOf(payee), 30e18);
        assertEq(token.balanceOf(merchant), 20e18);
        assertEq(target.pings(), 1);

        assertSessionRefused(
            alice,
            asSession(alice.addr, address(target), ping),
            notPermitted(alice.addr, address(target), Target.ping.selector)
        );
        assertSessionRefused(
            alice,
            pay(alice.addr, merchant, 1e18),
            ruleBroken(alice.addr, IERC20.transfer.selector, 0, uint160(merchant))
        );
        address stranger = makeAddr("stranger");
        assertSessionRefused(
            bob, pay(bob.addr, stranger, 1e18), ruleBroken(bob.addr, IERC20.transfer.selector, 0, uint160(stranger))
        );
        bytes memory approve = asSession(bob.addr, address(token), abi.encodeCall(IERC20.approve, (spender, 1)));
        assertSessionRefused(bob, approve, notPermitted(bob.addr, address(token), IERC20.approve.selector));
    }

    /// @dev Each session's own limit counts only its own spends; the account-wide limit counts all.
    function test_session_OwnLimitsWithTheAccountsOnTop() public {
        assertSessionPasses(alice, pay(alice.addr, payee, SESSION_LIMIT));
        assertEq(engine.sessionRemaining(account, alice.addr, address(token)), 0);
        assertEq(engine.sessionRemaining(account, bob.addr, address(token)), SESSION_LIMIT, "bob's limit untouched");
        assertSessionRefused(alice, pay(alice.addr, payee, 1), exceeded(1, 0, nextWindow()));
        // Bob's own limit has room for 40; the account's has 30 left.
        assertSessionRefused(bob, pay(bob.addr, payee, 40e18), exceeded(40e18, 30e18, nextWindow()));
        assertSessionPasses(bob, pay(bob.addr, payee, 30e18));
        assertEq(token.balanceOf(payee), ACCOUNT_LIMIT);
    }

    /// @dev An approval moves the token as much as a transfer does: both count against one limit.
    function test_session_ApprovalAndTransferCountAgainstOneLimit() public {
        bytes memory approve = asSession(alice.addr, address(token), abi.encodeCall(IERC20.approve, (spender, 45e18)));
        assertSessionPasses(alice, approve);
        assertSessionRefused(alice, pay(alice.addr, payee, 6e18), exceeded(6e18, 5e18, nextWindow()));
        assertSessionPasses(alice, pay(alice.addr, payee, 5e18));
    }

    // ------------------------------------------------------------------ time, usage, revocation

    function test_session_ValidFromItsFirstToItsLastSecond() public {
        Vm.Wallet memory carol = vm.createWallet("carol");
        IPolicyEngine.Session memory s = aliceSession();
        (s.agent, s.validAfter, s.validUntil) =
        (carol.addr, uint48(block.timestamp + 100), uint48(block.timestamp + 200));
        grant(s);
        assertNotDue(opOf(carol, pay(carol.addr, payee, 1e18)));
        vm.warp(s.validAfter);
        assertSessionPasses(carol, pay(carol.addr, payee, 1e18));
        vm.warp(s.validUntil);
        assertSessionPasses(carol, pay(carol.addr, payee, 1e18));
        vm.warp(uint256(s.validUntil) + 1);
        assertNotDue(opOf(carol, pay(carol.addr, payee, 1e18)));
        assertEq(token.balanceOf(payee), 2e18);
    }

    function test_session_UsesInTotal() public {
        assertSessionPasses(bob, asSession(bob.addr, address(target), ping));
        assertSessionPasses(bob, pay(bob.addr, payee, 1e18));
        assertSessionPasses(bob, asSession(bob.addr, address(target), ping));
        (,,, uint256 uses, uint256 maxUses,) = engine.sessionOf(account, bob.addr);
        assertEq(uses, 3);
        bytes memory fourth =
            abi.encodeWithSelector(IPolicyEngine.Session_UsesExceeded.selector, account, bob.addr, 4, maxUses);
        assertSessionRefused(bob, asSession(bob.addr, address(target), ping), fourth);
        assertEq(target.pings(), 2);
    }

    function test_session_UsesPerRollingWindow() public {
        Vm.Wallet memory dave = vm.createWallet("dave");
        IPolicyEngine.Session memory s = bobSession();
        (s.agent, s.maxUses, s.usesPerWindow, s.usageWindow) = (dave.addr, 0, 2, 1 hours);
        grant(s);
        uint256 start = block.timestamp;
        assertSessionPasses(dave, asSession(dave.addr, address(target), ping));
        vm.warp(start + 30 minutes);
        assertSessionPasses(dave, asSession(dave.addr, address(target), ping));
        // Strict: the first use leaves the window one bucket (15 minutes) after the hour at most.
        uint256 leaves = (start / 15 minutes + 5) * 15 minutes;
        bytes memory third =
            abi.encodeWithSelector(IPolicyEngine.Session_UsageWindowExceeded.selector, account, dave.addr, 1, leaves);
        assertSessionRefused(dave, asSession(dave.addr, address(target), ping), third);
        vm.warp(leaves);
        assertSessionPasses(dave, asSession(dave.addr, address(target), ping));
        assertEq(target.pings(), 3);
    }

    /// @dev Both operations of one bundle are validated before either runs: Bob's revokes Alice's
    /// session (through the authority) and Alice's, already validated, is refused at execution.
    function test_session_RevokedBetweenValidationAndExecution() public {
        PackedUserOperation[] memory ops = new PackedUserOperation[](2);
        ops[0] = opOf(
            bob,
            asSession(
                bob.addr, address(revoker), abi.encodeCall(RevokingAuthority.revoke, (engine, account, alice.addr))
            )
        );
        ops[1] = opOf(alice, pay(alice.addr, payee, 10e18));
        ops[1].nonce = ops[0].nonce + 1;
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(alice.privateKey, entryPoint.getUserOpHash(ops[1]));
        ops[1].signature = abi.encodePacked(r, sig, v);
        vm.recordLogs();
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 succeeded;
        uint256 failed;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(entryPoint) || logs[i].topics[0] != IEntryPoint.UserOperationEvent.selector) continue;
            (,, bool success,,) = (0, 0, false, 0, 0);
            (, success,,) = abi.decode(logs[i].data, (uint256, bool, uint256, uint256));
            if (logs[i].topics[1] == entryPoint.getUserOpHash(ops[0])) assertTrue(success, "bob's revocation ran");
            else if (success) ++succeeded;
            else ++failed;
        }
        assertEq(failed, 1, "alice's operation failed at execution");
        assertEq(succeeded, 0);
        assertEq(token.balanceOf(payee), 0);
        (bool live,,,,,) = engine.sessionOf(account, alice.addr);
        assertFalse(live);
        // From then on, Alice's key validates nothing.
        assertNotValidated(opOf(alice, pay(alice.addr, payee, 1e18)), "");
    }

    function test_session_GuardiansPauseStopsEverySession() public {
        vm.prank(guardian);
        engine.pause(account);
        assertNotDue(opOf(alice, pay(alice.addr, payee, 1e18)));
        assertNotDue(opOf(bob, asSession(bob.addr, address(target), ping)));
    }

    function test_session_ARegrantStartsAFreshEpoch() public {
        assertSessionPasses(alice, pay(alice.addr, payee, SESSION_LIMIT));
        IPolicyEngine.Session memory s = aliceSession();
        s.calls = new IPolicyEngine.SessionCall[](1);
        s.calls[0] = IPolicyEngine.SessionCall(address(target), Target.ping.selector, new IPolicyEngine.ParamRule[](0));
        s.tokens = new ISpendingLimitHook.TokenPolicy[](0);
        grant(s);
        (,,,,, uint256 epoch) = engine.sessionOf(account, alice.addr);
        assertEq(epoch, 2);
        // The old grant's calls are gone with it.
        assertSessionRefused(
            alice, pay(alice.addr, payee, 1e18), notPermitted(alice.addr, address(token), IERC20.transfer.selector)
        );
        assertSessionPasses(alice, asSession(alice.addr, address(target), ping));
    }

    // ------------------------------------------------------------------ parameter rules

    /// @dev Every comparison, on `transfer`'s amount and recipient and `transferFrom`'s recipient.
    function test_session_ParameterRules() public {
        Vm.Wallet memory erin = vm.createWallet("erin");
        IPolicyEngine.Session memory s = baseSession(erin.addr);
        s.calls = new IPolicyEngine.SessionCall[](3);
        IPolicyEngine.ParamRule[] memory amounts = new IPolicyEngine.ParamRule[](4);
        amounts[0] = rule(IPolicyEngine.ParamOp.LessOrEqual, 1, 32, 10e18);
        amounts[1] = rule(IPolicyEngine.ParamOp.GreaterOrEqual, 1, 32, 1e18);
        amounts[2] = rule(IPolicyEngine.ParamOp.NotEqual, 0, 20, uint160(merchant));
        amounts[3] = rule(IPolicyEngine.ParamOp.NotEqual, 1, 32, 7e18);
        s.calls[0] = IPolicyEngine.SessionCall(address(token), IERC20.transfer.selector, amounts);
        IPolicyEngine.ParamRule[] memory strict = new IPolicyEngine.ParamRule[](2);
        strict[0] = rule(IPolicyEngine.ParamOp.Less, 1, 32, 10e18);
        strict[1] = rule(IPolicyEngine.ParamOp.Greater, 1, 32, 1e18);
        s.calls[1] = IPolicyEngine.SessionCall(address(token), IERC20.approve.selector, strict);
        IPolicyEngine.ParamRule[] memory pull = new IPolicyEngine.ParamRule[](1);
        pull[0] = IPolicyEngine.ParamRule(IPolicyEngine.ParamOp.IsAccount, 1, 20, new uint256[](0));
        s.calls[2] = IPolicyEngine.SessionCall(address(token), IERC20.transferFrom.selector, pull);
        grant(s);

        bytes4 transfer_ = IERC20.transfer.selector;
        assertSessionPasses(erin, pay(erin.addr, payee, 10e18));
        assertSessionPasses(erin, pay(erin.addr, payee, 1e18));
        assertSessionRefused(erin, pay(erin.addr, payee, 10e18 + 1), ruleBroken(erin.addr, transfer_, 0, 10e18 + 1));
        assertSessionRefused(erin, pay(erin.addr, payee, 1e18 - 1), ruleBroken(erin.addr, transfer_, 1, 1e18 - 1));
        assertSessionRefused(
            erin, pay(erin.addr, merchant, 2e18), ruleBroken(erin.addr, transfer_, 2, uint160(merchant))
        );
        assertSessionRefused(erin, pay(erin.addr, payee, 7e18), ruleBroken(erin.addr, transfer_, 3, 7e18));

        bytes4 approve_ = IERC20.approve.selector;
        bytes memory atTen = asSession(erin.addr, address(token), abi.encodeCall(IERC20.approve, (spender, 10e18)));
        assertSessionRefused(erin, atTen, ruleBroken(erin.addr, approve_, 0, 10e18));
        bytes memory atOne = asSession(erin.addr, address(token), abi.encodeCall(IERC20.approve, (spender, 1e18)));
        assertSessionRefused(erin, atOne, ruleBroken(erin.addr, approve_, 1, 1e18));
        assertSessionPasses(erin, asSession(erin.addr, address(token), abi.encodeCall(IERC20.approve, (spender, 5e18))));

        bytes4 pull_ = IERC20.transferFrom.selector;
        vm.prank(payee);
        token.approve(account, 3e18);
        bytes memory toStranger =
            asSession(erin.addr, address(token), abi.encodeCall(IERC20.transferFrom, (payee, merchant, 1e18)));
        assertSessionRefused(erin, toStranger, ruleBroken(erin.addr, pull_, 0, uint160(merchant)));
        assertSessionPasses(
            erin, asSession(erin.addr, address(token), abi.encodeCall(IERC20.transferFrom, (payee, account, 1e18)))
        );
        assertEq(token.balanceOf(payee), 11e18 - 1e18);
    }

    /// @dev A cap on a value the call names (a swap's `amountIn`, which no token limit sees): 100 an
    /// hour over the session's swaps, exact (ten of 10 fill it), each call of a batch counted,
    /// refused beyond with what is left and when it fits, above the cap itself never; the entry's
    /// other rule (a minimum output) still holds.
    function test_session_ArgumentCapPerWindow() public {
        Vm.Wallet memory gina = vm.createWallet("gina");
        IPolicyEngine.Session memory s = baseSession(gina.addr);
        IPolicyEngine.ParamRule[] memory rules = new IPolicyEngine.ParamRule[](2);
        rules[0] = IPolicyEngine.ParamRule(IPolicyEngine.ParamOp.CapPerWindow, 0, 32, new uint256[](2));
        (rules[0].values[0], rules[0].values[1]) = (100e18, 1 hours);
        rules[1] = rule(IPolicyEngine.ParamOp.GreaterOrEqual, 1, 32, 1);
        s.calls = new IPolicyEngine.SessionCall[](1);
        s.calls[0] = IPolicyEngine.SessionCall(address(target), Target.swap.selector, rules);
        grant(s);

        for (uint256 i; i < 8; ++i) {
            assertSessionPasses(gina, _swap(gina.addr, 10e18, 1));
        }
        Execution[] memory two = new Execution[](2);
        two[0] = Execution(address(target), 0, abi.encodeCall(Target.swap, (10e18, 1)));
        two[1] = two[0];
        assertSessionPasses(
            gina, abi.encodeWithSelector(ExecutionDecoder.EXECUTE, _batchMode(gina.addr), abi.encode(two))
        );
        assertEq(engine.sessionArgumentRemaining(account, gina.addr, address(target), Target.swap.selector, 0), 0);
        uint256 freeAt = nextWindow();
        assertSessionRefused(gina, _swap(gina.addr, 1, 1), _capExceeded(gina.addr, 1, 0, freeAt));
        assertSessionRefused(
            gina,
            _swap(gina.addr, 0, 0),
            abi.encodeWithSelector(
                IPolicyEngine.Session_ParamRuleBroken.selector,
                account,
                gina.addr,
                address(target),
                Target.swap.selector,
                1,
                0
            )
        );
        vm.warp(freeAt);
        assertSessionRefused(
            gina, _swap(gina.addr, 100e18 + 1, 1), _capExceeded(gina.addr, 100e18 + 1, 100e18, type(uint256).max)
        );
        assertSessionPasses(gina, _swap(gina.addr, 100e18, 1));
        assertEq(target.swapped(), 200e18);
    }

    function _swap(address session, uint256 amountIn, uint256 minOut) internal view returns (bytes memory) {
        return asSession(session, address(target), abi.encodeCall(Target.swap, (amountIn, minOut)));
    }

    function _batchMode(address session) internal pure returns (bytes32) {
        return sessionMode(session) | bytes32(uint256(1) << 248);
    }

    function _capExceeded(address session, uint256 value, uint256 remaining, uint256 availableAt)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodeWithSelector(
            IPolicyEngine.Session_ArgumentCapExceeded.selector,
            account,
            session,
            address(target),
            Target.swap.selector,
            0,
            value,
            remaining,
            availableAt
        );
    }

    /// @dev A recipient word with a bit above the address set reads as `payee` to a contract that
    /// masks it, and as something else to a whole-word comparison: refused, never compared.
    function test_session_attack_DirtyArgumentWordRefused() public {
        bytes memory dirty =
            abi.encodePacked(IERC20.transfer.selector, (uint256(1) << 160) | uint160(payee), uint256(1e18));
        (bool ok,) = handleOp(opOf(alice, asSession(alice.addr, address(token), dirty)));
        assertFalse(ok, "a dirty recipient word must be refused");
        assertEq(token.balanceOf(payee), 0);
    }

    // ------------------------------------------------------------------ enable in the first operation

    /// @dev The authority hands over to a key: grants by signature are ECDSA.
    function handOverToAKey() internal returns (Vm.Wallet memory signer) {
        signer = vm.createWallet("grantingAuthority");
        vm.prank(authority);
        engine.setAuthority(account, signer.addr);
    }

    function signGrant(Vm.Wallet memory signer, IPolicyEngine.Session memory s) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(signer.privateKey, engine.sessionGrantDigest(account, s));
        return abi.encodePacked(r, sig, v);
    }

    /// @dev The agent's operation with its grant after its own 65-byte signature.
    function opWithGrant(
        Vm.Wallet memory key,
        bytes memory execution,
        IPolicyEngine.Session memory s,
        bytes memory grantSignature
    ) internal view returns (PackedUserOperation memory op) {
        op = opOf(key, execution);
        op.signature = bytes.concat(op.signature, abi.encode(s, grantSignature));
    }

    /// @dev Alice's scope, paying `payee` or `merchant` (a OneOf: its values sit in their own slots).
    /// A cap on `approve`'s amount too, so the grant starts a cap's window during validation.
    function frankSession(Vm.Wallet memory frank) internal view returns (IPolicyEngine.Session memory s) {
        s = aliceSession();
        s.agent = frank.addr;
        s.calls[0] = bobSession().calls[1];
        IPolicyEngine.ParamRule memory cap =
            IPolicyEngine.ParamRule(IPolicyEngine.ParamOp.CapPerWindow, 1, 32, new uint256[](2));
        (cap.values[0], cap.values[1]) = (20e18, 1 days);
        s.calls[1].rules = one(cap);
    }

    function test_session_EnabledInTheAgentsFirstOperation() public {
        Vm.Wallet memory signer = handOverToAKey();
        Vm.Wallet memory frank = vm.createWallet("frank");
        IPolicyEngine.Session memory s = frankSession(frank);
        (bool ok, bytes memory reason) =
            handleOp(opWithGrant(frank, pay(frank.addr, payee, 5e18), s, signGrant(signer, s)));
        assertTrue(ok, "granted and used in one operation");
        assertEq(reason.length, 0);
        assertEq(token.balanceOf(payee), 5e18);
        (bool live,,,,, uint256 epoch) = engine.sessionOf(account, frank.addr);
        assertTrue(live);
        assertEq(epoch, 1);
        address stranger = makeAddr("stranger");
        assertSessionRefused(
            frank,
            pay(frank.addr, stranger, 1e18),
            ruleBroken(frank.addr, IERC20.transfer.selector, 0, uint160(stranger))
        );
        assertSessionPasses(frank, pay(frank.addr, merchant, 1e18));
        // The cap's window, started during validation (no time read there), counts from now.
        bytes memory approveAll =
            asSession(frank.addr, address(token), abi.encodeCall(IERC20.approve, (spender, 20e18)));
        assertSessionPasses(frank, approveAll);
        assertSessionRefused(
            frank,
            approveAll,
            abi.encodeWithSelector(
                IPolicyEngine.Session_ArgumentCapExceeded.selector,
                account,
                frank.addr,
                address(token),
                IERC20.approve.selector,
                0,
                20e18,
                0,
                (block.timestamp / 6 hours + 5) * 6 hours
            )
        );
    }

    /// @dev Someone submits the signed grant first: the agent's operation carrying it still passes.
    function test_session_EnableSubmittedFirstByAnotherStillPasses() public {
        Vm.Wallet memory signer = handOverToAKey();
        Vm.Wallet memory frank = vm.createWallet("frank");
        IPolicyEngine.Session memory s = frankSession(frank);
        bytes memory grantSignature = signGrant(signer, s);
        PackedUserOperation memory op = opWithGrant(frank, pay(frank.addr, payee, 5e18), s, grantSignature);
        vm.prank(makeAddr("frontRunner"));
        engine.enableSession(account, s, grantSignature);
        (bool ok,) = handleOp(op);
        assertTrue(ok);
        assertEq(token.balanceOf(payee), 5e18);
    }

    /// @dev A grant revoked before its use, or signed by another key, fails the operation at validation.
    function test_session_attack_RevokedOrForgedGrantRefused() public {
        Vm.Wallet memory signer = handOverToAKey();
        Vm.Wallet memory frank = vm.createWallet("frank");
        IPolicyEngine.Session memory s = frankSession(frank);
        bytes memory notSigned =
            abi.encodeWithSelector(IPolicyEngine.Session_GrantNotSigned.selector, account, frank.addr);
        assertNotValidated(
            opWithGrant(frank, pay(frank.addr, payee, 5e18), s, signGrant(vm.createWallet("forger"), s)), notSigned
        );
        PackedUserOperation memory op = opWithGrant(frank, pay(frank.addr, payee, 5e18), s, signGrant(signer, s));
        vm.prank(signer.addr);
        engine.revokeSession(account, frank.addr);
        assertNotValidated(op, notSigned);
        assertEq(token.balanceOf(payee), 0);
    }

    // ------------------------------------------------------------------ ERC-7562

    /// @dev A session's operation, and one carrying its grant, validate under ERC-7562's rules.
    function test_session_ValidationFollowsERC7562() public {
        assertFollowsERC7562(opOf(alice, pay(alice.addr, payee, 1e18)));
        Vm.Wallet memory signer = handOverToAKey();
        Vm.Wallet memory frank = vm.createWallet("frank");
        IPolicyEngine.Session memory s = frankSession(frank);
        assertFollowsERC7562(opWithGrant(frank, pay(frank.addr, payee, 1e18), s, signGrant(signer, s)));
    }

    /// @dev The account's `validateUserOp` as the EntryPoint calls it, checked on its opcode trace as
    /// a bundler's tracer checks it: no opcode ERC-7562 bans (`GAS` only right before a call), and
    /// outside the account (its own code and what it delegates to) only storage associated with it:
    /// the slot `account`, or `keccak(account ++ x) + n` for `n <= 128`.
    function assertFollowsERC7562(PackedUserOperation memory op) internal {
        bytes32 hash = entryPoint.getUserOpHash(op);
        vm.startDebugTraceRecording();
        vm.prank(address(entryPoint));
        (bool ok, bytes memory ret) = account.call(
            abi.encodeWithSignature(
                "validateUserOp((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes),bytes32,uint256)",
                op,
                hash,
                0
            )
        );
        Vm.DebugStep[] memory steps = vm.stopAndReturnDebugTraceRecording();
        assertTrue(ok, "the operation validates");
        assertEq(uint160(abi.decode(ret, (uint256))), 0, "a valid signature");
        address[] memory accountCode = new address[](steps.length);
        accountCode[0] = account;
        uint256 codes = 1;
        uint256[] memory associated = new uint256[](steps.length);
        uint256 hashes;
        for (uint256 i; i < steps.length; ++i) {
            Vm.DebugStep memory step = steps[i];
            if (step.contractAddr == address(this) || step.contractAddr == address(vm)) continue;
            uint8 op_ = step.opcode;
            if (_bannedInValidation(op_)) revert(string.concat("banned opcode ", vm.toString(op_)));
            if (op_ == 0x5a) {
                uint8 next = steps[i + 1].opcode;
                if (next != 0xf1 && next != 0xf2 && next != 0xf4 && next != 0xfa) revert("GAS not before a call");
            }
            bool inAccount = _isIn(accountCode, codes, step.contractAddr);
            if (op_ == 0xf4 && inAccount) accountCode[codes++] = address(uint160(step.stack[1]));
            if (
                op_ == 0x20 && step.memoryInput.length >= 32
                    && bytes32(step.memoryInput) == bytes32(uint256(uint160(account)))
            ) {
                associated[hashes++] = uint256(keccak256(step.memoryInput));
            }
            if ((op_ == 0x54 || op_ == 0x55) && !inAccount) {
                uint256 slot = step.stack[0];
                bool ok_ = slot == uint160(account);
                for (uint256 h; h < hashes && !ok_; ++h) {
                    ok_ = slot >= associated[h] && slot - associated[h] <= 128;
                }
                if (!ok_) {
                    revert(
                        string.concat(
                            "storage not associated with the account: ",
                            vm.toString(step.contractAddr),
                            " slot ",
                            vm.toString(bytes32(slot))
                        )
                    );
                }
            }
        }
    }

    function _isIn(address[] memory list, uint256 n, address a) private pure returns (bool) {
        for (uint256 i; i < n; ++i) {
            if (list[i] == a) return true;
        }
        return false;
    }

    /// @dev ERC-7562 OP-011, OP-080 (BALANCE, SELFBALANCE), OP-031 (CREATE2 outside deployment), OP-012 (GAS) apart.
    function _bannedInValidation(uint8 op_) private pure returns (bool) {
        return op_ == 0x3a || op_ == 0x40 || op_ == 0x41 || op_ == 0x42 || op_ == 0x43 || op_ == 0x44 || op_ == 0x45
            || op_ == 0x48 || op_ == 0x49 || op_ == 0x4a || op_ == 0x31 || op_ == 0x47 || op_ == 0x32 || op_ == 0xf0
            || op_ == 0xf5 || op_ == 0xff;
    }

    // ------------------------------------------------------------------ naming a session

    /// @dev Alice's key names Bob's session, no session, or the account-wide agent names Alice's:
    /// each fails validation (a signature that is not the named session's agent's).
    function test_session_attack_AKeyNamesAnotherSession() public {
        assertNotValidated(opOf(alice, asSession(bob.addr, address(target), ping)), "");
        bytes memory unnamed = call1(address(token), 0, abi.encodeCall(IERC20.transfer, (payee, 1e18)));
        assertNotValidated(opOf(alice, unnamed), "");
        assertNotValidated(opOf(agent, pay(alice.addr, payee, 1e18)), "");
        assertEq(target.pings(), 0);
        assertEq(token.balanceOf(payee), 0);
    }
}
