//! Mutation tests of real `sgn`'s efficient zero gradient on the
//! `lista_sparse_coding` golden: summing the zero tensor into the engine's
//! input buffer as an ordinary `add.Tensor` (instead of PyTorch's
//! ZeroTensor `add`: `to(meta)` of both operands, `prims.add`,
//! `_to_copy(expand(...))`) is a dispatch divergence, free-running and
//! anchored; a renamed SgnBackward0 breaks the graph, and a perturbed
//! `sgn` or zero tensor is a value failure naming it.

use super::support::{
    assert_renamed_nodes_caught, replay_anchored_with_fault, replay_with_fault, value_failures,
};

const TRACE: &str = "lista_sparse_coding.torch.ftr";
const FAULT: &str = "zero-tensor-sum-materialized";

fn first_divergence(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or("")
}

#[test]
fn materialized_zero_tensor_sum_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(1), "{out}");
    let first = first_divergence(&out);
    assert!(
        first.contains("aten.add.Tensor") || first.contains("aten.to.dtype_layout"),
        "{out}"
    );
}

#[test]
fn materialized_zero_tensor_sum_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(1), "{out}");
    assert!(!first_divergence(&out).is_empty(), "{out}");
}

#[test]
fn renamed_sgn_node_breaks_the_graph() {
    assert_renamed_nodes_caught(TRACE, &["SgnBackward0"]);
}

#[test]
fn perturbed_zero_gradient_is_named_anchored() {
    for op in ["aten.sgn.default", "aten._efficientzerotensor.default"] {
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.5"));
        assert_eq!(code, Some(3), "{op}: {out}");
        let failures = value_failures(&out);
        assert!(
            failures
                .iter()
                .any(|l| l.contains(&format!("{op} output 0"))),
            "{op}: {out}"
        );
    }
}
