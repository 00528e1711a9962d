//! `cargo xtask`: Leash's developer commands. Runs from the project root whatever the
//! current directory, and names the missing piece when something is not there.

mod abi;
mod admin;
mod audit;
mod bench;
mod create;
mod deploy;
mod eoa;
mod gas;
mod markers;
mod mutants;
mod operate;
mod pool;
mod progress;
mod status;
mod storage_doc;
mod table;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};
use eyre::{bail, Result, WrapErr};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Leash developer commands", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install or refresh the pinned npm toolchain (forge, anvil, cast, solc, Solidity libraries).
    Setup,
    /// Compile every contract (forge build).
    Build,
    /// Format checks, clippy, the ABI check, forge tests with the gas gate, the Rust tests against
    /// Anvil, the bench check, the audit gate, then the broken variants.
    Test {
        /// Skip `forge fmt --check`, `cargo fmt --check` and clippy.
        #[arg(long)]
        no_lint: bool,
        /// Skip the broken-variant run (`cargo xtask mutants`, a few minutes).
        #[arg(long)]
        no_mutants: bool,
        /// Keep gas snapshot figures that rose by more than 2% (a rise made on purpose).
        #[arg(long)]
        accept_gas: bool,
        /// Skip the audit gate (slither, halmos; `cargo xtask audit` alone also writes coverage).
        #[arg(long)]
        no_audit: bool,
        /// The inner loop: lint, the ABI check, forge tests with the gas gate and the Rust tests
        /// (no bench check, audit or mutants).
        #[arg(long)]
        quick: bool,
        /// Extra arguments passed to `forge test` (for example `--match-contract Spending`).
        #[arg(last = true)]
        forge_args: Vec<String>,
    },
    /// Deploy every module through the CREATE2 deployer (embedded Anvil unless --rpc-url).
    Deploy(deploy::DeployArgs),
    /// Apply each deliberately broken variant (tests/mutants/variants.toml) and show the suite catches it.
    Mutants {
        /// Only this variant.
        name: Option<String>,
    },
    /// Write the contracts' ABI from forge's artifacts into crates/leash/abi/ (the files the
    /// `leash` crate's bindings are generated from; the list is crates/leash/abi/contracts.toml).
    Abi {
        /// Do not write: fail if a committed file differs from the artifacts, is missing, or is stale.
        #[arg(long)]
        check: bool,
    },
    /// Measure gas on Anvil through real UserOps; write docs/gas.md, docs/gas-scaling.svg, the
    /// README's targets and docs/COMPATIBILITY.md's accounts table (from snapshots/AccountGas.json).
    Bench {
        /// Do not write: fail if any of those files differs from what this run measured.
        #[arg(long)]
        check: bool,
    },
    /// Auditors' gate: slither findings must be triaged, halmos must prove every symbolic check,
    /// and forge coverage of contracts/ is printed.
    Audit {
        /// Instead: apply this broken variant (tests/mutants/variants.toml) to a scratch copy and
        /// require halmos to find a counterexample.
        #[arg(long)]
        mutant: Option<String>,
        #[arg(long)]
        no_slither: bool,
        #[arg(long)]
        no_halmos: bool,
        #[arg(long)]
        no_coverage: bool,
    },
    /// Walk a trading agent through its leash on an embedded Anvil with real Uniswap V3.
    Demo {
        /// The account: oz (OpenZeppelin), nexus, msa (the ERC-7579 reference account), safe
        /// (Safe + Safe7579), kernel, or eoa (the person's EOA, delegated to LeashEOAAccount
        /// with EIP-7702).
        #[arg(long, default_value = "oz")]
        account: String,
    },
    /// Policy files: encode install payloads, install them on an account (and grant its
    /// sessions), show the live policy.
    #[command(subcommand)]
    Policy(operate::PolicyCmd),
    /// Sessions: grant, revoke or sign an agent's session from a policy file, show the live ones.
    #[command(subcommand)]
    Session(operate::SessionCmd),
    /// Guardian actions: pause, unpause, status of an account.
    #[command(subcommand)]
    Guardian(operate::GuardianCmd),
    /// Keeper actions: run a task, or show whether it can run.
    #[command(subcommand)]
    Task(operate::TaskCmd),
    /// The agent's key at AgentValidator: rotate, revoke, set its gas allowance, show it.
    #[command(subcommand)]
    Agent(operate::AgentCmd),
    /// An account's whole leash: pause, per token and window what is spent, left and when it frees
    /// up, tasks and their next run, sessions, the agent's gas allowance, the last refusals.
    ///
    /// Read-only, from the views of whichever hook the account runs (the policy engine, or the
    /// multiplexer's separate hooks) and the EntryPoint's `UserOperationRevertReason` events (v0.7
    /// and v0.8), each refusal in words. `--json` prints the same as one JSON object.
    Status(status::StatusArgs),
    /// Accounts for the leash: create one through its kind's factory (with its policy), or
    /// delegate an existing EOA to LeashEOAAccount with EIP-7702.
    #[command(subcommand)]
    Account(eoa::AccountCmd),
    /// The authority of an account's Leash modules: hand it to another key, or show it.
    #[command(subcommand)]
    Authority(admin::AuthorityCmd),
    /// Approve (or withdraw, --revoke) one exact change the account may not make alone: an
    /// uninstall, a loosening call, or any change by its hash (the authority's key).
    ApproveChange(admin::ApproveArgs),
    /// Take the leash off an account: the authority approves the exact removal, then the owner's
    /// one UserOp uninstalls the hook, the executor and AgentValidator (both keys).
    Uninstall(admin::UninstallArgs),
    /// Format Solidity and Rust sources in place.
    Fmt,
}

