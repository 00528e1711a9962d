//! `cargo xtask mutants`: proof that the suite bites. Each deliberately broken variant in
//! `tests/mutants/variants.toml` is applied to a scratch copy of the tree and the Solidity suite
//! must fail on it; the report names the tests that caught each one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use eyre::{bail, eyre, Result, WrapErr};
use serde::Deserialize;

#[derive(Deserialize)]
struct Variants {
    variant: Vec<Variant>,
}

#[derive(Deserialize)]
pub struct Variant {
    pub name: String,
    pub what: String,
    file: String,
    find: String,
    replace: String,
    /// The test files that must catch this variant (a glob as `--match-path` reads it): forge then
    /// compiles only those and what they import. Absent: the whole suite but the gas snapshots.
    tests: Option<String>,
    /// Tests that catch this variant for the reason it exists: at least one of them must fail,
    /// or the variant counts as survived (a failure elsewhere is not the catch it was written for).
    caught_by: Vec<String>,
    /// The symbolic check contract `cargo xtask audit --mutant` runs against this variant, when it
    /// is not the mutated contract's own (`<Name>Symbolic`).
    pub symbolic: Option<String>,
}

/// What the suite did with one variant.
struct Verdict {
    name: String,
    caught_by: Vec<String>,
    /// One of the failing tests is one the variant names (`Variant::caught_by`).
    expected: bool,
    seconds: f64,
}

