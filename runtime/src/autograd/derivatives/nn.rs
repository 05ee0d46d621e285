//! Derivative table rows of the neural-network operators (softmax, losses, normalization, convolution, pooling, attention) and batched matrix products.

mod attention;
mod conv;

use super::Differentiability;

/// The autograd entry of `op` if it belongs to this family.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    conv::lookup(op).or_else(|| attention::lookup(op))
}
