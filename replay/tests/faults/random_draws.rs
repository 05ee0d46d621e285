//! Mutation test of the in-place draws `cauchy_`, `log_normal_` and
//! `geometric_` on the `random_draws_span_masking` golden: their values
//! replay from the recording, so what the runtime must get right is the
//! rest — which calls PyTorch refuses. A runtime that draws with a zero
//! `sigma` runs the `cauchy_` PyTorch raised on, in both modes.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "random_draws_span_masking.torch.ftr";

#[test]
fn the_golden_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_cauchy_draw_with_zero_sigma_is_caught_where_pytorch_refused_it() {
    for (code, out) in [
        replay_with_fault(TRACE, "cauchy-accepts-zero-sigma"),
        replay_anchored_with_fault(TRACE, "cauchy-accepts-zero-sigma"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("first divergence: [dispatch changed]")
                && out.contains("expected dispatch op_error aten.cauchy_.default(")
                && out.contains("cauchy_ expects sigma > 0.0, but found sigma=0")
                && out.contains("actual dispatch op aten.cauchy_.default("),
            "{out}"
        );
    }
}
