//! Mutation test of the one-feature linear layer (`single_feature_regression`).
//! `nn.Linear(1, 16)`'s `addmm` has an inner dimension of one, so each
//! output is one product plus the bias, which PyTorch's GEMM rounds once
//! (`fma(x, w, b)`); `addmm(phase, t, freq, beta=0.5)` rounds the product
//! first and then `fma(0.5, phase, product)`. On PyTorch's inputs every
//! such `addmm` is bit-identical: the six not bit-identical ones are the
//! `Linear(16, 1)` heads (a longer sum in another order), from seq 51 on.
//! Rounding the product and the sum apart (`addmm-single-term-unfused`)
//! adds five of the seven first-layer products, from the first forward
//! (seq 41) on.

use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "single_feature_regression.torch.ftr";
const ADDMM: &str = "aten.addmm.default";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn an_unfused_single_term_addmm_is_listed_inexact_from_the_first_forward() {
    let exact = inexact_anchored_on(TRACE, None);
    assert_eq!(exact[ADDMM]["tensors"], 6, "{exact}");
    assert_eq!(exact[ADDMM]["first_seq"], 51, "{exact}");
    let faulty = inexact_anchored_on(TRACE, Some("addmm-single-term-unfused"));
    assert_eq!(faulty[ADDMM]["tensors"], 11, "{faulty}");
    assert_eq!(faulty[ADDMM]["first_seq"], 41, "{faulty}");
}
