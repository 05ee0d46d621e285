//! Backward functions of the reductions: `mean`, `max`/`min` (both
//! overloads), `amax`/`amin`, `var`/`std` (with `mean`), `prod`, `cumsum`, `cumprod`,
//! `logcumsumexp`, `linalg_vector_norm`, `dist`, `logsumexp`; and of `bernoulli` / `bernoulli_` (zero gradients).
//!
//! Each dispatches the operators PyTorch's formula dispatches, in the order
//! observed in torch 2.15 under a dispatch mode. Where C++ evaluates the
//! operands of `a * b` in an unspecified order, the observed order is the
//! right operand first (e.g. VarBackward0 computes `self - mean` before
//! scaling `grad`).
//!
//! This file holds the shared helpers (`unsqueeze_multiple`, `sum_backward`)
//! and `mean`; the submodules hold the other families of formulas.

mod extrema;
mod logcumsumexp;
mod logsumexp;
mod moments;
mod norm;
mod products;
mod sampling;
mod scans;

pub(crate) use extrema::{AmaxBackward, EvenlyDistributeBackward, ValueSelectingBackward};
pub(crate) use logcumsumexp::LogcumsumexpBackward0;
pub(crate) use logsumexp::LogsumexpBackward0;
pub(crate) use moments::MomentsBackward;
pub(crate) use norm::{DistBackward0, LinalgVectorNormBackward0, norm_backward};
pub(crate) use products::ProdBackward;
pub(crate) use sampling::{BernoulliBackward, NormalBackward};
pub(crate) use scans::{CumprodBackward0, CumsumBackward0};

use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::strides::wrap_dim;

/// The saved tensor for the running node; an error once it was freed.
pub(super) fn unpack(saved: &Option<SavedVariable>, ctx: &BackwardCtx<'_>) -> Result<Tensor> {
    match saved {
        Some(s) => s.unpack(ctx.node),
        None => Err(RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        }),
    }
}

/// Frees a saved tensor (after a backward without `retain_graph`).
pub(super) fn release(saved: &mut Option<SavedVariable>) {
    if let Some(s) = saved {
        s.release();
    }
}

/// PyTorch's `unsqueeze_multiple(t, dims, n_dims)`: nothing for no dims;
/// one `unsqueeze` with the dimension *as given* (possibly negative) for one
/// dim; otherwise one `unsqueeze` per reduced dimension in increasing
/// (wrapped) order.
pub(crate) fn unsqueeze_multiple(
    ops: &mut ReductionOps<'_>,
    t: Tensor,
    dims: &[i64],
    n_dims: usize,
) -> Result<Tensor> {
    match dims {
        [] => Ok(t),
        [d] => ops.unsqueeze(&t, *d),
        _ => {
            let mut reduced = vec![false; n_dims];
            for &d in dims {
                if let Some(w) = wrap_dim(d, n_dims) {
                    reduced[w] = true;
                }
            }
            let mut out = t;
            for (i, _) in reduced.iter().enumerate().filter(|(_, r)| **r) {
                out = ops.unsqueeze(&out, i as i64)?;
            }
            Ok(out)
        }
    }
}

/// PyTorch's `sum_backward(grad, sizes, dims, keepdim)`: re-insert the
/// reduced dimensions (unless `keepdim` or a 0-dim input), then `expand`.
pub(crate) fn sum_backward(
    ops: &mut ReductionOps<'_>,
    grad: Tensor,
    sizes: &[i64],
    dims: Option<&[i64]>,
    keepdim: bool,
) -> Result<Tensor> {
    let mut g = grad;
    if !keepdim
        && !sizes.is_empty()
        && let Some(dims) = dims
    {
        g = unsqueeze_multiple(ops, g, dims, sizes.len())?;
    }
    ops.expand(&g, sizes)
}

/// `mean(self)`: `grad.expand(self_sizes) / self_numel` (`div.Scalar` by
/// the integer element count).
pub(crate) struct MeanBackward0 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) self_numel: i64,
}

impl BackwardFn for MeanBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        let expanded = ops.expand(&g, &self.self_sizes)?;
        Ok(vec![Some(
            ops.div_scalar(&expanded, IValue::Int(self.self_numel))?,
        )])
    }
}

/// `mean.dim(self, dim, keepdim)`: PyTorch's `mean_backward` —
/// `sum_backward(grad, sizes, dim, keepdim) / n`, `n` the number of
/// elements averaged (all of them for an absent or empty `dim`).
pub(crate) struct MeanBackward1 {
    pub(crate) self_sizes: Vec<i64>,
    pub(crate) dim: Option<Vec<i64>>,
    pub(crate) keepdim: bool,
    pub(crate) count: i64,
}

impl BackwardFn for MeanBackward1 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let mut ops = ReductionOps(&mut *ctx.rt);
        let g = sum_backward(
            &mut ops,
            g,
            &self.self_sizes,
            self.dim.as_deref(),
            self.keepdim,
        )?;
        Ok(vec![Some(ops.div_scalar(&g, IValue::Int(self.count))?)])
    }
}

/// The number of elements `mean.dim` averages: every element for an absent
/// or empty `dim`, else the product of the reduced sizes.
pub(crate) fn mean_count(sizes: &[i64], dim: Option<&[i64]>) -> i64 {
    match dim {
        Some(dims) if !dims.is_empty() => {
            let mut seen = vec![false; sizes.len()];
            dims.iter()
                .filter_map(|&d| wrap_dim(d, sizes.len()))
                .filter(|&w| w < sizes.len() && !std::mem::replace(&mut seen[w], true))
                .map(|w| sizes[w])
                .product()
        }
        _ => sizes.iter().product(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_counts() {
        assert_eq!(mean_count(&[3, 4], None), 12);
        assert_eq!(mean_count(&[3, 4], Some(&[])), 12);
        assert_eq!(mean_count(&[3, 4], Some(&[-1])), 4);
        assert_eq!(mean_count(&[2, 3, 4], Some(&[0, 2])), 8);
    }
}