fn main() -> ExitCode {
    // Piped into `head` or `less`, stdout may close before the output ends: stop quietly, as
    // command-line tools do (Rust ignores SIGPIPE, and `println!` would then panic).
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: Cmd) -> Result<()> {
    let root = project_root();
    match cmd {
        Cmd::Setup => {
            toolchain::setup(&root)?;
        }
        Cmd::Build => {
            toolchain::ensure(&root)?;
            forge_build(&root)?;
        }
        Cmd::Test { no_lint, no_mutants, accept_gas, no_audit, quick, forge_args } => {
            toolchain::ensure(&root)?;
            if !no_lint {
                lint(&root)?;
            }
            forge_build(&root)?;
            step("abi --check: crates/leash/abi holds the ABI the contracts compile to");
            run_abi(&root, true)?;
            step("storage table: docs/ARCHITECTURE.md's packed slots as the compiler lays them out");
            let rows = storage_doc::check(&root)?;
            println!("{rows} packed slots as documented");
            step("forge test");
            let mut forge = tool(&root, "forge");
            forge.arg("test").args(&forge_args);
            let snapshots = gas::before(&root)?;
            run_cmd(forge, "forge test", "a Solidity test failed (see above)")?;
            gas::check(snapshots, accept_gas)?;
            step("cargo test (Rust tests against Anvil)");
            let mut cargo = cargo(&root);
            // --nocapture: the model test prints its throughput (model-checked steps per second).
            cargo.args(["test", "--workspace", "--", "--nocapture"]);
            run_cmd(cargo, "cargo test", "a Rust test failed (see above)")?;
            if quick {
                stages_done();
                println!("\nquick tests passed (not run: bench check, audit, mutants)");
                return Ok(());
            }
            step("bench --check: the docs hold the figures the contracts produce");
            run_bench(&root, true)?;
            if !no_audit {
                // Coverage is not a gate (it rewrites a table in docs/INVARIANTS.md, nothing
                // fails on it) and costs a build of its own: `cargo xtask audit` runs it.
                step("audit: slither gate, symbolic checks");
                toolchain::ensure_audit(&root)?;
                audit::run(&root, audit::Steps { slither: true, halmos: true, coverage: false })?;
            }
            if !no_mutants {
                step("mutants: broken variants the suite must catch");
                mutants::run(&root, None)?;
            }
            stages_done();
            println!("\nall tests passed");
        }
        Cmd::Deploy(args) => {
            toolchain::ensure(&root)?;
            forge_build(&root)?;
            step("deploy");
            deploy::run(&root, args)?;
        }
        Cmd::Mutants { name } => {
            toolchain::ensure(&root)?;
            forge_build(&root)?;
            step("mutants: broken variants the suite must catch");
            mutants::run(&root, name.as_deref())?;
        }
        Cmd::Abi { check } => {
            toolchain::ensure(&root)?;
            forge_build(&root)?;
            step(if check { "abi --check" } else { "abi" });
            run_abi(&root, check)?;
        }
        Cmd::Bench { check } => {
            toolchain::ensure(&root)?;
            forge_build(&root)?;
            step("bench: gas through real UserOps on Anvil");
            run_bench(&root, check)?;
        }
        Cmd::Audit { mutant, no_slither, no_halmos, no_coverage } => {
            toolchain::ensure(&root)?;
            toolchain::ensure_audit(&root)?;
            forge_build(&root)?;
            match mutant {
                Some(name) => audit::mutant(&root, &name)?,
                None => audit::run(
                    &root,
                    audit::Steps { slither: !no_slither, halmos: !no_halmos, coverage: !no_coverage },
                )?,
            }
        }
        Cmd::Demo { account } => {
            toolchain::ensure(&root)?;
            forge_build(&root)?;
            step("demo");
            operate::demo(&account)?;
        }
        Cmd::Policy(cmd) => operate::policy(&root, cmd)?,
        Cmd::Session(cmd) => operate::session(&root, cmd)?,
        Cmd::Guardian(cmd) => operate::guardian(&root, cmd)?,
        Cmd::Task(cmd) => operate::task(&root, cmd)?,
        Cmd::Agent(cmd) => operate::agent(&root, cmd)?,
        Cmd::Account(cmd) => eoa::run(&root, cmd)?,
        Cmd::Status(args) => status::run(&root, args)?,
        Cmd::Authority(cmd) => admin::authority(&root, cmd)?,
        Cmd::ApproveChange(args) => admin::approve_change(&root, args)?,
        Cmd::Uninstall(args) => admin::uninstall(&root, args)?,
        Cmd::Fmt => {
            toolchain::ensure(&root)?;
            let mut forge = tool(&root, "forge");
            forge.arg("fmt");
            run_cmd(forge, "forge fmt", "formatting failed")?;
            let mut cargo = cargo(&root);
            cargo.args(["fmt", "--all"]);
            run_cmd(cargo, "cargo fmt", "formatting failed")?;
        }
    }
    Ok(())
}

