//! Mutation tests of the NaN-keeping clamps on the `nan_batch_skip`
//! golden: a NaN reading must give its group norm groups a NaN `rstd` and
//! its query a NaN row of matrix-product distances, as PyTorch's clamps at
//! zero keep NaN; a kernel whose clamp drops NaN (`f64::max`) must be
//! caught at `native_group_norm` and `_euclidean_dist`.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "nan_batch_skip.torch.ftr";
const FAULT: &str = "nan-clamped-to-zero";

#[test]
fn dropped_nan_is_caught_anchored_at_both_clamps() {
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    let failures = value_failures(&out);
    assert!(
        failures
            .first()
            .is_some_and(|l| l.contains("aten.native_group_norm.default output 2")),
        "{out}"
    );
    assert!(
        failures
            .iter()
            .any(|l| l.contains("aten._euclidean_dist.default output 0")),
        "{out}"
    );
    assert!(
        failures
            .iter()
            .all(|l| l.contains("aten.native_group_norm") || l.contains("aten._euclidean_dist")),
        "only the clamping kernels differ on PyTorch's inputs: {out}"
    );
}

#[test]
fn dropped_nan_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("aten.native_group_norm.default"), "{out}");
}
