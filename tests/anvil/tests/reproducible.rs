//! Reproducible bytecode: a second, independent compile of the test account gives the same bytes
//! as the project's `out/` artifact (pinned solc and settings, no metadata hash, no CBOR).

use std::path::Path;
use std::process::Command;

use leash_anvil_tests::{ensure_artifacts, project_root};

fn bytecode(artifact: &Path) -> (String, String) {
    let text = std::fs::read_to_string(artifact).unwrap_or_else(|e| panic!("{}: {e}", artifact.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("artifact is JSON");
    let get = |key: &str| json[key]["object"].as_str().expect("bytecode object").to_string();
    (get("bytecode"), get("deployedBytecode"))
}

#[test]
fn test_account_bytecode_is_identical_across_builds() {
    let root = project_root();
    let out = ensure_artifacts().expect("forge build");
    let scratch = std::env::temp_dir().join(format!("leash-repro-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let status = Command::new(root.join("node_modules/.bin/forge"))
        .current_dir(&root)
        .args(["build", "--force", "tests/solidity/utils/LeashTestAccount.sol", "--out"])
        .arg(scratch.join("out"))
        .arg("--cache-path")
        .arg(scratch.join("cache"))
        .status()
        .expect("forge runs");
    assert!(status.success(), "second build failed");

    let first = bytecode(&out.join("LeashTestAccount.sol/LeashTestAccount.json"));
    let second = bytecode(&scratch.join("out/LeashTestAccount.sol/LeashTestAccount.json"));
    let _ = std::fs::remove_dir_all(&scratch);

    assert!(first.0.len() > 1000, "creation code looks empty");
    assert_eq!(first.0, second.0, "creation code differs between builds");
    assert_eq!(first.1, second.1, "runtime code differs between builds");
}
