//! Derivative row of the CPU flash attention.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `_scaled_dot_product_flash_attention_for_cpu` | ScaledDotProductFlashAttentionForCpuBackward0 (output 0 only) | query, key, value | query, key, value, output, logsumexp, dropout_p, is_causal, attn_mask, scale |

use super::super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::nn::attention::ScaledDotProductFlashAttentionForCpuBackward0;
use crate::autograd::saved::SavedVariable;

/// The autograd entry of `op` if it is an attention operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._scaled_dot_product_flash_attention_for_cpu.default" => D(derivative!(
            "ScaledDotProductFlashAttentionForCpuBackward0",
            &[0, 1, 2],
            |a, _| {
                Ok(Box::new(ScaledDotProductFlashAttentionForCpuBackward0 {
                    query: SavedVariable::input(tensor(a, 0)?),
                    key: SavedVariable::input(tensor(a, 1)?),
                    value: SavedVariable::input(tensor(a, 2)?),
                    params: [3, 4, 5, 6].map(|i| arg(a, i)),
                    output: None,
                    logsumexp: None,
                }))
            },
            outputs = &[true, false]
        )),
        _ => return None,
    })
}
