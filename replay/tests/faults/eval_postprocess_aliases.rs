//! Mutation test of the operator aliases seen whole under `inference_mode`
//! (`eval_postprocess_aliases`): a `torch.max(a, b)` that runs `minimum`
//! gives the box IoU's corners the wrong side, a value failure whose drift
//! starts at `max.other` (exit 3), free-running and anchored.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "eval_postprocess_aliases.torch.ftr";
const FAULT: &str = "max-other-as-minimum";

#[test]
fn a_max_other_that_runs_minimum_is_caught_at_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, FAULT),
        replay_anchored_with_fault(TRACE, FAULT),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains("drift starts at aten.max.other"), "{out}");
    }
}
