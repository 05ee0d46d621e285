//! Extremum reductions: `max`/`min` (all-reduce and `.dim` with indices),
//! `amax`/`amin`, `argmax`/`argmin`.
//!
//! NaN propagates: a group containing NaN has NaN as its extremum and the
//! first NaN's position as its index. Ties pick the first position in
//! logical order (observed in torch 2.15 on CPU). int64 values compare as
//! i64 (exact beyond 2^53), every other dtype as f64.

use super::dims::Reduction;
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

/// A value an extremum compares: f64 (NaN wins) or an exact i64.
trait Compared: Copy + PartialOrd {
    fn is_nan(self) -> bool;
}

impl Compared for f64 {
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

impl Compared for i64 {
    fn is_nan(self) -> bool {
        false
    }
}

impl Which {
    /// Whether `candidate` replaces `best`.
    fn better<T: Compared>(self, candidate: T, best: T) -> bool {
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
fn extremum<T: Compared>(which: Which, g: &[T]) -> Option<(T, usize)> {
    let mut best = (*g.first()?, 0);
    for (i, &v) in g.iter().enumerate().skip(1) {
        if which.better(v, best.0) {
            best = (v, i);
        }
    }
    Some(best)
}

/// Every group's extremum and its first position: exact for int64.
enum Best {
    Float(Vec<(f64, usize)>),
    Int(Vec<(i64, usize)>),
}

impl Best {
    fn of(ctx: &KernelCtx<'_>, t: &Tensor, r: &Reduction, which: Which) -> Result<Best> {
        fn each<T: Compared>(groups: Vec<Vec<T>>, which: Which, empty: T) -> Vec<(T, usize)> {
            groups
                .iter()
                .map(|g| extremum(which, g).unwrap_or((empty, 0)))
                .collect()
        }
        if !ctx.has_data() {
            return Ok(Best::Float(Vec::new()));
        }
        Ok(if t.dtype() == DType::Int64 {
            Best::Int(each(r.groups(&t.read_i64(ctx.op)?), which, 0))
        } else {
            Best::Float(each(r.groups(&t.read_f64(ctx.op)?), which, f64::NAN))
        })
    }

    /// The extrema as a tensor of `t`'s dtype.
    fn values(&self, ctx: &KernelCtx<'_>, r: &Reduction, t: &Tensor) -> Result<Tensor> {
        let strides = r.out_strides();
        match self {
            Best::Int(best) => ctx.output_i64(&r.out_shape, &strides, t.dtype(), || {
                Ok(best.iter().map(|b| b.0).collect())
            }),
            Best::Float(best) => ctx.output(&r.out_shape, &strides, t.dtype(), || {
                Ok(best.iter().map(|b| b.0).collect())
            }),
        }
    }

    /// The first positions, int64.
    fn indices(&self, ctx: &KernelCtx<'_>, r: &Reduction) -> Result<Tensor> {
        let positions: Vec<i64> = match self {
            Best::Int(best) => best.iter().map(|b| b.1 as i64).collect(),
            Best::Float(best) => best.iter().map(|b| b.1 as i64).collect(),
        };
        ctx.output_i64(&r.out_shape, &r.out_strides(), DType::Int64, || {
            Ok(positions)
        })
    }
}

/// The extremum of every group, in `t`'s dtype.
fn reduce_extremum(ctx: &KernelCtx<'_>, t: &Tensor, r: &Reduction, which: Which) -> Result<Tensor> {
    Best::of(ctx, t, r, which)?.values(ctx, r, t)
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
    let out = reduce_extremum(ctx, t, &r, which)?;
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
    let best = Best::of(ctx, t, &r, which)?;
    let values = best.values(ctx, &r, t)?;
    let indices = best.indices(ctx, &r)?;
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
    let out = reduce_extremum(ctx, t, &r, which)?;
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
    let min = reduce_extremum(ctx, t, &r, Which::Min)?;
    let max = reduce_extremum(ctx, t, &r, Which::Max)?;
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
    let out = Best::of(ctx, t, &r, which)?.indices(ctx, &r)?;
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
        assert_eq!(extremum(Which::Max, &[1.0, 3.0, 3.0]), Some((3.0, 1)));
        assert_eq!(extremum(Which::Min, &[2.0, 1.0, 1.0]), Some((1.0, 1)));
        let (v, i) = extremum(Which::Max, &[1.0, f64::NAN, 5.0, f64::NAN]).expect("non-empty");
        assert!(v.is_nan());
        assert_eq!(i, 1);
        assert_eq!(extremum::<f64>(Which::Max, &[]), None);
    }

    #[test]
    fn int64_beyond_two_to_the_53_compares_exactly() {
        // As doubles the three are equal and the first would win.
        let g = [1i64 << 60, (1 << 60) + 1, (1 << 60) - 1];
        assert_eq!(extremum(Which::Max, &g), Some(((1 << 60) + 1, 1)));
        assert_eq!(extremum(Which::Min, &g), Some(((1 << 60) - 1, 2)));
    }
}
