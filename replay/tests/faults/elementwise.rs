//! Mutation tests of the elementwise corpus: a deliberately broken kernel or
//! node of this family is caught by `elementwise_activations`,
//! `elementwise_arith_logic` or `elementwise_optimizers` with the right exit
//! code, naming the operator or node.

use super::support::replay;

#[test]
fn the_elementwise_goldens_match() {
    for trace in [
        "elementwise_activations.torch.ftr",
        "elementwise_arith_logic.torch.ftr",
        "elementwise_optimizers.torch.ftr",
    ] {
        let (code, out) = replay(trace, None);
        assert_eq!(code, Some(0), "{trace}: {out}");
        assert!(out.contains("MATCH"), "{trace}: {out}");
    }
}

#[test]
fn a_perturbed_gelu_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "elementwise_activations.torch.ftr",
        Some("perturb=aten.gelu.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.gelu.default"), "{out}");
}

#[test]
fn a_perturbed_division_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "elementwise_arith_logic.torch.ftr",
        Some("perturb=aten.div.Tensor:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.div.Tensor"), "{out}");
}

#[test]
fn a_perturbed_optimizer_update_is_a_value_failure_naming_the_op() {
    // Adam's second-moment update; every later step reads it.
    let (code, out) = replay(
        "elementwise_optimizers.torch.ftr",
        Some("perturb=aten.addcmul_.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.addcmul_.default"),
        "{out}"
    );
}

#[test]
fn a_misnamed_where_backward_is_a_graph_divergence() {
    let (code, out) = replay(
        "elementwise_arith_logic.torch.ftr",
        Some("rename-node=WhereBackward0:WhereBackward1"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("WhereBackward"), "{out}");
}
