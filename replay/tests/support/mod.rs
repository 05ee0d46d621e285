//! Helpers shared by ft-replay's integration tests: golden traces and the
//! built binary. (Each test crate uses some of them.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .to_owned()
}

/// A golden trace of the corpus (`traces/NAME`).
pub fn golden(name: &str) -> PathBuf {
    repo().join("traces").join(name)
}

/// A path as a command-line argument.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs the built `ft-replay` without colour; returns its output.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ft-replay")
}

/// `(stdout, stderr)` of a run.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the built `ft-replay`; returns its exit code and stdout + stderr.
pub fn ft_replay(args: &[&str]) -> (Option<i32>, String) {
    let out = run(args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}
