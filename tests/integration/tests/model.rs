//! Model against contract: random sequences of agent operations (transfers, calls, short and
//! zero-selector calldata), configuration changes (allow and block mode, exact and wildcard
//! entries, protected addresses), guardian actions and the authority's recovery, a keeper's task
//! (start, expiry, cooldown, maximum runs) and time jumps, driven through the real account on
//! Anvil (`driver`), with a pure Rust model of the same rules (`reference`). After every step the
//! contract's verdict (accepted, or the exact revert data) and its views must equal the model's;
//! over the whole sequence an exact sliding log of accepted spends (the agent's and the task's)
//! must never show more than the limit inside any window.
//!
//! Depth: by default cases run until 20,000 steps have been checked against the chain (time jumps
//! not counted); `LEASH_MODEL_STEPS=N` asks for N, `PROPTEST_CASES=N` for exactly N cases instead.
//! Cases are spread over one Anvil per worker (`LEASH_MODEL_WORKERS`, default one per core).
//! Failures shrink to a minimal readable sequence; committed seeds in
//! `proptest-regressions/model.txt` replay first.

#[path = "model/driver.rs"]
mod driver;
#[path = "model/reference.rs"]
mod reference;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner};

use driver::Driver;
use reference::{step, Model, Step};

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

#[test]
fn leash_matches_its_model() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let depth = match env("PROPTEST_CASES") {
        Some(cases) => Depth::Cases(cases as u32),
        None => Depth::Steps(env("LEASH_MODEL_STEPS").unwrap_or(DEFAULT_STEPS)),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let mut workers = env("LEASH_MODEL_WORKERS").unwrap_or(cores).max(1);
    if let Depth::Cases(n) = depth {
        workers = workers.min(n as u64).max(1);
    }
    // A build of the artifacts, if one is needed, is not the model's time.
    leash_tests::ensure_artifacts().expect("forge artifacts");
    let tally = Tally::default();
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|i| {
                s.spawn({
                    let (depth, tally) = (&depth, &tally);
                    move || worker(i, workers, depth, tally)
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
        "model-checked {checked} steps ({} cases, {} time jumps besides) in {secs:.1} s on {workers} Anvil nodes: {:.0} steps/s",
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
fn worker(index: u64, workers: u64, depth: &Depth, tally: &Tally) -> Result<(), String> {
    let result = rounds(index, workers, depth, tally);
    if result.is_err() {
        tally.failed.store(true, Ordering::Relaxed);
    }
    result
}

fn rounds(index: u64, workers: u64, depth: &Depth, tally: &Tally) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let driver = RefCell::new(rt.block_on(Driver::spawn()).map_err(|e| format!("test chain: {e:#}"))?);
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
    driver.reset(steps).await.map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    let mut model = Model::new(driver.names, driver.start, driver.task_starts_at);
    for (i, s) in steps.iter().enumerate() {
        let Some(expected) = model.transition(s) else {
            tally.warps.fetch_add(1, Ordering::Relaxed);
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
        tally.checked.fetch_add(1, Ordering::Relaxed);
    }
    tally.cases.fetch_add(1, Ordering::Relaxed);
    tally.task_runs.fetch_add(model.task_runs() as u64, Ordering::Relaxed);
    Ok(())
}
