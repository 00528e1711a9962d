//! Model against contract: random sequences of agent operations (transfers, calls, short and
//! zero-selector calldata), configuration changes (allow and block mode, exact and wildcard
//! entries, protected addresses), guardian actions and the authority's recovery, a keeper's task
//! (start, expiry, cooldown, maximum runs) and time jumps, driven through the real account on
//! Anvil (`driver`), with a pure Rust model of the same rules (`reference`). After every step the
//! contract's verdict (accepted, or the exact revert data) and its views must equal the model's;
//! over the whole sequence an exact sliding log of accepted spends (the agent's and the task's)
//! must never show more than the limit inside any window.
//!
//! The account runs the policy engine; a shorter run checks the same rules on the multiplexer
//! stack (the separate hooks), and a fixed case fills a limit exactly on both. Sessions have a
//! model of their own (`model/sessions.rs`, its model and driver apart as here): three agents'
//! sessions on one account, against the engine and AgentValidator.
//!
//! Depth: by default the engine's cases run until 20,000 steps have been checked against the chain
//! (time jumps not counted), the multiplexer's until 2,000; `LEASH_MODEL_STEPS=N` asks for N of
//! the engine (and a tenth of N of the multiplexer), `PROPTEST_CASES=N` for exactly N cases each.
//! Cases are spread over one Anvil per worker (`LEASH_MODEL_WORKERS`, default one per core; the
//! multiplexer's run uses one).
//! Failures shrink to a minimal readable sequence; committed seeds in
//! `proptest-regressions/model.txt` replay first.

mod driver;
mod reference;
mod sessions;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner};

use alloy::sol_types::SolError;
use driver::Driver;
use leash::abi::SpendingLimitHook::SpendingLimit_Exceeded;
use leash::config::HookStack;
use reference::{step, Model, Step, Verdict, LIMIT, WIDTH};

const DEFAULT_STEPS: u64 = 20_000;
/// Checked steps in an average case (1 to 39 operations, about one in six a time jump): sizes
/// the first round of cases towards a step budget.
const STEPS_PER_CASE: u64 = 16;

enum Depth {
    Cases(u32),
    Steps(u64),
}

#[derive(Default)]
struct Tally {
    checked: AtomicU64,
    warps: AtomicU64,
    cases: AtomicU64,
    task_runs: AtomicU64,
    failed: AtomicBool,
}

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok())
}

#[test]
fn leash_matches_its_model() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let steps = env("LEASH_MODEL_STEPS").unwrap_or(DEFAULT_STEPS);
    check_against_model(HookStack::Engine, steps, env("LEASH_MODEL_WORKERS").unwrap_or(cores));
}

#[test]
fn the_multiplexer_stack_matches_the_same_model() {
    let steps = env("LEASH_MODEL_STEPS").unwrap_or(DEFAULT_STEPS) / 10;
    check_against_model(HookStack::Multiplexer, steps, 1);
}

/// A worker's own runtime: proptest calls each case synchronously, so a worker drives its chain
/// by blocking on one thread rather than from inside an async test.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

/// Ten spends of 100 fill a limit of 1,000 exactly (buckets keep exact amounts: none is rounded),
/// the eleventh is refused, with the time the first spends' bucket leaves the window as the time
/// it fits, and refused one second before that time and accepted at it: the model says so, and
/// the contracts agree step by step, on the engine and on the multiplexer stack.
#[test]
fn ten_spends_of_100_fill_a_limit_of_1000_exactly() {
    const FILL: u64 = 1_000;
    leash_anvil_tests::ensure_artifacts().expect("forge artifacts");
    let rt = runtime();
    for stack in [HookStack::Engine, HookStack::Multiplexer] {
        let mut driver = rt.block_on(Driver::spawn(stack, FILL)).expect("test chain");
        // Five spends in one bucket, five in the next: the window holds them all.
        let mut steps: Vec<Step> = vec![Step::Spend(100); 5];
        steps.push(Step::Warp(WIDTH));
        steps.extend(vec![Step::Spend(100); 5]);
        steps.push(Step::Spend(100));
        // The model alone first: when the eleventh would fit.
        let mut model = Model::new(driver.names, driver.start, driver.task_starts_at, FILL);
        let verdicts: Vec<Verdict> = steps.iter().filter_map(|s| model.transition(s)).collect();
        assert!(
            verdicts[..10].iter().all(Option::is_none),
            "{stack:?}: the first ten fit exactly: {verdicts:?}"
        );
        let refusal = verdicts[10].as_ref().expect("the eleventh spend is refused");
        let refusal = SpendingLimit_Exceeded::abi_decode(refusal).expect("a spending refusal");
        assert_eq!(refusal.remaining, alloy::primitives::U256::ZERO, "nothing is left: the limit is full");
        let first_bucket = (driver.start + 1) / WIDTH;
        let fits_at = refusal.availableAt.to::<u64>();
        assert_eq!(fits_at, (first_bucket + 5) * WIDTH, "it fits when the first bucket leaves the window");
        // One second before that time (a step takes its own second), then at it.
        steps.push(Step::Warp(fits_at - 2 - model.now()));
        steps.push(Step::Spend(100));
        steps.push(Step::Spend(100));
        let verdicts = rt
            .block_on(run_sequence(&mut driver, &steps))
            .unwrap_or_else(|e| panic!("{stack:?}: the contracts disagree with the model: {e}"));
        let n = verdicts.len();
        assert_eq!(n, 13);
        assert!(verdicts[n - 2].is_some(), "{stack:?}: refused one second early");
        assert!(verdicts[n - 1].is_none(), "{stack:?}: accepted once the first bucket is out");
    }
}

