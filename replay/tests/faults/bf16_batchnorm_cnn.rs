//! Mutation test of reduced-precision batch norm in training, on the
//! `bf16_batchnorm_cnn` golden: PyTorch rounds a bfloat16 batch's mean and
//! variance to bfloat16 before normalising, and a runtime that keeps them
//! exact is named at the first batch norm.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "bf16_batchnorm_cnn.torch.ftr";

#[test]
fn unrounded_batch_statistics_are_caught_at_the_first_batch_norm_both_ways() {
    for anchored in [false, true] {
        let (code, out) = if anchored {
            replay_anchored_with_fault(TRACE, "reduced-batch-norm-exact-stats")
        } else {
            replay_with_fault(TRACE, "reduced-batch-norm-exact-stats")
        };
        assert_eq!(code, Some(3), "anchored={anchored}: {out}");
        let failures = value_failures(&out);
        assert!(
            failures.first().is_some_and(|l| {
                l.contains("aten.native_batch_norm.default output 0 (expected seq 188")
            }),
            "anchored={anchored}: {out}"
        );
    }
}
