//! Mutation tests of the signs of zeros in batch-of-one policy training
//! (`reinforce_actor_critic`). Every layer sees one observation at a time,
//! so each weight gradient is a rank-one `mm` (`[n, 1] @ [1, m]`), which
//! PyTorch's GEMM writes product by product: `0 * -x` stays `-0.0`. Dropout
//! in front of ReLU leaves `-0.0` inputs, which `relu` (`clamp_min(self,
//! 0)`) keeps. The anchored replay is bit-identical on both operators;
//! accumulating the rank-one product from `+0.0`
//! (`rank-one-product-accumulated`) or returning `+0.0` for every zero
//! (`relu-zero-sign-dropped`) lists them as not bit-identical (equal
//! values, other signs) from their first call on.

use super::rounding_order::exact_unless;
use super::support::assert_replays_to_match;

const TRACE: &str = "reinforce_actor_critic.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_rank_one_product_accumulated_from_positive_zero_gives_the_other_zeros() {
    exact_unless(
        TRACE,
        "aten.mm.default",
        "rank-one-product-accumulated",
        63,
        678,
    );
}

#[test]
fn a_relu_that_drops_the_sign_of_zero_is_listed_inexact() {
    exact_unless(
        TRACE,
        "aten.relu.default",
        "relu-zero-sign-dropped",
        14,
        123,
    );
}
