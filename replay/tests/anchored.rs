//! Anchored replay (`--anchor`): every top-level operator runs on PyTorch's
//! recorded argument values. It must still match where free running
//! matches, still catch a broken kernel and name it, and the free-running
//! report must use it to tell a wrong operator from drift.

mod support;

use support::{ft_replay, golden, repo};

#[test]
fn anchored_replays_of_training_programs_match_and_say_so() {
    for name in [
        "mlp_train.torch.ftr",
        "nanogpt_style.torch.ftr",
        "cnn_batchnorm.torch.ftr",
        "tensor_data_convert.torch.ftr",
    ] {
        let path = golden(name);
        let (code, out) = ft_replay(&["--against", path.to_str().expect("utf-8"), "--anchor"]);
        assert_eq!(code, Some(0), "{name}: {out}");
        assert!(out.contains("mode:     anchored"), "{name}: {out}");
    }
}

#[test]
fn a_perturbed_kernel_is_caught_and_named_in_anchored_mode() {
    let path = golden("mlp_train.torch.ftr");
    let (code, out) = ft_replay(&[
        "--against",
        path.to_str().expect("utf-8"),
        "--anchor",
        "--inject-fault",
        "perturb=aten.addmm.default:0.01",
    ]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.addmm.default (expected seq 28"),
        "{out}"
    );
}

#[test]
fn a_free_running_value_failure_is_rechecked_anchored() {
    let path = golden("mlp_train.torch.ftr");
    let (code, out) = ft_replay(&[
        "--against",
        path.to_str().expect("utf-8"),
        "--inject-fault",
        "perturb=aten.addmm.default:0.01",
    ]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     free-running"), "{out}");
    assert!(
        out.contains(
            "aten.addmm.default (expected seq 28) is wrong: run on PyTorch's inputs (anchored) it still fails"
        ),
        "{out}"
    );
}

#[test]
fn anchoring_needs_a_replay() {
    let path = golden("mlp_train.torch.ftr");
    let p = path.to_str().expect("utf-8");
    let (code, out) = ft_replay(&[p, "--against", p, "--anchor"]);
    assert_eq!(code, Some(2), "{out}");
}

#[test]
fn anchoring_stops_drift_from_accumulating() {
    // On PyTorch's inputs most operators reproduce PyTorch's bits exactly;
    // free running, rounding differences spread from op to op.
    let path = golden("gpt_decoder.torch.ftr");
    let identical = |anchor: bool| -> u64 {
        let mut args = vec![
            "--against",
            path.to_str().expect("utf-8"),
            "--format",
            "json",
        ];
        if anchor {
            args.push("--anchor");
        }
        let (code, out) = ft_replay(&args);
        assert_eq!(code, Some(0), "{out}");
        let report: serde_json::Value = serde_json::from_str(&out).expect("json report");
        assert_eq!(
            report["mode"],
            if anchor { "anchored" } else { "free-running" }
        );
        report["values"]["identical"]
            .as_u64()
            .expect("identical count")
    };
    let (free, anchored) = (identical(false), identical(true));
    assert!(
        anchored > 2 * free,
        "anchored {anchored} bit-identical values vs free-running {free}"
    );
}

/// A trace whose free-running values drift although every operator is right:
/// Adam normalises gradients that are zero up to rounding (see the program's
/// docstring). Re-captured with `python scripts/capture_torch.py
/// replay/tests/data/adam_rounding_noise.py -o
/// replay/tests/data/adam_rounding_noise.torch.ftr --zero-timestamps`.
fn adam_rounding_noise() -> String {
    repo()
        .join("replay/tests/data/adam_rounding_noise.torch.ftr")
        .to_str()
        .expect("utf-8")
        .to_owned()
}

#[test]
fn drift_every_operator_explains_is_accepted_and_reported() {
    let trace = adam_rounding_noise();
    let (code, out) = ft_replay(&["--against", &trace]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("DRIFT values"), "{out}");
    assert!(
        out.contains(
            "accumulated float drift at aten.addcdiv_.default (expected seq 475), where the error first grew beyond tolerance: run on PyTorch's inputs (anchored) it matches, as does every other operator"
        ),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("MATCH (free-running values drifted; every operator matches anchored)"),
        "{out}"
    );

    let (code, json) = ft_replay(&["--against", &trace, "--format", "json"]);
    assert_eq!(code, Some(0), "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("json report");
    assert_eq!(report["drift_accepted"], true);
    assert_eq!(report["drift_check"]["anchored_failures"], 0);
    assert!(
        report["values"]["failures"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    );
}

#[test]
fn fail_on_drift_keeps_drift_a_value_failure() {
    let trace = adam_rounding_noise();
    let (code, out) = ft_replay(&["--against", &trace, "--fail-on-drift"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("FAIL values"), "{out}");
    assert!(out.trim_end().ends_with("VALUES OUT OF TOLERANCE"), "{out}");
}

#[test]
fn a_wrong_optimizer_kernel_is_not_accepted_as_drift() {
    // The same drift-prone trace with Adam's update off by 1e-4: anchored,
    // the update still fails, so nothing is accepted.
    let trace = adam_rounding_noise();
    let (code, out) = ft_replay(&[
        "--against",
        &trace,
        "--inject-fault",
        "perturb=aten.addcdiv_.default:1e-4",
    ]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("is wrong: run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("VALUES OUT OF TOLERANCE"), "{out}");
}

#[test]
fn accepted_drift_passes_in_junit_and_says_why() {
    let trace = adam_rounding_noise();
    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("report.xml");
    let (code, out) = ft_replay(&[
        "--against",
        &trace,
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(0), "{out}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(
        xml.contains("tensors drifted beyond tolerance free-running, accepted: accumulated float drift at aten.addcdiv_.default"),
        "{xml}"
    );
}

#[test]
fn operators_inside_backward_nodes_are_anchored_too() {
    // gpt_bfloat16's layer norm backward accumulates rows in a bfloat16
    // buffer: fed the runtime's own gradients (one ulp off PyTorch's) its
    // grad_weight leaves tolerance, fed PyTorch's it is bit for bit right.
    let path = golden("gpt_bfloat16.torch.ftr");
    let (code, out) = ft_replay(&["--against", path.to_str().expect("utf-8"), "--anchor"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(out.trim_end().ends_with("MATCH"), "{out}");
}
