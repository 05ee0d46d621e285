//! Mutation tests of the seq2seq transformer (`seq2seq_transformer`) and
//! the L-BFGS sine predictor (`time_sequence_lbfgs`). Both programs drift
//! free-running within float32 noise (Adam's and L-BFGS's divisions), so a
//! broken kernel is named by the anchored replay, which feeds every
//! operator PyTorch's inputs: mis-scaled attention in the fused encoder
//! layer the batch-first model's greedy decode runs, and a perturbed `dot`
//! in L-BFGS's two-loop recursion. Free-running, the wrong `dot` also flips
//! a line-search branch (the dispatch diverges at a later `.item()`);
//! anchored, the `.item()` reads PyTorch's value, so the stream stays
//! aligned and every wrong `dot` is reported where it is made.

use super::support::{replay_anchored_with_fault, replay_with_fault};

#[test]
fn mis_scaled_fused_encoder_attention_is_caught_and_named_anchored() {
    let trace = "seq2seq_transformer.torch.ftr";
    let (code, out) = replay_anchored_with_fault(trace, "mha-wrong-scale");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._transformer_encoder_layer_fwd.default"),
        "{out}"
    );
    let (code, out) = replay_with_fault(trace, "mha-wrong-scale");
    assert_eq!(code, Some(3), "free-running: {out}");
}

#[test]
fn a_perturbed_scaled_dot_product_attention_is_named_anchored() {
    let (code, out) = replay_anchored_with_fault(
        "seq2seq_transformer.torch.ftr",
        "perturb=aten._scaled_dot_product_flash_attention_for_cpu.default:0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._scaled_dot_product_flash_attention_for_cpu.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_lbfgs_dot_is_named_and_flips_the_line_search() {
    let (code, out) = replay_anchored_with_fault(
        "time_sequence_lbfgs.torch.ftr",
        "perturb=aten.dot.default:0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.dot.default"), "{out}");
    let (code, out) = replay_with_fault(
        "time_sequence_lbfgs.torch.ftr",
        "perturb=aten.dot.default:0.01",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("drift starts at aten.dot.default"), "{out}");
    assert!(
        out.contains("first divergence: [dispatch changed]")
            && out.contains("aten._local_scalar_dense.default"),
        "{out}"
    );
}
