//! The gas snapshot gate: forge rewrites `snapshots/*.json` on every `forge test`; this compares the
//! new figures with the ones committed before the run and fails on a rise of more than 2%.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use eyre::{bail, Result, WrapErr};

/// The largest rise, in percent, that passes without updating the snapshot on purpose.
const TOLERANCE_PERCENT: f64 = 2.0;

/// The snapshot files and their contents before the run.
pub struct Before(Vec<(PathBuf, String)>);

fn snapshot_files(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("snapshots");
    let mut files = Vec::new();
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn parse(path: &Path, text: &str) -> Result<BTreeMap<String, u64>> {
    let json: BTreeMap<String, String> =
        serde_json::from_str(text).wrap_err_with(|| format!("{} is not a gas snapshot", path.display()))?;
    json.into_iter()
        .map(|(k, v)| {
            let gas = v.parse().wrap_err_with(|| format!("{}: {k} is not a number", path.display()))?;
            Ok((k, gas))
        })
        .collect()
}

/// Reads the snapshots as they are before forge rewrites them.
pub fn before(root: &Path) -> Result<Before> {
    let mut saved = Vec::new();
    for path in snapshot_files(root)? {
        let text = fs::read_to_string(&path)?;
        saved.push((path, text));
    }
    Ok(Before(saved))
}

/// Compares the rewritten snapshots with `before`. A rise above the tolerance fails and puts the
/// old file back, so the gate keeps failing until the snapshot is accepted on purpose
/// (`accept`: keep forge's new figures; commit them with the change that explains them).
pub fn check(before: Before, accept: bool) -> Result<()> {
    let mut regressions = Vec::new();
    let mut changed = 0usize;
    for (path, old_text) in &before.0 {
        let Ok(new_text) = fs::read_to_string(path) else { continue };
        let (old, mut new) = (parse(path, old_text)?, parse(path, &new_text)?);
        // A filtered `forge test` rewrites a file with only the tests it ran: keep the others.
        let dropped: Vec<_> = old.iter().filter(|(k, _)| !new.contains_key(*k)).collect();
        if !dropped.is_empty() {
            new.extend(dropped.into_iter().map(|(k, v)| (k.clone(), *v)));
            let json: BTreeMap<&String, String> = new.iter().map(|(k, v)| (k, v.to_string())).collect();
            fs::write(path, serde_json::to_string_pretty(&json)?)
                .wrap_err_with(|| format!("rewriting {}", path.display()))?;
        }
        let mut file_regressions = Vec::new();
        for (name, &now) in &new {
            let Some(&was) = old.get(name) else { continue };
            if now != was {
                changed += 1;
            }
            let rise = (now as f64 - was as f64) * 100.0 / was.max(1) as f64;
            if rise > TOLERANCE_PERCENT {
                file_regressions.push(format!("  {name}: {was} -> {now} (+{rise:.1}%)"));
            }
        }
        if !file_regressions.is_empty() && !accept {
            fs::write(path, old_text).wrap_err_with(|| format!("restoring {}", path.display()))?;
        }
        let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        regressions.extend(file_regressions.into_iter().map(|line| format!("{file}{line}")));
    }
    if regressions.is_empty() {
        println!("gas snapshots: no rise above {TOLERANCE_PERCENT}% ({changed} figures changed)");
        return Ok(());
    }
    if accept {
        println!(
            "gas snapshots: accepted rises (commit snapshots/ with the change):\n{}",
            regressions.join("\n")
        );
        return Ok(());
    }
    bail!(
        "gas rose by more than {TOLERANCE_PERCENT}% against the committed snapshot:\n{}\n\
         If this is on purpose, run `cargo xtask test --accept-gas` and commit snapshots/.",
        regressions.join("\n")
    )
}
