//! `bucketize` and `searchsorted`: binary search of values in sorted
//! boundaries (one kernel in PyTorch).
//!
//! For each value `v` the result is the first position whose boundary is
//! `>= v` (`right=False`, `side="left"`) or `> v` (`right=True`,
//! `side="right"`); a NaN value lands past the end. `bucketize` takes 1-d
//! boundaries; `searchsorted` takes a 1-d sequence or one whose leading
//! dims match the values', optionally read through `sorter`. The result
//! has the values' shape, contiguous, int64 (int32 with `out_int32`).
//!
//! The `.Scalar` overloads search for one number (a 0-dim result). As in
//! PyTorch, boundaries and values are compared in their common dtype
//! (`torch.result_type`, the number a wrapped number): a Python float
//! searched in float32 boundaries is rounded to float32 first, so `0.2`
//! equals a boundary `float32(0.2)`; a float64 tensor of values against
//! float32 boundaries compares in float64; integers compare exactly.

use super::common::{opt_tensor, round_to};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::pointwise::result_type;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a bucketing operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.bucketize.Tensor" => bucketize,
        "aten.searchsorted.Tensor" => searchsorted,
        "aten.bucketize.Scalar" => bucketize_scalar,
        "aten.searchsorted.Scalar" => searchsorted,
        _ => return None,
    })
}

/// The first position in `row` (read through `order`) whose boundary is
/// `>= v` (`> v` when `right`).
/// Compared as f64, or as exact i64 when boundaries and values are both
/// integers (int64 values one apart beyond 2^53 are distinct).
fn position<T: PartialOrd + Copy>(row: &[T], order: Option<&[i64]>, v: T, right: bool) -> i64 {
    let (mut lo, mut hi) = (0usize, row.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at = order.map_or(mid, |o| o[mid].max(0) as usize);
        let cmp = row.get(at).and_then(|b| b.partial_cmp(&v));
        // The boundary is "before" `v` unless it compares greater (or
        // equal, on the left); a NaN on either side compares neither way.
        let after = if right {
            cmp == Some(std::cmp::Ordering::Greater)
        } else {
            matches!(
                cmp,
                Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
            )
        };
        let before = !after;
        if before {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo as i64
}

/// The values' elements as `f64`, or exactly as `i64`.
fn needles_f64(op: &str, values: &Operand<'_>) -> Result<Vec<f64>> {
    match values {
        Operand::Tensor(t) => t.read_f64(op),
        Operand::Scalar(v, _) => Ok(vec![*v]),
        Operand::BigInt(v) => Ok(vec![*v as f64]),
    }
}

fn needles_i64(op: &str, values: &Operand<'_>) -> Result<Vec<i64>> {
    match values {
        Operand::Tensor(t) => t.read_i64(op),
        Operand::Scalar(v, _) => Ok(vec![*v as i64]),
        Operand::BigInt(v) => Ok(vec![*v]),
    }
}

fn search(
    ctx: &KernelCtx<'_>,
    sorted: &Tensor,
    values: Operand<'_>,
    out_int32: bool,
    right: bool,
    sorter: Option<&Tensor>,
) -> Result<Vec<IValue>> {
    let op = ctx.op;
    let sd = sorted.shape();
    let vd: &[i64] = match &values {
        Operand::Tensor(t) => t.shape(),
        _ => &[],
    };
    if !matches!(values, Operand::Tensor(_)) && sd.len() != 1 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "input value can be a scalar only when boundaries tensor dimension is 1, but we got boundaries tensor dim({}) and input value's dim(0) numel(1)",
                sd.len()
            ),
        ));
    }
    let per_row = sd.len() > 1;
    if per_row && (vd.len() != sd.len() || sd[..sd.len() - 1] != vd[..vd.len() - 1]) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor {sd:?} and input value tensor {vd:?}"
            ),
        ));
    }
    if let Some(s) = sorter
        && (s.shape() != sd || s.dtype() != DType::Int64)
    {
        return Err(RuntimeError::shape(
            op,
            "sorter must be a tensor of long dtype and must have the same size as boundaries",
        ));
    }
    if sd.is_empty() {
        return Err(RuntimeError::shape(
            op,
            "boundaries tensor must be 1 dimension or more",
        ));
    }
    let dtype = if out_int32 {
        DType::Int32
    } else {
        DType::Int64
    };
    let common = result_type(ctx, &[Operand::Tensor(sorted), values]);
    let exact = common.is_integral(true) && !ctx.faults.int64_search_through_double;
    let rounded = common.is_floating() && !ctx.faults.search_in_double;
    let out = ctx.output_i64(vd, &contiguous_strides(vd), dtype, || {
        let order = sorter.map(|s| s.read_i64(op)).transpose()?;
        let len = sd.last().copied().unwrap_or(0).max(0) as usize;
        let inner = vd.last().copied().unwrap_or(1).max(1) as usize;
        if let Some(o) = &order
            && o.iter().any(|&i| i < 0 || i as usize >= len)
        {
            return Err(RuntimeError::shape(op, "sorter index out of range"));
        }
        let ord = order.as_deref();
        if exact {
            let (bs, vs) = (sorted.read_i64(op)?, needles_i64(op, &values)?);
            return Ok(positions(&bs, ord, &vs, len, inner, per_row, right));
        }
        let (mut bs, mut vs) = (sorted.read_f64(op)?, needles_f64(op, &values)?);
        if rounded {
            for v in bs.iter_mut().chain(vs.iter_mut()) {
                *v = round_to(common, *v);
            }
        }
        Ok(positions(&bs, ord, &vs, len, inner, per_row, right))
    })?;
    Ok(vec![out.into()])
}

