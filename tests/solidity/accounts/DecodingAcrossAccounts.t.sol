// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IERC7579Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IKernel} from "modulekit/accounts/kernel/interfaces/IKernel.sol";

import {ExecutionDecoder} from "../../../contracts/libraries/ExecutionDecoder.sol";
import {HookMultiPlexer} from "../../../contracts/multiplexer/HookMultiPlexer.sol";
import {AccountHarness} from "../utils/accounts/AccountHarness.sol";
import {KernelHarness} from "../utils/accounts/KernelHarness.sol";
import {NexusHarness} from "../utils/accounts/NexusHarness.sol";
import {EIP7702Harness, OpenZeppelinHarness} from "../utils/accounts/OpenZeppelinHarness.sol";
import {ReferenceHarness} from "../utils/accounts/ReferenceHarness.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";
import {OwnerValidator} from "../utils/mocks/OwnerValidator.sol";

/// @dev Every call any recorder receives, in order.
contract Journal {
    struct Entry {
        address target;
        uint256 value;
        bytes data;
    }

    Entry[] internal _entries;

    function record(uint256 value, bytes calldata data) external {
        _entries.push(Entry(msg.sender, value, data));
    }

    function length() external view returns (uint256) {
        return _entries.length;
    }

    function at(uint256 i) external view returns (Entry memory) {
        return _entries[i];
    }
}

/// @dev A call target that accepts anything and writes it to the journal.
contract Recorder {
    Journal internal immutable JOURNAL;

    constructor(Journal journal) {
        JOURNAL = journal;
    }

    fallback() external payable {
        JOURNAL.record(msg.value, msg.data);
    }
}

/// @dev What Leash's decoder reports for `execute` calldata, or that it refuses it.
contract DecoderProbe {
    function decode(bytes calldata msgData) external pure returns (Execution[] memory items) {
        (ExecutionDecoder.Action action, ExecutionDecoder.Executions memory ex) = ExecutionDecoder.decode(msgData);
        require(action == ExecutionDecoder.Action.Execute);
        items = new Execution[](ex.count);
        for (uint256 i; i < ex.count; ++i) {
            (items[i].target, items[i].value, items[i].callData) = ExecutionDecoder.at(ex, i);
        }
    }
}

