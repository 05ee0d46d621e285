//! Mutation tests on the `inplace_special_bits` golden: the in-place forms
//! `polygamma_(self, n)`, `ldexp_` and `nextafter_` in a training loop, the
//! integer-`self` errors PyTorch raises for them, NextafterBackward0's
//! masked gradient, and LdexpBackward0's saved result.

use super::support::{
    assert_fault_reported_both_ways, assert_first_dispatch_change_both_ways,
    assert_first_value_failure, assert_renamed_nodes_caught,
};

const TRACE: &str = "inplace_special_bits.torch.ftr";

#[test]
fn polygamma_inplace_left_unwritten_is_a_value_failure() {
    assert_first_value_failure(
        TRACE,
        "polygamma-inplace-skips-write",
        &[3],
        "aten.polygamma_.default output 0 (expected seq 72,",
    );
}

#[test]
fn ldexp_inplace_into_an_integer_self_must_raise() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "ldexp-inplace-casts-into-integer",
        &[
            "aten.ldexp_.default",
            "ldexp can't be cast to the desired output type Long",
        ],
    );
}

#[test]
fn nextafter_gradient_mask_is_self_ne_other() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "nextafter-grad-mask-ge",
        &["aten.ne.Tensor", "NextafterBackward0"],
    );
}

#[test]
fn ldexp_result_is_version_checked_for_an_integer_exponent() {
    assert_fault_reported_both_ways(
        TRACE,
        "ldexp-result-read-when-needed",
        1,
        &["graph_task_error", "output 0 of Ldexp, is at version 2"],
    );
}

#[test]
fn renamed_in_place_nodes_are_caught() {
    assert_renamed_nodes_caught(
        TRACE,
        &["PolygammaBackward1", "LdexpBackward0", "NextafterBackward0"],
    );
}
