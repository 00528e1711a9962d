//! Interfaces of the test bed's own contracts, declared here so that this crate compiles before
//! forge has run (or after a command that left `out/` without them); their bytecode is read from
//! the artifacts at run time, built on demand by [`crate::ensure_artifacts`].

use alloy::sol;

sol! {
    #[sol(rpc)]
    #[derive(Debug)]
    interface TestToken {
        function mint(address to, uint256 amount) external;
        function balanceOf(address owner) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
    }
}