/// Every variant of `tests/mutants/variants.toml`, or only the one named.
pub fn load(root: &Path, only: Option<&str>) -> Result<Vec<Variant>> {
    let path = root.join("tests/mutants/variants.toml");
    let text = std::fs::read_to_string(&path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let variants: Variants =
        toml::from_str(&text).wrap_err_with(|| format!("{} is malformed", path.display()))?;
    let selected: Vec<Variant> =
        variants.variant.into_iter().filter(|v| only.is_none_or(|o| v.name == o)).collect();
    if selected.is_empty() {
        bail!("no variant named {}", only.unwrap_or_default());
    }
    Ok(selected)
}

/// Every variant of the file still applies: its `find` occurs exactly once in its file and it names
/// the tests that must catch it. Cheap, so `cargo xtask test` checks it on every run (a contract
/// edit that moves a variant's line fails there, not only in the mutants stage).
pub fn check_applicable(root: &Path) -> Result<()> {
    require_applicable(root, &load(root, None)?)
}

fn require_applicable(root: &Path, variants: &[Variant]) -> Result<()> {
    let stale: Vec<String> = variants
        .iter()
        .filter_map(|v| {
            let text = std::fs::read_to_string(root.join(&v.file)).unwrap_or_default();
            let hits = text.matches(&v.find).count();
            if v.caught_by.is_empty() {
                return Some(format!("{}: names no test it must be caught by (`caught_by`)", v.name));
            }
            if let Some(Err(e)) = v.tests.as_deref().map(|glob| only_these_tests(root, &[glob])) {
                return Some(format!("{}: {e}", v.name));
            }
            (hits != 1).then(|| {
                format!("{}: `find` occurs {hits} times in {} (must be exactly once)", v.name, v.file)
            })
        })
        .collect();
    if !stale.is_empty() {
        bail!("variants that no longer apply:\n  {}", stale.join("\n  "));
    }
    Ok(())
}

/// Variants run in two lanes at once, each in its own scratch tree: a variant's cost is almost all
/// recompiling the tree, on one core, and the machines have two.
const LANES: usize = 2;

/// The build folders of foundry.toml's `mutants` profile, which every forge run here uses.
const BUILD: [&str; 2] = ["out-mutants", "cache-mutants"];

pub fn run(root: &Path, only: Option<&str>) -> Result<()> {
    let selected = load(root, only)?;
    // Every variant must still apply before any lane starts: a stale `find` fails in seconds, not
    // after the variants before it have run.
    require_applicable(root, &selected)?;
    let total = selected.len();
    let started = Instant::now();
    let lanes = LANES.min(total);
    let first = scratch_tree(root, "lane0", &BUILD)?;
    if let Err(e) = baseline(root, &first, &selected) {
        let _ = std::fs::remove_dir_all(&first);
        return Err(e);
    }
    // The baseline's build goes back to the project, so that the next run compiles only what
    // changed since (the first one compiles the whole suite under the mutants profile).
    for folder in BUILD {
        copy_over(&first.join(folder), &root.join(folder))?;
    }
    println!("      the unmutated tests pass in the scratch tree ({:.0} s)", started.elapsed().as_secs_f64());
    // The other lanes start from the first one's tree, whose build the baseline just brought up to
    // date (the project's own may be stale: coverage builds differently), not from the project's.
    let mut scratches = vec![first.clone()];
    for lane in 1..lanes {
        let copy = scratch_path(&format!("lane{lane}"));
        copy_over(&first, &copy)?;
        scratches.push(copy);
    }

    let mut verdicts: Vec<(usize, Verdict)> = Vec::new();
    let ran = crate::pool::run(
        &scratches,
        selected.into_iter().enumerate(),
        |scratch, (i, v)| {
            let what = format!("{}: {}", v.name, v.what);
            check(root, scratch, &v, lanes > 1).map(|verdict| (i, verdict, what))
        },
        |message| {
            let (i, verdict, what) = message?;
            println!("[{}/{total}] {what}", verdicts.len() + 1);
            match (verdict.caught_by.first(), verdict.expected) {
                (Some(first), true) => println!(
                    "      caught by {} test(s) in {:.0} s, first {first}",
                    verdict.caught_by.len(),
                    verdict.seconds
                ),
                (Some(_), false) => println!(
                    "      SURVIVED: only tests it was not written for failed: {}",
                    verdict.caught_by.join(", ")
                ),
                (None, _) => println!("      SURVIVED: no test failed"),
            }
            verdicts.push((i, verdict));
            Ok(())
        },
    );
    for scratch in &scratches {
        let _ = std::fs::remove_dir_all(scratch);
    }
    ran?;
    verdicts.sort_by_key(|(i, _)| *i);

    let mut table = crate::table::new(&["variant", "result", "caught by"], &[]);
    for (_, v) in &verdicts {
        let by: Vec<&str> = v.caught_by.iter().take(3).map(String::as_str).collect();
        let result = if v.expected { "caught" } else { "SURVIVED" };
        table.add_row(vec![v.name.as_str(), result, &by.join(", ")]);
    }
    println!("\n{table}");
    let survived: Vec<&str> =
        verdicts.iter().filter(|(_, v)| !v.expected).map(|(_, v)| v.name.as_str()).collect();
    let caught = verdicts.len() - survived.len();
    println!(
        "\n{caught} passed, {} failed ({lanes} lanes, {:.0} s)",
        survived.len(),
        started.elapsed().as_secs_f64()
    );
    if !survived.is_empty() {
        bail!("variants the suite did not catch: {}", survived.join(", "));
    }
    Ok(())
}

/// The unmutated tree first, once: every test file the variants name must pass in the scratch
/// copy, so that a failure under a variant is the variant's doing. Only those files are built (the
/// union of the variants' globs; the whole suite but the gas snapshots if one names none), in one
/// forge run that uses both cores.
fn baseline(root: &Path, scratch: &Path, variants: &[Variant]) -> Result<()> {
    let globs: Option<Vec<&str>> = variants.iter().map(|v| v.tests.as_deref()).collect();
    let failing = forge_test(root, scratch, globs.as_deref(), false)?;
    if !failing.is_empty() {
        bail!("the unmutated suite fails in the scratch tree: {}", failing.join(", "));
    }
    Ok(())
}

/// Where the scratch tree tagged `tag` lives (one per process, so two runs never share one).
fn scratch_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("leash-mutants-{}-{tag}", std::process::id()))
}

/// A copy of what the Solidity suite needs, in a folder of its own (`tag` tells copies apart).
pub fn scratch_tree(root: &Path, tag: &str, extra: &[&str]) -> Result<PathBuf> {
    let scratch = scratch_path(tag);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    // `.deps`: the third-party accounts the cross-account tests import (see toolchain.rs).
    // `extra`: the build folders of the profile the copy runs under, so it starts where the last
    // run left off.
    let base = ["contracts", "tests/solidity", "script", "tools", "lib", ".deps", "foundry.toml"];
    for entry in base.iter().chain(extra) {
        let from = root.join(entry);
        if !from.exists() {
            continue;
        }
        let to = scratch.join(entry);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        copy_over(&from, &to)?;
    }
    std::os::unix::fs::symlink(root.join("node_modules"), scratch.join("node_modules"))?;
    Ok(scratch)
}

/// Replaces `to` with a copy of `from` (a file or a folder, attributes kept).
fn copy_over(from: &Path, to: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(to);
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status()?;
    if !status.success() {
        bail!("could not copy {} to {}", from.display(), to.display());
    }
    Ok(())
}

