//! Mutation tests of the embedding gradient on the
//! `bf16_token_embedding_grads` golden: a bfloat16 GPT over a nine-token
//! vocabulary repeats every token many times per batch, and PyTorch rounds
//! the token row after each occurrence it adds, so a gradient summed exactly
//! and rounded once must be caught at `embedding_dense_backward`.

use super::support::{assert_anchored_value_failures, replay_with_fault};

const TRACE: &str = "bf16_token_embedding_grads.torch.ftr";
const FAULT: &str = "embedding-grad-rounded-once";

#[test]
fn rounding_once_is_caught_anchored_at_the_embedding_gradient() {
    assert_anchored_value_failures(
        TRACE,
        FAULT,
        "aten.embedding_dense_backward.default output 0",
        &[],
        "aten.embedding_dense_backward",
    );
}

#[test]
fn rounding_once_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("aten.embedding_dense_backward.default (expected seq"),
        "{out}"
    );
}
