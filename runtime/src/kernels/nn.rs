//! CPU (and meta) kernels of the neural-network operators (softmax, losses,
//! normalization, convolution, pooling, attention) and the batched matrix
//! products.
//!
//! Each operator group lives in a submodule with its own `lookup`; this
//! file chains them (adding a group is one `mod` line and one link).

mod attention;
mod batch_norm_lanes;
mod batch_stats;
mod bucketize;
mod cdist;
mod common;
mod conv;
mod conv3d;
mod ctc;
mod embedding_renorm;
mod fast_exp;
mod fold;
mod fractional_pool;
mod gemm;
mod grid_sample;
mod group_norm;
mod loss;
mod margin_losses;
pub(crate) mod mha;
mod moments;
mod multi_margin;
mod norm;
mod pad;
mod pdist;
mod pool;
mod pool3d;
#[cfg(test)]
mod pool_accumulation_tests;
mod prelu;
mod rrelu;
pub(crate) mod sleef_f32;
pub(crate) mod sleef_f64;
mod smooth_l1;
mod softmax;
mod softmax_columns;
mod softmax_grad;
#[cfg(test)]
mod tests;
mod trilinear;
mod unpool;
mod upsample;
#[cfg(test)]
mod vision_tests;
mod weight_norm;

use super::Kernel;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    softmax::lookup(op)
        .or_else(|| smooth_l1::lookup(op))
        .or_else(|| loss::lookup(op))
        .or_else(|| norm::lookup(op))
        .or_else(|| super::linalg::lookup(op))
        .or_else(|| conv::lookup(op))
        .or_else(|| pool::lookup(op))
        .or_else(|| attention::lookup(op))
        .or_else(|| mha::lookup(op))
        .or_else(|| pad::lookup(op))
        .or_else(|| upsample::lookup(op))
        .or_else(|| fold::lookup(op))
        .or_else(|| rrelu::lookup(op))
        .or_else(|| fractional_pool::lookup(op))
        .or_else(|| pool3d::lookup(op))
        .or_else(|| unpool::lookup(op))
        .or_else(|| group_norm::lookup(op))
        .or_else(|| prelu::lookup(op))
        .or_else(|| weight_norm::lookup(op))
        .or_else(|| grid_sample::lookup(op))
        .or_else(|| trilinear::lookup(op))
        .or_else(|| multi_margin::lookup(op))
        .or_else(|| margin_losses::lookup(op))
        .or_else(|| ctc::lookup(op))
        .or_else(|| bucketize::lookup(op))
        .or_else(|| embedding_renorm::lookup(op))
        .or_else(|| cdist::lookup(op))
        .or_else(|| pdist::lookup(op))
}
