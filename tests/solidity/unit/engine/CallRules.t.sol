// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {IPolicyEngine} from "../../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";

import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";
import {TestToken} from "../../utils/mocks/Tokens.sol";

/// @notice Account-wide parameter rules on the policy engine, through the real account: every call
/// to a ruled (target, selector) meets its rules in every allowlist mode, each item of a batch on
/// its own, with canonical words; replaced rules leave nothing behind; only the authority sets them.
contract CallRulesTest is LeashTestBase {
    TestToken internal token;
    address internal payee = makeAddr("payee");
    address internal payee2 = makeAddr("payee2");
    address internal stranger = makeAddr("stranger");
    bytes4 internal constant TRANSFER = IERC20.transfer.selector;

    function setUp() public override {
        super.setUp();
        token = fundedToken("USD", 1_000_000e18);
        vm.warp(1_700_000_000);
    }

    function _rule(IPolicyEngine.ParamOp op, uint8 arg, uint8 width, uint256[] memory values)
        internal
        pure
        returns (IPolicyEngine.ParamRule memory)
    {
        return IPolicyEngine.ParamRule(op, arg, width, values);
    }

    function _values(uint256 a) internal pure returns (uint256[] memory v) {
        v = new uint256[](1);
        v[0] = a;
    }

    function _values(uint256 a, uint256 b) internal pure returns (uint256[] memory v) {
        v = new uint256[](2);
        (v[0], v[1]) = (a, b);
    }

    /// @dev "Payments only to listed payees": transfer's recipient one of payee, payee2.
    function _payees() internal view returns (IPolicyEngine.ParamRule[] memory rules) {
        rules = new IPolicyEngine.ParamRule[](1);
        rules[0] = _rule(IPolicyEngine.ParamOp.OneOf, 0, 20, _values(uint256(uint160(payee)), uint256(uint160(payee2))));
    }

    /// @dev A swap's amountIn capped at 1,000 per day, its minimum output at least 5.
    function _swapRules() internal pure returns (IPolicyEngine.ParamRule[] memory rules) {
        rules = new IPolicyEngine.ParamRule[](2);
        rules[0] = _rule(IPolicyEngine.ParamOp.CapPerWindow, 0, 32, _values(1000, 1 days));
        rules[1] = _rule(IPolicyEngine.ParamOp.GreaterOrEqual, 1, 32, _values(5));
    }

    function _install(
        IAllowlistHook.Mode mode,
        address target_,
        bytes4 selector,
        IPolicyEngine.ParamRule[] memory rules
    ) internal {
        IPolicyEngine.Config memory config;
        config.mode = mode;
        if (mode == IAllowlistHook.Mode.Allow) {
            config.permissions = new IAllowlistHook.Permission[](1);
            config.permissions[0] = IAllowlistHook.Permission(target_, selector);
        }
        config.callRules = new IPolicyEngine.CallRules[](1);
        config.callRules[0] = IPolicyEngine.CallRules(target_, selector, rules);
        installEngine(config);
    }

    function _pay(address to, uint256 amount) internal view returns (bytes memory) {
        return call1(address(token), abi.encodeCall(IERC20.transfer, (to, amount)));
    }

    function _broken(address target_, bytes4 selector, uint256 rule, uint256 word)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IPolicyEngine.Engine_CallRuleBroken.selector, acct, target_, selector, rule, word);
    }

    // ------------------------------------------------------------------ the rules hold

    /// @dev The rule binds in every allowlist mode, the allowlist's own verdict aside.
    function testFuzz_callRules_PayeesOnlyInEveryMode(uint8 m) public {
        IAllowlistHook.Mode mode = IAllowlistHook.Mode(bound(m, 0, 2));
        _install(mode, address(token), TRANSFER, _payees());
        assertEq(engine.callRuleCount(acct, address(token), TRANSFER), 1);
        assertPasses(_pay(payee, 10));
        assertPasses(_pay(payee2, 10));
        assertRefused(_pay(stranger, 10), _broken(address(token), TRANSFER, 0, uint256(uint160(stranger))));
        assertEq(token.balanceOf(stranger), 0);
    }

    /// @dev A batch repeating the same (target, selector) reuses the allowlist's verdict, never the
    /// rules': the second payment, to a stranger, is refused and the first does not run either.
    function test_callRules_attack_BatchHidesABrokenItemBehindAGoodOne() public {
        _install(IAllowlistHook.Mode.Allow, address(token), TRANSFER, _payees());
        bytes memory good = abi.encodeCall(IERC20.transfer, (payee, 10));
        bytes memory bad = abi.encodeCall(IERC20.transfer, (stranger, 10));
        assertRefused(
            batchOf(address(token), good, address(token), bad),
            _broken(address(token), TRANSFER, 0, uint256(uint160(stranger)))
        );
        assertEq(token.balanceOf(payee), 0);
        assertPasses(batchOf(address(token), good, address(token), good));
        assertEq(token.balanceOf(payee), 20);
    }

    /// @dev A recipient word with a bit above the address set is refused, never read as the payee
    /// (a coder-v1 token would pay `payee` with it).
    function test_callRules_attack_DirtyWordCannotDodgeTheRule() public {
        _install(IAllowlistHook.Mode.None, address(token), TRANSFER, _payees());
        uint256 dirty = uint256(uint160(payee)) | (1 << 160);
        bytes memory call = abi.encodeWithSelector(TRANSFER, dirty, uint256(10));
        assertRefused(call1(address(token), call), _broken(address(token), TRANSFER, 0, dirty));
    }

    /// @dev Ten swaps of 100 fill the 1,000-a-day cap exactly; the eleventh waits for the first
    /// bucket to leave the window; the minimum-output rule holds beside it.
    function test_callRules_CapPerWindowOnAValueArgument() public {
        _install(IAllowlistHook.Mode.None, address(target), Target.swap.selector, _swapRules());
        bytes memory swap100 = call1(address(target), abi.encodeCall(Target.swap, (100, 5)));
        for (uint256 i; i < 10; ++i) {
            assertPasses(swap100);
        }
        assertEq(engine.argumentRemaining(acct, address(target), Target.swap.selector, 0), 0);
        assertEq(engine.argumentRemaining(acct, address(target), Target.swap.selector, 1), type(uint256).max);
        uint256 width = 1 days / 4;
        uint256 freeAt = (block.timestamp / width + 5) * width;
        assertRefused(
            swap100,
            abi.encodeWithSelector(
                IPolicyEngine.Engine_ArgumentCapExceeded.selector,
                acct,
                address(target),
                Target.swap.selector,
                0,
                100,
                0,
                freeAt
            )
        );
        vm.warp(freeAt);
        assertRefused(
            call1(address(target), abi.encodeCall(Target.swap, (100, 4))),
            _broken(address(target), Target.swap.selector, 1, 4)
        );
        assertPasses(swap100);
        assertEq(target.swapped(), 1100);
    }

    /// @dev Rules on one selector leave the target's other functions alone.
    function test_callRules_OnlyTheRuledSelector() public {
        _install(IAllowlistHook.Mode.None, address(token), TRANSFER, _payees());
        assertPasses(call1(address(token), abi.encodeCall(IERC20.approve, (stranger, 10))));
        assertEq(engine.callRuleCount(acct, address(token), IERC20.approve.selector), 0);
    }

    // ------------------------------------------------------------------ setting them

    /// @dev Replacing a OneOf rule forgets its old values (they were marked with the old rule's
    /// nonce); removing the rules frees the call; counts stay exact.
    function test_callRules_ReplacedRulesLeaveNothingBehind() public {
        _install(IAllowlistHook.Mode.None, address(token), TRANSFER, _payees());
        IPolicyEngine.ParamRule[] memory onlyStranger = new IPolicyEngine.ParamRule[](1);
        onlyStranger[0] = _rule(IPolicyEngine.ParamOp.OneOf, 0, 20, _values(uint256(uint160(stranger))));
        vm.prank(authority);
        engine.setCallRules(acct, address(token), TRANSFER, onlyStranger);
        assertRefused(_pay(payee, 10), _broken(address(token), TRANSFER, 0, uint256(uint160(payee))));
        assertPasses(_pay(stranger, 10));
        // The same values again, under a new nonce: payee is still not one of them.
        vm.prank(authority);
        engine.setCallRules(acct, address(token), TRANSFER, onlyStranger);
        assertRefused(_pay(payee, 10), _broken(address(token), TRANSFER, 0, uint256(uint160(payee))));
        vm.prank(authority);
        engine.setCallRules(acct, address(token), TRANSFER, new IPolicyEngine.ParamRule[](0));
        assertEq(engine.callRuleCount(acct, address(token), TRANSFER), 0);
        assertPasses(_pay(payee, 10));
    }

    /// @dev Only the authority sets rules: the account's own execution (an agent's) is refused by
    /// the guard, a stranger by the engine.
    function test_callRules_attack_OnlyTheAuthoritySetsThem() public {
        _install(IAllowlistHook.Mode.None, address(token), TRANSFER, _payees());
        bytes memory loosen = abi.encodeCall(
            IPolicyEngine.setCallRules, (acct, address(token), TRANSFER, new IPolicyEngine.ParamRule[](0))
        );
        (bool ok,) = submit(call1(address(engine), loosen));
        assertFalse(ok, "the account loosened its own rules");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, stranger, authority));
        engine.setCallRules(acct, address(token), TRANSFER, new IPolicyEngine.ParamRule[](0));
        assertEq(engine.callRuleCount(acct, address(token), TRANSFER), 1);
        assertRefused(_pay(stranger, 10), _broken(address(token), TRANSFER, 0, uint256(uint160(stranger))));
    }

    function test_callRules_RefusesWhatCannotBeARule() public {
        _install(IAllowlistHook.Mode.None, address(token), TRANSFER, _payees());
        IPolicyEngine.ParamRule[] memory rules = _payees();
        vm.startPrank(authority);
        // Not a function's selector: the wildcard, plain transfers.
        bytes4[2] memory notFunctions = [bytes4(0x431e2cf5), bytes4(0)];
        for (uint256 i; i < 2; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IPolicyEngine.Engine_InvalidCallRule.selector, address(token), notFunctions[i], 0
                )
            );
            engine.setCallRules(acct, address(token), notFunctions[i], rules);
        }
        // A malformed rule: an address word with a value wider than 20 bytes.
        rules[0] = _rule(IPolicyEngine.ParamOp.Equal, 0, 20, _values(1 << 160));
        vm.expectRevert(
            abi.encodeWithSelector(IPolicyEngine.Engine_InvalidCallRule.selector, address(token), TRANSFER, 0)
        );
        engine.setCallRules(acct, address(token), TRANSFER, rules);
        // Too many rules on one call, too many ruled calls.
        IPolicyEngine.ParamRule[] memory five = new IPolicyEngine.ParamRule[](5);
        for (uint256 i; i < 5; ++i) {
            five[i] = _rule(IPolicyEngine.ParamOp.LessOrEqual, 1, 32, _values(100));
        }
        vm.expectRevert(abi.encodeWithSelector(IPolicyEngine.Engine_TooManyCallRules.selector, acct, "rules", 5, 4));
        engine.setCallRules(acct, address(token), TRANSFER, five);
        uint256 max = engine.MAX_CALL_RULES();
        for (uint256 i = 1; i < max; ++i) {
            engine.setCallRules(acct, address(uint160(0x1000 + i)), TRANSFER, _payees());
        }
        vm.expectRevert(
            abi.encodeWithSelector(IPolicyEngine.Engine_TooManyCallRules.selector, acct, "pairs", max + 1, max)
        );
        engine.setCallRules(acct, address(token), IERC20.approve.selector, _payees());
        vm.stopPrank();
    }
}
