//! Mutation tests of `Tensor.data`: a runtime whose `.data` reads share the
//! source's version counter, or whose `.data` assignments keep the old
//! dtype, is caught on the `tensor_data` golden.

use super::support::{replay_anchored_with_fault, replay_with_fault, run};

#[test]
fn writes_through_data_that_bump_the_source_version_are_caught() {
    let (code, out) = replay_with_fault("tensor_data.torch.ftr", "shared-data-version");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [stream changed]") && out.contains("= data of T2"),
        "{out}"
    );
}

#[test]
fn a_data_assignment_that_keeps_the_dtype_is_caught() {
    // The assignment itself differs (exit 1, naming it); the float32
    // weights then meet float64 inputs and the runtime refuses the first
    // linear layer after `model.double()`, named after it.
    let (code, out) = replay_with_fault("tensor_data.torch.ftr", "set-data-keeps-dtype");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [stream changed] expected seq 384")
            && out.contains("api data T10[4,3] float64 data assigned from T159"),
        "{out}"
    );
    assert!(
        out.contains("then stopped:")
            && out.contains("aten.addmm.default")
            && out.contains("mat1 and mat2 must have the same dtype, but got Double and Float"),
        "{out}"
    );
}

#[test]
fn the_halt_after_the_divergence_is_in_the_json_report_and_anchored_too() {
    let (code, out) = run(
        "tensor_data.torch.ftr",
        &["--format", "json", "--inject-fault", "set-data-keeps-dtype"],
    );
    assert_eq!(code, Some(1), "{out}");
    let json = out.trim_end().trim_end_matches('\n');
    let report: serde_json::Value = serde_json::from_str(json).expect("json report");
    assert_eq!(report["halted"]["expected_seq"], 418, "{out}");
    assert!(
        report["halted"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("aten.addmm.default")),
        "{out}"
    );
    assert_eq!(report["first_divergence"]["expected_seq"], 384, "{out}");
    // Anchored, the same assignment is the verdict and the same halt follows.
    let (code, out) = replay_anchored_with_fault("tensor_data.torch.ftr", "set-data-keeps-dtype");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [stream changed] expected seq 384")
            && out.contains("then stopped: the runtime could not execute expected seq 418"),
        "{out}"
    );
}
