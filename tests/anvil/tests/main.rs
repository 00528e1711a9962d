//! Leash on the dev chain, in one test binary: each module is one area, and its tests run in one
//! parallel pool (`cargo test -p leash-anvil-tests -- model::` runs one area).

mod demo;
mod deploy;
mod example;
mod model;
mod policy;
mod reproducible;
mod sessions;
mod storage_layout;
mod testbed;
mod words;
