//! Mutation test on the `half_lm_nan_divergence` golden (a float16 LM
//! whose AdamW update underflows to NaN): a flash attention kernel whose
//! running maximum skips NaN scores reads a NaN query row as fully masked
//! (zeros, logsumexp 0) where PyTorch gives NaN, caught at the first
//! masked attention call on NaN queries, free-running and anchored.

use super::support::assert_drift_starts_at_both_ways;

const TRACE: &str = "half_lm_nan_divergence.torch.ftr";

#[test]
fn a_flash_attention_maximum_skipping_nan_is_caught_at_the_nan_queries() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "flash-attention-max-skips-nan",
        "aten._scaled_dot_product_flash_attention_for_cpu.default (expected seq 797",
    );
}
