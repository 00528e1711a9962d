//! The pinned toolchain: npm packages from `package-lock.json` (forge, anvil, cast, solc,
//! forge-std, OpenZeppelin, account-abstraction), checked and installed idempotently.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use eyre::{bail, eyre, Result, WrapErr};

const FOUNDRY_VERSION: &str = "1.7.1";
const SOLC_VERSION: &str = "0.8.30";
const MIN_NODE_MAJOR: u32 = 20;
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
];

/// `PATH` with the project's `node_modules/.bin` first, so forge finds anvil and friends.
pub fn path_with_bin(root: &Path) -> OsString {
    let mut paths = vec![root.join("node_modules/.bin")];
    if let Some(existing) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    std::env::join_paths(paths).expect("PATH entries contain no separator")
}

/// Installs the toolchain when missing or stale, then checks every pinned version. Idempotent.
pub fn setup(root: &Path) -> Result<()> {
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
            let status = Command::new("npm")
                .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
                .current_dir(root)
                .status()
                .wrap_err("could not run npm (is Node.js with npm installed?)")?;
            if !status.success() {
                bail!("`npm ci` failed: the npm registry must be reachable and package-lock.json valid");
            }
            fs::write(root.join(STAMP), &wanted).wrap_err("could not write the install stamp")?;
            println!("setup: installed packages from package-lock.json");
        }
    }
    verify(root)?;
    setup_python(root)
}

/// `.venv/` with halmos and slither from the hashed requirements; skipped when up to date.
fn setup_python(root: &Path) -> Result<()> {
    let wanted =
        fs::read(root.join(PY_REQUIREMENTS)).wrap_err_with(|| format!("{PY_REQUIREMENTS} is missing"))?;
    let installed = fs::read(root.join(PY_STAMP)).ok();
    if installed.as_deref() == Some(&wanted[..]) && venv_bin(root, "halmos").exists() {
        println!("setup: audit tools up to date ({PY_REQUIREMENTS} unchanged)");
    } else {
        println!("setup: installing halmos and slither into .venv/ (pip --require-hashes)");
        let status = Command::new("python3")
            .args(["-m", "venv", ".venv"])
            .current_dir(root)
            .status()
            .wrap_err("could not run python3 (need Python 3.11 with the venv module)")?;
        if !status.success() {
            bail!("`python3 -m venv .venv` failed");
        }
        let status = Command::new(venv_bin(root, "pip"))
            .args(["install", "--quiet", "--require-hashes", "--no-deps", "-r", PY_REQUIREMENTS])
            .current_dir(root)
            .status()
            .wrap_err("could not run the virtual environment's pip")?;
        if !status.success() {
            bail!("pip could not install {PY_REQUIREMENTS}: PyPI must be reachable");
        }
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

/// Same as [`setup`]: every command makes sure the toolchain is there first.
pub fn ensure(root: &Path) -> Result<()> {
    setup(root)
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
    println!(
        "setup: forge, anvil, cast {FOUNDRY_VERSION}; solc {SOLC_VERSION} via {backend}; libraries in lib/"
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
