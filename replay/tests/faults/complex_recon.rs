//! Mutation tests of `complex_mri_recon` (complex operator families and the
//! backward formulas that multiply by `1j`): a `cat` that conjugates its
//! complex inputs is a value failure at `aten.cat.default`, free-running and
//! anchored; a PolarBackward0 that multiplies by `-1j` is a dispatch
//! divergence at its `mul.Scalar` (the recorded complex scalar differs),
//! free-running and anchored; perturbed complex `where`, `masked_fill`,
//! `index`, `index_put_`, `index_select`, `stack` and `angle` kernels are
//! caught and named; misnamed PolarBackward0, AngleBackward0 and the complex
//! SgnBackward0 are graph divergences naming the node.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const RECON: &str = "complex_mri_recon.torch.ftr";

#[test]
fn a_cat_that_conjugates_complex_inputs_is_caught_at_cat() {
    for (code, out) in [
        replay_with_fault(RECON, "complex-cat-conjugates"),
        replay_anchored_with_fault(RECON, "complex-cat-conjugates"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("aten.cat.default output 0 (expected seq 105, actual seq 105)")
                && out.contains("local drift"),
            "{out}"
        );
    }
}

#[test]
fn a_polar_backward_turning_by_minus_i_diverges_at_its_mul_scalar() {
    for (code, out) in [
        replay_with_fault(RECON, "polar-backward-negative-unit"),
        replay_anchored_with_fault(RECON, "polar-backward-negative-unit"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("first divergence: [dispatch changed] expected seq 574")
                && out.contains("aten.mul.Scalar")
                && out.contains("PolarBackward0")
                && out.contains("other=1j")
                && out.contains("other=-1j"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_complex_selection_and_indexing_kernels_are_caught() {
    for op in [
        "aten.where.self",
        "aten.masked_fill.Scalar",
        "aten.masked_fill_.Scalar",
        "aten.index.Tensor",
        "aten.index_put_.default",
        "aten.index_select.default",
        "aten.stack.default",
        "aten.angle.default",
    ] {
        let (code, out) = replay_perturbed(RECON, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(op), "{op}: {out}");
    }
}

#[test]
fn misnamed_complex_backward_nodes_are_graph_divergences() {
    for node in ["PolarBackward0", "AngleBackward0", "SgnBackward0"] {
        let rename = format!("rename-node={node}:{}", node.replace('0', "1"));
        let (code, out) = replay(RECON, Some(&rename));
        assert_eq!(code, Some(1), "{rename}: {out}");
        assert!(out.contains(node), "{rename}: {out}");
    }
}
