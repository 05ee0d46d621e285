//! Mutation test of `set_` forgetting the leaf's AccumulateGrad. In the
//! `parametrize_removed_live_graph` golden `remove_parametrizations(...,
//! leave_parametrized=True)` `set_`s the original weight while the last
//! step's graph (and its AccumulateGrad) is alive; PyTorch's next forward
//! makes a new AccumulateGrad node. A runtime whose `set_` keeps the node
//! has no counterpart for it.

use super::support::{replay_anchored_with_fault, replay_with_fault};

#[test]
fn set_keeping_the_grad_accumulator_is_caught() {
    for anchor in [false, true] {
        let (code, out) = if anchor {
            replay_anchored_with_fault(
                "parametrize_removed_live_graph.torch.ftr",
                "set-keeps-grad-accumulator",
            )
        } else {
            replay_with_fault(
                "parametrize_removed_live_graph.torch.ftr",
                "set-keeps-grad-accumulator",
            )
        };
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("[stream missing]")
                && out.contains("AccumulateGrad")
                && out.contains("is missing from the actual run"),
            "{out}"
        );
    }
}