/// Writes the variant into the scratch tree; returns the file's original text and its scratch path.
pub fn apply(root: &Path, scratch: &Path, v: &Variant) -> Result<(String, PathBuf)> {
    let original_path = root.join(&v.file);
    let original =
        std::fs::read_to_string(&original_path).wrap_err_with(|| format!("{}: cannot read", v.file))?;
    let hits = original.matches(&v.find).count();
    if hits != 1 {
        bail!("variant {}: `find` occurs {hits} times in {} (must be exactly once)", v.name, v.file);
    }
    let target = scratch.join(&v.file);
    std::fs::write(&target, original.replacen(&v.find, &v.replace, 1))?;
    Ok((original, target))
}

fn check(root: &Path, scratch: &Path, v: &Variant, beside_other_lanes: bool) -> Result<Verdict> {
    let (original, target) = apply(root, scratch, v)?;
    let started = Instant::now();
    let glob = v.tests.as_deref();
    let result = forge_test(root, scratch, glob.as_ref().map(std::slice::from_ref), beside_other_lanes);
    std::fs::write(&target, &original)?;
    let caught_by = result.wrap_err_with(|| format!("variant {}", v.name))?;
    let expected = caught_by.iter().any(|t| v.caught_by.contains(t));
    Ok(Verdict { name: v.name.clone(), caught_by, expected, seconds: started.elapsed().as_secs_f64() })
}

/// Runs the forge tests the `globs` name (all but the gas snapshots when none) in `tree`; returns
/// the failing tests' names. Beside other lanes, the compiler keeps to one core (tools/solc shares a
/// build between the cores otherwise).
fn forge_test(
    root: &Path,
    tree: &Path,
    globs: Option<&[&str]>,
    beside_other_lanes: bool,
) -> Result<Vec<String>> {
    let mut forge = Command::new(root.join("node_modules/.bin/forge"));
    if beside_other_lanes {
        forge.env("LEASH_SOLC_JOBS", "1");
    }
    let output = forge
        .current_dir(tree)
        .env("PATH", crate::toolchain::path_with_bin(root))
        .env("FOUNDRY_PROFILE", "mutants")
        .arg("test")
        .args(match globs {
            Some(globs) => only_these_tests(tree, globs)?,
            None => vec!["--no-match-path".into(), "tests/solidity/gas/*".into()],
        })
        .output()
        .map_err(|e| eyre!("could not run forge: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stdout.contains("Compiler run failed") || stderr.contains("Compiler run failed") {
        bail!("does not compile:\n{stderr}");
    }
    let failing = failing_tests(&stdout);
    if output.status.success() != failing.is_empty() {
        bail!(
            "forge exited {:?} but reported {} failing tests:\n{stderr}",
            output.status.code(),
            failing.len()
        );
    }
    Ok(failing)
}

/// The names of the failing tests in forge's output. A failure line reads
/// `[FAIL: <reason>] <test>(<args>) ...`, where the reason may itself contain "] "; an invariant's
/// failure prints its counterexample sequence first and names the invariant on a later line.
fn failing_tests(stdout: &str) -> Vec<String> {
    let is_test = |s: &str| {
        (s.starts_with("test") || s.starts_with("invariant") || s.starts_with("setUp")) && s.contains('(')
    };
    let lines: Vec<&str> = stdout.lines().collect();
    let mut names = std::collections::BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("[FAIL") {
            continue;
        }
        let same_line = line.match_indices("] ").map(|(j, _)| &line[j + 2..]).find(|rest| is_test(rest));
        let name = same_line.or_else(|| {
            lines[i + 1..]
                .iter()
                .map(|l| l.trim_start())
                .take_while(|l| !l.starts_with("[FAIL"))
                .find(|l| is_test(l))
        });
        if let Some(name) = name {
            names.insert(name.split('(').next().unwrap_or(name).to_string());
        }
    }
    names.into_iter().collect()
}

