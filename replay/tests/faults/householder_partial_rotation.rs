//! Mutation tests of Householder products with fewer reflectors than
//! columns (`householder_partial_rotation`): a perturbed
//! `linalg_householder_product` is a value failure naming it, free-running
//! and anchored, and a renamed LinalgHouseholderProductBackward0 breaks the
//! graph. The backward's `zeros` for the untouched columns is compared
//! argument by argument (`pin_memory=None`, as PyTorch passes it).

use super::support::{assert_perturbed_ops_caught, assert_renamed_nodes_caught};

const TRACE: &str = "householder_partial_rotation.torch.ftr";

#[test]
fn a_perturbed_householder_product_is_caught_and_named() {
    assert_perturbed_ops_caught(TRACE, &["aten.linalg_householder_product.default"], "0.01");
}

#[test]
fn a_renamed_householder_backward_breaks_the_graph() {
    assert_renamed_nodes_caught(TRACE, &["LinalgHouseholderProductBackward0"]);
}