/// Three sessions on one account against their model (`sessions`): by default 30 cases of 1 to
/// 30 steps on one Anvil node (`LEASH_SESSION_CASES=N` for N), each step mined at the model's
/// second; the verdicts, every session's `sessionOf` and `sessionRemaining`, and the guardian's
/// `pausedUntil` compared after each step.
#[test]
fn sessions_match_their_model() {
    let cases = env("LEASH_SESSION_CASES").unwrap_or(30) as u32;
    leash_anvil_tests::ensure_artifacts().expect("forge artifacts");
    let rt = runtime();
    let driver = rt.block_on(sessions::Driver::spawn()).expect("test chain");
    let started = Instant::now();
    let (checked, accepted) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/model-sessions.txt",
        ))),
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(sessions::step(), 1..30), |steps| {
        rt.block_on(async {
            driver.reset().await.map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
            let mut model = sessions::Model::new(driver.names, driver.configs.clone(), driver.start);
            for s in &steps {
                let expected = model.transition(s);
                let at = model.now();
                let got = driver
                    .perform(s, at)
                    .await
                    .map_err(|e| TestCaseError::fail(format!("{s:?} at t={at}: {e:#}")))?;
                prop_assert_eq!(&got, &expected, "verdict of {:?} at t={}", s, at);
                if expected.is_some() {
                    checked.fetch_add(1, Ordering::Relaxed);
                }
                if expected == Some(sessions::Verdict::Accepted) {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                let views = driver.views().await.map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
                prop_assert_eq!(views, model.views(), "sessionOf after {:?} at t={}", s, at);
                // At the chain's time: the last block's, which a time jump does not move.
                let mined = !matches!(s, sessions::Step::Warp(_));
                for session in 0..3 {
                    if let Some(expected) = model.remaining(session).filter(|_| mined) {
                        let got = driver
                            .remaining(session)
                            .await
                            .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
                        prop_assert_eq!(
                            got,
                            expected,
                            "sessionRemaining of {} after {:?} at t={}",
                            session,
                            s,
                            at
                        );
                    }
                }
                if let Some((target, selector, rule, expected)) = model.cap_remaining(1).filter(|_| mined) {
                    let got = driver
                        .cap_remaining(1, target, selector, rule)
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
                    prop_assert_eq!(got, expected, "sessionArgumentRemaining after {:?} at t={}", s, at);
                }
                let paused =
                    driver.paused_until().await.map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
                prop_assert_eq!(paused, model.paused_until(), "pausedUntil after {:?} at t={}", s, at);
            }
            Ok(())
        })
    });
    println!(
        "sessions: model-checked {} operations ({} accepted, {} grants enabled in an operation) in {cases} cases in {:.1} s",
        checked.load(Ordering::Relaxed),
        accepted.load(Ordering::Relaxed),
        sessions::ENABLED.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The model with the stack on the account: cases until `steps` are checked, over `workers` nodes.
fn check_against_model(stack: HookStack, steps: u64, workers: u64) {
    let depth = match env("PROPTEST_CASES") {
        Some(cases) => Depth::Cases(cases as u32),
        None => Depth::Steps(steps),
    };
    let mut workers = workers.max(1);
    if let Depth::Cases(n) = depth {
        workers = workers.min(n as u64).max(1);
    }
    // A build of the artifacts, if one is needed, is not the model's time.
    leash_anvil_tests::ensure_artifacts().expect("forge artifacts");
    let tally = Tally::default();
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|i| {
                s.spawn({
                    let (depth, tally) = (&depth, &tally);
                    move || worker(stack, i, workers, depth, tally)
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap_or_else(|_| Err("a worker panicked".into())).err())
            .collect()
    });
    let secs = started.elapsed().as_secs_f64();
    let checked = tally.checked.load(Ordering::Relaxed);
    println!(
        "{}: model-checked {checked} steps ({} cases, {} time jumps besides) in {secs:.1} s on {workers} Anvil nodes: {:.0} steps/s",
        stack.name(),
        tally.cases.load(Ordering::Relaxed),
        tally.warps.load(Ordering::Relaxed),
        checked as f64 / secs
    );
    println!("the keeper's task ran {} times", tally.task_runs.load(Ordering::Relaxed));
    if let Some(first) = failures.first() {
        panic!("{first}");
    }
    if let Depth::Steps(goal) = depth {
        assert!(checked >= goal, "only {checked} of {goal} steps were checked");
    }
}

/// One Anvil node running rounds of cases until the depth is reached or another worker failed.
fn worker(stack: HookStack, index: u64, workers: u64, depth: &Depth, tally: &Tally) -> Result<(), String> {
    let result = rounds(stack, index, workers, depth, tally);
    if result.is_err() {
        tally.failed.store(true, Ordering::Relaxed);
    }
    result
}

fn rounds(stack: HookStack, index: u64, workers: u64, depth: &Depth, tally: &Tally) -> Result<(), String> {
    let rt = runtime();
    let driver =
        RefCell::new(rt.block_on(Driver::spawn(stack, LIMIT)).map_err(|e| format!("test chain: {e:#}"))?);
    for round in 0u64.. {
        let cases = match depth {
            Depth::Cases(n) => {
                if round > 0 {
                    break;
                }
                // This worker's share of the cases.
                let (n, w, i) = (*n as u64, workers, index);
                n / w + u64::from(i < n % w)
            }
            Depth::Steps(goal) => {
                let left = goal.saturating_sub(tally.checked.load(Ordering::Relaxed));
                left.div_ceil(STEPS_PER_CASE * workers)
            }
        };
        if cases == 0 || tally.failed.load(Ordering::Relaxed) {
            break;
        }
        let defaults = Config::default();
        // Workers and rounds draw different cases even from a fixed PROPTEST_RNG_SEED.
        let rng_seed = match defaults.rng_seed {
            RngSeed::Fixed(seed) => RngSeed::Fixed(seed.wrapping_add(index + 1_000 * round)),
            random => random,
        };
        let mut runner = TestRunner::new(Config {
            cases: cases as u32,
            rng_seed,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
                "proptest-regressions/model.txt",
            ))),
            ..defaults
        });
        let result = runner.run(&prop::collection::vec(step(), 1..40), |steps| {
            if tally.failed.load(Ordering::Relaxed) {
                return Ok(()); // another worker failed: finish quickly
            }
            rt.block_on(run_case(&mut driver.borrow_mut(), &steps, tally))
        });
        result.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One sequence from the snapshot: each step through the model and the chain, compared.