/// The position of every value in its row of boundaries (`len` each;
/// one row for all values unless `per_row`, then one per `inner` values).
fn positions<T: PartialOrd + Copy>(
    bs: &[T],
    order: Option<&[i64]>,
    vs: &[T],
    len: usize,
    inner: usize,
    per_row: bool,
    right: bool,
) -> Vec<i64> {
    vs.iter()
        .enumerate()
        .map(|(i, &v)| {
            let r = if per_row { i / inner } else { 0 };
            let row = bs.get(r * len..(r + 1) * len).unwrap_or(&[]);
            let ord = order.and_then(|o| o.get(r * len..(r + 1) * len));
            position(row, ord, v, right)
        })
        .collect()
}

/// `bucketize.Tensor(self, boundaries, *, out_int32=False, right=False)`.
pub(crate) fn bucketize(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (values, boundaries) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(values, "self")?;
    ctx.check(boundaries, "boundaries")?;
    if boundaries.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "boundaries tensor must be 1 dimension, but got dim({})",
                boundaries.dim()
            ),
        ));
    }
    search(
        ctx,
        boundaries,
        Operand::Tensor(values),
        a.bool(2)?,
        a.bool(3)?,
        None,
    )
}

/// `bucketize.Scalar(self, boundaries, *, out_int32=False, right=False)`:
/// one number, a 0-dim result.
pub(crate) fn bucketize_scalar(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (value, boundaries) = (a.operand(0)?, a.tensor(1)?);
    ctx.check(boundaries, "boundaries")?;
    if boundaries.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "boundaries tensor must be 1 dimension, but got dim({})",
                boundaries.dim()
            ),
        ));
    }
    search(ctx, boundaries, value, a.bool(2)?, a.bool(3)?, None)
}

/// `searchsorted.Tensor(sorted_sequence, self, *, out_int32=False,
/// right=False, side=None, sorter=None)` and `searchsorted.Scalar` (`self`
/// a number).
pub(crate) fn searchsorted(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (sorted, values) = (a.tensor(0)?, a.operand(1)?);
    ctx.check(sorted, "sorted_sequence")?;
    if let Operand::Tensor(values) = &values {
        ctx.check(values, "self")?;
    }
    let right = a.bool(3)?;
    let side_right = match a.values.get(4) {
        Some(IValue::Str(s)) if s == "right" => Some(true),
        Some(IValue::Str(s)) if s == "left" => Some(false),
        None | Some(IValue::None) => None,
        Some(other) => {
            return Err(RuntimeError::shape(
                ctx.op,
                format!("side can only be 'left' or 'right' but got {other:?}"),
            ));
        }
    };
    if side_right == Some(false) && right {
        return Err(RuntimeError::shape(
            ctx.op,
            "side and right can't be set to opposites, got side of left while right was True",
        ));
    }
    let sorter = opt_tensor(&a, 5)?;
    search(
        ctx,
        sorted,
        values,
        a.bool(2)?,
        right || side_right == Some(true),
        sorter,
    )
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn left_and_right_edges_and_nan_land_where_pytorch_puts_them() {
        let edges = [0.1, 0.3, 0.6];
        let left: Vec<i64> = [0.1, 0.2, 0.6, 0.7, f64::NAN]
            .iter()
            .map(|&v| position(&edges, None, v, false))
            .collect();
        assert_eq!(left, vec![0, 1, 2, 3, 3]);
        let right: Vec<i64> = [0.1, 0.6, -1.0]
            .iter()
            .map(|&v| position(&edges, None, v, true))
            .collect();
        assert_eq!(right, vec![1, 3, 0]);
        // Unsorted [3, 1, 2] read through the sorter [1, 2, 0].
        assert_eq!(position(&[3.0, 1.0, 2.0], Some(&[1, 2, 0]), 2.5, false), 2);
    }
}
