//! `cargo xtask audit`: the auditors' gate. Slither on `contracts/` must report nothing that is not
//! triaged in `audit/slither-triage.toml`; halmos must prove every symbolic check in
//! `tests/solidity/symbolic/`; `forge coverage` prints line and branch coverage of `contracts/`.
//! `--mutant NAME` applies a variant of `tests/mutants/variants.toml` to a scratch copy and
//! requires halmos to find a counterexample against it.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use eyre::{bail, eyre, Result, WrapErr};
use serde::Deserialize;

use crate::{mutants, toolchain};

const TRIAGE: &str = "audit/slither-triage.toml";

#[derive(Deserialize)]
struct Triage {
    accepted: Vec<Accepted>,
}

/// One finding accepted after review: the detector, where (`Contract.function` or `Contract`), the
/// exact statement it is about (absent when the finding names no statement: a state variable, a
/// whole function), and why. A new instance of the same detector in the same function is another
/// statement, so it fails the gate.
#[derive(Deserialize)]
struct Accepted {
    detector: String,
    location: String,
    #[serde(default)]
    element: String,
    reason: String,
}

pub struct Steps {
    pub slither: bool,
    pub halmos: bool,
    pub coverage: bool,
}

pub fn run(root: &Path, steps: Steps) -> Result<()> {
    if steps.slither {
        timed("slither (static analysis gate)", || slither(root))?;
    }
    if steps.halmos {
        timed("halmos (symbolic checks)", || {
            let out = halmos_all(root)?;
            if !out.passed {
                bail!("a symbolic check failed or could not be decided (see above)");
            }
            Ok(())
        })?;
    }
    if steps.coverage {
        timed("forge coverage (contracts/)", || coverage(root))?;
    }
    Ok(())
}

/// Applies variant `name` to a scratch copy and requires a halmos counterexample against it.
pub fn mutant(root: &Path, name: &str) -> Result<()> {
    let variant = mutants::load(root, Some(name))?.remove(0);
    println!("variant {}: {}", variant.name, variant.what);
    let scratch =
        mutants::scratch_tree(root, "symbolic", &["halmos.toml", "out-symbolic", "cache-symbolic"])?;
    let (_, mutated) = mutants::apply(root, &scratch, &variant)?;
    // The checks of the mutated contract when it has its own (`<Name>.symbolic.sol`), else all.
    let stem = mutated.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
    let own = root.join(format!("tests/solidity/symbolic/{stem}.symbolic.sol")).exists();
    let only = match &variant.symbolic {
        Some(check) => Some(format!("^{check}$")),
        None => own.then(|| format!("^{stem}Symbolic$")),
    };
    let out = halmos(root, &scratch, only.as_deref());
    let _ = std::fs::remove_dir_all(&scratch);
    let out = out?;
    if out.passed || !out.counterexample {
        bail!("variant {} survived the symbolic checks: no counterexample", variant.name);
    }
    println!("\nvariant {} caught: halmos found a counterexample (above)", variant.name);
    Ok(())
}

struct HalmosOutcome {
    passed: bool,
    counterexample: bool,
}

/// The full run gives the check contracts to two workers that run at once (halmos explores paths
/// on one core and the machines have two), each taking the next contract when it is done. The
/// slowest contracts go first, so the two end close together; a contract missing here goes after
/// them. (Measured order: the two multiplexer-stack checks, the decoder's, the engine's, the
/// packed window's.)
const WORKERS: usize = 2;
const SLOWEST_FIRST: [&str; 5] = [
    "LeashWithoutAllowlistSymbolic",
    "ExecutionDecoderSymbolic",
    "LeashFullStackSymbolic",
    "PolicyEngineSymbolic",
    "PackedWindowSymbolic",
];

/// The check contracts of `tests/solidity/symbolic/`: every contract declared there (not
/// abstract) whose name ends in `Symbolic`, the slowest first.
fn check_contracts(root: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root.join("tests/solidity/symbolic"))? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("contract ") else { continue };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if name.ends_with("Symbolic") {
                names.push(name);
            }
        }
    }
    let rank = |n: &String| SLOWEST_FIRST.iter().position(|s| s == n).unwrap_or(SLOWEST_FIRST.len());
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    if names.is_empty() {
        bail!("no check contract (`contract …Symbolic`) in tests/solidity/symbolic");
    }
    Ok(names)
}

