//! Mutation tests of TorchScript code (`torchscript_helpers`): the scripted
//! functions' operators are recorded one by one (the capture runs
//! TorchScript unoptimised), so a perturbed `tanh` inside the scripted GELU,
//! or a perturbed convolution of the scripted extractor, is a value failure
//! naming the operator, free-running and anchored.

use super::support::assert_perturbed_ops_caught;

#[test]
fn perturbed_operators_inside_scripted_functions_are_caught_and_named() {
    assert_perturbed_ops_caught(
        "torchscript_helpers.torch.ftr",
        &["aten.tanh.default", "aten.convolution.default"],
        "0.01",
    );
}
