//! Mutation tests of the `integer_sketches` golden: rolling n-gram hashes
//! as int64 matrix products (wrapping modulo 2^64), MinHash signatures by
//! `index_reduce`, a count-min sketch filled by scatter reductions.

use super::support::{
    assert_first_value_failure, assert_perturbed_ops_caught, replay_anchored_with_fault,
};

const GOLDEN: &str = "integer_sketches.torch.ftr";

/// The fault fails the replay free-running and anchored, and the first
/// value out of tolerance (where the drift starts) is `op`'s (free-running,
/// hashes computed in double also change a printed comparison: exit 1).
fn assert_caught_at(fault: &str, op: &str) {
    let expected = format!("{op} output 0");
    for out in assert_first_value_failure(GOLDEN, fault, &[1, 3], &expected) {
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn an_integer_matmul_in_double_is_caught() {
    assert_caught_at("integer-matmul-in-double", "aten.mm.default");
}

#[test]
fn an_integer_index_reduce_in_double_is_caught() {
    assert_caught_at(
        "integer-index-reduce-in-double",
        "aten.index_reduce.default",
    );
}

#[test]
fn perturbed_integer_products_and_scatters_are_caught() {
    assert_perturbed_ops_caught(
        GOLDEN,
        &[
            "aten.addmv.default",
            "aten.index_reduce_.default",
            "aten.scatter_.reduce",
        ],
        "1",
    );
    // Free-running, these two also flip a printed comparison (exit 1);
    // anchored, each is named on PyTorch's own inputs.
    for op in ["aten.bmm.default", "aten.scatter_.value_reduce"] {
        let (code, out) = replay_anchored_with_fault(GOLDEN, &format!("perturb={op}:1"));
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}
