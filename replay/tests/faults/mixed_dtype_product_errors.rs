//! Mutation test of the matrix products' dtype errors: a runtime whose `mm`
//! prints mismatched dtypes as `ScalarType` names (`--inject-fault
//! mm-dtype-message-scalar-names`) raises a message PyTorch does not, and
//! `ft-replay` names the `mm` whose caught error differs, free-running and
//! anchored.

use super::support::{assert_first_dispatch_change_both_ways, assert_replays_to_match};

const GOLDEN: &str = "mixed_dtype_product_errors.torch.ftr";

#[test]
fn the_product_dtype_errors_match_without_a_fault() {
    assert_replays_to_match(GOLDEN);
}

#[test]
fn mm_naming_dtypes_as_scalar_types_is_caught() {
    assert_first_dispatch_change_both_ways(
        GOLDEN,
        "mm-dtype-message-scalar-names",
        &[
            "op_error aten.mm.default",
            "float != c10::BFloat16",
            "Float != BFloat16",
        ],
    );
}
