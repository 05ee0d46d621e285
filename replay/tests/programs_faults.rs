//! Mutation tests of the user-style training programs of the corpus
//! (`nanogpt_style`, `mnist_example_style`, `dcgan_style`): a deliberately
//! broken kernel deep inside an ordinary program is caught with the right
//! exit code, and the report names the operator where the drift starts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .join("traces")
        .join(name)
}

/// `ft-replay --against traces/<trace> --inject-fault <fault>`: exit code
/// and output.
fn replay_with_fault(trace: &str, fault: &str) -> (Option<i32>, String) {
    let trace = golden(trace);
    let out: Output = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .args([
            "--against",
            trace.to_str().expect("utf-8 path"),
            "--inject-fault",
            fault,
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("run ft-replay");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code(), format!("{stdout}\n{stderr}"))
}

/// Asserts a value failure whose drift starts at `op`.
fn assert_drift_at(trace: &str, op: &str) {
    let (code, out) = replay_with_fault(trace, &format!("perturb={op}:0.01"));
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn a_perturbed_topk_in_a_sampling_step_is_named() {
    assert_drift_at("nanogpt_style.torch.ftr", "aten.topk.default");
}

#[test]
fn a_perturbed_max_pool_in_the_mnist_example_is_named() {
    assert_drift_at(
        "mnist_example_style.torch.ftr",
        "aten.max_pool2d_with_indices.default",
    );
}

#[test]
fn a_perturbed_convolution_backward_in_a_gan_step_is_named() {
    assert_drift_at("dcgan_style.torch.ftr", "aten.convolution_backward.default");
}
