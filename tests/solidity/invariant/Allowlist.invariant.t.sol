// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {AllowlistHook} from "../../../contracts/allowlist/AllowlistHook.sol";
import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";

import {InvariantBase} from "../utils/InvariantBase.sol";
import {LeashTestAccount} from "../utils/LeashTestAccount.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @dev The authority lists, unlists and protects; the agent calls; a ghost model of the
/// matching rules predicts every verdict.
contract AllowlistHandler is Test {
    LeashTestAccount internal account;
    AllowlistHook internal hook;
    address internal authority;
    /// Two ordinary targets, then the account itself and the allowlist (protected whatever is listed).
    address[4] internal targets;
    bytes4[3] internal selectors = [Target.ping.selector, Target.pong.selector, bytes4(0x431e2cf5)];

    mapping(address => mapping(bytes4 => bool)) public listed; // ghost
    mapping(address => bool) public protectedGhost;
    uint256 public mismatches;
    uint256 public passed;
    uint256 public leashReached; // calls to the account or the allowlist that went through

    constructor(LeashTestAccount a, AllowlistHook h, address au, address t0, address t1) {
        (account, hook, authority) = (a, h, au);
        targets = [t0, t1, address(a), address(h)];
    }

    /// The authority lists or unlists any pair, the account and the allowlist included (where the
    /// hook refuses, nothing changes).
    function toggle(uint256 t, uint256 s) external {
        address target = targets[t % 4];
        bytes4 selector = selectors[s % 3];
        bool isListed = listed[target][selector];
        try this.list(target, selector, !isListed) {
            listed[target][selector] = !isListed;
        } catch {}
    }

    function list(address target, bytes4 selector, bool add) external {
        require(msg.sender == address(this));
        vm.startPrank(authority);
        if (add) hook.addPermission(address(account), target, selector);
        else hook.removePermission(address(account), target, selector);
        vm.stopPrank();
    }

    /// The authority protects or unprotects any target, the account and the allowlist included.
    function protect(uint256 t) external {
        address target = targets[t % 4];
        bool isProtected = protectedGhost[target];
        try this.guardTarget(target, !isProtected) {
            protectedGhost[target] = !isProtected;
        } catch {}
    }

    function guardTarget(address target, bool add) external {
        require(msg.sender == address(this));
        vm.startPrank(authority);
        if (add) hook.addProtected(address(account), target);
        else hook.removeProtected(address(account), target);
        vm.stopPrank();
    }

    function call(uint256 t, uint256 s) external {
        address target = targets[t % 4];
        bytes4 selector = selectors[s % 2]; // a real function: ping or pong
        bool leash = target == address(account) || target == address(hook);
        // To the allowlist: a function the account could run there (a tightening one), not a missing one.
        bytes memory data = target == address(hook)
            ? abi.encodeCall(hook.addProtected, (address(account), targets[0]))
            : abi.encodePacked(selector);
        bool expected =
            !leash && !protectedGhost[target] && (listed[target][bytes4(0x431e2cf5)] || listed[target][selector]);
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        try account.execute(bytes32(0), abi.encodePacked(target, uint256(0), data)) {
            if (!expected) ++mismatches;
            if (leash) ++leashReached;
            ++passed;
        } catch {
            if (expected) ++mismatches;
        }
    }
}

contract AllowlistInvariantTest is InvariantBase {
    AllowlistHandler internal handler;
    AllowlistHook internal hook;
    LeashTestAccount internal account;

    function setUp() public {
        hook = new AllowlistHook(address(0), new address[](0));
        account = newAccountWith(
            MODULE_TYPE_HOOK,
            address(hook),
            abi.encode(address(0xA0), IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0), new address[](0))
        );
        handler = new AllowlistHandler(account, hook, address(0xA0), address(new Target()), address(new Target()));
        bytes4[] memory actions = new bytes4[](3);
        (actions[0], actions[1], actions[2]) =
        (AllowlistHandler.toggle.selector, AllowlistHandler.protect.selector, AllowlistHandler.call.selector);
        targetActions(address(handler), actions);
    }

    /// Every call's verdict equals the model's: listed pair or wildcard, and never a protected target.
    function invariant_VerdictMatchesTheRules() public view {
        assertEq(handler.mismatches(), 0);
    }

    /// The account and the allowlist itself stay protected whatever the authority listed, unlisted,
    /// protected or unprotected: no call to either ever went through.
    function invariant_LeashAlwaysProtected() public view {
        assertEq(handler.leashReached(), 0);
        assertTrue(hook.isProtected(address(account), address(account)));
        assertTrue(hook.isProtected(address(account), address(hook)));
    }
}
