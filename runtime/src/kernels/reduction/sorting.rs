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

/// A value sorted: f64 (NaN largest) or an exact i64 (int64 beyond 2^53).
trait SortKey: Copy + Default {
    /// Orders `a` before `b` when `a` is larger.
    fn descending(a: Self, b: Self) -> Ordering;
}

impl SortKey for f64 {
    fn descending(a: f64, b: f64) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
        }
    }
}

impl SortKey for i64 {
    fn descending(a: i64, b: i64) -> Ordering {
        b.cmp(&a)
    }
}

fn descending<T: SortKey>(a: T, b: T) -> Ordering {
    T::descending(a, b)
}

/// Each row along the middle axis of `x` (`outer × size × inner`, C
/// order) put in the order `order_of` gives its positions: the values and
/// their positions, `keep` per row.
fn reorder_rows<T: SortKey>(
    x: &[T],
    (outer, size, inner): (usize, usize, usize),
    keep: usize,
    order_of: impl Fn(&[T]) -> Vec<usize>,
) -> Vec<(T, i64)> {
    let mut out = vec![(T::default(), 0); outer * keep * inner];
    let mut row = vec![T::default(); size];
    for o in 0..outer {
        for i in 0..inner {
            for (j, r) in row.iter_mut().enumerate() {
                *r = x[(o * size + j) * inner + i];
            }
            for (j, &p) in order_of(&row).iter().enumerate().take(keep) {
                out[(o * keep + j) * inner + i] = (row[p], p as i64);
            }
        }
    }
    out
}

/// How a row is reordered.
#[derive(Clone, Copy)]
enum Arrange {
    /// Every element, stably sorted.
    Sort { descending: bool },
    /// The `k` largest (or smallest), in result order.
    Top { k: usize, largest: bool },
}

impl Arrange {
    fn keep(self, size: usize) -> usize {
        match self {
            Arrange::Sort { .. } => size,
            Arrange::Top { k, .. } => k,
        }
    }

    fn order<T: SortKey>(self, row: &[T]) -> Vec<usize> {
        match self {
            Arrange::Sort { descending } => stable_order(row, descending),
            Arrange::Top { k, largest } => select(row, k, largest),
        }
    }
}

/// Rows of `t` reordered (see [`reorder_rows`]) as the values (`t`'s
/// dtype, int64 exact) and int64 positions.
fn reordered_outputs(
    ctx: &KernelCtx<'_>,
    t: &crate::tensor::Tensor,
    dims: (usize, usize, usize),
    out_shape: &[i64],
    arrange: Arrange,
) -> Result<Vec<IValue>> {
    let keep = arrange.keep(dims.1);
    let strides = contiguous_strides(out_shape);
    let (values, indices) = if t.dtype() == DType::Int64 {
        let picked = if ctx.has_data() {
            let x = t.read_i64(ctx.op)?;
            reorder_rows(&x, dims, keep, |r| arrange.order(r))
        } else {
            Vec::new()
        };
        let indices: Vec<i64> = picked.iter().map(|p| p.1).collect();
        let values = ctx.output_i64(out_shape, &strides, t.dtype(), || {
            Ok(picked.iter().map(|p| p.0).collect())
        })?;
        (values, indices)
    } else {
        let picked = if ctx.has_data() {
            let x = t.read_f64(ctx.op)?;
            reorder_rows(&x, dims, keep, |r| arrange.order(r))
        } else {
            Vec::new()
        };
        let indices: Vec<i64> = picked.iter().map(|p| p.1).collect();
        let values = ctx.output(out_shape, &strides, t.dtype(), || {
            Ok(picked.iter().map(|p| p.0).collect())
        })?;
        (values, indices)
    };
    let indices = ctx.output_i64(out_shape, &strides, DType::Int64, || Ok(indices))?;
    Ok(vec![values.into(), indices.into()])
}

/// The positions of the `k` selected elements of one row, in result order.
fn select<T: SortKey>(row: &[T], k: usize, largest: bool) -> Vec<usize> {
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
    let dims = (outer as usize, size as usize, inner as usize);
    let arrange = Arrange::Top {
        k: k as usize,
        largest,
    };
    reordered_outputs(ctx, t, dims, &out_shape, arrange)
}

/// The positions of one row in sorted order, equal values (`-0.0` and
/// `0.0` included) kept in position order; NaN is larger than every number.
fn stable_order<T: SortKey>(row: &[T], descending_order: bool) -> Vec<usize> {
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
    let arrange = Arrange::Sort {
        descending: descending_order,
    };
    reordered_outputs(ctx, t, (outer, size, inner), &shape, arrange)
}

#[cfg(test)]
mod tests {
    use super::{select, stable_order};

    #[test]
    fn int64_beyond_two_to_the_53_sorts_exactly() {
        // As doubles the first three tie and would keep their positions.
        let row: [i64; 4] = [(1 << 60) + 1, 1 << 60, (1 << 60) - 1, -3];
        assert_eq!(stable_order(&row, false), vec![3, 2, 1, 0]);
        assert_eq!(select(&row, 2, true), vec![0, 1]);
    }

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
