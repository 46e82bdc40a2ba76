//! Helpers for the cross-crate tests in `tests/`: the workspace's binaries, the shared
//! sample data beside the repository, and peer tools.
//!
//! Tests that need a peer tool or `../shared/data` are `#[ignore]`d so that `cargo test
//! --workspace` stays self-contained; `.ci/run` installs the peers and runs them with
//! `--ignored`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// A file of the shared sample data (`../shared/data/...`), which must exist.
pub fn shared_data(relative: &str) -> PathBuf {
    let path = workspace_root().join("../shared/data").join(relative);
    assert!(
        path.exists(),
        "{} is missing: the shared sample data sits beside the repository",
        path.display()
    );
    path
}

/// The path of one of the workspace's binaries, built (debug) on first use.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        // target/debug/deps/<test> -> target/debug
        let dir = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--bins", "--workspace"])
            .current_dir(workspace_root())
            .env("CARGO_TARGET_DIR", dir.parent().unwrap())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the binaries failed");
        dir
    });
    dir.join(name)
}

/// Fails the test with a clear message when a peer tool is not installed.
pub fn require_tool(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "{program} is not installed (.ci/run installs the peer tools)"
    );
}

/// Runs a command, panicking with its stderr unless it succeeds; returns stdout.
pub fn run_ok(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Runs a command that must fail; returns its output.
pub fn run_failing(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        !output.status.success(),
        "{command:?} succeeded but should have failed"
    );
    output
}

/// Parses a manifest from a tool's stdout.
pub fn manifest(stdout: &[u8]) -> Vec<partition_core::Chunk> {
    partition_core::ManifestReader::new(stdout, "<stdout>")
        .read_all()
        .expect("a valid manifest")
}
