// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {AllowlistHook} from "../../../contracts/allowlist/AllowlistHook.sol";
import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";

import {LeashTestAccount} from "../utils/LeashTestAccount.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @dev The authority lists, unlists and protects; the agent calls; a ghost model of the
/// matching rules predicts every verdict.
contract AllowlistHandler is Test {
    LeashTestAccount internal account;
    AllowlistHook internal hook;
    address internal authority;
    address[2] internal targets;
    bytes4[3] internal selectors = [Target.ping.selector, Target.pong.selector, bytes4(0x431e2cf5)];

    mapping(address => mapping(bytes4 => bool)) public listed; // ghost
    mapping(address => bool) public protectedGhost;
    uint256 public mismatches;
    uint256 public passed;

    constructor(LeashTestAccount a, AllowlistHook h, address au, address t0, address t1) {
        (account, hook, authority) = (a, h, au);
        targets = [t0, t1];
    }

    function toggle(uint256 t, uint256 s) external {
        address target = targets[t % 2];
        bytes4 selector = selectors[s % 3];
        vm.startPrank(authority);
        if (listed[target][selector]) hook.removePermission(address(account), target, selector);
        else hook.addPermission(address(account), target, selector);
        vm.stopPrank();
        listed[target][selector] = !listed[target][selector];
    }

    function protect(uint256 t) external {
        address target = targets[t % 2];
        vm.startPrank(authority);
        if (protectedGhost[target]) hook.removeProtected(address(account), target);
        else hook.addProtected(address(account), target);
        vm.stopPrank();
        protectedGhost[target] = !protectedGhost[target];
    }

    function call(uint256 t, uint256 s) external {
        address target = targets[t % 2];
        bytes4 selector = selectors[s % 2]; // a real function: ping or pong
        bool expected = !protectedGhost[target] && (listed[target][bytes4(0x431e2cf5)] || listed[target][selector]);
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        try account.execute(bytes32(0), abi.encodePacked(target, uint256(0), selector)) {
            if (!expected) ++mismatches;
            ++passed;
        } catch {
            if (expected) ++mismatches;
        }
    }
}

contract AllowlistInvariantTest is Test {
    AllowlistHandler internal handler;
    AllowlistHook internal hook;
    LeashTestAccount internal account;

    function setUp() public {
        account = new LeashTestAccount(address(0xA11CE));
        hook = new AllowlistHook(address(0), new address[](0));
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        account.installModule(
            MODULE_TYPE_HOOK,
            address(hook),
            abi.encode(address(0xA0), IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0), new address[](0))
        );
        handler = new AllowlistHandler(account, hook, address(0xA0), address(new Target()), address(new Target()));
        targetContract(address(handler));
    }

    /// Every call's verdict equals the model's: listed pair or wildcard, and never a protected target.
    function invariant_VerdictMatchesTheRules() public view {
        assertEq(handler.mismatches(), 0);
    }

    /// The account and the allowlist itself stay protected whatever was listed.
    function invariant_LeashAlwaysProtected() public view {
        assertTrue(hook.isProtected(address(account), address(account)));
        assertTrue(hook.isProtected(address(account), address(hook)));
    }
}
