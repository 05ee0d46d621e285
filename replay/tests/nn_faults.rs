//! Mutation tests of the nn corpus: a deliberately broken kernel or node of
//! this family (softmax, losses, normalisation, matrix products) is caught
//! by `nn_classifier_losses`, `nn_batchnorm` or `nn_attention_matmul` with
//! the right exit code, naming the operator or node.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .join("traces")
        .join(name)
}

/// `ft-replay --against traces/<trace> [--inject-fault <fault>]`: exit code
/// and output.
fn replay(trace: &str, fault: Option<&str>) -> (Option<i32>, String) {
    let trace = golden(trace);
    let mut args = vec!["--against", trace.to_str().expect("utf-8 path")];
    if let Some(fault) = fault {
        args.extend(["--inject-fault", fault]);
    }
    let out: Output = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ft-replay");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code(), format!("{stdout}\n{stderr}"))
}

#[test]
fn the_nn_goldens_match() {
    for trace in [
        "nn_classifier_losses.torch.ftr",
        "nn_batchnorm.torch.ftr",
        "nn_attention_matmul.torch.ftr",
    ] {
        let (code, out) = replay(trace, None);
        assert_eq!(code, Some(0), "{trace}: {out}");
        assert!(out.contains("MATCH"), "{trace}: {out}");
    }
}

#[test]
fn a_perturbed_log_softmax_backward_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "nn_classifier_losses.torch.ftr",
        Some("perturb=aten._log_softmax_backward_data.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._log_softmax_backward_data.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_batch_norm_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "nn_batchnorm.torch.ftr",
        Some("perturb=aten.native_batch_norm.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.native_batch_norm.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_bmm_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "nn_attention_matmul.torch.ftr",
        Some("perturb=aten.bmm.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.bmm.default"), "{out}");
}

#[test]
fn a_misnamed_layer_norm_node_is_a_structural_failure() {
    let (code, out) = replay(
        "nn_attention_matmul.torch.ftr",
        Some("rename-node=NativeLayerNormBackward0:NativeLayerNormBackward1"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("NativeLayerNormBackward1"), "{out}");
}
