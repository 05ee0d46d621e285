//! Mutation tests of restricted backwards: a runtime that ignores the
//! engine's pruning (runs every node reachable from the roots, as a plain
//! backward does) is caught on the `torch.autograd.grad` and
//! `backward(inputs=...)` goldens, naming the extra node or operator.

use super::support::{replay, replay_with_fault};

#[test]
fn the_goldens_match_without_the_fault() {
    for trace in ["autograd_grad.torch.ftr", "backward_inputs.torch.ftr"] {
        let (code, out) = replay(trace, None);
        assert_eq!(code, Some(0), "{trace}: {out}");
    }
}

#[test]
fn running_every_node_of_autograd_grad_pushes_an_extra_accumulate_grad() {
    let (code, out) = replay_with_fault("autograd_grad.torch.ftr", "ignore-exec-info");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [schedule extra]")
            && out.contains("extra autograd push N")
            && out.contains(" AccumulateGrad(T"),
        "{out}"
    );
}

#[test]
fn running_every_node_of_backward_inputs_computes_an_extra_gradient() {
    let (code, out) = replay_with_fault("backward_inputs.torch.ftr", "ignore-exec-info");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dispatch extra]")
            && out.contains("extra dispatch op aten.t.default(")
            && out.contains("AddmmBackward0"),
        "{out}"
    );
}
