//! Anchored replay (`--anchor`): every top-level operator runs on PyTorch's
//! recorded argument values. It must still match where free running
//! matches, still catch a broken kernel and name it, and the free-running
//! report must use it to tell a wrong operator from drift.

mod support;

use support::{ft_replay, golden};

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
