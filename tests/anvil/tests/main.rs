//! Leash on the dev chain, in one test binary: each module is one area, and its tests run in one
//! parallel pool (`cargo test -p leash-anvil-tests -- model::` runs one area).

/// One test per case of a shared scenario: `cases!(run: name => arg, …)` makes a `#[tokio::test]`
/// `name` that awaits `run(arg)`.
macro_rules! cases {
    ($run:ident: $($name:ident => $arg:expr),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() -> eyre::Result<()> {
                $run($arg).await
            }
        )+
    };
}

mod accounts;
mod admin;
mod agent;
mod bundler;
mod demo;
mod deploy;
mod eoa;
mod example;
mod model;
mod policy;
mod reproducible;
mod sessions;
mod status;
mod storage_layout;
mod testbed;
mod words;