/// @notice Differential test of Leash's decoder against each account's own `execute` decoder over
/// canonical encodings and a corpus of non-canonical ones (odd offsets, aliased and out-of-order
/// tuples, lying lengths and counts, trailing bytes, dirty padding and addresses, empty batches,
/// unsupported modes). For every entry and every account: either Leash refuses it, or the account
/// runs exactly the calls Leash's decoder reported (targets, values, data, order).
abstract contract DecodingDifferential is AccountHarness {
    Journal internal journal;
    DecoderProbe internal probe;
    address[3] internal recorders;

    uint256 internal accepted;
    uint256 internal refused;
    /// @dev Entries Leash refuses that the account would run anyway (decoys a fixed-offset hook could miss).
    uint256 internal accountRunsRefused;

    function setUp() public {
        setUpAccount();
        journal = new Journal();
        probe = new DecoderProbe();
        for (uint256 i; i < 3; ++i) {
            recorders[i] = address(new Recorder(journal));
        }
    }

    // ------------------------------------------------------------------ the corpus

    function corpus() internal view returns (bytes[] memory entries) {
        bytes[] memory out = new bytes[](256);
        uint256 n;
        // Singles.
        bytes[2] memory singles =
            [abi.encodePacked(recorders[0], uint256(0)), abi.encodePacked(recorders[1], uint256(7), hex"deadbeef01")];
        for (uint256 i; i < singles.length; ++i) {
            n = outerMutations(out, n, 0x00, singles[i]);
        }
        // Shorter than target ++ value.
        out[n++] = executeWith(bytes32(0), abi.encodePacked(recorders[0], uint248(0)));
        // Batches.
        for (uint256 k = 1; k <= 3; ++k) {
            bytes memory batch = abi.encode(batchOf(k));
            n = outerMutations(out, n, 0x01, batch);
            n = innerMutations(out, n, batch, k);
        }
        out[n++] = executeWith(bytes32(uint256(1) << 248), abi.encode(new Execution[](0)));
        entries = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            entries[i] = out[i];
        }
    }

    function batchOf(uint256 k) internal view returns (Execution[] memory items) {
        items = new Execution[](k);
        bytes memory seventy = new bytes(70);
        seventy[69] = 0x07;
        items[0] = Execution(recorders[0], 1, hex"aa");
        if (k > 1) items[1] = Execution(recorders[1], 0, abi.encode(uint256(42)));
        if (k > 2) items[2] = Execution(recorders[2], 2, seventy);
    }

    function executeWith(bytes32 mode, bytes memory executionData) internal pure returns (bytes memory) {
        return abi.encodeCall(IERC7579Execution.execute, (mode, executionData));
    }

    /// @dev Mutations of the whole `execute` calldata around `executionData` of call type `callType`.
    function outerMutations(bytes[] memory out, uint256 n, uint8 callType, bytes memory executionData)
        internal
        pure
        returns (uint256)
    {
        bytes32 mode = bytes32(uint256(callType) << 248);
        bytes memory plain = executeWith(mode, executionData);
        out[n++] = plain;
        out[n++] = executeWith(mode | bytes32(uint256(1) << 240), executionData); // try mode
        out[n++] = bytes.concat(plain, hex"00"); // trailing byte
        out[n++] = bytes.concat(plain, bytes20(uint160(0xbeef))); // trailing 20 bytes
        out[n++] = bytes.concat(plain, bytes32(0)); // trailing word
        // Offset 0x60 with a spare word before the length: valid ABI, not canonical.
        out[n++] = bytes.concat(slice(plain, 0, 36), bytes32(uint256(0x60)), bytes32(0), slice(plain, 68, plain.length));
        out[n++] = withWord(plain, 68, executionData.length + 1); // length one too long
        out[n++] = withWord(plain, 68, executionData.length - 1); // length one too short
        out[n++] = executeWith(bytes32(uint256(0xff) << 248), executionData); // delegatecall
        out[n++] = executeWith(bytes32(uint256(0xfe) << 248), executionData); // staticcall
        out[n++] = executeWith(mode | bytes32(uint256(2) << 240), executionData); // unknown exec type
        out[n++] = executeWith(mode | bytes32(uint256(1) << 200), executionData); // mode selector set
        out[n++] = executeWith(mode | bytes32(uint256(1)), executionData); // mode payload set
        if (executionData.length % 32 != 0) {
            bytes memory dirty = bytes.concat(plain);
            dirty[dirty.length - 1] = 0x01; // dirty padding after the execution data
            out[n++] = dirty;
        }
        return n;
    }

    /// @dev Mutations inside `abi.encode(Execution[])` of `k` items, then canonically wrapped.
    function innerMutations(bytes[] memory out, uint256 n, bytes memory batch, uint256 k)
        internal
        pure
        returns (uint256)
    {
        bytes32 mode = bytes32(uint256(1) << 248);
        // Array offset 0x40 with a spare word: valid ABI, not canonical.
        out[n++] = executeWith(mode, bytes.concat(bytes32(uint256(0x40)), bytes32(0), slice(batch, 32, batch.length)));
        out[n++] = executeWith(mode, withWord(batch, 32, k + 1)); // count too high
        out[n++] = executeWith(mode, withWord(batch, 32, k - 1)); // count too low (or zero)
        out[n++] = executeWith(mode, bytes.concat(batch, bytes32(0))); // trailing word inside
        uint256 tuple0 = 64 + uint256(readWord(batch, 64));
        out[n++] = executeWith(mode, withWord(batch, tuple0 + 96, readWord(batch, tuple0 + 96) + 1)); // data length lies
        out[n++] = executeWith(mode, withWord(batch, tuple0, readWord(batch, tuple0) | (uint256(0xff) << 248))); // dirty address
        out[n++] = executeWith(mode, withWord(batch, tuple0 + 64, 0x80)); // callData offset moved
        if (k >= 2) {
            bytes memory swapped = withWord(batch, 64, readWord(batch, 96));
            out[n++] = executeWith(mode, withWord(swapped, 96, readWord(batch, 64))); // tuples out of order
            out[n++] = executeWith(mode, withWord(batch, 96, readWord(batch, 64))); // aliased tuples
            // Every item aliased onto the last tuple: the lengths still add up to the end.
            bytes memory ontoLast = bytes.concat(batch);
            for (uint256 i; i < k - 1; ++i) {
                ontoLast = withWord(ontoLast, 64 + 32 * i, readWord(batch, 64 + 32 * (k - 1)));
            }
            out[n++] = executeWith(mode, ontoLast);
        }
        return n;
    }

    // ------------------------------------------------------------------ the differential

    /// @dev The owner's validator the corpus goes through when it is not the owner's own path.
    address internal corpusValidator;

    /// @dev Runs `callData` as the owner's UserOp and compares what ran with what Leash decoded.
    function check(bytes memory callData, bool leashInstalled) internal {
        Execution[] memory decoded;
        bool leashAccepts;
        try probe.decode(callData) returns (Execution[] memory items) {
            (decoded, leashAccepts) = (items, true);
        } catch {}
        uint256 before = journal.length();
        (bool ran,) = corpusValidator == address(0)
            ? submitAsOwner(callData)
            : handleOp(userOpFor(corpusValidator, callData, owner.privateKey));
        uint256 executed = journal.length() - before;
        if (!leashAccepts) {
            ++refused;
            if (leashInstalled) assertFalse(ran, "Leash refuses what its decoder refuses");
            else if (ran && executed != 0) ++accountRunsRefused;
            return;
        }
        ++accepted;
        assertEq(callData, canonical(callData, decoded), "Leash accepts only the canonical encoding of what it decoded");
        assertTrue(ran, "the account runs what Leash accepted");
        assertEq(executed, decoded.length, "same number of calls");
        for (uint256 i; i < decoded.length; ++i) {
            Journal.Entry memory e = journal.at(before + i);
            assertEq(e.target, decoded[i].target, "target");
            assertEq(e.value, decoded[i].value, "value");
            assertEq(e.data, decoded[i].callData, "data");
        }
    }

    /// @dev `execute(mode, …)` re-encoded canonically from the decoded items, with the mode of `callData`.
    function canonical(bytes memory callData, Execution[] memory items) internal pure returns (bytes memory) {
        bytes32 mode = bytes32(readWord(callData, 4));
        if (mode[0] == 0x01) return executeWith(mode, abi.encode(items));
        return executeWith(mode, abi.encodePacked(items[0].target, items[0].value, items[0].callData));
    }

    function runCorpus(bool leashInstalled) internal {
        bytes[] memory entries = corpus();
        for (uint256 i; i < entries.length; ++i) {
            check(entries[i], leashInstalled);
        }
        emit log_named_uint(string.concat(accountName(), ": corpus entries"), entries.length);
        emit log_named_uint("  accepted by Leash, run exactly as decoded", accepted);
        emit log_named_uint("  refused by Leash", refused);
        if (!leashInstalled) emit log_named_uint("  of those, run by the account anyway", accountRunsRefused);
        assertEq(accepted + refused, entries.length);
        assertGt(accepted, 0);
        assertGt(refused, accepted);
    }

    /// @dev The account alone: whatever Leash's decoder accepts, the account runs exactly that.
    function test_differential_AccountRunsExactlyWhatLeashDecodes() public {
        runCorpus(false);
    }

    /// @dev With the multiplexer installed (no sub-hooks: its guard decodes every execution):
    /// Leash refuses every entry its decoder refuses, and the rest run exactly as decoded.
    function test_differential_LeashRefusesOrAccountRunsDecoded() public virtual {
        HookMultiPlexer mux = new HookMultiPlexer();
        bytes memory init = abi.encode(makeAddr("authority"), new address[](0), new bytes[](0));
        shimHookInstall(address(mux), true);
        ownerDoes(installHookCall(address(mux), init));
        shimHookInstall(address(mux), false);
        runCorpus(true);
    }

    // ------------------------------------------------------------------ bytes

    function slice(bytes memory data, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = data[from + i];
        }
    }

    function readWord(bytes memory data, uint256 at) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(data, 0x20), at))
        }
    }

    function withWord(bytes memory data, uint256 at, uint256 w) internal pure returns (bytes memory out) {
        out = bytes.concat(data);
        assembly ("memory-safe") {
            mstore(add(add(out, 0x20), at), w)
        }
    }
}