fn run_abi(root: &Path, check: bool) -> Result<()> {
    match abi::run(root, check)? {
        abi::Outcome::UpToDate => println!("{} holds the ABI of every contract it lists", abi::DIR),
        abi::Outcome::Written(changes) => {
            for change in changes {
                println!("  {change}");
            }
        }
        abi::Outcome::Stale(problems) => {
            for problem in &problems {
                println!("  {problem}");
            }
            bail!("{} differs from the contracts: run `cargo xtask abi` and commit", abi::DIR)
        }
    }
    Ok(())
}

fn run_bench(root: &Path, check: bool) -> Result<()> {
    let steps = progress::Steps::start();
    let results = block_on(bench::run(root, |line| steps.step(line)));
    steps.finish();
    let results = results?;
    bench::report::print(&results);
    match bench::report::publish(root, &results, check)? {
        bench::Outcome::Written => println!("\nwrote {}", bench::report::FILES.join(", ")),
        bench::Outcome::UpToDate => {
            println!("\n{} hold exactly these numbers", bench::report::FILES.join(", "))
        }
        bench::Outcome::Stale(files) => {
            bail!(
                "{} differ from what the bench measured: run `cargo xtask bench` and commit",
                files.join(" and ")
            )
        }
    }
    Ok(())
}

