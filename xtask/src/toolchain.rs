//! The pinned toolchain: npm packages from `package-lock.json` (forge, anvil, cast, solc,
//! forge-std, OpenZeppelin, account-abstraction, and the Alto bundler the tests run), checked and
//! installed idempotently; and the compiled third-party accounts the cross-account tests run on
//! (`.deps/modulekit`, test-only).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use eyre::{bail, eyre, Result, WrapErr};

const FOUNDRY_VERSION: &str = "1.7.1";
const SOLC_VERSION: &str = "0.8.30";
const MIN_NODE_MAJOR: u32 = 20;
/// The ERC-4337 bundler the tests send UserOps through (GPL-3.0: a program run beside the tests,
/// never linked or shipped).
const ALTO_VERSION: &str = "0.0.20";
/// Copy of the lockfile the current `node_modules` was installed from.
const STAMP: &str = "node_modules/.leash-installed-lock.json";
/// The audit tools (halmos, slither): the whole pinned closure, with hashes, from PyPI.
const PY_REQUIREMENTS: &str = "tools/audit-requirements.txt";
/// Copy of the requirements the current `.venv` was installed from.
const PY_STAMP: &str = ".venv/.leash-installed-requirements.txt";
const HALMOS_VERSION: &str = "0.3.3";
const SLITHER_VERSION: &str = "0.11.6";

/// Files forge needs through `lib/` (committed symlinks into `node_modules`).
const LIBRARIES: &[(&str, &str)] = &[
    ("lib/forge-std/Test.sol", "forge-std 1.9.7"),
    (
        "lib/openzeppelin-contracts/account/extensions/draft-AccountERC7579Hooked.sol",
        "@openzeppelin/contracts 5.7.0",
    ),
    ("lib/account-abstraction/artifacts/EntryPoint.json", "@account-abstraction/contracts 0.8.0"),
    (
        "lib/account-abstraction-v0.7/artifacts/EntryPoint.json",
        "@account-abstraction/contracts 0.7.0 (alias)",
    ),
];

/// The compiled Safe + Safe7579, Kernel, Nexus and reference ERC-7579 accounts ship in this
/// package. Its own dependencies are git-hosted, so it is not `npm install`ed: its tarball is
/// fetched with `npm pack` (registry only), checked against this pinned integrity, and only the
/// files the tests import are extracted. It is GPL-3.0: used by tests, never committed.
const MODULEKIT: &str = "@rhinestone/modulekit@0.5.9";
const MODULEKIT_INTEGRITY: &str =
    "sha512-Zc5Qo3dkyVhBo7OQRKOltYd+jlGCtV18TWSmpSvIdXKwUgo5xj8zL73wAwFKTww00zt/wXMbW6Z6ysIQWH3Ezw==";
/// Where the extracted files live (gitignored), with the integrity they came from in `STAMP`.
const MODULEKIT_DIR: &str = ".deps/modulekit";
/// The precompiled accounts and everything they import, relative to the package's `src/`.
const MODULEKIT_FILES: &[&str] = &[
    "Interfaces.sol",
    "accounts/common/interfaces/IERC4337Account.sol",
    "accounts/common/interfaces/IERC7579Account.sol",
    "accounts/common/interfaces/IERC7579Module.sol",
    "accounts/common/lib/ModeLib.sol",
    "accounts/erc7579/interfaces/IERC7579Bootstrap.sol",
    "accounts/erc7579/interfaces/IMSA.sol",
    "accounts/kernel/interfaces/IAccount.sol",
    "accounts/kernel/interfaces/IAccountExecute.sol",
    "accounts/kernel/interfaces/IERC7579Account.sol",
    "accounts/kernel/interfaces/IERC7579Module.sol",
    "accounts/kernel/interfaces/IKernel.sol",
    "accounts/kernel/interfaces/IKernelFactory.sol",
    "accounts/kernel/lib/ExecLib.sol",
    "accounts/kernel/lib/ValidationTypeLib.sol",
    "accounts/kernel/types/Constants.sol",
    "accounts/kernel/types/Structs.sol",
    "accounts/kernel/types/Types.sol",
    "accounts/nexus/interfaces/INexus.sol",
    "accounts/nexus/interfaces/INexusAccountFactory.sol",
    "accounts/nexus/interfaces/INexusBootstrap.sol",
    "accounts/safe/interfaces/IERC7484.sol",
    "accounts/safe/interfaces/IERC7579Account.sol",
    "accounts/safe/interfaces/ISafe7579.sol",
    "accounts/safe/interfaces/ISafe7579Launchpad.sol",
    "accounts/safe/interfaces/ISafeOp.sol",
    "accounts/safe/interfaces/ISafeProxyFactory.sol",
    "accounts/safe/types/DataTypes.sol",
    "deployment/precompiles/BytecodeDeployer.sol",
    "deployment/precompiles/ERC7579Precompiles.sol",
    "deployment/precompiles/KernelPrecompiles.sol",
    "deployment/precompiles/NexusPrecompiles.sol",
    "deployment/precompiles/Safe7579Precompiles.sol",
    "external/ERC4337.sol",
    "module-bases/interfaces/Flashloan.sol",
    "module-bases/interfaces/IERC1271.sol",
    "module-bases/interfaces/IERC712.sol",
    "module-bases/interfaces/IERC7484.sol",
    "module-bases/interfaces/IPolicy.sol",
    "module-bases/interfaces/IStatelessValidator.sol",
    "test/utils/Vm.sol",
];