/// Runs every symbolic check in the root, two contracts at a time; each one's output is shown when
/// it is done.
fn halmos_all(root: &Path) -> Result<HalmosOutcome> {
    let started = Instant::now();
    // One build first, so each run's own `forge build` finds it up to date instead of two
    // compilations racing on the same output folder. Same flags as halmos passes.
    crate::run_to_end(
        crate::tool(root, "forge").env("FOUNDRY_PROFILE", "symbolic").args([
            "build",
            "--ast",
            "--root",
            ".",
            "--extra-output",
            "storageLayout",
            "metadata",
        ]),
        "could not run forge build for the symbolic profile",
        "forge build (symbolic profile) failed",
    )?;
    let contracts = check_contracts(root)?;
    println!("halmos: {} check contracts, {WORKERS} at a time", contracts.len());
    let mut outcome = HalmosOutcome { passed: true, counterexample: false };
    crate::pool::run(
        &[(); WORKERS],
        contracts,
        |_, name| {
            let output = halmos_output(root, root, Some(&format!("^{name}$")));
            (name, output)
        },
        |(name, output)| {
            let output = output?;
            println!("--- {name}: done after {:.0} s", started.elapsed().as_secs_f64());
            let one = judge(&output);
            outcome.passed &= one.passed;
            outcome.counterexample |= one.counterexample;
            Ok(())
        },
    )?;
    report(&outcome, started);
    Ok(outcome)
}

/// Runs halmos once in `tree` (the root or a scratch copy) on the check contracts matching `only`
/// (all when `None`); output is shown.
fn halmos(root: &Path, tree: &Path, only: Option<&str>) -> Result<HalmosOutcome> {
    let started = Instant::now();
    let outcome = judge(&halmos_output(root, tree, only)?);
    report(&outcome, started);
    Ok(outcome)
}

/// Runs halmos with the symbolic profile and collects its output.
fn halmos_output(root: &Path, tree: &Path, only: Option<&str>) -> Result<std::process::Output> {
    let mut cmd = Command::new(toolchain::venv_bin(root, "halmos"));
    cmd.current_dir(tree)
        .env("PATH", toolchain::path_with_bin(root))
        .env("FOUNDRY_PROFILE", "symbolic")
        .args(["--root", "."]);
    if let Some(pattern) = only {
        cmd.args(["--match-contract", pattern]);
    }
    cmd.output().map_err(|e| eyre!("could not run halmos ({e}); run `cargo xtask setup`"))
}

/// Shows one halmos run's output and judges it.
fn judge(output: &std::process::Output) -> HalmosOutcome {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    let all = format!("{stdout}{stderr}");
    // A path halmos could not follow (a symbolic offset, an unsupported opcode), a loop it cut at
    // its unrolling bound, a depth limit it hit, or a check whose every path reverted (which
    // proves nothing) is a gap in the proof: it fails the gate even if every assertion held on
    // the paths it did follow.
    let gaps = all.contains("NotConcreteError")
        || all.contains("[ERROR]")
        || all.contains("[TIMEOUT]")
        || all.contains("not been fully explored due to the loop unrolling bound")
        || all.contains("incomplete execution due to the specified limit")
        || all.contains("all paths have been reverted");
    let passed = output.status.success() && all.contains("[PASS]") && !all.contains("[FAIL]") && !gaps;
    HalmosOutcome { passed, counterexample: all.contains("Counterexample") }
}

fn report(outcome: &HalmosOutcome, started: Instant) {
    println!(
        "halmos: {} in {:.0} s",
        if outcome.passed { "all proven" } else { "NOT proven" },
        started.elapsed().as_secs_f64()
    );
}

