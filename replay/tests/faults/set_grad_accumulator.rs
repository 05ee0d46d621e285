//! Mutation test of `set_` forgetting the leaf's AccumulateGrad. In the
//! `parametrize_removed_live_graph` golden `remove_parametrizations(...,
//! leave_parametrized=True)` `set_`s the original weight while the last
//! step's graph (and its AccumulateGrad) is alive; PyTorch's next forward
//! makes a new AccumulateGrad node. A runtime whose `set_` keeps the node
//! has no counterpart for it.

use super::support::assert_fault_reported_both_ways;

#[test]
fn set_keeping_the_grad_accumulator_is_caught() {
    assert_fault_reported_both_ways(
        "parametrize_removed_live_graph.torch.ftr",
        "set-keeps-grad-accumulator",
        1,
        &[
            "[stream missing]",
            "AccumulateGrad",
            "is missing from the actual run",
        ],
    );
}
