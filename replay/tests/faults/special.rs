//! Mutation tests of the special functions (`special_functions`): a
//! digamma shifted by one is a value failure naming `digamma`, free-running
//! and anchored; perturbed `lgamma`, `erfinv`, `i0`, `logit_backward` and
//! `polygamma` kernels are value failures naming the operator; a misnamed
//! LgammaBackward0 is a graph divergence.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "special_functions.torch.ftr";

#[test]
fn a_digamma_shifted_by_one_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "digamma-off-by-one-shift");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.digamma.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn a_digamma_shifted_by_one_fails_anchored_too() {
    let (code, out) = replay_anchored_with_fault(TRACE, "digamma-off-by-one-shift");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("aten.digamma.default"), "{out}");
}

#[test]
fn perturbed_special_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten.lgamma.default",
        "aten.erfinv.default",
        "aten.i0.default",
        "aten.logit_backward.default",
        "aten.polygamma.default",
        "aten.special_ndtri.default",
        "aten.logaddexp.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}

#[test]
fn a_misnamed_lgamma_backward_is_a_graph_divergence() {
    let (code, out) = replay(TRACE, Some("rename-node=LgammaBackward0:DigammaBackward0"));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("LgammaBackward0"), "{out}");
}