/// `PATH` with the project's `node_modules/.bin` first, so forge finds anvil and friends.
pub fn path_with_bin(root: &Path) -> OsString {
    let mut paths = vec![root.join("node_modules/.bin")];
    if let Some(existing) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    std::env::join_paths(paths).expect("PATH entries contain no separator")
}

/// Installs the whole toolchain when missing or stale, the audit tools included, then checks every
/// pinned version. Idempotent.
pub fn setup(root: &Path) -> Result<()> {
    ensure(root)?;
    ensure_audit(root)
}

/// What every command needs: the npm toolchain, the accounts' bytecode, every version checked. The
/// audit tools (Python) come only with `setup` and the commands that run them ([`ensure_audit`]).
pub fn ensure(root: &Path) -> Result<()> {
    check_node()?;
    let lock = root.join("package-lock.json");
    let wanted = fs::read(&lock).wrap_err("package-lock.json is missing from the project root")?;
    let installed = fs::read(root.join(STAMP)).ok();
    match installed {
        Some(stamp) if stamp == wanted && root.join("node_modules/.bin/forge").exists() => {
            println!("setup: npm toolchain up to date (package-lock.json unchanged)");
        }
        other => {
            let why = if other.is_none() { "not installed yet" } else { "package-lock.json changed" };
            println!("setup: installing the npm toolchain ({why}): npm ci");
            crate::run_to_end(
                Command::new("npm")
                    .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
                    .current_dir(root),
                "could not run npm (is Node.js with npm installed?)",
                "`npm ci` failed: the npm registry must be reachable and package-lock.json valid",
            )?;
            fs::write(root.join(STAMP), &wanted).wrap_err("could not write the install stamp")?;
            println!("setup: installed packages from package-lock.json");
        }
    }
    modulekit(root)?;
    verify(root)
}

/// `.venv/` with halmos and slither from the hashed requirements; skipped when up to date.
pub fn ensure_audit(root: &Path) -> Result<()> {
    let wanted =
        fs::read(root.join(PY_REQUIREMENTS)).wrap_err_with(|| format!("{PY_REQUIREMENTS} is missing"))?;
    let installed = fs::read(root.join(PY_STAMP)).ok();
    if installed.as_deref() == Some(&wanted[..]) && venv_bin(root, "halmos").exists() {
        println!("setup: audit tools up to date ({PY_REQUIREMENTS} unchanged)");
    } else {
        println!("setup: installing halmos and slither into .venv/ (pip --require-hashes)");
        crate::run_to_end(
            Command::new("python3").args(["-m", "venv", ".venv"]).current_dir(root),
            "could not run python3 (need Python 3.11 with the venv module)",
            "`python3 -m venv .venv` failed",
        )?;
        crate::run_to_end(
            Command::new(venv_bin(root, "pip"))
                .args(["install", "--quiet", "--require-hashes", "--no-deps", "-r", PY_REQUIREMENTS])
                .current_dir(root),
            "could not run the virtual environment's pip",
            &format!("pip could not install {PY_REQUIREMENTS}: PyPI must be reachable"),
        )?;
        fs::write(root.join(PY_STAMP), &wanted).wrap_err("could not write the audit tools' install stamp")?;
    }
    let halmos = version_of(venv_bin(root, "halmos"), &["--version"], root)?;
    let slither = version_of(venv_bin(root, "slither"), &["--version"], root)?;
    if !halmos.contains(HALMOS_VERSION) || !slither.contains(SLITHER_VERSION) {
        bail!("expected halmos {HALMOS_VERSION} and slither {SLITHER_VERSION}, found `{}` and `{}`; run `cargo xtask setup`", halmos.trim(), slither.trim());
    }
    println!("setup: halmos {HALMOS_VERSION}, slither {SLITHER_VERSION} in .venv/");
    Ok(())
}

/// An executable of the project's Python environment.
pub fn venv_bin(root: &Path, name: &str) -> PathBuf {
    root.join(".venv/bin").join(name)
}

