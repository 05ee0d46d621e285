//! Mutation tests of `Tensor.data`: a runtime whose `.data` reads share the
//! source's version counter, or whose `.data` assignments keep the old
//! dtype, is caught on the `tensor_data` golden.

use super::support::replay_with_fault;

#[test]
fn writes_through_data_that_bump_the_source_version_are_caught() {
    let (code, out) = replay_with_fault("tensor_data.torch.ftr", "shared-data-version");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [stream changed]") && out.contains("= data of T2"),
        "{out}"
    );
}

#[test]
fn a_data_assignment_that_keeps_the_dtype_is_caught() {
    // The float32 weights then meet float64 inputs: the runtime refuses the
    // first linear layer after `model.double()` (exit 5, naming it).
    let (code, out) = replay_with_fault("tensor_data.torch.ftr", "set-data-keeps-dtype");
    assert_eq!(code, Some(5), "{out}");
    assert!(
        out.contains("aten.addmm.default") && out.contains("Float != Double"),
        "{out}"
    );
}
