// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {MODULE_TYPE_EXECUTOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";

import {AgentValidatorTestBase} from "../utils/AgentValidatorTestBase.sol";
import {CoderV1Token, MaskingToken, Weth9LikeToken} from "../utils/mocks/CoderV1Tokens.sol";

/// @notice Address arguments with non-zero upper 96 bits ("dirty words") in calls to a limited
/// token, through the real account and EntryPoint behind the full stack. A token compiled with ABI
/// coder v1 reads `account | 1 << 160` as the account, while a whole-word comparison in the hook
/// would see another address and charge nothing for `transferFrom`. The hook refuses every such
/// word instead. Run once per token kind (WETH9 rules, ordinary ERC-20 rules), both masking.
abstract contract DirtyAddressWordsTest is AgentValidatorTestBase {
    CoderV1Token internal token;
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal attacker = makeAddr("attacker");
    address internal keeper = makeAddr("keeper");

    uint256 internal constant L = 1000e18;
    uint256 internal constant W = 1 hours;
    uint256 internal constant FUNDS = 1_000_000e18;
    uint256 internal constant STOLEN = 5000e18; // more than the limit allows in any window
    uint256 internal constant DIRT = 1 << 160;

    bytes4 internal constant TRANSFER = IERC20.transfer.selector;
    bytes4 internal constant APPROVE = IERC20.approve.selector;
    bytes4 internal constant TRANSFER_FROM = IERC20.transferFrom.selector;
    bytes4 internal constant INCREASE_ALLOWANCE = bytes4(keccak256("increaseAllowance(address,uint256)"));
    bytes4 internal constant DECREASE_ALLOWANCE = bytes4(keccak256("decreaseAllowance(address,uint256)"));

    function _newToken() internal virtual returns (CoderV1Token);

    function setUp() public override {
        super.setUp();
        token = _newToken();
        vm.label(address(token), "token");
        token.mint(acct, FUNDS);
        token.mint(carol, FUNDS);
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0] = policy(address(token), L, W, 0);
        installFullStack(policies);
        // The keeper's executor, with no tasks yet (the authority adds them per test).
        bytes memory install = installModuleCall(
            MODULE_TYPE_EXECUTOR, address(automation), abi.encode(authority, new IAutomationExecutor.Task[](0))
        );
        approveAtMux(install);
        assertPasses(install);
        vm.warp((block.timestamp / W + 1) * W);
    }

    // ------------------------------------------------------------------ helpers

    function _word(address a) internal pure returns (uint256) {
        return uint256(uint160(a));
    }

    /// @dev `a` with bit 160 set: the same address to a coder-v1 token, another word to the hook.
    function _dirty(address a) internal pure returns (uint256) {
        return _word(a) | DIRT;
    }

    /// @dev Token calldata from raw words (typed addresses could not carry the dirty bits).
    function _data(bytes4 selector, uint256 a, uint256 b) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a, b);
    }

    function _data(bytes4 selector, uint256 a, uint256 b, uint256 c) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a, b, c);
    }

    function _onToken(bytes memory data) internal view returns (bytes memory) {
        return call1(address(token), data);
    }

    function _dirtyError(bytes4 selector, uint256 index) internal view returns (bytes memory) {
        return abi.encodeWithSelector(
            ISpendingLimitHook.SpendingLimit_DirtyAddressArgument.selector, acct, address(token), selector, index
        );
    }

    function _remaining() internal view returns (uint256) {
        return spending.remaining(acct, address(token));
    }

    /// @dev The account approves itself without limit (charged nothing): what the ordinary ERC-20
    /// needs before the account can `transferFrom` its own tokens.
    function _approveSelf() internal {
        uint256 before = _remaining();
        assertPasses(_onToken(_data(APPROVE, _word(acct), type(uint256).max)));
        assertEq(_remaining(), before, "a self-approval is charged when used");
    }

    function _assertNothingMoved() internal view {
        assertEq(token.balanceOf(acct), FUNDS, "account balance");
        assertEq(token.balanceOf(carol), FUNDS, "carol balance");
        assertEq(token.balanceOf(bob), 0, "bob balance");
        assertEq(token.balanceOf(attacker), 0, "attacker balance");
        assertEq(_remaining(), L, "nothing charged");
    }

    function _addTask(uint256 id, bytes memory data) internal returns (IAutomationExecutor.Task memory t) {
        t.id = id;
        t.caller = keeper;
        t.target = address(token);
        t.callData = data;
        vm.prank(authority);
        automation.addTask(acct, t);
    }

    // ------------------------------------------------------------------ transfer

    function test_transfer_CleanWordPassesAndIsCharged() public {
        assertPasses(_onToken(_data(TRANSFER, _word(bob), 400e18)));
        assertEq(token.balanceOf(bob), 400e18);
        assertEq(_remaining(), L - 400e18);
    }

    function test_transfer_RevertWhen_DirtyRecipient() public {
        assertRefused(_onToken(_data(TRANSFER, _dirty(bob), 400e18)), _dirtyError(TRANSFER, 0));
        assertRefused(_onToken(_data(TRANSFER, _word(bob) | (1 << 255), 1)), _dirtyError(TRANSFER, 0));
        _assertNothingMoved();
    }

    // ------------------------------------------------------------------ approve

    function test_approve_CleanWordPassesAndIsCharged() public {
        assertPasses(_onToken(_data(APPROVE, _word(bob), 600e18)));
        assertEq(token.allowance(acct, bob), 600e18);
        assertEq(_remaining(), L - 600e18, "approve counted in full");
        _approveSelf(); // charged nothing
        assertEq(_remaining(), L - 600e18);
    }

    function test_approve_RevertWhen_DirtySpender() public {
        assertRefused(_onToken(_data(APPROVE, _dirty(bob), 600e18)), _dirtyError(APPROVE, 0));
        // The self-approval of the batch attack, sent dirty on its own.
        assertRefused(_onToken(_data(APPROVE, _dirty(acct), type(uint256).max)), _dirtyError(APPROVE, 0));
        assertEq(token.allowance(acct, bob), 0);
        assertEq(token.allowance(acct, acct), 0);
        _assertNothingMoved();
    }

    // ------------------------------------------------------------------ increaseAllowance / decreaseAllowance

    function test_increaseAllowance_CleanWordPassesAndIsCharged() public {
        assertPasses(_onToken(_data(INCREASE_ALLOWANCE, _word(bob), 300e18)));
        assertEq(token.allowance(acct, bob), 300e18);
        assertEq(_remaining(), L - 300e18);
        assertPasses(_onToken(_data(INCREASE_ALLOWANCE, _word(acct), STOLEN))); // its own: charged when used
        assertEq(_remaining(), L - 300e18);
    }

    function test_increaseAllowance_RevertWhen_DirtySpender() public {
        assertRefused(_onToken(_data(INCREASE_ALLOWANCE, _dirty(bob), 300e18)), _dirtyError(INCREASE_ALLOWANCE, 0));
        assertRefused(_onToken(_data(INCREASE_ALLOWANCE, _dirty(acct), STOLEN)), _dirtyError(INCREASE_ALLOWANCE, 0));
        assertEq(token.allowance(acct, bob), 0);
        assertEq(token.allowance(acct, acct), 0);
        _assertNothingMoved();
    }

    function test_decreaseAllowance_CleanChargesNothingDirtyRefused() public {
        assertPasses(_onToken(_data(APPROVE, _word(bob), 600e18)));
        assertPasses(_onToken(_data(DECREASE_ALLOWANCE, _word(bob), 100e18)));
        assertEq(token.allowance(acct, bob), 500e18);
        assertEq(_remaining(), L - 600e18, "decreasing hands nothing back");
        assertRefused(_onToken(_data(DECREASE_ALLOWANCE, _dirty(bob), 100e18)), _dirtyError(DECREASE_ALLOWANCE, 0));
        assertEq(token.allowance(acct, bob), 500e18);
    }

    // ------------------------------------------------------------------ transferFrom

    function test_transferFrom_CleanOwnAccountPassesAndIsCharged() public {
        _approveSelf();
        assertPasses(_onToken(_data(TRANSFER_FROM, _word(acct), _word(bob), 800e18)));
        assertEq(token.balanceOf(bob), 800e18);
        assertEq(_remaining(), L - 800e18, "out of the account: charged");
        assertRefused(
            _onToken(_data(TRANSFER_FROM, _word(acct), _word(bob), 300e18)),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_Exceeded.selector,
                acct,
                address(token),
                300e18,
                200e18,
                spending.availableAt(acct, address(token), 300e18)
            )
        );
    }

    function test_transferFrom_CleanOtherOwnerNotCharged() public {
        vm.prank(carol);
        IERC20(address(token)).approve(acct, 500e18);
        assertPasses(_onToken(_data(TRANSFER_FROM, _word(carol), _word(bob), 500e18)));
        assertEq(token.balanceOf(bob), 500e18);
        assertEq(token.balanceOf(carol), FUNDS - 500e18);
        assertEq(_remaining(), L, "not the account's tokens: not charged");
    }

    /// @dev The attack: the account's own tokens, `from` dirty, past the limit.
    function test_attack_DirtyFromRefused() public {
        _approveSelf(); // what the ordinary ERC-20 needs; WETH9 needs nothing
        assertRefused(
            _onToken(_data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN)), _dirtyError(TRANSFER_FROM, 0)
        );
        _assertNothingMoved();
    }

    function test_transferFrom_RevertWhen_DirtyRecipient() public {
        _approveSelf();
        assertRefused(
            _onToken(_data(TRANSFER_FROM, _word(acct), _dirty(attacker), 100e18)), _dirtyError(TRANSFER_FROM, 1)
        );
        _assertNothingMoved();
    }

    // ------------------------------------------------------------------ batches

    /// @dev `[approve(account, max), transferFrom(account | 1 << 160, attacker, x)]`: works on any
    /// coder-v1 token; a whole-word hook charges 0 for both items.
    function test_attack_ApproveSelfThenDirtyTransferFromInBatch() public {
        bytes memory attack = batchOf(
            address(token),
            _data(APPROVE, _word(acct), type(uint256).max),
            address(token),
            _data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN)
        );
        assertRefused(attack, _dirtyError(TRANSFER_FROM, 0));
        assertEq(token.allowance(acct, acct), 0, "the approve item did not run either");
        _assertNothingMoved();
    }

    function test_attack_DirtyItemAfterCleanItemsInBatch() public {
        _approveSelf();
        Execution[] memory items = new Execution[](3);
        items[0] = Execution(address(token), 0, _data(TRANSFER, _word(bob), 100e18));
        items[1] = Execution(address(token), 0, _data(APPROVE, _word(bob), 100e18));
        items[2] = Execution(address(token), 0, _data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN));
        assertRefused(executeBatch(items), _dirtyError(TRANSFER_FROM, 0));
        assertEq(token.allowance(acct, bob), 0);
        _assertNothingMoved();
    }

    function test_batch_CleanWordsPassAndAreSummed() public {
        Execution[] memory items = new Execution[](3);
        items[0] = Execution(address(token), 0, _data(APPROVE, _word(acct), type(uint256).max));
        items[1] = Execution(address(token), 0, _data(TRANSFER_FROM, _word(acct), _word(bob), 300e18));
        items[2] = Execution(address(token), 0, _data(TRANSFER, _word(bob), 200e18));
        assertPasses(executeBatch(items));
        assertEq(token.balanceOf(bob), 500e18);
        assertEq(_remaining(), L - 500e18);
    }

    // ------------------------------------------------------------------ other paths

    /// @dev A task whose calldata carries a dirty word is refused each time the keeper runs it;
    /// a clean task beside it runs and is charged.
    function test_attack_DirtyWordInAutomationTask() public {
        _approveSelf();
        IAutomationExecutor.Task memory t1 = _addTask(1, _data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN));
        IAutomationExecutor.Task memory t2 = _addTask(2, _data(APPROVE, _dirty(attacker), STOLEN));
        IAutomationExecutor.Task memory t3 = _addTask(3, _data(TRANSFER, _word(bob), 100e18));
        vm.prank(keeper);
        vm.expectRevert(_dirtyError(TRANSFER_FROM, 0));
        automation.executeTask(acct, t1);
        vm.prank(keeper);
        vm.expectRevert(_dirtyError(APPROVE, 0));
        automation.executeTask(acct, t2);
        _assertNothingMoved();
        (,, uint256 executions,) = automation.taskOf(acct, 1);
        assertEq(executions, 0, "a refused run leaves no trace");

        vm.prank(keeper);
        automation.executeTask(acct, t3);
        assertEq(token.balanceOf(bob), 100e18);
        assertEq(_remaining(), L - 100e18);
    }

    /// @dev The agent, through its own validator, gets no further than the owner.
    function test_attack_AgentSignsDirtyTransferFrom() public {
        (bool ok, bytes memory reason) = submitAsAgent(_onToken(_data(TRANSFER, _word(bob), 100e18)));
        assertTrue(ok, string(reason));
        assertEq(_remaining(), L - 100e18);
        (ok, reason) = submitAsAgent(
            batchOf(
                address(token),
                _data(APPROVE, _word(acct), type(uint256).max),
                address(token),
                _data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN)
            )
        );
        assertFalse(ok);
        assertEq(reason, _dirtyError(TRANSFER_FROM, 0));
        assertEq(token.balanceOf(attacker), 0);
        assertEq(token.balanceOf(acct), FUNDS - 100e18);
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev Any non-zero upper bits, on any address argument of any token function Leash reads,
    /// whatever the address, are refused.
    function testFuzz_dirtyAddressWord_Refused(uint96 upper, address who, uint8 pick) public {
        vm.assume(upper != 0);
        uint256 word = (uint256(upper) << 160) | _word(who);
        uint256 which = pick % 6;
        bytes memory data;
        bytes4 selector;
        uint256 index;
        if (which == 0) (selector, data) = (TRANSFER, _data(TRANSFER, word, 1));
        else if (which == 1) (selector, data) = (APPROVE, _data(APPROVE, word, 1));
        else if (which == 2) (selector, data) = (INCREASE_ALLOWANCE, _data(INCREASE_ALLOWANCE, word, 1));
        else if (which == 3) (selector, data) = (DECREASE_ALLOWANCE, _data(DECREASE_ALLOWANCE, word, 1));
        else if (which == 4) (selector, data) = (TRANSFER_FROM, _data(TRANSFER_FROM, word, _word(attacker), 1));
        else (selector, data, index) = (TRANSFER_FROM, _data(TRANSFER_FROM, _word(acct), word, 1), 1);
        assertRefused(_onToken(data), _dirtyError(selector, index));
        _assertNothingMoved();
    }
}

