//! Mutation tests of the Hugging Face-style decoder (`hf_style_decoder`):
//!
//! * an `isin` that never looks at its last test element is a value failure
//!   naming `isin`, free-running and anchored (the labels' special-token
//!   mask finds its last id, 7, in the first batch);
//! * perturbed grouped-query flash attention kernels (forward and backward)
//!   and a perturbed `isin` are caught and named, free-running and anchored.
//!
//! Free-running, a wrong value reaches generation, whose `unfinished.max()
//! == 0` read (a `_local_scalar_dense`) then differs from PyTorch's: the
//! verdict is a divergence (exit 1) that still names where the drift
//! starts. Anchored, the read gets PyTorch's value and the broken operator
//! is the failure (exit 3).
//! * CatBackward0 (the KV cache's `cat` onto `torch.tensor([])`, whose
//!   empty start gets `zeros([0])`) misnamed is a graph divergence.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "hf_style_decoder.torch.ftr";

#[test]
fn the_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn an_isin_ignoring_its_last_test_element_is_caught_and_named() {
    let op = "aten.isin.Tensor_Tensor";
    let (code, out) = replay_with_fault(TRACE, "isin-ignores-last-test-element");
    assert!(matches!(code, Some(1 | 3)), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "isin-ignores-last-test-element");
    assert_eq!(code, Some(3), "anchored: {out}");
    assert!(
        out.contains(&format!("drift starts at {op}")),
        "anchored: {out}"
    );
}

#[test]
fn perturbed_attention_and_isin_kernels_are_caught_and_named() {
    for op in [
        "aten._scaled_dot_product_flash_attention_for_cpu.default",
        "aten._scaled_dot_product_flash_attention_for_cpu_backward.default",
        "aten.isin.Tensor_Tensor",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert!(matches!(code, Some(1 | 3)), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.01"));
        assert_eq!(code, Some(3), "{op} anchored: {out}");
        assert!(out.contains(op), "{op} anchored: {out}");
    }
}

#[test]
fn a_misnamed_cat_backward_is_a_graph_divergence() {
    let (code, out) = replay(TRACE, Some("rename-node=CatBackward0:CatBackward1"));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("CatBackward"), "{out}");
}
