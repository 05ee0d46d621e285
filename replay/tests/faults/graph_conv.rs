//! Mutation tests of the dense graph convolution (`gcn_dense`): perturbed
//! adjacency construction (`index_put_`), degree normalisation (`pow`)
//! and neighbourhood aggregation (`mm`) kernels are value failures naming
//! the operator.

use super::support::replay_perturbed;

#[test]
fn perturbed_graph_convolution_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten.index_put_.default",
        "aten.pow.Tensor_Scalar",
        "aten.mm.default",
    ] {
        let (code, out) = replay_perturbed("gcn_dense.torch.ftr", op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
