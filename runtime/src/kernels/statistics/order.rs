//! Order statistics: `kthvalue`, `median`/`nanmedian` (all-reduce and
//! `.dim`), `mode`, `cummax`/`cummin`.
//!
//! Which position a result names among equal values is part of the
//! result (the backward scatters into it), so each kernel repeats the
//! algorithm of PyTorch's CPU kernel (torch 2.15), checked against torch on
//! thousands of rows with ties and NaN:
//!
//! * `kthvalue`: PyTorch's `quick_select_template` (median-of-three
//!   quickselect over values and positions, NaN larger than every number),
//!   the k-th slot afterwards.
//! * `median.dim`: a row with NaN gives its first NaN; otherwise the element
//!   at sorted position `(n - 1) / 2` with equal values ordered by position
//!   (the lower median). `nanmedian.dim` skips NaN: position `(m - 1) / 2`
//!   of the `m` numbers; an all-NaN row gives NaN at the position
//!   libstdc++'s `nth_element` leaves first.
//! * `median()` / `nanmedian()`: the same value over all elements.
//! * `mode`: `std::sort` of (value, position) pairs by value (libstdc++'s
//!   introsort, whose order among equal values the index depends on), then
//!   the last pair of the first longest run. Rows with NaN are not
//!   reproduced (their order under `<` is unspecified).
//! * `cummax`/`cummin`: a running extremum that moves to every later equal
//!   value (`>=` / `<=`) and to every NaN, and stays on NaN.

use super::not_implemented;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::reduction::dims::{Reduction, wrap};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// PyTorch's `gt_or_nan(x, y)`: `x > y`, NaN above every number.
fn gt_or_nan(x: f64, y: f64) -> bool {
    (x.is_nan() && !y.is_nan()) || x > y
}

/// PyTorch's `quick_select_template(arr, k, gt_or_nan, swap)` on a row and
/// its positions; afterwards slot `k` holds the k-th smallest.
fn quick_select(vals: &mut [f64], idx: &mut [i64], k: usize) {
    if vals.is_empty() {
        return;
    }
    let swap = |v: &mut [f64], ix: &mut [i64], i: usize, j: usize| {
        v.swap(i, j);
        ix.swap(i, j);
    };
    let (mut l, mut r) = (0usize, vals.len() - 1);
    loop {
        if r <= l {
            return;
        }
        if r == l + 1 {
            if gt_or_nan(vals[l], vals[r]) {
                swap(vals, idx, l, r);
            }
            return;
        }
        let p = l + (r - l) / 2;
        swap(vals, idx, p, l + 1);
        if gt_or_nan(vals[l + 1], vals[r]) {
            swap(vals, idx, l + 1, r);
        }
        if gt_or_nan(vals[l], vals[r]) {
            swap(vals, idx, l, r);
        }
        if gt_or_nan(vals[l + 1], vals[l]) {
            swap(vals, idx, l + 1, l);
        }
        let (mut i, mut j) = (l + 1, r);
        let piv = vals[l];
        loop {
            i += 1;
            while gt_or_nan(piv, vals[i]) {
                i += 1;
            }
            j -= 1;
            while gt_or_nan(vals[j], piv) {
                j -= 1;
            }
            if j < i {
                break;
            }
            swap(vals, idx, i, j);
        }
        swap(vals, idx, l, j);
        if j <= k {
            l = i;
        }
        if j >= k {
            r = j - 1;
        }
    }
}

/// The k-th smallest (0-based `k`) of a row and its position.
fn kth(row: &[f64], k: usize) -> (f64, i64) {
    let mut vals = row.to_vec();
    let mut idx: Vec<i64> = (0..row.len() as i64).collect();
    quick_select(&mut vals, &mut idx, k);
    (vals[k], idx[k])
}

/// The (lower) median of a row and its position; `skip_nan` for nanmedian.
fn row_median(row: &[f64], skip_nan: bool, upper: bool) -> (f64, i64) {
    if !skip_nan && let Some(p) = row.iter().position(|v| v.is_nan()) {
        return (row[p], p as i64);
    }
    let mut order: Vec<usize> = (0..row.len()).filter(|&i| !row[i].is_nan()).collect();
    if order.is_empty() {
        return (f64::NAN, all_nan_position(row.len()));
    }
    // `-0.0` and `0.0` are equal to C++'s `<`: ordered by position.
    order.sort_by(|&i, &j| {
        row[i]
            .partial_cmp(&row[j])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(i.cmp(&j))
    });
    let mut at = (order.len() - 1) / 2;
    if upper && order.len().is_multiple_of(2) {
        at += 1;
    }
    let p = order[at];
    (row[p], p as i64)
}

