//! Backward of `prod` (ProdBackward0) and `prod.dim_int` (ProdBackward1).

use super::{release, single, unpack};
use crate::autograd::functions::complex::conj_factor;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::strides::wrap_dim;

/// PyTorch's `prod_safe_zeros_backward(grad, input, dim)`: the product of
/// every other element along `dim` without dividing (so zeros are safe),
/// as exclusive cumulative products from the front and from the back:
/// `grad * (cumprod(cat(1, x[:-1])) * flip(cumprod(cat(1, flip(x[1:]))))).conj()`.
fn prod_safe_zeros_backward(
    ops: &mut ReductionOps<'_>,
    grad: &Tensor,
    input: &Tensor,
    dim: i64,
) -> Result<Tensor> {
    let d = wrap_dim(dim, input.dim()).unwrap_or(0);
    let size = input.shape().get(d).copied().unwrap_or(1);
    if input.numel() == 0 {
        return ops.expand(grad, input.shape());
    }
    if size == 1 {
        return Ok(grad.clone());
    }
    let mut ones_size = input.shape().to_vec();
    ones_size[d] = 1;
    let ones = ops.ones_like_options(&ones_size, grad)?;
    let head = ops.narrow(input, dim, 0, size - 1)?;
    let front = ops.cat(vec![ones.clone(), head], dim)?;
    let front = ops.cumprod(&front, dim)?;
    let tail = ops.narrow(input, dim, 1, size - 1)?;
    let tail = ops.flip(&tail, &[dim])?;
    let back = ops.cat(vec![ones, tail], dim)?;
    let back = ops.cumprod(&back, dim)?;
    let back = ops.flip(&back, &[dim])?;
    let others = ops.mul(&front, &back)?;
    let others = conj_factor(ops.0, &others)?;
    ops.mul(grad, &others)
}

/// `prod(self)` (ProdBackward0) and `prod.dim_int(self, dim, keepdim)`
/// (ProdBackward1): PyTorch's `prod_backward`. A 0-dim input passes the
/// gradient through. Under a dispatch mode (every tensor subclass-like)
/// PyTorch always takes `prod_safe_zeros_backward`: over the flattened
/// input for the full product (then `view` back), along `dim` otherwise
/// (after `unsqueeze(dim)` of `grad` and the result without `keepdim`).
pub(crate) struct ProdBackward {
    pub(crate) self_: SavedVariable,
    /// `None` for the full product.
    pub(crate) dim: Option<i64>,
    pub(crate) keepdim: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for ProdBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut input = self.self_.unpack(ctx.node)?;
        let result = unpack(&self.result, ctx)?;
        // `self.to(grad.scalar_type())` (`prod(dtype=...)`) comes first.
        if input.dtype() != g.dtype() {
            input = ReductionOps(&mut *ctx.rt).cast(&input, g.dtype())?;
        }
        if input.dim() == 0 {
            return Ok(vec![Some(g)]);
        }
        if !ctx.rt.is_dispatch_mode_active() {
            return Err(RuntimeError::unsupported(
                ctx.node.name(),
                "the gradient of prod outside a dispatch mode (nonzero)",
            ));
        }
        let mut ops = ReductionOps(&mut *ctx.rt);
        let grad = match self.dim {
            None => {
                // `input.contiguous()`: a `clone` only when needed.
                let dense = if input.is_contiguous() {
                    input.clone()
                } else {
                    ops.contiguous(&input)?
                };
                let flat = ops.view(&dense, &[-1])?;
                let g = prod_safe_zeros_backward(&mut ops, &g, &flat, 0)?;
                ops.view(&g, input.shape())?
            }
            Some(dim) => {
                let wrapped = wrap_dim(dim, input.dim()).unwrap_or(0) as i64;
                let g = if self.keepdim {
                    g
                } else {
                    let g = ops.unsqueeze(&g, wrapped)?;
                    // PyTorch unsqueezes the result too; this path does
                    // not read it.
                    ops.unsqueeze(&result, wrapped)?;
                    g
                };
                prod_safe_zeros_backward(&mut ops, &g, &input, wrapped)?
            }
        };
        Ok(vec![Some(grad)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.result);
    }
}
