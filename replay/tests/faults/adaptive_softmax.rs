//! Mutation tests on the `adaptive_softmax_lm` golden: tensors built from
//! uninitialised memory part by part (`nn.AdaptiveLogSoftmaxWithLoss`'s
//! `new_empty` + `index_copy_` per cluster, the program's own `index_fill_`
//! of an `empty_like` buffer) are compared whole, the rows not yet written
//! included: the capture records them over zeros (CAPTURE.md §3.4), as the
//! runtime's `empty*` kernels return them.

use super::support::assert_first_value_failure;

const TRACE: &str = "adaptive_softmax_lm.torch.ftr";

/// A perturbed `op` fails the replay at its first call, free-running and
/// anchored, every element of its output counted (written or not).
fn assert_caught_at(op: &str, seq: u64, elements: usize) {
    let expected = format!(
        "{op} output 0 (expected seq {seq}, actual seq {seq}): {elements} of {elements} elements"
    );
    assert_first_value_failure(TRACE, &format!("perturb={op}:0.01"), &[3], &expected);
}

#[test]
fn a_perturbed_cluster_copy_is_caught() {
    assert_caught_at("aten.index_copy_.default", 156, 18);
}

#[test]
fn a_perturbed_fill_of_an_empty_like_buffer_is_caught() {
    assert_caught_at("aten.index_fill_.int_Scalar", 1953, 24);
}
