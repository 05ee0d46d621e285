//! Mutation tests of `resize_`/`resize_as_` (golden
//! `legacy_resize_buffers`): a resize to the tensor's own shape keeps its
//! strides, and a storage grown by a resize keeps the elements it held.

use super::support::{assert_fault_reported_both_ways, assert_first_value_failure};

#[test]
fn restriding_a_same_shape_resize_is_caught() {
    assert_fault_reported_both_ways(
        "legacy_resize_buffers.torch.ftr",
        "resize-restrides-same-shape",
        1,
        &["[dispatch changed]", "aten.resize_.default"],
    );
}

#[test]
fn a_grown_storage_that_drops_its_elements_is_caught() {
    assert_first_value_failure(
        "legacy_resize_buffers.torch.ftr",
        "resize-grows-from-zeros",
        &[3],
        "aten.resize_.default output 0",
    );
}
