//! Selection along a dimension: `topk`, `sort`.
//!
//! Observed in torch 2.15 on CPU: `topk`'s results are contiguous, `sort`'s
//! keep the input's strides when it is non-overlapping and dense (dense in
//! its dim order otherwise); NaN counts as larger than every number (it comes first
//! with `largest=True`, last with `largest=False`); a 0-dim input is a
//! one-element row. Which of several equal values a result names, and the
//! order `topk(sorted=False)` leaves, are what PyTorch's CPU kernels leave
//! with libstdc++'s algorithms ([`stdalgo`]): `topk` runs
//! `std::partial_sort` of the first `k` when `64 k <= n`, otherwise
//! `std::nth_element` at `k - 1` followed, when sorted, by `std::sort` of the
//! first `k - 1`; `sort` runs `std::sort` (`std::stable_sort` when
//! `stable=True`), all with a comparator on values only.

pub(crate) mod stdalgo;

use std::cmp::Ordering;

use super::dims::wrap;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::factory::like_strides;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// A value sorted: f64 (NaN largest) or an exact i64 (int64 beyond 2^53).
trait SortKey: Copy + Default + PartialOrd {
    fn is_nan(self) -> bool;
}

impl SortKey for f64 {
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

impl SortKey for i64 {
    fn is_nan(self) -> bool {
        false
    }
}

/// PyTorch's descending comparator: `a` before `b` when it is larger, NaN
/// before every number.
fn larger_first<T: SortKey>(a: T, b: T) -> bool {
    (a.is_nan() && !b.is_nan()) || a > b
}

/// PyTorch's ascending comparator: `a` before `b` when it is smaller, every
/// number before NaN.
fn smaller_first<T: SortKey>(a: T, b: T) -> bool {
    (!a.is_nan() && b.is_nan()) || a < b
}

/// The comparator of a direction, on (value, position) pairs.
fn comparator<T: SortKey>(descending: bool) -> impl Fn(&(T, usize), &(T, usize)) -> bool {
    move |x, y| {
        if descending {
            larger_first(x.0, y.0)
        } else {
            smaller_first(x.0, y.0)
        }
    }
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
    /// Every element sorted, stably or as `std::sort` leaves equal values.
    Sort { descending: bool, stable: bool },
    /// The `k` largest (or smallest), in result order.
    Top {
        k: usize,
        largest: bool,
        sorted: bool,
    },
    /// Fault `topk_position_order`: the first `keep` of the stable order.
    PositionOrder { keep: usize, descending: bool },
}

impl Arrange {
    fn keep(self, size: usize) -> usize {
        match self {
            Arrange::Sort { .. } => size,
            Arrange::Top { k, .. } => k,
            Arrange::PositionOrder { keep, .. } => keep,
        }
    }

