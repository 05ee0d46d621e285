//! Extremum reductions: `max`/`min` (all-reduce and `.dim` with indices),
//! `amax`/`amin`, `argmax`/`argmin`.
//!
//! NaN propagates: a group containing NaN has NaN as its extremum and the
//! first NaN's position as its index. Ties pick the first position in
//! logical order (observed in torch 2.15 on CPU). Values compare as f64,
//! which is exact for every dtype here except int64 beyond 2^53.

use super::dims::Reduction;
use super::stats::reduce_f64;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Which extremum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Max,
    Min,
}

impl Which {
    /// Whether `candidate` replaces `best`.
    fn better(self, candidate: f64, best: f64) -> bool {
        if best.is_nan() {
            return false;
        }
        candidate.is_nan()
            || match self {
                Which::Max => candidate > best,
                Which::Min => candidate < best,
            }
    }

    fn name(self) -> &'static str {
        match self {
            Which::Max => "max",
            Which::Min => "min",
        }
    }
}

/// The extremum of a non-empty group and its first position.
fn extremum(which: Which, g: &[f64]) -> (f64, usize) {
    let mut best = (g.first().copied().unwrap_or(f64::NAN), 0);
    for (i, &v) in g.iter().enumerate().skip(1) {
        if which.better(v, best.0) {
            best = (v, i);
        }
    }
    best
}

/// PyTorch's error for an all-reduce of an empty tensor.
fn empty_all_reduce(ctx: &KernelCtx<'_>, name: &str) -> RuntimeError {
    RuntimeError::shape(
        ctx.op,
        format!(
            "{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
        ),
    )
}

fn all_reduce(ctx: &KernelCtx<'_>, a: &Args<'_>, which: Which) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.numel() == 0 {
        return Err(empty_all_reduce(ctx, which.name()));
    }
    let r = Reduction::new(ctx.op, t.shape(), None, false)?;
    let out = reduce_f64(ctx, t, &r, t.dtype(), |g| extremum(which, g).0)?;
    Ok(vec![out.into()])
}

/// `max(self)`.
pub(crate) fn max(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    all_reduce(ctx, &a, Which::Max)
}

/// `min(self)`.
pub(crate) fn min(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    all_reduce(ctx, &a, Which::Min)
}

/// Fails when the reduced dimensions of a non-scalar input are empty.
fn check_nonempty(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    r: &Reduction,
    name: &str,
    dim: i64,
) -> Result<()> {
    if t.dim() > 0 && r.group_size() == 0 && t.numel() == 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{name}(): Expected reduction dim {dim} to have non-zero size."),
        ));
    }
    Ok(())
}

fn with_indices(ctx: &KernelCtx<'_>, a: &Args<'_>, which: Which) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dim = a.int(1)?;
    let r = Reduction::single(ctx.op, t.shape(), dim, a.bool(2)?)?;
    check_nonempty(ctx, t, &r, which.name(), dim)?;
    let strides = r.out_strides();
    let best: Vec<(f64, usize)> = if ctx.has_data() {
        r.groups(&t.read_f64(ctx.op)?)
            .iter()
            .map(|g| extremum(which, g))
            .collect()
    } else {
        Vec::new()
    };
    let values = ctx.output(&r.out_shape, &strides, t.dtype(), || {
        Ok(best.iter().map(|b| b.0).collect())
    })?;
    let indices = ctx.output_i64(&r.out_shape, &strides, DType::Int64, || {
        Ok(best.iter().map(|b| b.1 as i64).collect())
    })?;
    Ok(vec![values.into(), indices.into()])
}

/// `max.dim(self, dim, keepdim=False) -> (values, indices)`.
pub(crate) fn max_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    with_indices(ctx, &a, Which::Max)
}

/// `min.dim(self, dim, keepdim=False) -> (values, indices)`.
pub(crate) fn min_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    with_indices(ctx, &a, Which::Min)
}