/// Fetches the pinned modulekit tarball, checks its integrity and extracts the files the tests
/// import into `.deps/modulekit/src`. Idempotent: a complete extraction of the same integrity is kept.
fn modulekit(root: &Path) -> Result<()> {
    let dir = root.join(MODULEKIT_DIR);
    let stamp = dir.join(".integrity");
    let complete = MODULEKIT_FILES.iter().all(|f| dir.join("src").join(f).exists());
    if complete && fs::read_to_string(&stamp).ok().as_deref() == Some(MODULEKIT_INTEGRITY) {
        println!("setup: {MODULEKIT} up to date in {MODULEKIT_DIR}");
        return Ok(());
    }
    println!("setup: fetching {MODULEKIT} (compiled accounts for tests, GPL-3.0, not committed): npm pack");
    let scratch = root.join(".deps/.fetch");
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).wrap_err("could not create .deps/.fetch")?;
    let out = Command::new("npm")
        .args(["pack", MODULEKIT, "--silent", "--pack-destination"])
        .arg(&scratch)
        .current_dir(root)
        .output()
        .wrap_err("could not run `npm pack`")?;
    if !out.status.success() {
        bail!("`npm pack {MODULEKIT}` failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let tarball = scratch.join(String::from_utf8_lossy(&out.stdout).trim());
    let integrity = sha512_integrity(&tarball, root)?;
    if integrity != MODULEKIT_INTEGRITY {
        bail!("{MODULEKIT}: integrity {integrity} does not match the pinned {MODULEKIT_INTEGRITY}");
    }
    let members: Vec<String> = MODULEKIT_FILES.iter().map(|f| format!("package/src/{f}")).collect();
    crate::run_to_end(
        Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&scratch).args(&members),
        "could not run tar",
        &format!("could not extract the test files from {}", tarball.display()),
    )?;
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).wrap_err_with(|| format!("could not create {MODULEKIT_DIR}"))?;
    fs::rename(scratch.join("package/src"), dir.join("src"))
        .wrap_err("could not move the extracted files")?;
    fs::write(&stamp, MODULEKIT_INTEGRITY).wrap_err("could not write the modulekit stamp")?;
    let _ = fs::remove_dir_all(&scratch);
    println!("setup: {} files of {MODULEKIT} in {MODULEKIT_DIR} (integrity checked)", MODULEKIT_FILES.len());
    Ok(())
}