/// Where libstdc++'s `std::nth_element(first, first, last, comp)` leaves
/// PyTorch's nanmedian row of `n` NaN, all equivalent under its comparator:
/// each introselect round swaps the middle to the front, then partitions by
/// swapping pairs from both ends until they cross, and keeps the front part
/// while it is longer than 3 (the final insertion sort moves nothing).
/// torch 2.15: n = 1..11 → 0, 0, 0, 2, 2, 3, 5, 6, 7, 8, 8 (checked to 199).
fn all_nan_position(n: usize) -> i64 {
    let mut idx: Vec<i64> = (0..n as i64).collect();
    let mut last = n;
    while last > 3 {
        idx.swap(0, last / 2);
        let (mut i, mut j) = (1, last);
        loop {
            j -= 1;
            if i >= j {
                break;
            }
            idx.swap(i, j);
            i += 1;
        }
        last = i;
    }
    idx.first().copied().unwrap_or(0)
}

/// libstdc++'s `std::sort` of `(value, position)` pairs by value, with
/// its introsort (threshold 16, median-of-three pivot, unguarded
/// partition) and final insertion sort, so that equal values end in the
/// same order as PyTorch's. The heap-sort fallback of a too deep recursion
/// is replaced by a stable sort (never reached by the rows replayed so far).
fn std_sort(a: &mut [(f64, i64)]) {
    fn lt(x: &(f64, i64), y: &(f64, i64)) -> bool {
        x.0 < y.0
    }
    fn move_median_to_first(a: &mut [(f64, i64)], res: usize, x: usize, y: usize, z: usize) {
        let pick = if lt(&a[x], &a[y]) {
            if lt(&a[y], &a[z]) {
                y
            } else if lt(&a[x], &a[z]) {
                z
            } else {
                x
            }
        } else if lt(&a[x], &a[z]) {
            x
        } else if lt(&a[y], &a[z]) {
            z
        } else {
            y
        };
        a.swap(res, pick);
    }
    fn unguarded_partition(a: &mut [(f64, i64)], mut f: usize, mut l: usize, p: usize) -> usize {
        loop {
            while lt(&a[f], &a[p]) {
                f += 1;
            }
            l -= 1;
            while lt(&a[p], &a[l]) {
                l -= 1;
            }
            if f >= l {
                return f;
            }
            a.swap(f, l);
            f += 1;
        }
    }
    fn introsort_loop(a: &mut [(f64, i64)], f: usize, mut l: usize, mut depth: u32) {
        while l - f > 16 {
            if depth == 0 {
                a[f..l].sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(std::cmp::Ordering::Equal));
                return;
            }
            depth -= 1;
            let mid = f + (l - f) / 2;
            move_median_to_first(a, f, f + 1, mid, l - 1);
            let cut = unguarded_partition(a, f + 1, l, f);
            introsort_loop(a, cut, l, depth);
            l = cut;
        }
    }
    fn linear_insert(a: &mut [(f64, i64)], i: usize) {
        let val = a[i];
        let mut j = i;
        while lt(&val, &a[j - 1]) {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = val;
    }
    fn insertion_sort(a: &mut [(f64, i64)], f: usize, l: usize) {
        for i in f + 1..l {
            if lt(&a[i], &a[f]) {
                let val = a[i];
                a.copy_within(f..i, f + 1);
                a[f] = val;
            } else {
                linear_insert(a, i);
            }
        }
    }
    let n = a.len();
    if n == 0 {
        return;
    }
    introsort_loop(a, 0, n, 2 * (usize::BITS - 1 - n.leading_zeros()));
    if n > 16 {
        insertion_sort(a, 0, 16);
        for i in 16..n {
            linear_insert(a, i);
        }
    } else {
        insertion_sort(a, 0, n);
    }
}

/// The most frequent value of a row (the smallest among equally frequent
/// ones) and PyTorch's position for it.
fn row_mode(row: &[f64]) -> (f64, i64) {
    let mut pairs: Vec<(f64, i64)> = row.iter().copied().zip(0..).collect();
    std_sort(&mut pairs);
    let (mut best, mut run, mut result) = (0usize, 0usize, (0.0, 0));
    for i in 0..pairs.len() {
        run += 1;
        if i + 1 == pairs.len() || pairs[i].0 != pairs[i + 1].0 {
            if run > best {
                result = pairs[i];
                best = run;
            }
            run = 0;
        }
    }
    result
}

