//! `cargo xtask abi`: the contracts' ABI, committed under `crates/leash/abi/` so that the `leash`
//! crate builds before forge runs, taken from forge's artifacts. `--check` fails when a committed
//! file differs from what the contracts compile to (a function, event or error added, removed or
//! changed), when one is missing, and when a file no longer belongs to any contract.
//!
//! The list of contracts is `crates/leash/abi/contracts.toml` ([`leash::abi::SOURCES`]): one line
//! there adds a contract.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use alloy::json_abi::JsonAbi;
use eyre::{bail, eyre, Result, WrapErr};
use leash::abi::{AbiSource, SOURCES};
use serde_json::Value;

/// Where the committed ABI files live, from the project root.
pub const DIR: &str = "crates/leash/abi";

/// What a run did or found.
pub enum Outcome {
    /// Files written or removed (empty: everything was up to date).
    Written(Vec<String>),
    UpToDate,
    /// `--check`: one line per file that differs, is missing, or is stale.
    Stale(Vec<String>),
}

/// Writes (or with `check`, compares) every file of [`SOURCES`] from the artifacts in `out/`.
pub fn run(root: &Path, check: bool) -> Result<Outcome> {
    let out = root.join("out");
    let dir = root.join(DIR);
    let mut expected = BTreeMap::new();
    for source in SOURCES {
        let artifact = find_artifact(&out, source)?;
        expected.insert(format!("{}.json", source.contract), render(&artifact)?);
    }
    let committed = committed_files(&dir)?;

    let mut problems = Vec::new();
    let mut written = Vec::new();
    for (file, text) in &expected {
        let shown = format!("{DIR}/{file}");
        match committed.get(file) {
            Some(old) if old == text => continue,
            Some(old) if check => problems.push(format!("{shown}: {}", difference(old, text))),
            None if check => problems.push(format!("{shown}: missing")),
            _ => {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(dir.join(file), text).wrap_err_with(|| format!("writing {shown}"))?;
                written.push(format!("wrote {shown}"));
            }
        }
    }
    for file in committed.keys().filter(|f| !expected.contains_key(*f)) {
        let shown = format!("{DIR}/{file}");
        if check {
            problems.push(format!("{shown}: stale: contracts.toml does not list it"));
        } else {
            std::fs::remove_file(dir.join(file)).wrap_err_with(|| format!("removing {shown}"))?;
            written.push(format!("removed {shown} (contracts.toml does not list it)"));
        }
    }
    Ok(match (check, problems.is_empty(), written.is_empty()) {
        (true, true, _) | (false, _, true) => Outcome::UpToDate,
        (true, false, _) => Outcome::Stale(problems),
        (false, _, false) => Outcome::Written(written),
    })
}

/// The committed `*.json` files of `dir` by name (none if the folder does not exist).
fn committed_files(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(files) };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path)?);
        }
    }
    Ok(files)
}

/// The artifact forge wrote for `source`: usually `out/<File>.sol/<Contract>.json`, but forge
/// moves one of two same-named files elsewhere, so the compilation target decides.
fn find_artifact(out: &Path, source: &AbiSource) -> Result<Value> {
    let file_name = Path::new(source.source).file_name().unwrap_or_default();
    let usual = out.join(file_name).join(format!("{}.json", source.contract));
    if let Some(artifact) = read_if_target(&usual, source)? {
        return Ok(artifact);
    }
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name() == Some(format!("{}.json", source.contract).as_ref()) {
                if let Some(artifact) = read_if_target(&path, source)? {
                    return Ok(artifact);
                }
            }
        }
    }
    bail!(
        "no artifact of {} ({}) in {}: run `cargo xtask build`",
        source.contract,
        source.source,
        out.display()
    )
}

/// The artifact at `path` if it was compiled from `source` (its metadata's compilation target).
fn read_if_target(path: &PathBuf, source: &AbiSource) -> Result<Option<Value>> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    let artifact: Value =
        serde_json::from_str(&text).wrap_err_with(|| format!("{} is not JSON", path.display()))?;
    let target = &artifact["metadata"]["settings"]["compilationTarget"][source.source];
    Ok((target.as_str() == Some(source.contract)).then_some(artifact))
}

/// The committed form of an artifact's ABI: its `abi` array, pretty-printed, one final newline.
fn render(artifact: &Value) -> Result<String> {
    let abi = artifact.get("abi").ok_or_else(|| eyre!("an artifact without an `abi` field"))?;
    Ok(serde_json::to_string_pretty(abi)? + "\n")
}

/// What changed between the committed ABI `old` and the compiled one `new`, item by item.
fn difference(old: &str, new: &str) -> String {
    let (Ok(old), Ok(new)) = (serde_json::from_str::<JsonAbi>(old), serde_json::from_str::<JsonAbi>(new))
    else {
        return "not a valid ABI: regenerate it".to_string();
    };
    let (old, new) = (items(&old), items(&new));
    let mut changes: Vec<String> = new.difference(&old).map(|i| format!("the contracts add `{i}`")).collect();
    changes.extend(old.difference(&new).map(|i| format!("the contracts no longer have `{i}`")));
    if changes.is_empty() {
        "parameter names or internal types differ".to_string()
    } else {
        changes.join("; ")
    }
}

/// Every function, event, error and constructor of `abi`, written as Solidity declarations.
fn items(abi: &JsonAbi) -> BTreeSet<String> {
    let mut items: BTreeSet<String> = abi.functions().map(|f| f.full_signature()).collect();
    items.extend(abi.events().map(|e| e.full_signature()));
    items.extend(abi.errors().map(|e| format!("error {}", e.signature())));
    if let Some(c) = &abi.constructor {
        let params: Vec<String> = c.inputs.iter().map(|p| p.ty.clone()).collect();
        items.insert(format!("constructor({})", params.join(",")));
    }
    items
}