async fn run_case(driver: &mut Driver, steps: &[Step], tally: &Tally) -> Result<(), TestCaseError> {
    let (_, model) = compare(driver, steps, Some(tally)).await?;
    tally.cases.fetch_add(1, Ordering::Relaxed);
    tally.task_runs.fetch_add(model.task_runs() as u64, Ordering::Relaxed);
    Ok(())
}

/// A fixed sequence: the verdicts, each the model's and the contracts' alike.
async fn run_sequence(driver: &mut Driver, steps: &[Step]) -> Result<Vec<Verdict>, TestCaseError> {
    Ok(compare(driver, steps, None).await?.0)
}

/// Each step of `steps` through the model and the chain, from the snapshot: verdicts and views
/// compared after every step, and the exact sliding log checked.
async fn compare(
    driver: &mut Driver,
    steps: &[Step],
    tally: Option<&Tally>,
) -> Result<(Vec<Verdict>, Model), TestCaseError> {
    driver.reset(steps).await.map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    let mut model = Model::new(driver.names, driver.start, driver.task_starts_at, driver.limit);
    let mut verdicts = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let Some(expected) = model.transition(s) else {
            if let Some(tally) = tally {
                tally.warps.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        };
        let at = model.now();
        let fail = |e: eyre::Report| TestCaseError::fail(format!("{s:?} at t={at}: {e:#}"));
        let checked = async {
            let got = driver.perform(s, at, expected.is_some()).await.map_err(fail)?;
            prop_assert_eq!(&got, &expected, "verdict of {:?} at t={}", s, at);
            let views = driver.views(at, model.next_chain_time(&steps[i + 1..])).await.map_err(fail)?;
            prop_assert_eq!(views, model.views(), "views after {:?} at t={}", s, at);
            model.check_log().map_err(TestCaseError::fail)
        };
        tokio::time::timeout(Duration::from_secs(30), checked)
            .await
            .unwrap_or_else(|_| Err(TestCaseError::fail(format!("{s:?} timed out"))))?;
        if let Some(tally) = tally {
            tally.checked.fetch_add(1, Ordering::Relaxed);
        }
        verdicts.push(expected);
    }
    Ok((verdicts, model))
}
