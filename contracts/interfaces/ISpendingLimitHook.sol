// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILeashModule} from "./ILeashModule.sol";
import {IERC7579Hook} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @title ISpendingLimitHook
/// @notice Per-token caps over strict rolling windows, plus an optional per-transaction cap.
/// @dev What counts as an outflow of token T (NATIVE_TOKEN = address(0) is the chain's coin):
///   - native: the value of every execution item, summed over a batch (overflow reverts);
///   - to a limited ERC-20 T: `transfer(to, x)` and `approve(spender, x)` count x in full,
///     `increaseAllowance(spender, x)` counts x, `transferFrom(account, to, x)` counts x;
///     an allowance the account grants itself counts when it is used, not when granted;
///     `decreaseAllowance` counts nothing; any other function of T is refused
///     (`permit`, `transferAndCall`, ... could move or approve it unseen);
///   - try-mode: every item counts as if it succeeds (conservative).
/// Each limit (amount, window) must hold at once with the others and with the per-transaction cap:
/// in no interval of `window` seconds may recorded spends exceed `amount` (see PackedWindow for
/// the bucket granularity: early refusal by at most `window / 4` seconds, never late). Limit
/// amounts are at most 2^95 - 1 and windows at most 100,000,000 s (PackedWindow's `Window_*`
/// errors, with the figures, at configuration).
interface ISpendingLimitHook is IERC7579Hook, ILeashModule {
    struct LimitConfig {
        uint256 amount;
        uint256 window; // seconds, at least 60, at most 100,000,000, a multiple of 4
    }

    struct TokenPolicy {
        address token; // NATIVE_TOKEN for the chain's coin
        uint256 perTxCap; // 0: no per-transaction cap
        LimitConfig[] limits;
    }

    event TokenPolicySet(address indexed account, address indexed token, uint256 perTxCap, LimitConfig[] limits);
    event TokenPolicyRemoved(address indexed account, address indexed token);
    event Spent(address indexed account, address indexed token, uint256 amount);

    /// @notice `attempted` would exceed the limit; `remaining` is what fits now, `availableAt` the
    /// first second at which `attempted` fits (`type(uint256).max`: never, it exceeds the limit itself).
    error SpendingLimit_Exceeded(
        address account, address token, uint256 attempted, uint256 remaining, uint256 availableAt
    );
    error SpendingLimit_PerTxCapExceeded(address account, address token, uint256 attempted, uint256 cap);
    /// @notice A function of a limited token that could move or approve it without being counted.
    error SpendingLimit_UnsupportedTokenCall(address account, address token, bytes4 selector);
    error SpendingLimit_MalformedTokenCall(address account, address token, bytes4 selector, uint256 length);
    /// @notice Argument `index` of a call to a limited token is an address word with non-zero
    /// upper 96 bits: a token compiled with ABI coder v1 would read it as another address than
    /// the word says, so it is refused rather than interpreted.
    error SpendingLimit_DirtyAddressArgument(address account, address token, bytes4 selector, uint256 index);
    error SpendingLimit_TooManyTokens(address account, uint256 max);
    error SpendingLimit_TooManyLimits(address token, uint256 given, uint256 max);
    error SpendingLimit_NoLimits(address token);
    error SpendingLimit_UnknownToken(address account, address token);
    /// @notice The account may only tighten: same windows, amounts and cap no higher.
    error SpendingLimit_NotTightening(address account, address token);

    function NATIVE_TOKEN() external view returns (address);
    function MAX_TOKENS() external view returns (uint256);
    function MAX_LIMITS_PER_TOKEN() external view returns (uint256);

    /// @notice Tokens with a policy for `account`.
    function tokensOf(address account) external view returns (address[] memory);
    /// @notice The policy of `token` for `account` (empty limits when none).
    function policyOf(address account, address token)
        external
        view
        returns (uint256 perTxCap, LimitConfig[] memory limits);
    /// @notice What `account` may still spend of `token` now: the smallest headroom over its
    /// limits and its per-transaction cap (`type(uint256).max` if the token is not limited).
    function remaining(address account, address token) external view returns (uint256);
    /// @notice The same at a future `timestamp` (>= now), if nothing more is spent.
    function remainingAt(address account, address token, uint256 timestamp) external view returns (uint256);
    /// @notice The first second at which `amount` fits every limit of `token` (now if it fits).
    function availableAt(address account, address token, uint256 amount) external view returns (uint256);

    /// @notice Sets (or replaces) the policy of one token. Authority; or the account when it only
    /// tightens an existing policy. Spent history is kept: a change never hands back spent allowance.
    function setTokenPolicy(address account, TokenPolicy calldata policy) external;
    /// @notice Removes the limits of `token` (loosening: authority only).
    function removeTokenPolicy(address account, address token) external;
}
