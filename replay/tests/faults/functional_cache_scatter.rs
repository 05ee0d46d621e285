//! Mutation tests of `select_scatter` / `slice_scatter` and their
//! backward nodes on the `functional_cache_scatter` golden: the two
//! gradients must be computed in PyTorch's order (`self`'s, then the
//! source's), and wrong scatters are named.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "functional_cache_scatter.torch.ftr";
const FAULT: &str = "scatter-view-grads-swapped";

fn first_divergence(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or("")
}

#[test]
fn swapped_scatter_gradients_are_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(1), "{out}");
    let first = first_divergence(&out);
    assert!(
        first.contains("aten.slice.Tensor") || first.contains("aten.zeros.default"),
        "{out}"
    );
}

#[test]
fn swapped_scatter_gradients_are_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(1), "{out}");
    assert!(!first_divergence(&out).is_empty(), "{out}");
}

#[test]
fn wrong_scatters_are_named_anchored() {
    for op in ["aten.select_scatter.default", "aten.slice_scatter.default"] {
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.5"));
        assert_eq!(code, Some(3), "{op}: {out}");
        let failures = value_failures(&out);
        assert!(
            failures
                .first()
                .is_some_and(|l| l.contains(&format!("{op} output 0"))),
            "{op}: {out}"
        );
    }
}
