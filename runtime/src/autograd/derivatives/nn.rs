//! Derivative table rows of the neural-network operators (softmax, losses, normalization, convolution, pooling, attention) and batched matrix products.

mod attention;
mod cdist;
mod conv;
mod ctc;
mod fold;
mod fractional_pool;
mod grid_sample;
mod group_norm;
mod loss;
mod margin_losses;
mod matrix;
mod multi_margin;
mod norm;
mod pad;
mod pdist;
mod pool3d;
mod prelu;
mod smooth_l1;
mod softmax;
mod trilinear;
mod unpool;
mod upsample;
mod weight_norm;

use super::Differentiability;

/// The autograd entry of `op` if it belongs to this family.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    softmax::lookup(op)
        .or_else(|| smooth_l1::lookup(op))
        .or_else(|| loss::lookup(op))
        .or_else(|| norm::lookup(op))
        .or_else(|| matrix::lookup(op))
        .or_else(|| conv::lookup(op))
        .or_else(|| attention::lookup(op))
        .or_else(|| pad::lookup(op))
        .or_else(|| upsample::lookup(op))
        .or_else(|| fold::lookup(op))
        .or_else(|| pool3d::lookup(op))
        .or_else(|| fractional_pool::lookup(op))
        .or_else(|| unpool::lookup(op))
        .or_else(|| group_norm::lookup(op))
        .or_else(|| prelu::lookup(op))
        .or_else(|| weight_norm::lookup(op))
        .or_else(|| grid_sample::lookup(op))
        .or_else(|| trilinear::lookup(op))
        .or_else(|| multi_margin::lookup(op))
        .or_else(|| margin_losses::lookup(op))
        .or_else(|| cdist::lookup(op))
        .or_else(|| pdist::lookup(op))
        .or_else(|| ctc::lookup(op))
}
