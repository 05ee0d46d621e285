//! Mutation tests of the Gamma-family samplers' gradients
//! (`distributions_gamma_beta`) and of renorm, erfcx and log_ndtr
//! (`censored_probit`): a wrong small-sample series in
//! `_standard_gamma_grad`, a sign lost in `_dirichlet_grad` near 1 and a
//! `renorm` that ignores its bound are value failures naming the operator,
//! free-running and anchored; perturbed kernels are value failures naming
//! the operator; misnamed StandardGammaBackward0 and RenormBackward0 are
//! graph divergences.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const GAMMA: &str = "distributions_gamma_beta.torch.ftr";
const PROBIT: &str = "censored_probit.torch.ftr";

/// The fault makes a value failure whose drift starts at `op`, and the
/// anchored re-run confirms the operator itself is wrong; anchored from the
/// start it fails at `op` too.
fn caught_both_ways(trace: &str, fault: &str, op: &str) {
    let (code, out) = replay_with_fault(trace, fault);
    assert_eq!(code, Some(3), "{fault}: {out}");
    assert!(
        out.contains(&format!("drift starts at {op}")),
        "{fault}: {out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{fault}: {out}"
    );
    let (code, out) = replay_anchored_with_fault(trace, fault);
    assert_eq!(code, Some(3), "{fault} anchored: {out}");
    assert!(
        out.contains(&format!("drift starts at {op}")),
        "{fault} anchored: {out}"
    );
}

#[test]
fn a_gamma_gradient_with_the_wrong_series_is_caught_and_named() {
    caught_both_ways(
        GAMMA,
        "gamma-grad-wrong-series",
        "aten._standard_gamma_grad.default",
    );
}

#[test]
fn a_dirichlet_gradient_with_its_sign_lost_is_caught_and_named() {
    caught_both_ways(GAMMA, "dirichlet-grad-sign", "aten._dirichlet_grad.default");
}

#[test]
fn a_renorm_that_ignores_maxnorm_is_caught_and_named() {
    caught_both_ways(PROBIT, "renorm-ignores-maxnorm", "aten.renorm.default");
}

#[test]
fn perturbed_kernels_are_value_failures_naming_the_op() {
    for (trace, op) in [
        (GAMMA, "aten._standard_gamma_grad.default"),
        (GAMMA, "aten._dirichlet_grad.default"),
        (PROBIT, "aten.special_erfcx.default"),
        (PROBIT, "aten.special_log_ndtr.default"),
        (PROBIT, "aten.renorm.default"),
    ] {
        let (code, out) = replay_perturbed(trace, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}

#[test]
fn misnamed_backward_nodes_are_graph_divergences() {
    for (trace, rename, node) in [
        (
            GAMMA,
            "rename-node=StandardGammaBackward0:PoissonBackward0",
            "StandardGammaBackward0",
        ),
        (
            PROBIT,
            "rename-node=RenormBackward0:NormBackward0",
            "RenormBackward0",
        ),
        (
            PROBIT,
            "rename-node=SpecialLogNdtrBackward0:SpecialNdtrBackward0",
            "SpecialLogNdtrBackward0",
        ),
    ] {
        let (code, out) = replay(trace, Some(rename));
        assert_eq!(code, Some(1), "{rename}: {out}");
        assert!(out.contains(node), "{rename}: {out}");
    }
}
