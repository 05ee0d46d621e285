//! Mutation tests of the fill family on the `fill_value_tensors` golden:
//! `fill_.Tensor` must store its value as `copy_` does (an int64 300 wraps
//! to 44 in an int8), and the functional fills are named when wrong.

use super::support::{assert_anchored_value_failures, replay_with_fault, value_failures};

const TRACE: &str = "fill_value_tensors.torch.ftr";

#[test]
fn saturating_integer_fill_is_caught_anchored() {
    assert_anchored_value_failures(
        TRACE,
        "fill-tensor-saturates",
        "aten.fill_.Tensor output 0",
        &[],
        "aten.fill_.Tensor",
    );
}

#[test]
fn saturating_integer_fill_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "fill-tensor-saturates");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out)
            .first()
            .is_some_and(|l| l.contains("aten.fill_.Tensor output 0")),
        "{out}"
    );
}

#[test]
fn wrong_functional_fills_are_named_anchored() {
    for op in ["aten.fill.Tensor", "aten.fill.Scalar"] {
        let (code, out) =
            super::support::replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.5"));
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            value_failures(&out)
                .first()
                .is_some_and(|l| l.contains(&format!("{op} output 0"))),
            "{op}: {out}"
        );
    }
}