fn slither(root: &Path) -> Result<()> {
    let triage_text =
        std::fs::read_to_string(root.join(TRIAGE)).wrap_err_with(|| format!("cannot read {TRIAGE}"))?;
    let triage: Triage = toml::from_str(&triage_text).wrap_err_with(|| format!("{TRIAGE} is malformed"))?;
    if let Some(a) = triage.accepted.iter().find(|a| a.reason.trim().is_empty()) {
        bail!("{TRIAGE}: {} at {} has no reason", a.detector, a.location);
    }
    let report = std::env::temp_dir().join(format!("leash-slither-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&report);
    let status = Command::new(toolchain::venv_bin(root, "slither"))
        .current_dir(root)
        .env("PATH", toolchain::path_with_bin(root))
        .args(["contracts", "--config-file", "slither.config.json", "--json"])
        .arg(&report)
        .status()
        .map_err(|e| eyre!("could not run slither ({e}); run `cargo xtask setup`"))?;
    let text = std::fs::read_to_string(&report).wrap_err("slither wrote no report (see its output above)")?;
    let _ = std::fs::remove_file(&report);
    let json: serde_json::Value = serde_json::from_str(&text).wrap_err("slither's report is not JSON")?;
    if json["success"] != serde_json::Value::Bool(true) {
        bail!("slither failed (exit {:?}): {}", status.code(), json["error"]);
    }
    let findings = json["results"]["detectors"].as_array().cloned().unwrap_or_default();
    let mut untriaged = Vec::new();
    let mut used = vec![false; triage.accepted.len()];
    for f in &findings {
        let detector = f["check"].as_str().unwrap_or("?");
        let location = location_of(f);
        let element = element_of(f);
        let accepted = triage
            .accepted
            .iter()
            .position(|a| a.detector == detector && a.location == location && a.element == element);
        match accepted {
            Some(i) => used[i] = true,
            None => untriaged.push(format!(
                "  {detector} at {location}, element {element:?} [{}]: {}",
                f["impact"].as_str().unwrap_or("?"),
                f["description"].as_str().unwrap_or("").lines().next().unwrap_or("")
            )),
        }
    }
    println!(
        "slither: {} findings, {} triaged in {TRIAGE}",
        findings.len(),
        findings.len() - untriaged.len()
    );
    for (a, used) in triage.accepted.iter().zip(&used) {
        if !used {
            println!(
                "  note: triaged {} at {} ({:?}) no longer reported (remove it)",
                a.detector, a.location, a.element
            );
        }
    }
    if !untriaged.is_empty() {
        bail!(
            "slither findings not triaged (fix them, or accept each in {TRIAGE} with a reason):\n{}",
            untriaged.join("\n")
        );
    }
    Ok(())
}

/// The statements a finding is about (slither's `node` elements, as slither prints them, joined
/// with ` | `), or empty when it names none.
fn element_of(finding: &serde_json::Value) -> String {
    let nodes: Vec<String> = finding["elements"]
        .as_array()
        .map(|elements| {
            elements
                .iter()
                .filter(|e| e["type"].as_str() == Some("node"))
                .filter_map(|e| e["name"].as_str())
                .map(|name| name.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect()
        })
        .unwrap_or_default();
    nodes.join(" | ")
}

/// `Contract.function` (or `Contract`) of a finding's first element.
fn location_of(finding: &serde_json::Value) -> String {
    let first = &finding["elements"][0];
    let name = first["name"].as_str().unwrap_or("?");
    match first["type"].as_str() {
        Some("contract") => name.to_string(),
        Some("function") => {
            let parent = first["type_specific_fields"]["parent"]["name"].as_str().unwrap_or("?");
            format!("{parent}.{}", name.split('(').next().unwrap_or(name))
        }
        _ => {
            // A state variable (its parent is the contract), or a node or local variable (its parent
            // is a function, whose parent is the contract).
            let parent = &first["type_specific_fields"]["parent"];
            let parent_name = parent["name"].as_str().unwrap_or("?");
            if parent["type"].as_str() == Some("contract") {
                format!("{parent_name}.{name}")
            } else {
                let contract = parent["type_specific_fields"]["parent"]["name"].as_str().unwrap_or("?");
                format!("{contract}.{}", parent_name.split('(').next().unwrap_or(parent_name))
            }
        }
    }
}

/// `gas_limit` of foundry.toml's `mutants` profile.
fn mutants_gas_limit(root: &Path) -> Result<u64> {
    let path = root.join("foundry.toml");
    let text = std::fs::read_to_string(&path).wrap_err_with(|| format!("reading {}", path.display()))?;
    let config: toml::Value = toml::from_str(&text).wrap_err("foundry.toml is malformed")?;
    config
        .get("profile")
        .and_then(|p| p.get("mutants"))
        .and_then(|m| m.get("gas_limit"))
        .and_then(toml::Value::as_integer)
        .and_then(|limit| u64::try_from(limit).ok())
        .ok_or_else(|| eyre!("foundry.toml's [profile.mutants] has no gas_limit"))
}

fn coverage(root: &Path) -> Result<()> {
    let output = crate::tool(root, "forge")
        // Coverage needs every line reached, not deep campaigns: the default profile's run counts.
        .env("FOUNDRY_PROFILE", "default")
        .args(["coverage", "--report", "summary", "--no-match-coverage", "^(tests|script|lib)/"])
        .args(["--no-match-path", "tests/solidity/gas/*"])
        // The ERC-7562 checks hold a whole opcode trace in memory, which the unoptimised code
        // coverage builds makes longer than the default gas limit's memory: the mutants profile's
        // limit, which is raised for the same reason.
        .env("FOUNDRY_GAS_LIMIT", mutants_gas_limit(root)?.to_string())
        .output()
        .map_err(|e| eyre!("could not run forge coverage: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("forge coverage failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    }
    // The summary table only: forge prints test results and invariant call tables first.
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("| File"))
        .ok_or_else(|| eyre!("forge coverage printed no summary table"))?;
    println!("{}", lines[header.saturating_sub(1)..].join("\n"));
    write_coverage_table(root, &lines[header..])
}

/// Puts the line and branch columns of forge's summary into docs/INVARIANTS.md between
/// `<!-- audit:coverage -->` markers. Not a gate: fuzzed inputs may move a branch between runs.
/// Where the coverage table lives, beside the invariants the suite checks.
const COVERAGE_DOC: &str = "docs/INVARIANTS.md";

fn write_coverage_table(root: &Path, summary: &[&str]) -> Result<()> {
    // "96.82% (152/157)" -> (152, 157)
    let counts = |cell: &str| -> Option<(u64, u64)> {
        let inner = cell.split('(').nth(1)?.trim_end_matches(')');
        let (hit, all) = inner.split_once('/')?;
        Some((hit.trim().parse().ok()?, all.trim().parse().ok()?))
    };
    let mut table = String::from("| contract | lines | branches |\n|---|---|---|\n");
    let mut totals = [(0u64, 0u64); 2];
    for line in summary {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | File | % Lines | % Statements | % Branches | % Funcs |
        if cells.len() < 6 || !cells[1].starts_with("contracts/") {
            continue;
        }
        table.push_str(&format!("| `{}` | {} | {} |\n", &cells[1]["contracts/".len()..], cells[2], cells[4]));
        for (total, cell) in totals.iter_mut().zip([cells[2], cells[4]]) {
            let (hit, all) = counts(cell).ok_or_else(|| eyre!("unreadable coverage cell `{cell}`"))?;
            total.0 += hit;
            total.1 += all;
        }
    }
    // forge's own total row counts test helpers too: the total of contracts/ alone.
    let pct =
        |(hit, all): (u64, u64)| format!("{:.2}% ({hit}/{all})", hit as f64 * 100.0 / all.max(1) as f64);
    table.push_str(&format!("| total | {} | {} |\n", pct(totals[0]), pct(totals[1])));
    let path = root.join(COVERAGE_DOC);
    let doc = std::fs::read_to_string(&path).wrap_err_with(|| format!("{COVERAGE_DOC} is missing"))?;
    let updated = crate::markers::splice(COVERAGE_DOC, &doc, "audit:coverage", &table)?;
    if updated != doc {
        std::fs::write(&path, updated).wrap_err_with(|| format!("writing {COVERAGE_DOC}"))?;
        println!("coverage table written to {COVERAGE_DOC}");
    }
    Ok(())
}

fn timed(what: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    println!("\n==> {what}");
    let started = Instant::now();
    let result = f();
    println!("{what}: {:.0} s", started.elapsed().as_secs_f64());
    result
}

#[cfg(test)]
mod tests {
    use super::{element_of, location_of, mutants_gas_limit};

    fn finding(statement: &str) -> serde_json::Value {
        serde_json::json!({
            "check": "unused-return",
            "elements": [
                {
                    "type": "function",
                    "name": "_charge(address,uint256,address,uint256)",
                    "type_specific_fields": { "parent": { "type": "contract", "name": "SpendingLimitHook" } }
                },
                { "type": "node", "name": statement }
            ]
        })
    }

    /// Two findings of one detector in one function are told apart by their statements, so an
    /// accepted one never absorbs a new one.
    #[test]
    fn a_new_statement_in_a_triaged_function_is_a_new_finding() {
        let accepted = finding("(ok,None) = spend(now,amount)");
        let new = finding("(None,used) = spend(now,amount)");
        assert_eq!(location_of(&accepted), location_of(&new));
        assert_eq!(location_of(&accepted), "SpendingLimitHook._charge");
        assert_eq!(element_of(&accepted), "(ok,None) = spend(now,amount)");
        assert_ne!(element_of(&accepted), element_of(&new));
    }

    #[test]
    fn a_finding_without_a_statement_has_no_element() {
        let variable = serde_json::json!({
            "elements": [{
                "type": "variable",
                "name": "_tokens",
                "type_specific_fields": { "parent": { "type": "contract", "name": "SpendingLimitHook" } }
            }]
        });
        assert_eq!(element_of(&variable), "");
        assert_eq!(location_of(&variable), "SpendingLimitHook._tokens");
    }

    /// Coverage runs under the mutants profile's raised gas limit, read from foundry.toml.
    #[test]
    fn coverage_takes_the_mutants_profiles_gas_limit() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let limit = mutants_gas_limit(root).unwrap();
        assert!(
            limit > 1 << 30,
            "foundry.toml's mutants gas_limit is {limit}, not above forge's default (2^30)"
        );
        let dir = std::env::temp_dir().join(format!("leash-gas-limit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("foundry.toml"), "[profile.mutants]\nout = \"x\"\n").unwrap();
        let err = mutants_gas_limit(&dir).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(err.contains("no gas_limit"), "{err}");
    }
}