/// A per-row selection along `dim` with a values and an indices result.
fn select_along(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    dim: i64,
    keepdim: bool,
    name: &str,
    pick: impl Fn(&[f64]) -> (f64, i64),
) -> Result<Vec<IValue>> {
    let r = Reduction::single(ctx.op, t.shape(), dim, keepdim)?;
    if t.dim() > 0 && r.group_size() == 0 {
        let d = wrap(ctx.op, dim, t.dim())?;
        return Err(RuntimeError::index(
            ctx.op,
            format!("{name}(): Expected reduction dim {d} to have non-zero size."),
        ));
    }
    let strides = r.out_strides();
    let picked: Vec<(f64, i64)> = if ctx.has_data() {
        r.groups(&t.read_f64(ctx.op)?)
            .iter()
            .map(|g| pick(g))
            .collect()
    } else {
        Vec::new()
    };
    let values = ctx.output(&r.out_shape, &strides, t.dtype(), || {
        Ok(picked.iter().map(|p| p.0).collect())
    })?;
    let indices = ctx.output_i64(&r.out_shape, &strides, DType::Int64, || {
        Ok(picked.iter().map(|p| p.1).collect())
    })?;
    Ok(vec![values.into(), indices.into()])
}

/// Refuses bool and complex inputs as the CPU kernels do.
fn check_sortable(ctx: &KernelCtx<'_>, t: &Tensor, kernel: &str) -> Result<()> {
    if t.dtype() == DType::Bool || t.dtype().is_complex() {
        return Err(not_implemented(ctx, kernel, t.dtype()));
    }
    Ok(())
}

/// `kthvalue(self, k, dim=-1, keepdim=False) -> (values, indices)`.
pub(crate) fn kthvalue(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_sortable(ctx, t, "kthvalue_cpu")?;
    let (k, dim) = (a.int(1)?, a.int(2)?);
    let d = wrap(ctx.op, dim, t.dim())?;
    let size = t.shape().get(d).copied().unwrap_or(1);
    if size > 0 && (k < 1 || k > size) {
        return Err(RuntimeError::index(
            ctx.op,
            format!("kthvalue(): selected number k out of range for dimension {d}"),
        ));
    }
    let k = (k.max(1) - 1) as usize;
    select_along(ctx, t, dim, a.bool(3)?, "kthvalue", |row| kth(row, k))
}

/// The all-element median (`nanmedian` with `skip_nan`).
fn median_all(ctx: &KernelCtx<'_>, a: &Args<'_>, skip_nan: bool) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_sortable(ctx, t, "median_cpu")?;
    let upper = ctx.faults.median_upper_of_two;
    let out = ctx.output(&[], &[], t.dtype(), || {
        let values = t.read_f64(ctx.op)?;
        if values.is_empty() {
            return Ok(vec![f64::NAN]);
        }
        Ok(vec![row_median(&values, skip_nan, upper).0])
    })?;
    Ok(vec![out.into()])
}

/// `median(self)`.
pub(crate) fn median(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    median_all(ctx, &a, false)
}

/// `nanmedian(self)`.
pub(crate) fn nanmedian(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    median_all(ctx, &a, true)
}

fn median_along(ctx: &KernelCtx<'_>, a: &Args<'_>, skip_nan: bool) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_sortable(ctx, t, "median_out")?;
    let upper = ctx.faults.median_upper_of_two;
    let name = if skip_nan { "nanmedian" } else { "median" };
    select_along(ctx, t, a.int(1)?, a.bool(2)?, name, |row| {
        row_median(row, skip_nan, upper)
    })
}

/// `median.dim(self, dim, keepdim=False) -> (values, indices)`.
pub(crate) fn median_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    median_along(ctx, &a, false)
}

/// `nanmedian.dim(self, dim, keepdim=False) -> (values, indices)`.
pub(crate) fn nanmedian_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    median_along(ctx, &a, true)
}

/// `mode(self, dim=-1, keepdim=False) -> (values, indices)`.
pub(crate) fn mode(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.dtype().is_complex() {
        return Err(not_implemented(ctx, "mode_cpu", t.dtype()));
    }
    select_along(ctx, t, a.int(1)?, a.bool(2)?, "mode", row_mode)
}

