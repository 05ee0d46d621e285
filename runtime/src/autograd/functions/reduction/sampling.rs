//! Backward of `bernoulli` and `bernoulli_` (zero gradients).

use super::single;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// `bernoulli(self)` (BernoulliBackward0), `bernoulli_.float(self, p)`
/// (BernoulliBackward2) and `bernoulli_.Tensor(self, p)` (BernoulliBackward1):
/// a draw has zero gradient, `zeros_like(grad)` for `self` and, for a
/// tensor `p`, zeros of `p`'s sizes and options (PyTorch saves only `p`'s
/// type and size: `at::zeros(sizes, dtype, layout, device)`), computed
/// first (gradients in alphabetical order of the inputs).
pub(crate) struct BernoulliBackward {
    /// Number of next edges (2 for `bernoulli_.Tensor`).
    pub(crate) edges: usize,
    /// Sizes, dtype and device of `bernoulli_.Tensor`'s `p` (edge 1).
    pub(crate) p: Option<(Vec<i64>, DType, Device)>,
}

impl BackwardFn for BernoulliBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None; self.edges]);
        };
        let mut out = vec![None; self.edges];
        if let Some((sizes, dtype, device)) = &self.p
            && ctx.needs(1)
        {
            out[1] = Some(ReductionOps(&mut *ctx.rt).zeros(sizes, *dtype, *device)?);
        }
        if ctx.needs(0) {
            out[0] = Some(ReductionOps(&mut *ctx.rt).zeros_like(&g)?);
        }
        Ok(out)
    }
}

/// `normal.Tensor_float` (NormalBackward1, edge `mean`),
/// `normal.float_Tensor` (NormalBackward2, edge `std`) and
/// `normal.Tensor_Tensor` (NormalBackward3, edges `mean`, `std`): a draw
/// has zero gradient, `at::zeros_symint(input.sym_sizes(), grad.options())`
/// for each input that needs one, the mean's first (derivatives.yaml order).
pub(crate) struct NormalBackward {
    /// The saved sizes of each tensor input, in edge order.
    pub(crate) sizes: Vec<Vec<i64>>,
}

impl BackwardFn for NormalBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let edges = self.sizes.len();
        let Some(g) = single(grads) else {
            return Ok(vec![None; edges]);
        };
        let mut out = vec![None; edges];
        for (i, sizes) in self.sizes.iter().enumerate() {
            if ctx.needs(i) {
                out[i] = Some(ReductionOps(&mut *ctx.rt).zeros(sizes, g.dtype(), g.device())?);
            }
        }
        Ok(out)
    }
}