fn lint(root: &Path) -> Result<()> {
    step("forge fmt --check");
    let mut forge = tool(root, "forge");
    forge.args(["fmt", "--check"]);
    run_cmd(forge, "forge fmt --check", "Solidity sources are not formatted: run `cargo xtask fmt`")?;
    step("cargo fmt --check");
    let mut fmt = cargo(root);
    fmt.args(["fmt", "--all", "--check"]);
    run_cmd(fmt, "cargo fmt --check", "Rust sources are not formatted: run `cargo xtask fmt`")?;
    step("mutant variants still apply");
    mutants::check_applicable(root)?;
    // Clippy compiles the test crate, whose bindings read forge artifacts: build those first.
    forge_build(root)?;
    step("cargo clippy -D warnings");
    let mut clippy = cargo(root);
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    run_cmd(clippy, "cargo clippy", "clippy found warnings (see above)")
}

fn forge_build(root: &Path) -> Result<()> {
    step("forge build");
    let mut forge = tool(root, "forge");
    forge.arg("build");
    // forge prints nothing between "Compiling N files" and the end (minutes on a first build):
    // its output is shown when it is done, a spinner meanwhile.
    let output =
        progress::while_running("compiling with solc (a first build takes a few minutes)", || forge.output())
            .wrap_err(
                "could not start `forge build` (is the toolchain installed? run `cargo xtask setup`)",
            )?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        bail!("`forge build` failed: the contracts did not compile (see the compiler errors above)");
    }
    Ok(())
}

/// Runs `future` to completion on the one kind of runtime every async command uses: tokio's
/// multi-threaded scheduler with its IO and timers.
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("could not start the async runtime")?;
    runtime.block_on(future)
}

/// The project root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the project root")
        .to_path_buf()
}

/// A command for one of the npm-installed tools, run from the root with `node_modules/.bin` first on PATH.
pub(crate) fn tool(root: &Path, name: &str) -> Command {
    let mut cmd = Command::new(root.join("node_modules/.bin").join(name));
    cmd.current_dir(root).env("PATH", toolchain::path_with_bin(root));
    cmd
}

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root).env("PATH", toolchain::path_with_bin(root));
    cmd
}

/// The steps of this run so far and when each began (`step`), for the times `stages_done` prints.
static STAGES: std::sync::Mutex<Vec<(String, std::time::Instant)>> = std::sync::Mutex::new(Vec::new());

fn step(what: &str) {
    let mut stages = STAGES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((name, started)) = stages.last() {
        println!("    ({name}: {:.0} s)", started.elapsed().as_secs_f64());
    }
    stages.push((what.to_string(), std::time::Instant::now()));
    println!("\n==> {what}");
}

/// Prints how long each step of this run took (the last one ends now).
fn stages_done() {
    let stages = STAGES.lock().unwrap_or_else(|e| e.into_inner());
    let now = std::time::Instant::now();
    let mut table = table::new(&["step", "seconds"], &[1]);
    for (i, (name, started)) in stages.iter().enumerate() {
        let ended = stages.get(i + 1).map_or(now, |(_, next)| *next);
        let name: String = name.split(':').next().unwrap_or(name).to_string();
        table.add_row(vec![name, format!("{:.0}", (ended - *started).as_secs_f64())]);
    }
    println!("\ntime per step:\n{table}");
}

/// Runs a command with inherited output; a non-zero exit becomes `failure`, a missing program says so.
fn run_cmd(mut cmd: Command, what: &str, failure: &str) -> Result<()> {
    let unstarted = format!("could not start `{what}` (is the toolchain installed? run `cargo xtask setup`)");
    run_to_end(&mut cmd, &unstarted, &format!("`{what}` failed: {failure}"))
}

/// Runs `cmd` to its end: the error says `unstarted` when it cannot start, `failed` when it fails.
pub(crate) fn run_to_end(cmd: &mut Command, unstarted: &str, failed: &str) -> Result<()> {
    let status = cmd.status().wrap_err_with(|| unstarted.to_string())?;
    if !status.success() {
        bail!("{failed}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap's own checks of every subcommand (unique argument ids across flattened groups, ...),
    /// which otherwise fail only when that subcommand runs.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
