//! Forge artifacts (`out/<Name>.sol/<Name>.json`), read at run time.

use std::path::{Path, PathBuf};

use alloy::primitives::Bytes;
use eyre::{eyre, Result, WrapErr};

/// The creation code of contract `name` from forge's output directory `out`.
pub fn creation_code(out: &Path, name: &str) -> Result<Bytes> {
    let path = artifact_path(out, name);
    let text = std::fs::read_to_string(&path)
        .wrap_err_with(|| format!("{} is missing: run `cargo xtask build` first", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).wrap_err_with(|| format!("{} is not valid JSON", path.display()))?;
    let hex = json["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| eyre!("{} has no bytecode.object", path.display()))?;
    let code: Bytes = hex.parse().wrap_err_with(|| format!("{}: bytecode is not hex", path.display()))?;
    if code.is_empty() {
        return Err(eyre!("{}: empty bytecode (an abstract contract?)", path.display()));
    }
    Ok(code)
}

pub fn artifact_path(out: &Path, name: &str) -> PathBuf {
    out.join(format!("{name}.sol")).join(format!("{name}.json"))
}
