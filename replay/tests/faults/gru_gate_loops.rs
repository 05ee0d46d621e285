//! Mutation tests of the elementwise loop plan on the `gru_gate_loops`
//! golden (a GRU language model whose cells take `sigmoid_` in place on
//! chunks of the gate matrix, a SwiGLU's `silu` of one half of a
//! projection, bfloat16 `add`/`sub` of broadcast operands with an
//! `alpha`). Every run of the coalesced innermost dimension — each row of
//! a strided view, each row against a broadcast operand — starts its own
//! vector loop and ends in its own scalar tail, so anchored these
//! operators are bit-identical; a plan that walks the whole iteration as
//! one run (fault `elementwise-loop-one-run`) puts them among the inexact.

use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "gru_gate_loops.torch.ftr";

const PLANNED: [&str; 6] = [
    "aten.sigmoid_.default",
    "aten.silu.default",
    "aten.silu_backward.default",
    "aten.sigmoid_backward.default",
    "aten.add.Tensor",
    "aten.sub.Tensor",
];

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn strided_and_broadcast_loops_are_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    for op in PLANNED {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

/// The planned operators whose vector and scalar arithmetic differ on this
/// golden's values: `sigmoid_backward`'s agree here, so a plan of one run
/// leaves it bit-identical (its inputs anchored to PyTorch's, chunk by
/// chunk, see `anchor_book`).
const PLAN_SENSITIVE: [&str; 5] = [
    "aten.sigmoid_.default",
    "aten.silu.default",
    "aten.silu_backward.default",
    "aten.add.Tensor",
    "aten.sub.Tensor",
];

#[test]
fn one_run_for_the_whole_iteration_is_listed_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some("elementwise-loop-one-run"));
    for op in PLAN_SENSITIVE {
        assert!(inexact.get(op).is_some(), "{op}: {inexact}");
    }
}
