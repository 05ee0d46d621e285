//! Mutation tests of what scientific programs needed: result layouts of
//! operators whose numbers are parameters (`gaussian_mahalanobis`), the
//! FFT sample frequencies (`spectral_fftfreq`), the target gradient of
//! `binary_cross_entropy_with_logits` (`soft_target_bce`) and `xlog1py`
//! with a number on either side (`robust_xlog1py`).

use std::process::Command;

use super::support::{assert_perturbed_ops_caught, assert_renamed_nodes_caught, golden};

/// The operators whose dispatch events `ft-replay --format json` reports
/// changed on `trace` under `fault` (free-running, or anchored), with the
/// exit code and the first divergence's message.
fn changed_dispatches(
    trace: &str,
    fault: &str,
    anchor: bool,
) -> (Option<i32>, String, Vec<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ft-replay"));
    cmd.arg("--against")
        .arg(golden(trace))
        .args(["--format", "json", "--inject-fault", fault]);
    if anchor {
        cmd.arg("--anchor");
    }
    let out = cmd.output().expect("run ft-replay");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("ft-replay --format json prints JSON");
    let first = report["first_divergence"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ops = report["dispatch"]["divergences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["message"].as_str())
        .filter_map(|m| m.strip_prefix("expected dispatch op "))
        .filter_map(|m| m.split('(').next())
        .map(str::to_owned)
        .collect();
    (out.status.code(), first, ops)
}

#[test]
fn numbers_laid_out_as_inputs_are_a_dispatch_divergence_naming_each_operator() {
    // MultivariateNormal.log_prob squares a [1, d, 1] triangular solve whose
    // stray size-1 stride a wrapped number would keep; PyTorch's unary
    // iterator makes the square contiguous. hardtanh and nan_to_num keep it
    // (empty_like), which the fault's TensorIterator layout drops.
    for anchor in [false, true] {
        let (code, first, ops) = changed_dispatches(
            "gaussian_mahalanobis.torch.ftr",
            "numbers-as-iterator-inputs",
            anchor,
        );
        assert_eq!(code, Some(1), "anchor={anchor}: {first}");
        assert!(first.contains("aten.pow.Tensor_Scalar"), "{first}");
        for op in [
            "aten.pow.Scalar",
            "aten.clamp.default",
            "aten.clamp_min.default",
            "aten.clamp_max.default",
            "aten.lerp.Scalar",
            "aten.hardtanh.default",
            "aten.nan_to_num.default",
        ] {
            assert!(ops.iter().any(|o| o == op), "anchor={anchor} {op}: {ops:?}");
        }
    }
}

#[test]
fn perturbed_sample_frequencies_are_caught_and_named() {
    assert_perturbed_ops_caught(
        "spectral_fftfreq.torch.ftr",
        &["aten.fft_rfftfreq.default", "aten.fft_fftfreq.default"],
        "0.01",
    );
}

#[test]
fn a_perturbed_target_gradient_step_is_caught_and_named() {
    // log_sigmoid_forward runs only in the target gradient with pos_weight.
    assert_perturbed_ops_caught(
        "soft_target_bce.torch.ftr",
        &["aten.log_sigmoid_forward.default"],
        "0.01",
    );
}

#[test]
fn perturbed_xlog1py_number_overloads_and_renamed_nodes_are_caught() {
    assert_perturbed_ops_caught(
        "robust_xlog1py.torch.ftr",
        &[
            "aten.special_xlog1py.self_scalar",
            "aten.special_xlog1py.other_scalar",
        ],
        "0.01",
    );
    assert_renamed_nodes_caught(
        "robust_xlog1py.torch.ftr",
        &["SpecialXlog1PyBackward1", "SpecialXlog1PyBackward2"],
    );
}
