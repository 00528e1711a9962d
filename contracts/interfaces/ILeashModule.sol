// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ILeashModule
/// @notice What every Leash module shares: the authority named at install, and the authority's
/// one-time approvals of exact changes the account itself may not make alone.
/// @dev Roles. The account's own calls (the agent's operations) may only tighten a policy. The
/// authority calls modules directly (never through the account, so a pause cannot lock it out)
/// and may loosen, reconfigure or approve. An approval covers one exact `msgData` (the calldata
/// the account hands its hook: `installModule(...)`, `uninstallModule(...)`, or an `execute(...)`
/// that calls the account itself), is consumed on use, and is dropped at uninstall. It is spent
/// only by a top-level call: one whose sender is not the account, or, on the policy engine, a
/// Safe's call to itself while none of its hooked calls is in progress (its owners'
/// `execTransaction`). A call the account makes to itself inside an execution can never spend an
/// approval made for the owner's own operation.
interface ILeashModule {
    /// @notice The authority of `account` changed (also emitted at install).
    event AuthoritySet(address indexed account, address indexed authority);
    /// @notice The authority approved the exact change whose `msgData` hashes to `changeHash`.
    event ChangeApproved(address indexed account, bytes32 indexed changeHash);
    event ApprovalRevoked(address indexed account, bytes32 indexed changeHash);
    /// @notice An approved change was executed; the approval is spent.
    event ApprovalUsed(address indexed account, bytes32 indexed changeHash);

    error Leash_NotInstalled(address account);
    /// @notice The execution names a session (its mode's selector is ExecutionDecoder.SESSION_MODE),
    /// whose scope only the policy engine applies: this hook refuses it.
    error Leash_SessionsNeedTheEngine(address account, address session);
    error Leash_AlreadyInstalled(address account);
    /// @notice `onInstall` / `onUninstall` called outside a real install or uninstall of this
    /// module on `account` (only the account's own module management may call them).
    error Leash_NotInstalling(address account);
    /// @notice The authority must be a real address other than the account it governs.
    error Leash_InvalidAuthority(address account, address authority);
    /// @notice Only `authority` may make this change (it loosens or reconfigures a policy).
    error Leash_OnlyAuthority(address account, address caller, address authority);
    /// @notice Only the account (tightening) or its authority may call this.
    error Leash_OnlyAccountOrAuthority(address account, address caller);
    /// @notice Installing or uninstalling a module on the account needs the authority's approval
    /// of this exact call: `approveChange(account, changeHash)`.
    error Leash_ModuleChangeNotApproved(address account, bytes4 selector, address module, bytes32 changeHash);
    /// @notice The account may not call itself (its own management functions live there) unless
    /// the authority approved this exact call: `approveChange(account, changeHash)`.
    error Leash_SelfCallNotApproved(address account, bytes32 changeHash);
    /// @notice The account may call a Leash module only through the functions that can only
    /// tighten; anything else (installing, hook entry points, loosening), and a call to any
    /// contract's module lifecycle functions (`onInstall`, `onUninstall`), needs the authority's
    /// approval of this exact call: `approveChange(account, changeHash)`.
    error Leash_ModuleCallNotApproved(address account, address module, bytes4 selector, bytes32 changeHash);
    /// @notice The account may not move its EntryPoint deposit or stake (`withdrawTo`,
    /// `withdrawStake`, `unlockStake`, `addStake` at its EntryPoint): the deposit would leave
    /// without passing the native limits. Only with the authority's approval of this exact call.
    error Leash_DepositCallNotApproved(address account, address entryPoint, bytes4 selector, bytes32 changeHash);
    /// @notice AgentValidator validated an operation of the account's agent earlier in this
    /// transaction: no approved change of the account runs in it. The EntryPoint validates every
    /// operation of a bundle before it executes any, so the agent's operation would execute after
    /// the change, under rules it was not validated for (without the hook, after its removal).
    error Leash_AgentOperationInTransaction(address account);

    /// @notice The authority of `account`, or zero when the module is not installed for it.
    function authorityOf(address account) external view returns (address);

    /// @notice Hands the authority of `account` to `newAuthority`, voiding every pending approval.
    /// The authority's own call only (never through the account).
    function setAuthority(address account, address newAuthority) external;

    /// @notice Approves one use of the exact change whose account-level `msgData` hashes to
    /// `changeHash` (`keccak256(msgData)`, without the ERC-2771 sender Safe7579 appends:
    /// `ExecutionDecoder.withoutSender`). The
    /// authority's own call only.
    function approveChange(address account, bytes32 changeHash) external;

    /// @notice Withdraws an unused approval. The authority's own call only.
    function revokeApproval(address account, bytes32 changeHash) external;

    /// @notice Whether an unused approval for `changeHash` exists.
    function isApproved(address account, bytes32 changeHash) external view returns (bool);

    /// @notice Whether `account` is, right now, executing a change its authority approved through
    /// this module. Leash modules then accept the account's own call as the authority's (the
    /// approved change may loosen them). Held in transient storage, cleared by `postCheck`.
    function approvedChangeInProgress(address account) external view returns (bool);
}
