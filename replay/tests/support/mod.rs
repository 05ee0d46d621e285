//! Helpers shared by ft-replay's integration tests: golden traces and the
//! built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A golden trace of the corpus (`traces/NAME`).
pub fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

/// Runs the built `ft-replay`; returns its exit code and stdout + stderr.
pub fn ft_replay(args: &[&str]) -> (Option<i32>, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ft-replay");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}
