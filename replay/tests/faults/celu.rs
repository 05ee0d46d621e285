//! Mutation tests of CELU (`celu_autoencoder`): a perturbed `celu`, `celu_`
//! or `elu_backward` kernel is a value failure naming the operator, and a
//! renamed CeluBackward0/1 node breaks the gradient graph. The backward's
//! `input_scale` (`1 / alpha` rounded to float first, as PyTorch's formula
//! takes it) is a recorded argument, compared exactly by the dispatch check.

use super::support::{assert_perturbed_ops_caught, assert_renamed_nodes_caught};

const TRACE: &str = "celu_autoencoder.torch.ftr";

#[test]
fn perturbed_celu_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.celu.default",
            "aten.celu_.default",
            "aten.elu_backward.default",
        ],
        "0.01",
    );
}

#[test]
fn renamed_celu_nodes_break_the_graph() {
    assert_renamed_nodes_caught(TRACE, &["CeluBackward0", "CeluBackward1"]);
}