/// The forge arguments that run only the test files the `globs` name: every other Solidity file
/// of tests/solidity (the shared utils/ aside) and script/ left out of the build with `--skip`. Not
/// `--match-path`: with any test filter, forge first compiles the whole project for its ABIs to
/// find the matching tests, a second compilation of everything the variant touched. Each glob
/// must name a file.
fn only_these_tests(tree: &Path, globs: &[&str]) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for folder in ["tests/solidity", "script"] {
        solidity_files(tree, folder, &mut files)?;
    }
    let patterns: Vec<Vec<String>> = globs.iter().map(|g| expand_braces(g)).collect();
    let names =
        |glob: &[String], file: &str| glob.iter().any(|p| glob_matches(p.as_bytes(), file.as_bytes()));
    if let Some(i) = patterns.iter().position(|glob| !files.iter().any(|f| names(glob, f))) {
        bail!("`tests = \"{}\"` names no test file", globs[i]);
    }
    let mut args = Vec::new();
    for file in files {
        if !patterns.iter().any(|glob| names(glob, &file)) && !file.starts_with("tests/solidity/utils/") {
            args.extend(["--skip".to_string(), file]);
        }
    }
    Ok(args)
}

/// The Solidity files below `folder` of `tree`, as paths relative to `tree`.
fn solidity_files(tree: &Path, folder: &str, into: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(tree.join(folder)).wrap_err_with(|| format!("cannot list {folder}"))? {
        let entry = entry?;
        let name = format!("{folder}/{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            solidity_files(tree, &name, into)?;
        } else if name.ends_with(".sol") {
            into.push(name);
        }
    }
    Ok(())
}

/// `a/{b,c}/d{e,f}` as `a/b/de`, `a/b/df`, `a/c/de`, `a/c/df` (groups do not nest).
fn expand_braces(glob: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (glob.find('{'), glob.find('}')) else {
        return vec![glob.to_string()];
    };
    let (head, rest) = (&glob[..open], &glob[close + 1..]);
    glob[open + 1..close]
        .split(',')
        .flat_map(|choice| expand_braces(&format!("{head}{choice}{rest}")))
        .collect()
}

/// Whether `path` matches `pattern`, where `*` stands for any run of characters (as in forge's
/// globs, `/` included) and every other character for itself.
fn glob_matches(pattern: &[u8], path: &[u8]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((b'*', rest)) => (0..=path.len()).any(|skip| glob_matches(rest, &path[skip..])),
        Some((c, rest)) => path.first() == Some(c) && glob_matches(rest, &path[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variants_glob_reads_as_forges() {
        assert_eq!(
            expand_braces("t/{unit/a/*,accounts/B.t.sol}"),
            ["t/unit/a/*", "t/accounts/B.t.sol"].map(String::from)
        );
        assert_eq!(expand_braces("t/x.sol"), ["t/x.sol"].map(String::from));
        let matches = |p: &str, f: &str| glob_matches(p.as_bytes(), f.as_bytes());
        assert!(matches("t/unit/a/*", "t/unit/a/A.t.sol"));
        assert!(!matches("t/unit/a/*", "t/unit/ab/A.t.sol"));
        assert!(matches("t/accounts/B.t.sol", "t/accounts/B.t.sol"));
        assert!(!matches("t/accounts/B.t.sol", "t/accounts/AB.t.sol"));
        assert!(!matches("t/accounts/B.t.sol", "t/accounts/B.t.sol.bak"));
    }

    /// Every variant's files exist, and everything else but the shared utilities stays out of its
    /// build.
    #[test]
    fn a_variant_builds_only_its_own_test_files() {
        let root = crate::project_root();
        let args =
            only_these_tests(&root, &["tests/solidity/{unit/pause/*,accounts/LeashOnSafe.t.sol}"]).unwrap();
        let skipped: Vec<&str> = args.iter().filter(|a| *a != "--skip").map(String::as_str).collect();
        assert_eq!(args.len(), 2 * skipped.len());
        assert!(skipped.contains(&"tests/solidity/accounts/LeashOnKernel.t.sol"));
        assert!(skipped.contains(&"script/Deploy.s.sol"));
        assert!(!skipped
            .iter()
            .any(|f| f.starts_with("tests/solidity/unit/pause/") || f.contains("LeashOnSafe")));
        assert!(!skipped.iter().any(|f| f.starts_with("tests/solidity/utils/")));
        assert!(only_these_tests(&root, &["tests/solidity/accounts/LeashOnEveryAccount.t.sol"]).is_err());
        // Several globs (the baseline's union): neither's files are skipped, and each must name one.
        let union = only_these_tests(
            &root,
            &["tests/solidity/unit/pause/*", "tests/solidity/accounts/LeashOnSafe.t.sol"],
        )
        .unwrap();
        assert_eq!(union, args);
        assert!(
            only_these_tests(&root, &["tests/solidity/unit/pause/*", "tests/solidity/nothing/*"]).is_err()
        );
        require_applicable(&root, &load(&root, None).unwrap()).unwrap();
    }
}