contract DecodingOnOpenZeppelinTest is DecodingDifferential, OpenZeppelinHarness {}

contract DecodingOnNexusTest is DecodingDifferential, NexusHarness {}

contract DecodingOnReferenceAccountTest is DecodingDifferential, ReferenceHarness {}

contract DecodingOnSafeTest is DecodingDifferential, SafeHarness {}

contract DecodingOnEIP7702Test is DecodingDifferential, EIP7702Harness {}

contract DecodingOnKernelTest is DecodingDifferential, KernelHarness {
    /// @dev Kernel's root validation carries no hook: the corpus goes through a second owner
    /// validation that carries the multiplexer (named in its install data), as the agent's does.
    function test_differential_LeashRefusesOrAccountRunsDecoded() public override {
        HookMultiPlexer mux = new HookMultiPlexer();
        OwnerValidator hooked = new OwnerValidator();
        bytes21 validation = bytes21(abi.encodePacked(bytes1(0x01), address(hooked)));
        bytes memory init = abi.encode(makeAddr("authority"), new address[](0), new bytes[](0), validation);
        bytes memory config = abi.encodePacked(
            address(mux),
            abi.encode(abi.encode(owner.addr), bytes.concat(hex"00", init), abi.encodePacked(ExecutionDecoder.EXECUTE))
        );
        ownerDoes(abi.encodeCall(IKernel.installModule, (1, address(hooked), config)));
        assertTrue(mux.isInitialized(account));
        corpusValidator = address(hooked);
        runCorpus(true);
    }
}
