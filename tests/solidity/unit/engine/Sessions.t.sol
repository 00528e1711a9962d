// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Vm} from "forge-std/Test.sol";

import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {IPolicyEngine} from "../../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../../../../contracts/libraries/ExecutionDecoder.sol";
import {PackedWindow} from "../../../../contracts/libraries/PackedWindow.sol";
import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";
import {TestToken} from "../../utils/mocks/Tokens.sol";

/// @notice A session's grant checks, batches and the native token under a session, and what the
/// session's mode means to the decoder and to the hooks that do not run sessions. The account
/// executes directly here (its owner's path); the agent's key is AgentValidator's suite's business.
contract SessionsTest is LeashTestBase {
    address internal agentKey = makeAddr("sessionAgent");
    address internal payee = makeAddr("payee");
    TestToken internal token;

    function setUp() public override {
        super.setUp();
        token = fundedToken("USD", 1000e18);
        vm.deal(acct, 10 ether);
        vm.warp(1_700_000_000);
    }

    function _session() internal view returns (IPolicyEngine.Session memory s) {
        (s.agent, s.validAfter, s.validUntil) = (agentKey, uint48(block.timestamp), uint48(block.timestamp + 1 days));
    }

    function _grant(IPolicyEngine.Session memory s) internal {
        vm.prank(authority);
        engine.grantSession(acct, s);
    }

    function _expectGrantRefused(IPolicyEngine.Session memory s, bytes memory expected) internal {
        vm.prank(authority);
        vm.expectRevert(expected);
        engine.grantSession(acct, s);
    }

    function _mode(bytes1 callType, address session) internal pure returns (bytes32) {
        return bytes32(callType) | bytes32((uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 176) | uint160(session));
    }

    function _single(address to, uint256 value, bytes memory data) internal view returns (bytes memory) {
        return
            abi.encodeWithSelector(ExecutionDecoder.EXECUTE, _mode(0x00, agentKey), abi.encodePacked(to, value, data));
    }

    function _batch(Execution[] memory items) internal view returns (bytes memory) {
        return abi.encodeWithSelector(ExecutionDecoder.EXECUTE, _mode(0x01, agentKey), abi.encode(items));
    }

    function _limit(address tokenAddress, uint256 amount, uint256 cap)
        internal
        pure
        returns (ISpendingLimitHook.TokenPolicy[] memory tokens)
    {
        tokens = new ISpendingLimitHook.TokenPolicy[](1);
        tokens[0].token = tokenAddress;
        tokens[0].perTxCap = cap;
        tokens[0].limits = new ISpendingLimitHook.LimitConfig[](1);
        tokens[0].limits[0] = ISpendingLimitHook.LimitConfig(amount, 1 hours);
    }

    function _calls(address to, bytes4 selector) internal pure returns (IPolicyEngine.SessionCall[] memory calls) {
        calls = new IPolicyEngine.SessionCall[](1);
        calls[0] = IPolicyEngine.SessionCall(to, selector, new IPolicyEngine.ParamRule[](0));
    }

    function _rule(IPolicyEngine.ParamOp op, uint8 width, uint256 values)
        internal
        view
        returns (IPolicyEngine.SessionCall[] memory calls)
    {
        calls = _calls(address(token), IERC20.transfer.selector);
        calls[0].rules = new IPolicyEngine.ParamRule[](1);
        calls[0].rules[0] = IPolicyEngine.ParamRule(op, 1, width, new uint256[](values));
    }

    // ------------------------------------------------------------------ grants

    function test_grant_RefusesWhatCannotBeASession() public {
        installEngine(engineConfig());
        IPolicyEngine.Session memory s = _session();
        for (uint256 i; i < 3; ++i) {
            s.agent = [address(0), acct, authority][i];
            _expectGrantRefused(s, abi.encodeWithSelector(IPolicyEngine.Session_InvalidAgent.selector, acct, s.agent));
        }
        s = _session();
        s.validUntil = 0;
        _expectGrantRefused(s, abi.encodeWithSelector(IPolicyEngine.Session_InvalidTimeRange.selector, s.validAfter, 0));
        s = _session();
        s.validAfter = s.validUntil + 1;
        _expectGrantRefused(
            s, abi.encodeWithSelector(IPolicyEngine.Session_InvalidTimeRange.selector, s.validAfter, s.validUntil)
        );
        s = _session();
        s.usageWindow = 1 hours;
        _expectGrantRefused(s, abi.encodeWithSelector(IPolicyEngine.Session_InvalidUsageLimit.selector, 0, 1 hours));
        s = _session();
        s.calls = new IPolicyEngine.SessionCall[](33);
        _expectGrantRefused(s, abi.encodeWithSelector(IPolicyEngine.Session_TooMany.selector, "calls", 33, 32));
        s = _session();
        s.calls = new IPolicyEngine.SessionCall[](2);
        (s.calls[0].target, s.calls[1].target) = (payee, payee);
        _expectGrantRefused(s, abi.encodeWithSelector(IPolicyEngine.Session_DuplicateCall.selector, payee, bytes4(0)));
        s = _session();
        s.tokens = new ISpendingLimitHook.TokenPolicy[](2);
        (s.tokens[0], s.tokens[1]) = (_limit(address(token), 1, 0)[0], _limit(address(token), 2, 0)[0]);
        _expectGrantRefused(s, abi.encodeWithSelector(IPolicyEngine.Session_DuplicateToken.selector, address(token)));
        vm.prank(makeAddr("stranger"));
        vm.expectRevert(
            abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, makeAddr("stranger"), authority)
        );
        engine.grantSession(acct, _session());
        // Revoking a session never granted takes its epoch on (voiding grants signed for it).
        vm.prank(authority);
        engine.revokeSession(acct, agentKey);
        (bool live,,,,, uint256 epoch) = engine.sessionOf(acct, agentKey);
        assertFalse(live);
        assertEq(epoch, 1);
    }

    /// @dev Each malformed rule: no operator, a width of 0 or 33, a value count the operator does
    /// not take, a value wider than its width, a pinned recipient narrower than an address.
    function test_grant_RefusesMalformedRules() public {
        installEngine(engineConfig());
        bytes memory invalid = abi.encodeWithSelector(IPolicyEngine.Session_InvalidRule.selector, 0, 0);
        IPolicyEngine.Session memory s = _session();
        // Each case: (operator, width, value count, first value when there is one).
        IPolicyEngine.ParamOp[9] memory ops = [
            IPolicyEngine.ParamOp.None,
            IPolicyEngine.ParamOp.Equal,
            IPolicyEngine.ParamOp.Equal,
            IPolicyEngine.ParamOp.Equal,
            IPolicyEngine.ParamOp.OneOf,
            IPolicyEngine.ParamOp.OneOf,
            IPolicyEngine.ParamOp.IsAccount,
            IPolicyEngine.ParamOp.Less,
            IPolicyEngine.ParamOp.Less
        ];
        uint8[9] memory widths = [32, 0, 33, 32, 32, 32, 16, 1, 32];
        uint8[9] memory counts = [1, 1, 1, 2, 0, 9, 0, 1, 1];
        uint256[9] memory firsts = [uint256(0), 0, 0, 0, 0, 0, 0, 256, 1 << 232];
        for (uint256 i; i < ops.length; ++i) {
            s.calls = _rule(ops[i], widths[i], counts[i]);
            if (counts[i] != 0) s.calls[0].rules[0].values[0] = firsts[i];
            _expectGrantRefused(s, invalid);
        }
        s.calls = _rule(IPolicyEngine.ParamOp.Less, 32, 1);
        s.calls[0].selector = 0x431e2cf5; // the wildcard
        _expectGrantRefused(s, invalid);
        s.calls[0].selector = IERC20.transfer.selector;
        s.calls[0].rules[0].values[0] = (1 << 232) - 1;
        _grant(s);
    }

    /// @dev A cap takes exactly `[cap, window]`, a cap above zero, and a window PackedWindow accepts
    /// (its own errors: whole buckets, bounds, the cap at most MAX_AMOUNT); not on the wildcard.
    function test_grant_RefusesMalformedCaps() public {
        installEngine(engineConfig());
        bytes memory invalid = abi.encodeWithSelector(IPolicyEngine.Session_InvalidRule.selector, 0, 0);
        IPolicyEngine.Session memory s = _session();
        s.calls = _rule(IPolicyEngine.ParamOp.CapPerWindow, 32, 1);
        s.calls[0].rules[0].values[0] = 100;
        _expectGrantRefused(s, invalid);
        s.calls = _rule(IPolicyEngine.ParamOp.CapPerWindow, 32, 2);
        (s.calls[0].rules[0].values[0], s.calls[0].rules[0].values[1]) = (0, 1 hours);
        _expectGrantRefused(s, invalid);
        s.calls[0].rules[0].values[0] = 100;
        s.calls[0].rules[0].width = 0;
        _expectGrantRefused(s, invalid);
        s.calls[0].rules[0].width = 32;
        s.calls[0].rules[0].values[1] = 1 hours + 1;
        _expectGrantRefused(s, abi.encodeWithSelector(PackedWindow.Window_NotMultiple.selector, 1 hours + 1, 4));
        s.calls[0].rules[0].values[1] = 1 hours;
        s.calls[0].rules[0].values[0] = PackedWindow.MAX_AMOUNT + 1;
        _expectGrantRefused(
            s,
            abi.encodeWithSelector(
                PackedWindow.Window_AmountTooLarge.selector, PackedWindow.MAX_AMOUNT + 1, PackedWindow.MAX_AMOUNT
            )
        );
        s.calls[0].rules[0].values[0] = PackedWindow.MAX_AMOUNT;
        s.calls[0].selector = 0x431e2cf5; // the wildcard
        _expectGrantRefused(s, invalid);
        s.calls[0].selector = IERC20.transfer.selector;
        _grant(s);
        assertEq(
            engine.sessionArgumentRemaining(acct, agentKey, address(token), IERC20.transfer.selector, 0),
            PackedWindow.MAX_AMOUNT
        );
        assertEq(
            engine.sessionArgumentRemaining(acct, agentKey, address(token), IERC20.transfer.selector, 1),
            type(uint256).max,
            "no second rule"
        );
    }

    // ------------------------------------------------------------------ batches and the native token

    /// @dev A batch counts each call as a use and each token once, with its total against the
    /// session's per-transaction cap.
    function test_session_BatchSumsEachTokenAgainstTheCap() public {
        installEngine(engineConfig());
        IPolicyEngine.Session memory s = _session();
        s.calls = _calls(address(token), IERC20.transfer.selector);
        s.tokens = _limit(address(token), 100e18, 50e18);
        s.maxUses = 4;
        _grant(s);
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(token), 0, abi.encodeCall(IERC20.transfer, (payee, 30e18)));
        items[1] = Execution(address(token), 0, abi.encodeCall(IERC20.transfer, (payee, 30e18)));
        assertRefused(
            _batch(items),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_PerTxCapExceeded.selector, acct, address(token), 60e18, 50e18
            )
        );
        items[1].callData = abi.encodeCall(IERC20.transfer, (payee, 20e18));
        assertPasses(_batch(items));
        (,,, uint256 uses,,) = engine.sessionOf(acct, agentKey);
        assertEq(uses, 2, "a batch of two calls uses two");
        assertEq(engine.sessionRemaining(acct, agentKey, address(token)), 50e18);
    }

    /// @dev The native token is the session's token zero: plain transfers to a permitted target.
    function test_session_NativeValueAgainstItsLimit() public {
        installEngine(engineConfig());
        IPolicyEngine.Session memory s = _session();
        s.calls = _calls(payee, bytes4(0));
        s.tokens = _limit(address(0), 1 ether, 0);
        _grant(s);
        assertPasses(_single(payee, 0.6 ether, ""));
        bytes memory halfOverTheRest = abi.encodeWithSelector(
            ISpendingLimitHook.SpendingLimit_Exceeded.selector,
            acct,
            address(0),
            0.5 ether,
            0.4 ether,
            (block.timestamp / 15 minutes + 5) * 15 minutes
        );
        assertRefused(_single(payee, 0.5 ether, ""), halfOverTheRest);
        // A call with a selector is not a plain transfer.
        assertRefused(
            _single(payee, 0, abi.encodeCall(Target.ping, ())),
            abi.encodeWithSelector(
                IPolicyEngine.Session_CallNotPermitted.selector, acct, agentKey, payee, Target.ping.selector
            )
        );
        assertEq(payee.balance, 0.6 ether);
        // A batch's values are summed against the same limit.
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(payee, 0.3 ether, "");
        items[1] = Execution(payee, 0.2 ether, "");
        assertRefused(_batch(items), halfOverTheRest);
        items[0].value = 0.2 ether;
        assertPasses(_batch(items));
        assertEq(payee.balance, 1 ether);
    }

    /// @dev A token compiled with ABI coder v1 reads only an address word's low 20 bytes: the banned
    /// recipient with a high bit set would dodge a whole-word `NotEqual`. The rule's width refuses it.
    function test_session_attack_DirtyWordCannotDodgeARule() public {
        installEngine(engineConfig());
        address banned = makeAddr("banned");
        IPolicyEngine.Session memory s = _session();
        s.calls = _rule(IPolicyEngine.ParamOp.NotEqual, 20, 1);
        s.calls[0].rules[0].argIndex = 0;
        s.calls[0].rules[0].values[0] = uint160(banned);
        _grant(s);
        uint256 dirty = (uint256(1) << 160) | uint160(banned);
        assertRefused(
            _single(address(token), 0, abi.encodePacked(IERC20.transfer.selector, dirty, uint256(1e18))),
            abi.encodeWithSelector(
                IPolicyEngine.Session_ParamRuleBroken.selector,
                acct,
                agentKey,
                address(token),
                IERC20.transfer.selector,
                0,
                dirty
            )
        );
        assertPasses(_single(address(token), 0, abi.encodeCall(IERC20.transfer, (payee, 1e18))));
    }

    // ------------------------------------------------------------------ grants by signature

    /// @dev The authority hands over to a key (grants by signature are ECDSA).
    function _signingAuthority() internal returns (Vm.Wallet memory signer) {
        signer = vm.createWallet("signingAuthority");
        vm.prank(authority);
        engine.setAuthority(acct, signer.addr);
    }

    function _signGrant(Vm.Wallet memory signer, address account_, IPolicyEngine.Session memory s)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(signer.privateKey, engine.sessionGrantDigest(account_, s));
        return abi.encodePacked(r, sig, v);
    }

    function _notSigned() internal view returns (bytes memory) {
        return abi.encodeWithSelector(IPolicyEngine.Session_GrantNotSigned.selector, acct, agentKey);
    }

    /// @dev A signed grant works once, on its account and chain, and only while not revoked.
    function test_enable_OncePerAccountChainAndEpoch() public {
        installEngine(engineConfig());
        Vm.Wallet memory signer = _signingAuthority();
        IPolicyEngine.Session memory s = _session();
        s.calls = _calls(payee, bytes4(0));
        bytes memory signature = _signGrant(signer, acct, s);

        // Another account with the engine and the same authority: the signature names the account.
        StandInAccount elsewhere = new StandInAccount();
        elsewhere.install(engine, abi.encode(signer.addr, engineConfig()));
        vm.expectRevert(
            abi.encodeWithSelector(IPolicyEngine.Session_GrantNotSigned.selector, address(elsewhere), agentKey)
        );
        engine.enableSession(address(elsewhere), s, signature);
        // Another chain: its domain.
        uint256 chain = block.chainid;
        vm.chainId(chain + 1);
        vm.expectRevert(_notSigned());
        engine.enableSession(acct, s, signature);
        vm.chainId(chain);
        // Another grant: the session's own hash.
        s.maxUses = 1;
        vm.expectRevert(_notSigned());
        engine.enableSession(acct, s, signature);
        s.maxUses = 0;

        engine.enableSession(acct, s, signature); // anyone may submit it
        (bool live,,,,, uint256 epoch) = engine.sessionOf(acct, agentKey);
        assertTrue(live);
        assertEq(epoch, 1);
        assertPasses(_single(payee, 0.1 ether, ""));
        // Used once: the next grant is another epoch.
        vm.expectRevert(_notSigned());
        engine.enableSession(acct, s, signature);
    }

    /// @dev A revocation voids a signed grant not used yet.
    function test_enable_RevocationVoidsAnUnusedGrant() public {
        installEngine(engineConfig());
        Vm.Wallet memory signer = _signingAuthority();
        IPolicyEngine.Session memory s = _session();
        bytes memory signature = _signGrant(signer, acct, s);
        vm.prank(signer.addr);
        engine.revokeSession(acct, agentKey);
        vm.expectRevert(_notSigned());
        engine.enableSession(acct, s, signature);
        // Signed by anyone but the authority: refused.
        Vm.Wallet memory stranger = vm.createWallet("stranger");
        bytes memory forged = _signGrant(stranger, acct, s);
        vm.expectRevert(_notSigned());
        engine.enableSession(acct, s, forged);
    }

    // ------------------------------------------------------------------ the session's mode

    /// @dev Only the exact session mode decodes: any other byte beside it, or no agent, is refused.
    function test_mode_OnlyTheExactSessionModeDecodes() public {
        installEngine(engineConfig());
        bytes memory data = abi.encodePacked(payee, uint256(0), "");
        bytes32 good = _mode(0x00, agentKey);
        bytes32[4] memory bad = [
            good | bytes32(uint256(1) << 200), // the unused bytes
            good | bytes32(uint256(1) << 160), // the payload above the agent
            bytes32((uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 176)), // no agent
            bytes32((uint256(0x12345678) << 176) | uint160(agentKey)) // another mode selector
        ];
        for (uint256 i; i < bad.length; ++i) {
            assertRefused(
                abi.encodeWithSelector(ExecutionDecoder.EXECUTE, bad[i], data),
                abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedMode.selector, bad[i])
            );
        }
        // Named, but never granted.
        assertRefused(
            abi.encodeWithSelector(ExecutionDecoder.EXECUTE, good, data),
            abi.encodeWithSelector(IPolicyEngine.Session_NotLive.selector, acct, agentKey)
        );
    }

    /// @dev The multiplexer does not run sessions: it refuses an execution that names one rather
    /// than run it without the session's scope.
    function test_mode_TheMultiplexerRefusesASession() public {
        installStack(IAllowlistHook.Mode.Block);
        assertRefused(
            _single(payee, 0, ""),
            abi.encodeWithSelector(ILeashModule.Leash_SessionsNeedTheEngine.selector, acct, agentKey)
        );
    }
}

/// @dev The least an account is to the engine: it lists the engine as its hook and installs it.
contract StandInAccount {
    function isModuleInstalled(uint256, address, bytes calldata) external pure returns (bool) {
        return true;
    }

    function install(IPolicyEngine engine, bytes calldata data) external {
        engine.onInstall(data);
    }
}
