//! Mutation test of batch norm's running-statistics update, on the
//! `batchnorm_running_stats_dtypes` golden: PyTorch blends
//! `m·batch + (1 − m)·running` in the statistics' own type (bfloat16 rounds
//! after every product and sum), and a runtime that blends in double and
//! rounds once leaves running statistics an ulp away, which the bfloat16
//! model's evaluation on them shows as a wrong batch norm output.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "batchnorm_running_stats_dtypes.torch.ftr";
const FAULT: &str = "running-stats-blend-in-double";

#[test]
fn running_statistics_blended_in_double_are_caught_at_the_evaluation_both_ways() {
    for anchored in [false, true] {
        let (code, out) = if anchored {
            replay_anchored_with_fault(TRACE, FAULT)
        } else {
            replay_with_fault(TRACE, FAULT)
        };
        assert_eq!(code, Some(3), "anchored={anchored}: {out}");
        let eval_norm = "aten.native_batch_norm.default output 0 (expected seq 2481";
        let failures = value_failures(&out);
        assert!(
            failures.iter().any(|l| l.contains(eval_norm)),
            "anchored={anchored}: {out}"
        );
    }
}