/// The running extremum along `dim`: `cummax` (`max`) or `cummin`.
fn cumulative_extremum(ctx: &KernelCtx<'_>, a: &Args<'_>, max: bool) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.dtype().is_complex() {
        let name = if max { "cummax_cpu" } else { "cummin_cpu" };
        return Err(not_implemented(ctx, name, t.dtype()));
    }
    let shape = t.shape().to_vec();
    let d = wrap(ctx.op, a.int(1)?, shape.len())?;
    let strides = contiguous_strides(&shape);
    let mut scanned: Vec<(f64, i64)> = Vec::new();
    if ctx.has_data() {
        let x = t.read_f64(ctx.op)?;
        let size = shape.get(d).copied().unwrap_or(1).max(0) as usize;
        let inner: usize = shape
            .iter()
            .skip(d + 1)
            .map(|&s| s.max(0) as usize)
            .product();
        let outer = x.len() / (size * inner).max(1);
        scanned = vec![(0.0, 0); x.len()];
        let takes = |cur: f64, best: f64| {
            cur.is_nan() || (!best.is_nan() && if max { cur >= best } else { cur <= best })
        };
        for o in 0..outer {
            for i in 0..inner {
                let first = o * size * inner + i;
                let mut best = (x.get(first).copied().unwrap_or(0.0), 0i64);
                for k in 0..size {
                    let at = (o * size + k) * inner + i;
                    if takes(x[at], best.0) {
                        best = (x[at], k as i64);
                    }
                    scanned[at] = best;
                }
            }
        }
    }
    let values = ctx.output(&shape, &strides, t.dtype(), || {
        Ok(scanned.iter().map(|p| p.0).collect())
    })?;
    let indices = ctx.output_i64(&shape, &strides, DType::Int64, || {
        Ok(scanned.iter().map(|p| p.1).collect())
    })?;
    Ok(vec![values.into(), indices.into()])
}

/// `cummax(self, dim) -> (values, indices)`.
pub(crate) fn cummax(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    cumulative_extremum(ctx, &a, true)
}

/// `cummin(self, dim) -> (values, indices)`.
pub(crate) fn cummin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    cumulative_extremum(ctx, &a, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kthvalue_ties_follow_quickselect() {
        // torch 2.15: kthvalue([1, 1, 0, 1, 1], 3) → (1., 0) and
        // kthvalue(..., 2) → (1., 3): the quickselect's swaps decide.
        let row = [1.0, 1.0, 0.0, 1.0, 1.0];
        assert_eq!(kth(&row, 2), (1.0, 0));
        assert_eq!(kth(&row, 1), (1.0, 3));
        // NaN is larger than every number.
        let row = [f64::NAN, 2.0, 1.0];
        assert_eq!(kth(&row, 1), (2.0, 1));
        assert!(kth(&row, 2).0.is_nan());
    }

    #[test]
    fn median_is_the_lower_middle_with_ties_by_position() {
        // torch 2.15: median([3, 1, 2, 1]) → 1 at position 3 (sorted by
        // value then position: 1@1, 1@3, 2@2, 3@0; slot (4 - 1) / 2 = 1).
        assert_eq!(row_median(&[3.0, 1.0, 2.0, 1.0], false, false), (1.0, 3));
        // median([2, 2, 2]) → position 1.
        assert_eq!(row_median(&[2.0, 2.0, 2.0], false, false), (2.0, 1));
        // A NaN row gives its first NaN; nanmedian skips NaN.
        let row = [1.0, f64::NAN, 5.0, f64::NAN, 3.0];
        let (v, i) = row_median(&row, false, false);
        assert!(v.is_nan() && i == 1);
        assert_eq!(row_median(&row, true, false), (3.0, 4));
        let (v, i) = row_median(&[f64::NAN; 4], true, false);
        assert!(v.is_nan() && i == 2);
        let positions: Vec<i64> = (1..12).map(all_nan_position).collect();
        assert_eq!(positions, vec![0, 0, 0, 2, 2, 3, 5, 6, 7, 8, 8]);
    }

    #[test]
    fn mode_takes_the_last_of_the_run_in_std_sort_order() {
        // mode([2, 1, 2, 1]) → 1 at position 3 (equal counts: smaller value).
        assert_eq!(row_mode(&[2.0, 1.0, 2.0, 1.0]), (1.0, 3));
        // torch 2.15 on a 20-element row: introsort moves ties around, the
        // index is 2 (not 16, the last 1; 1 and 3 both occur six times).
        let row = [
            3.0, 1.0, 1.0, 0.0, 3.0, 1.0, 2.0, 3.0, 0.0, 1.0, 3.0, 2.0, 2.0, 1.0, 0.0, 3.0, 1.0,
            3.0, 2.0, 0.0,
        ];
        assert_eq!(row_mode(&row), (1.0, 2));
    }
}