    fn order<T: SortKey>(self, row: &[T]) -> Vec<usize> {
        match self {
            Arrange::Sort {
                descending,
                stable: true,
            } => stable_order(row, descending),
            Arrange::Sort {
                descending,
                stable: false,
            } => std_sort_order(row, descending),
            Arrange::Top { k, largest, sorted } => select(row, k, largest, sorted),
            Arrange::PositionOrder { descending, .. } => stable_order(row, descending),
        }
    }
}

/// Rows of `t` reordered (see [`reorder_rows`]) as the values (`t`'s
/// dtype, int64 exact) and int64 positions.
fn reordered_outputs(
    ctx: &KernelCtx<'_>,
    t: &crate::tensor::Tensor,
    dims: (usize, usize, usize),
    (out_shape, strides): (&[i64], &[i64]),
    arrange: Arrange,
) -> Result<Vec<IValue>> {
    let keep = arrange.keep(dims.1);
    let (values, indices) = if t.dtype() == DType::Int64 {
        let picked = if ctx.has_data() {
            let x = t.read_i64(ctx.op)?;
            reorder_rows(&x, dims, keep, |r| arrange.order(r))
        } else {
            Vec::new()
        };
        let indices: Vec<i64> = picked.iter().map(|p| p.1).collect();
        let values = ctx.output_i64(out_shape, strides, t.dtype(), || {
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
        let values = ctx.output(out_shape, strides, t.dtype(), || {
            Ok(picked.iter().map(|p| p.0).collect())
        })?;
        (values, indices)
    };
    let indices = ctx.output_i64(out_shape, strides, DType::Int64, || Ok(indices))?;
    Ok(vec![values.into(), indices.into()])
}

/// The positions of the `k` selected elements of one row, in result order:
/// PyTorch's `topk_impl_loop`.
fn select<T: SortKey>(row: &[T], k: usize, largest: bool, sorted: bool) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    let mut queue: Vec<(T, usize)> = row.iter().copied().zip(0..).collect();
    let lt = comparator(largest);
    if k * 64 <= row.len() {
        stdalgo::partial_sort(&mut queue, k, &lt);
    } else {
        stdalgo::nth_element(&mut queue, k - 1, &lt);
        if sorted {
            stdalgo::sort(&mut queue[..k - 1], &lt);
        }
    }
    queue.iter().take(k).map(|p| p.1).collect()
}

/// The positions of one row in the order libstdc++'s `std::sort` leaves
/// them under PyTorch's comparator.
fn std_sort_order<T: SortKey>(row: &[T], descending_order: bool) -> Vec<usize> {
    let mut queue: Vec<(T, usize)> = row.iter().copied().zip(0..).collect();
    stdalgo::sort(&mut queue, &comparator(descending_order));
    queue.iter().map(|p| p.1).collect()
}

/// The positions of `row` in the order `sort(row, stable=True,
/// descending=True)` leaves them: NaN first, ties in position order. The
/// order a kernel sorting internally (torchvision's `nms`) sees.
pub(crate) fn descending_stable_order(row: &[f64]) -> Vec<usize> {
    stable_order(row, true)
}

/// `topk(self, k, dim=-1, largest=True, sorted=True) -> (values, indices)`.
pub(crate) fn topk(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let k = a.int(1)?;
    let largest = a.bool(3)?;
    let sorted = a.bool(4)?;
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
    let arrange = if ctx.faults.topk_position_order {
        Arrange::PositionOrder {
            keep: k as usize,
            descending: largest,
        }
    } else {
        Arrange::Top {
            k: k as usize,
            largest,
            sorted,
        }
    };
    let strides = contiguous_strides(&out_shape);
    reordered_outputs(ctx, t, dims, (&out_shape, &strides), arrange)
}

/// The positions of one row in sorted order, equal values (`-0.0` and
/// `0.0` included) kept in position order; NaN is larger than every number.
fn stable_order<T: SortKey>(row: &[T], descending_order: bool) -> Vec<usize> {
    let lt = comparator(descending_order);
    let mut order: Vec<usize> = (0..row.len()).collect();
    order.sort_by(|&a, &b| {
        if lt(&(row[a], a), &(row[b], b)) {
            Ordering::Less
        } else if lt(&(row[b], b), &(row[a], a)) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    });
    order
}

/// `sort(self, dim=-1, descending=False)` and `sort.stable(self, *, stable,
/// dim=-1, descending=False) -> (values, indices)`: every row along `dim`
/// sorted (NaN largest), with the positions the values came from. Equal
/// values keep their order with `stable=True`; otherwise they end where
/// `std::sort` leaves them (position order for rows of up to 16 elements).
/// A 1-d integer input of at least 32768 elements takes PyTorch's radix
/// sort, which is stable.
pub(crate) fn sort(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let (dim, descending_order, stable) = if ctx.op == "aten.sort.stable" {
        let stable = matches!(a.values.get(1), Some(IValue::Bool(true)));
        (a.int(2)?, a.bool(3)?, stable)
    } else {
        (a.int(1)?, a.bool(2)?, false)
    };
    let shape = t.shape().to_vec();
    let radix = shape.len() == 1 && shape[0] >= 32768 && t.dtype().is_integral(false);
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
        stable: stable || radix || ctx.faults.topk_position_order,
    };
    // PyTorch's sort meta: self's strides when non-overlapping and dense,
    // otherwise dense strides in self's dim order.
    let strides = like_strides(ctx, t, None)?;
    reordered_outputs(ctx, t, (outer, size, inner), (&shape, &strides), arrange)
}

#[cfg(test)]
mod tests {
    use super::{select, stable_order, std_sort_order};

    #[test]
    fn int64_beyond_two_to_the_53_sorts_exactly() {
        // As doubles the first three tie and would keep their positions.
        let row: [i64; 4] = [(1 << 60) + 1, 1 << 60, (1 << 60) - 1, -3];
        assert_eq!(stable_order(&row, false), vec![3, 2, 1, 0]);
        assert_eq!(select(&row, 2, true, true), vec![0, 1]);
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
        // torch 2.15: topk(row, 4) and largest=False, sorted and not.
        assert_eq!(select(&row, 4, true, true), vec![2, 1, 3, 4]);
        assert_eq!(select(&row, 4, false, true), vec![5, 0, 4, 3]);
        assert_eq!(select(&row, 4, true, false), vec![1, 3, 2, 4]);
        assert_eq!(select(&row, 4, false, false), vec![5, 0, 4, 3]);
    }

    #[test]
    fn topk_order_is_what_libstdcxx_leaves() {
        // torch 2.15: nth_element, then std::sort of the first k - 1 when sorted.
        let row = [3.0, 1.0, 7.0, 0.0, 6.0, 6.0, 9.0, 0.0, 7.0];
        assert_eq!(select(&row, 4, true, false), vec![8, 6, 2, 4]);
        assert_eq!(select(&row, 4, true, true), vec![6, 8, 2, 4]);
        let nan = f64::NAN;
        let row = [0.5, nan, 0.5, -1.0, 2.0, 0.5, nan, 0.5];
        assert_eq!(select(&row, 5, false, true), vec![3, 5, 0, 2, 7]);
        assert_eq!(select(&row, 5, false, false), vec![5, 0, 3, 2, 7]);
        // 64 k <= n: partial_sort, whose heap reorders equal values.
        let row: Vec<f64> = (0..200).map(|i| f64::from(i % 3)).collect();
        assert_eq!(select(&row, 3, true, true), vec![8, 5, 2]);
        assert_eq!(select(&row, 2, false, false), vec![3, 0]);
    }

    #[test]
    fn unstable_sort_orders_ties_as_std_sort() {
        // torch 2.15: torch.sort of 20 values with ties, ascending.
        let row: Vec<f64> = (0..20).map(|i| [1.0, 0.0, 2.0][i % 3]).collect();
        assert_eq!(
            std_sort_order(&row, false),
            vec![
                10, 19, 16, 13, 7, 4, 1, 6, 9, 0, 12, 3, 15, 18, 5, 8, 11, 14, 2, 17
            ]
        );
    }
}
