//! Mutation test of the program's holds on graph nodes
//! (`register_node_hook` kind `hold`): `register_multi_grad_hook`'s mode
//! "all" keeps the parameters' AccumulateGrad nodes alive, so every
//! training step of the `multi_grad_hook_layers` golden reuses them. A
//! runtime that does not keep them makes a new AccumulateGrad per step.

use super::support::replay_with_fault;

#[test]
fn dropped_holds_give_each_step_new_accumulate_grad_nodes() {
    let (code, out) = replay_with_fault("multi_grad_hook_layers.torch.ftr", "drop-node-holds");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("[stream extra]")
            && out.contains("the actual run has an extra autograd node")
            && out.contains("AccumulateGrad"),
        "{out}"
    );
}