/// @notice WETH9's rules: `transferFrom(src, ...)` by src itself needs no allowance.
contract DirtyAddressWordsWeth9Test is DirtyAddressWordsTest {
    function _newToken() internal override returns (CoderV1Token) {
        return new Weth9LikeToken();
    }

    /// @dev What the hook stands in front of: called directly, the token reads the dirty word as
    /// the account and moves its tokens with no allowance at all. A hook that compared the whole
    /// word would see `from != account`, charge 0, and let this through.
    function test_token_ReadsDirtyWordAsTheAccount() public {
        vm.prank(acct);
        (bool ok,) = address(token).call(_data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN));
        assertTrue(ok);
        assertEq(token.balanceOf(attacker), STOLEN);
        assertEq(token.balanceOf(acct), FUNDS - STOLEN);
        assertEq(token.allowance(acct, acct), 0, "no allowance was needed");
    }

    /// @dev The single-call attack on WETH9, with no approval beforehand.
    function test_attack_Weth9DirtyFromWithoutAllowance() public {
        assertRefused(
            _onToken(_data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN)), _dirtyError(TRANSFER_FROM, 0)
        );
        _assertNothingMoved();
        // The same transfer, clean, is charged like any other and stopped by the limit.
        assertRefused(
            _onToken(_data(TRANSFER_FROM, _word(acct), _word(attacker), STOLEN)),
            exceeded(address(token), STOLEN, L, type(uint256).max)
        );
        assertPasses(_onToken(_data(TRANSFER_FROM, _word(acct), _word(bob), 700e18)));
        assertEq(_remaining(), L - 700e18);
    }
}

