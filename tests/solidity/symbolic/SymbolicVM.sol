// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev The few halmos cheatcodes the symbolic checks use (halmos 0.3.3 serves them at `SVM_ADDRESS`).
/// Only halmos runs `check_*` functions; forge compiles this folder but never calls them.
interface SymbolicVM {
    function createUint256(string calldata name) external returns (uint256);
    function createUint(uint256 bits, string calldata name) external returns (uint256);
    function createBytes4(string calldata name) external returns (bytes4);
    function createBytes(uint256 length, string calldata name) external returns (bytes memory);
    function createAddress(string calldata name) external returns (address);
    function createBool(string calldata name) external returns (bool);
}

/// @dev Base of every symbolic check: the cheatcode handle, and `_pin`, which splits the paths on
/// a symbolic word so that each path sees it as one concrete value (halmos needs concrete calldata
/// offsets; the split covers every value, so nothing is assumed away).
abstract contract SymbolicBase {
    SymbolicVM internal constant svm = SymbolicVM(0xF3993A62377BCd56AE39D773740A5390411E8BC9);

    /// @dev On each path: `w` equals one value in [0, max] (returned true), or exceeds `max` (false).
    function _pin(uint256 w, uint256 max) internal pure returns (bool small) {
        if (w > max) return false;
        for (uint256 c; c <= max; ++c) {
            if (w == c) return true;
        }
    }
}
