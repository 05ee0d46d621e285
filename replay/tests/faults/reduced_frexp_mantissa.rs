//! Mutation tests of half-precision `frexp` (`reduced_frexp_mantissa`):
//! bfloat16 and float16 values split as their float32 values do (a
//! bfloat16 NaN mantissa is c10's 0x7FC0), and FrexpBackward0 divides the
//! gradient by `exp2` of the saved int32 exponent. Refusing the half
//! types (`frexp-reduced-refused`) stops the replay at the first `frexp`;
//! dropping the node (`frexp-without-backward`) changes the mantissa's
//! `requires_grad` at the first `frexp`, both ways.

use super::support::{
    assert_fault_reported_both_ways, assert_first_dispatch_change_both_ways,
    assert_renamed_nodes_caught, assert_replays_to_match, inexact_anchored_on,
};

const TRACE: &str = "reduced_frexp_mantissa.torch.ftr";

#[test]
fn the_corpus_program_matches_with_everything_bit_identical() {
    assert_replays_to_match(TRACE);
    let inexact = inexact_anchored_on(TRACE, None);
    assert!(
        inexact.as_object().is_none_or(|o| o.is_empty()),
        "{inexact}"
    );
}

#[test]
fn refusing_the_half_types_is_reported_at_frexp() {
    assert_fault_reported_both_ways(
        TRACE,
        "frexp-reduced-refused",
        5,
        &["aten.frexp.Tensor", "BFloat16"],
    );
}

#[test]
fn a_missing_frexp_node_is_a_dispatch_change_at_frexp() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "frexp-without-backward",
        &["aten.frexp.Tensor", "expected seq 10"],
    );
}

#[test]
fn a_misnamed_frexp_node_is_a_graph_divergence() {
    assert_renamed_nodes_caught(TRACE, &["FrexpBackward0"]);
}