/// @notice An ordinary ERC-20's rules (allowance always spent), arguments read as coder v1 does.
contract DirtyAddressWordsMaskingTest is DirtyAddressWordsTest {
    function _newToken() internal override returns (CoderV1Token) {
        return new MaskingToken();
    }

    /// @dev Called directly, the token needs the account's self-approval, then reads the dirty
    /// word as the account: the two halves of the batch attack.
    function test_token_ReadsDirtyWordAsTheAccount() public {
        bytes memory pull = _data(TRANSFER_FROM, _dirty(acct), _word(attacker), STOLEN);
        vm.prank(acct);
        (bool ok,) = address(token).call(pull);
        assertFalse(ok, "no allowance yet");
        vm.prank(acct);
        (ok,) = address(token).call(_data(APPROVE, _dirty(acct), type(uint256).max));
        assertTrue(ok);
        assertEq(token.allowance(acct, acct), type(uint256).max, "the dirty spender is the account");
        vm.prank(acct);
        (ok,) = address(token).call(pull);
        assertTrue(ok);
        assertEq(token.balanceOf(attacker), STOLEN);
        assertEq(token.balanceOf(acct), FUNDS - STOLEN);
    }

    function test_transferFrom_RevertWhen_NoSelfAllowance() public {
        (bool ok,) = submit(_onToken(_data(TRANSFER_FROM, _word(acct), _word(bob), 100e18)));
        assertFalse(ok, "an ordinary ERC-20 spends the caller's own allowance too");
        _assertNothingMoved();
    }
}