/// npm's integrity string of a file (`sha512-` and the base64 digest), computed by Node.js.
fn sha512_integrity(file: &Path, root: &Path) -> Result<String> {
    let script = "const c=require('crypto'),f=require('fs');\
                  process.stdout.write('sha512-'+c.createHash('sha512').update(f.readFileSync(process.argv[1])).digest('base64'))";
    let out = Command::new("node")
        .args(["-e", script])
        .arg(file)
        .current_dir(root)
        .output()
        .wrap_err("could not run node to hash the tarball")?;
    if !out.status.success() {
        bail!("could not hash {}: {}", file.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn verify(root: &Path) -> Result<()> {
    for name in ["forge", "anvil", "cast"] {
        let out = version_of(root.join("node_modules/.bin").join(name), &["--version"], root)?;
        if !out.contains(&format!("Version: {FOUNDRY_VERSION}")) {
            bail!(
                "{name} is not version {FOUNDRY_VERSION} (it says: {}); run `cargo xtask setup`",
                out.lines().next().unwrap_or("")
            );
        }
    }
    let solc = version_of(root.join("tools/solc"), &["--version"], root)?;
    if !solc.contains(&format!("Version: {SOLC_VERSION}+")) {
        bail!("tools/solc does not report solc {SOLC_VERSION}: {solc}");
    }
    let backend = match native_solc(root) {
        Some(path) => format!("native {}", path.display()),
        None => "npm solc (WebAssembly)".to_string(),
    };
    for (file, package) in LIBRARIES {
        if !root.join(file).exists() {
            bail!("{file} is missing: the {package} package is not installed; run `cargo xtask setup`");
        }
    }
    let alto = fs::read_to_string(root.join("node_modules/@pimlico/alto/package.json")).unwrap_or_default();
    let alto_version = serde_json::from_str::<serde_json::Value>(&alto)
        .ok()
        .and_then(|v| v["version"].as_str().map(String::from));
    if alto_version.as_deref() != Some(ALTO_VERSION) || !root.join("node_modules/.bin/alto").exists() {
        bail!("the Alto bundler {ALTO_VERSION} (npm @pimlico/alto) is not installed (found {alto_version:?}); run `cargo xtask setup`");
    }
    println!(
        "setup: forge, anvil, cast {FOUNDRY_VERSION}; solc {SOLC_VERSION} via {backend}; libraries in lib/; alto {ALTO_VERSION}"
    );
    Ok(())
}

fn check_node() -> Result<()> {
    let out = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|_| eyre!("Node.js is not installed (need node >= {MIN_NODE_MAJOR} with npm on PATH)"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| eyre!("could not read the Node.js version from `{version}`"))?;
    if major < MIN_NODE_MAJOR {
        bail!("Node.js {version} is too old: need >= {MIN_NODE_MAJOR}");
    }
    Command::new("npm")
        .arg("--version")
        .output()
        .map_err(|_| eyre!("npm is not installed (it ships with Node.js)"))?;
    Ok(())
}

/// A native solc of the pinned version on PATH, which tools/solc prefers over npm's.
fn native_solc(root: &Path) -> Option<PathBuf> {
    let ours = fs::canonicalize(root.join("tools/solc")).ok();
    std::env::split_paths(&std::env::var_os("PATH")?).find_map(|dir| {
        let candidate = fs::canonicalize(dir.join("solc")).ok()?;
        if Some(&candidate) == ours.as_ref() {
            return None;
        }
        let out = Command::new(&candidate).arg("--version").output().ok()?;
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("Version: {SOLC_VERSION}+"))
            .then_some(candidate)
    })
}

fn version_of(program: PathBuf, args: &[&str], root: &Path) -> Result<String> {
    let out = Command::new(&program)
        .args(args)
        .current_dir(root)
        .output()
        .wrap_err_with(|| format!("{} is missing; run `cargo xtask setup`", program.display()))?;
    if !out.status.success() {
        bail!("{} --version failed: {}", program.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::process::Stdio;

    use serde_json::{json, Value};

    use super::*;

    /// tools/solc's output for `input` with the build shared between `jobs` workers (npm solc).
    fn solc(input: &Value, jobs: &str) -> Value {
        let root = crate::project_root();
        let mut child = Command::new(root.join("tools/solc"))
            .args(["--standard-json", "--base-path", "."])
            .current_dir(&root)
            .env("LEASH_SOLC_NO_NATIVE", "1")
            .env("LEASH_SOLC_JOBS", jobs)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("tools/solc runs (`cargo xtask setup` installs npm solc)");
        child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let mut output: Value = serde_json::from_slice(&out.stdout).unwrap();
        // The order of messages is not part of the output's meaning.
        if let Some(Value::Array(errors)) = output.get_mut("errors") {
            errors.sort_by_key(|e| e.to_string());
        }
        output
    }

    /// A build shared between workers gives what one whole build gives: every contract's code and
    /// source map, every source's id and AST, each warning once, and an error as an error.
    #[test]
    fn a_shared_build_is_the_whole_build() {
        let everything =
            ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.sourceMap"];
        let sources = json!({
            "Base.sol": {"content": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nabstract contract Base { uint256 internal x; function bump() public { x += 1; } }\n"},
            "Child.sol": {"content": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nimport {Base} from \"Base.sol\";\ncontract Child is Base { function twice() external { bump(); bump(); } function unused(uint256 a) external pure returns (uint256) { uint256 b; return a; } }\n"},
            "Maker.sol": {"content": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nimport {Child} from \"Child.sol\";\nlibrary Twice { function doubled(uint256 a) internal pure returns (uint256) { return 2 * a; } }\ncontract Maker { function make() external returns (address) { return address(new Child()); } function two() external pure returns (uint256) { return Twice.doubled(1); } }\n"},
            "Lone.sol": {"content": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ninterface ILone { function f() external; }\ncontract Lone { event E(uint256); function f() external { emit E(block.number); } }\n"},
        });
        let selection: serde_json::Map<String, Value> = ["Base.sol", "Child.sol", "Maker.sol", "Lone.sol"]
            .iter()
            .map(|file| (file.to_string(), json!({"*": everything, "": ["ast"]})))
            .collect();
        let input = json!({
            "language": "Solidity",
            "sources": sources,
            "settings": {"optimizer": {"enabled": true, "runs": 200}, "outputSelection": selection},
        });
        let whole = solc(&input, "1");
        assert_eq!(whole["contracts"].as_object().map(serde_json::Map::len), Some(4), "{whole}");
        assert!(whole["errors"].as_array().is_some_and(|e| !e.is_empty()), "the unused variable warns");
        for jobs in ["2", "3"] {
            assert_eq!(solc(&input, jobs), whole, "{jobs} workers");
        }

        let mut broken = input.clone();
        broken["sources"]["Lone.sol"]["content"] =
            json!("pragma solidity 0.8.30;\ncontract Lone { function f() external { undefined(); } }\n");
        let (one, shared) = (solc(&broken, "1"), solc(&broken, "2"));
        assert_eq!(shared, one);
        assert!(shared["errors"].as_array().unwrap().iter().any(|e| e["severity"] == "error"));
    }
}
