//! CPU (and meta) kernels of the neural-network operators (softmax, losses, normalization, convolution, pooling, attention) and batched matrix products.

mod attention;
mod conv;
mod gemm;
mod pool;

use super::Kernel;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    conv::lookup(op)
        .or_else(|| pool::lookup(op))
        .or_else(|| attention::lookup(op))
}
