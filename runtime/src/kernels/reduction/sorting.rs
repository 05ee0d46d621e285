//! Selection along a dimension: `topk`, `sort`.
//!
//! Observed in torch 2.15 on CPU: results are contiguous whatever the
//! input's layout; NaN counts as larger than every number (it comes first
//! with `largest=True`, last with `largest=False`); `sorted=False` gives the
//! sorted order for small inputs too; a 0-dim input is a one-element row.
//! Distinct values select and order exactly as PyTorch does. Among equal
//! values PyTorch's order is whatever libstdc++'s `nth_element` /
//! `partial_sort` leave (`topk([1,1,1,0,1], 3)` gives indices `[2, 4, 0]`);
//! this kernel keeps equal values in position order (reversed for
//! `largest=False`), which agrees with PyTorch on short rows only.

use std::cmp::Ordering;

use super::dims::wrap;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// Orders `a` before `b` when `a` is larger (NaN largest).
fn descending(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
    }
}

/// The positions of the `k` selected elements of one row, in result order.
fn select(row: &[f64], k: usize, largest: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..row.len()).collect();
    if largest {
        order.sort_by(|&a, &b| descending(row[a], row[b]));
    } else {
        order.reverse();
        order.sort_by(|&a, &b| descending(row[b], row[a]));
    }
    order.truncate(k);
    order
}

/// `topk(self, k, dim=-1, largest=True, sorted=True) -> (values, indices)`.
pub(crate) fn topk(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let k = a.int(1)?;
    let largest = a.bool(3)?;
    let shape = t.shape().to_vec();
    let d = wrap(ctx.op, a.int(2)?, shape.len())?;
    let size = shape.get(d).copied().unwrap_or(1);
    if k < 0 || k > size {
        return Err(RuntimeError::shape(ctx.op, "selected index k out of range"));
    }
    let (outer, inner) = if shape.is_empty() {
        (1, 1)
    } else {
        let outer: i64 = shape[..d].iter().product();
        let inner: i64 = shape[d + 1..].iter().product();
        (outer, inner)
    };
    let mut out_shape = shape.clone();
    if let Some(s) = out_shape.get_mut(d) {
        *s = k;
    }
    let strides = contiguous_strides(&out_shape);
    let (outer, inner, size, k) = (outer as usize, inner as usize, size as usize, k as usize);
    let mut picked: Vec<(f64, i64)> = Vec::new();
    if ctx.has_data() {
        let x = t.read_f64(ctx.op)?;
        picked = vec![(0.0, 0); outer * k * inner];
        let mut row = vec![0.0; size];
        for o in 0..outer {
            for i in 0..inner {
                for (j, r) in row.iter_mut().enumerate() {
                    *r = x[(o * size + j) * inner + i];
                }
                for (j, &p) in select(&row, k, largest).iter().enumerate() {
                    picked[(o * k + j) * inner + i] = (row[p], p as i64);
                }
            }
        }
    }
    let values = ctx.output(&out_shape, &strides, t.dtype(), || {
        Ok(picked.iter().map(|p| p.0).collect())
    })?;
    let indices = ctx.output_i64(&out_shape, &strides, DType::Int64, || {
        Ok(picked.iter().map(|p| p.1).collect())
    })?;
    Ok(vec![values.into(), indices.into()])
}

/// The positions of one row in sorted order, equal values (`-0.0` and
/// `0.0` included) kept in position order; NaN is larger than every number.
fn stable_order(row: &[f64], descending_order: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..row.len()).collect();
    if descending_order {
        order.sort_by(|&a, &b| descending(row[a], row[b]));
    } else {
        order.sort_by(|&a, &b| descending(row[b], row[a]));
    }
    order
}

/// `sort(self, dim=-1, descending=False)` and `sort.stable(self, *, stable,
/// dim=-1, descending=False) -> (values, indices)`: every row along `dim`
/// sorted (NaN largest), with the positions the values came from. The order
/// among equal values is the stable one. `stable=True` asks for it; without
/// it PyTorch's CPU kernel leaves ties in whatever order its sort leaves
/// them, which is the stable order for rows of up to 16 elements
/// (libstdc++'s insertion sort) — longer rows with ties may differ.
pub(crate) fn sort(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let (dim, descending_order) = if ctx.op == "aten.sort.stable" {
        (a.int(2)?, a.bool(3)?)
    } else {
        (a.int(1)?, a.bool(2)?)
    };
    let shape = t.shape().to_vec();
    let d = wrap(ctx.op, dim, shape.len())?;
    let (outer, size, inner) = if shape.is_empty() {
        (1, 1, 1)
    } else {
        let outer: i64 = shape[..d].iter().product();
        let inner: i64 = shape[d + 1..].iter().product();
        (outer as usize, shape[d].max(0) as usize, inner as usize)
    };
    let strides = contiguous_strides(&shape);
    let mut sorted: Vec<(f64, i64)> = Vec::new();
    if ctx.has_data() {
        let x = t.read_f64(ctx.op)?;
        sorted = vec![(0.0, 0); outer * size * inner];
        let mut row = vec![0.0; size];
        for o in 0..outer {
            for i in 0..inner {
                for (j, r) in row.iter_mut().enumerate() {
                    *r = x[(o * size + j) * inner + i];
                }
                for (j, &p) in stable_order(&row, descending_order).iter().enumerate() {
                    sorted[(o * size + j) * inner + i] = (row[p], p as i64);
                }
            }
        }
    }
    let values = ctx.output(&shape, &strides, t.dtype(), || {
        Ok(sorted.iter().map(|p| p.0).collect())
    })?;
    let indices = ctx.output_i64(&shape, &strides, DType::Int64, || {
        Ok(sorted.iter().map(|p| p.1).collect())
    })?;
    Ok(vec![values.into(), indices.into()])
}

#[cfg(test)]
mod tests {
    use super::{select, stable_order};

    #[test]
    fn sort_keeps_ties_in_place_and_nan_largest() {
        // torch 2.15: sort([1, nan, -0., 0., 2, nan]) → indices [2, 3, 0, 4, 1, 5];
        // descending → [1, 5, 4, 0, 2, 3].
        let row = [1.0, f64::NAN, -0.0, 0.0, 2.0, f64::NAN];
        assert_eq!(stable_order(&row, false), vec![2, 3, 0, 4, 1, 5]);
        assert_eq!(stable_order(&row, true), vec![1, 5, 4, 0, 2, 3]);
    }

    #[test]
    fn ties_and_nan_follow_pytorch() {
        let row = [1.0, 3.0, f64::NAN, 3.0, 2.0, 1.0];
        assert_eq!(select(&row, 4, true), vec![2, 1, 3, 4]);
        assert_eq!(select(&row, 4, false), vec![5, 0, 4, 3]);
    }
}