fn amax_amin(ctx: &KernelCtx<'_>, a: &Args<'_>, which: Which) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dims = a.int_list(1)?;
    let name = match which {
        Which::Max => "amax",
        Which::Min => "amin",
    };
    if dims.is_empty() && t.numel() == 0 {
        return Err(empty_all_reduce(ctx, name));
    }
    let r = Reduction::new(ctx.op, t.shape(), Some(&dims), a.bool(2)?)?;
    if t.numel() == 0 && r.group_size() == 0 && r.out_numel() > 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{name}(): Expected reduction dim to have non-zero size."),
        ));
    }
    let out = reduce_f64(ctx, t, &r, t.dtype(), |g| extremum(which, g).0)?;
    Ok(vec![out.into()])
}

/// `amax(self, dim=[], keepdim=False)`.
pub(crate) fn amax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    amax_amin(ctx, &a, Which::Max)
}

/// `amin(self, dim=[], keepdim=False)`.
pub(crate) fn amin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    amax_amin(ctx, &a, Which::Min)
}

/// `aminmax(self, *, dim=None, keepdim=False)`: `(min, max)` over one
/// dimension, or over every dimension without `dim` (what `F.one_hot`
/// dispatches to find the number of classes).
pub(crate) fn aminmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let keepdim = a.bool(2)?;
    let r = match a.values.get(1) {
        Some(IValue::Int(d)) => Reduction::single(ctx.op, t.shape(), *d, keepdim)?,
        _ => Reduction::new(ctx.op, t.shape(), None, keepdim)?,
    };
    if r.group_size() == 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.",
        ));
    }
    let min = reduce_f64(ctx, t, &r, t.dtype(), |g| extremum(Which::Min, g).0)?;
    let max = reduce_f64(ctx, t, &r, t.dtype(), |g| extremum(Which::Max, g).0)?;
    Ok(vec![min.into(), max.into()])
}

/// `argmax`/`argmin(self, dim=None, keepdim=False)`: without `dim` the
/// position in the flattened input (with `keepdim`, shaped as all-ones).
fn arg_extremum(ctx: &KernelCtx<'_>, a: &Args<'_>, which: Which) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let name = match which {
        Which::Max => "argmax",
        Which::Min => "argmin",
    };
    if t.dtype() == DType::Bool {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!("{name}(): does not support bool input"),
        });
    }
    let keepdim = a.bool(2)?;
    let r = match a.values.get(1) {
        Some(IValue::Int(d)) => {
            let r = Reduction::single(ctx.op, t.shape(), *d, keepdim)?;
            check_nonempty(ctx, t, &r, name, *d)?;
            r
        }
        _ => {
            if t.numel() == 0 {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!(
                        "{name}(): Expected reduction dim to be specified for input.numel() == 0."
                    ),
                ));
            }
            Reduction::new(ctx.op, t.shape(), None, keepdim)?
        }
    };
    let out = ctx.output_i64(&r.out_shape, &r.out_strides(), DType::Int64, || {
        Ok(r.groups(&t.read_f64(ctx.op)?)
            .iter()
            .map(|g| extremum(which, g).1 as i64)
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `argmax(self, dim=None, keepdim=False)`.
pub(crate) fn argmax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    arg_extremum(ctx, &a, Which::Max)
}

/// `argmin(self, dim=None, keepdim=False)`.
pub(crate) fn argmin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    arg_extremum(ctx, &a, Which::Min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_propagates_and_ties_pick_the_first() {
        assert_eq!(extremum(Which::Max, &[1.0, 3.0, 3.0]), (3.0, 1));
        assert_eq!(extremum(Which::Min, &[2.0, 1.0, 1.0]), (1.0, 1));
        let (v, i) = extremum(Which::Max, &[1.0, f64::NAN, 5.0, f64::NAN]);
        assert!(v.is_nan());
        assert_eq!(i, 1);
    }
}
