//! Mutation tests of the sparse COO `_coalesce` on the
//! `sparse_embedding_sgd` golden, whose shuffle-consistency push gives the
//! same words large, exactly opposite gradient entries around the batch's
//! own: only PyTorch's order (the unstable index sort's, then left to right
//! in float32) leaves their sums as PyTorch has them. The value check
//! compares a sparse output's parts, so it names `_coalesce`'s values
//! (output 2, after the sparse tensor and its indices) first
//! (free-running, the push's gap of rounding noise times 1e5 drifts first;
//! the anchored re-check names the coalesced values as wrong).

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "sparse_embedding_sgd.torch.ftr";

fn first_value_failure(out: &str) -> Option<&str> {
    out.lines()
        .skip_while(|l| !l.starts_with("FAIL values"))
        .nth(1)
}

#[test]
fn coalesce_in_f64_is_caught_anchored_at_the_coalesced_values() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-coalesce-in-f64");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        first_value_failure(&out)
            .is_some_and(|l| l.contains("aten._coalesce.default output 2 (expected seq 193")),
        "{out}"
    );
}

#[test]
fn coalesce_in_f64_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-coalesce-in-f64");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("the first at aten._coalesce.default (expected seq 193), which is wrong"),
        "{out}"
    );
}

#[test]
fn coalesce_in_reversed_order_is_caught_both_ways() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-coalesce-reversed");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        first_value_failure(&out)
            .is_some_and(|l| l.contains("aten._coalesce.default output 2 (expected seq 193")),
        "{out}"
    );
    let (code, out) = replay_with_fault(TRACE, "sparse-coalesce-reversed");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("the first at aten._coalesce.default (expected seq 193), which is wrong"),
        "{out}"
    );
}
