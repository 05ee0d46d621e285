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
//! * `median()` / `nanmedian()`: the same middle over all elements, chosen
//!   by libstdc++'s `nth_element` on the values alone, so the sign of a
//!   zero middle is the one that introselect leaves.
//! * `mode`: `std::sort` of (value, position) pairs by value (libstdc++'s
//!   introsort, whose order among equal values the index depends on), then
//!   the last pair of the first longest run. Rows with NaN are not
//!   reproduced (their order under `<` is unspecified).
//! * `cummax`/`cummin`: a running extremum that moves to every later equal
//!   value (`>=` / `<=`) and to every NaN, and stays on NaN.
//!
//! Every kernel compares int64 rows as i64 ([`Ordered`]): values one apart
//! beyond 2^53 are distinct, as in PyTorch's integer kernels.

use super::not_implemented;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::reduction::dims::{Reduction, wrap};
use crate::kernels::reduction::sorting::stdalgo::nth_element;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// An element the order statistics compare: f64 (with NaN) or an exact
/// i64 (an int64 tensor's elements).
trait Ordered: Copy + PartialOrd + Default {
    fn is_nan(self) -> bool;
    /// The value of a row with no number (nanmedian of all NaN).
    fn nan() -> Self;
}

impl Ordered for f64 {
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn nan() -> Self {
        f64::NAN
    }
}

impl Ordered for i64 {
    fn is_nan(self) -> bool {
        false
    }
    fn nan() -> Self {
        0
    }
}

/// PyTorch's `gt_or_nan(x, y)`: `x > y`, NaN above every number.
fn gt_or_nan<T: Ordered>(x: T, y: T) -> bool {
    (x.is_nan() && !y.is_nan()) || x > y
}

/// PyTorch's `quick_select_template(arr, k, gt_or_nan, swap)` on a row and
/// its positions; afterwards slot `k` holds the k-th smallest.
fn quick_select<T: Ordered>(vals: &mut [T], idx: &mut [i64], k: usize) {
    if vals.is_empty() {
        return;
    }
    let swap = |v: &mut [T], ix: &mut [i64], i: usize, j: usize| {
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
fn kth<T: Ordered>(row: &[T], k: usize) -> (T, i64) {
    let mut vals = row.to_vec();
    let mut idx: Vec<i64> = (0..row.len() as i64).collect();
    quick_select(&mut vals, &mut idx, k);
    (vals[k], idx[k])
}

/// The (lower) median of a row and its position; `skip_nan` for nanmedian.
fn row_median<T: Ordered>(row: &[T], skip_nan: bool, upper: bool) -> (T, i64) {
    if !skip_nan && let Some(p) = row.iter().position(|v| v.is_nan()) {
        return (row[p], p as i64);
    }
    let mut order: Vec<usize> = (0..row.len()).filter(|&i| !row[i].is_nan()).collect();
    if order.is_empty() {
        return (T::nan(), all_nan_position(row.len()));
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
fn std_sort<T: Ordered>(a: &mut [(T, i64)]) {
    fn lt<T: Ordered>(x: &(T, i64), y: &(T, i64)) -> bool {
        x.0 < y.0
    }
    fn move_median_to_first<T: Ordered>(
        a: &mut [(T, i64)],
        res: usize,
        x: usize,
        y: usize,
        z: usize,
    ) {
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
    fn unguarded_partition<T: Ordered>(
        a: &mut [(T, i64)],
        mut f: usize,
        mut l: usize,
        p: usize,
    ) -> usize {
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
    fn introsort_loop<T: Ordered>(a: &mut [(T, i64)], f: usize, mut l: usize, mut depth: u32) {
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
    fn linear_insert<T: Ordered>(a: &mut [(T, i64)], i: usize) {
        let val = a[i];
        let mut j = i;
        while lt(&val, &a[j - 1]) {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = val;
    }
    fn insertion_sort<T: Ordered>(a: &mut [(T, i64)], f: usize, l: usize) {
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
fn row_mode<T: Ordered>(row: &[T]) -> (T, i64) {
    let mut pairs: Vec<(T, i64)> = row.iter().copied().zip(0..).collect();
    std_sort(&mut pairs);
    let (mut best, mut run, mut result) = (0usize, 0usize, (T::default(), 0));
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

/// What a per-row selection picks from a row: a value and its position.
trait Pick {
    fn pick<T: Ordered>(&self, row: &[T]) -> (T, i64);
}

/// `kthvalue`'s pick (0-based `k`).
struct Kth(usize);

impl Pick for Kth {
    fn pick<T: Ordered>(&self, row: &[T]) -> (T, i64) {
        kth(row, self.0)
    }
}

/// `median`'s and `nanmedian`'s pick.
struct Median {
    skip_nan: bool,
    upper: bool,
}

impl Pick for Median {
    fn pick<T: Ordered>(&self, row: &[T]) -> (T, i64) {
        row_median(row, self.skip_nan, self.upper)
    }
}

/// `mode`'s pick.
struct Mode;

impl Pick for Mode {
    fn pick<T: Ordered>(&self, row: &[T]) -> (T, i64) {
        row_mode(row)
    }
}

/// The picks of every group: exact i64 for int64, f64 otherwise.
enum Picked {
    Float(Vec<(f64, i64)>),
    Int(Vec<(i64, i64)>),
}

impl Picked {
    fn of(ctx: &KernelCtx<'_>, t: &Tensor, r: &Reduction, pick: &impl Pick) -> Result<Picked> {
        if !ctx.has_data() {
            return Ok(Picked::Float(Vec::new()));
        }
        Ok(if t.dtype() == DType::Int64 {
            Picked::Int(
                r.groups(&t.read_i64(ctx.op)?)
                    .iter()
                    .map(|g| pick.pick(g))
                    .collect(),
            )
        } else {
            Picked::Float(
                r.groups(&t.read_f64(ctx.op)?)
                    .iter()
                    .map(|g| pick.pick(g))
                    .collect(),
            )
        })
    }

    fn values(
        &self,
        ctx: &KernelCtx<'_>,
        shape: &[i64],
        strides: &[i64],
        dtype: DType,
    ) -> Result<Tensor> {
        match self {
            Picked::Int(p) => ctx.output_i64(shape, strides, dtype, || {
                Ok(p.iter().map(|p| p.0).collect())
            }),
            Picked::Float(p) => ctx.output(shape, strides, dtype, || {
                Ok(p.iter().map(|p| p.0).collect())
            }),
        }
    }

    fn indices(&self, ctx: &KernelCtx<'_>, shape: &[i64], strides: &[i64]) -> Result<Tensor> {
        let positions: Vec<i64> = match self {
            Picked::Int(p) => p.iter().map(|p| p.1).collect(),
            Picked::Float(p) => p.iter().map(|p| p.1).collect(),
        };
        ctx.output_i64(shape, strides, DType::Int64, || Ok(positions))
    }
}

/// A per-row selection along `dim` with a values and an indices result.
fn select_along(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    dim: i64,
    keepdim: bool,
    name: &str,
    pick: impl Pick,
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
    let picked = Picked::of(ctx, t, &r, &pick)?;
    let values = picked.values(ctx, &r.out_shape, &strides, t.dtype())?;
    let indices = picked.indices(ctx, &r.out_shape, &strides)?;
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
        return Err(RuntimeError::shape(
            ctx.op,
            format!("kthvalue(): selected number k out of range for dimension {d}"),
        ));
    }
    let k = (k.max(1) - 1) as usize;
    select_along(ctx, t, dim, a.bool(3)?, "kthvalue", Kth(k))
}

/// The all-element median (`nanmedian` with `skip_nan`).
fn median_all(ctx: &KernelCtx<'_>, a: &Args<'_>, skip_nan: bool) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_sortable(ctx, t, "median_cpu")?;
    let upper = ctx.faults.median_upper_of_two;
    if t.dtype() == DType::Int64 && t.numel() > 0 {
        let out = ctx.output_i64(&[], &[], t.dtype(), || {
            Ok(vec![row_median(&t.read_i64(ctx.op)?, skip_nan, upper).0])
        })?;
        return Ok(vec![out.into()]);
    }
    let by_position = ctx.faults.median_all_by_position;
    let out = ctx.output(&[], &[], t.dtype(), || {
        let values = t.read_f64(ctx.op)?;
        if by_position && !values.is_empty() {
            return Ok(vec![row_median(&values, skip_nan, upper).0]);
        }
        Ok(vec![median_of_all(values, skip_nan, upper)])
    })?;
    Ok(vec![out.into()])
}

/// The median of all elements as PyTorch's `median_impl` leaves it: any
/// NaN gives NaN (for `median`), otherwise libstdc++'s
/// `std::nth_element` at `(m - 1) / 2` over the values alone (`<`, and
/// for `nanmedian` NaN above every number), `m` the count of numbers.
/// Which of `-0.0` and `0.0` comes out of a middle of zeros is what that
/// introselect leaves, not the first by position.
fn median_of_all(mut values: Vec<f64>, skip_nan: bool, upper: bool) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let nans = values.iter().filter(|v| v.is_nan()).count();
    if !skip_nan && nans > 0 {
        return f64::NAN;
    }
    let numbers = values.len() - nans;
    let mut nth = numbers.saturating_sub(1) / 2;
    if upper && numbers.is_multiple_of(2) && nth + 1 < numbers {
        nth += 1;
    }
    if skip_nan {
        let lt = |a: &f64, b: &f64| a < b || (b.is_nan() && !a.is_nan());
        nth_element(&mut values, nth, &lt);
    } else {
        nth_element(&mut values, nth, &|a: &f64, b: &f64| a < b);
    }
    values[nth]
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
    select_along(
        ctx,
        t,
        a.int(1)?,
        a.bool(2)?,
        name,
        Median { skip_nan, upper },
    )
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
    select_along(ctx, t, a.int(1)?, a.bool(2)?, "mode", Mode)
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
    let size = shape.get(d).copied().unwrap_or(1).max(0) as usize;
    let inner: usize = shape
        .iter()
        .skip(d + 1)
        .map(|&s| s.max(0) as usize)
        .product();
    let scanned = if !ctx.has_data() {
        Picked::Float(Vec::new())
    } else if t.dtype() == DType::Int64 {
        Picked::Int(running_extremum(&t.read_i64(ctx.op)?, size, inner, max))
    } else {
        Picked::Float(running_extremum(&t.read_f64(ctx.op)?, size, inner, max))
    };
    let values = scanned.values(ctx, &shape, &strides, t.dtype())?;
    let indices = scanned.indices(ctx, &shape, &strides)?;
    Ok(vec![values.into(), indices.into()])
}

/// The running extremum and its position of every line along a dimension
/// of `size` elements `inner` apart.
fn running_extremum<T: Ordered>(x: &[T], size: usize, inner: usize, max: bool) -> Vec<(T, i64)> {
    let outer = x.len() / (size * inner).max(1);
    let mut scanned = vec![(T::default(), 0); x.len()];
    let takes = |cur: T, best: T| {
        cur.is_nan() || (!best.is_nan() && if max { cur >= best } else { cur <= best })
    };
    for o in 0..outer {
        for i in 0..inner {
            let first = o * size * inner + i;
            let mut best = (x.get(first).copied().unwrap_or_default(), 0i64);
            for k in 0..size {
                let at = (o * size + k) * inner + i;
                if takes(x[at], best.0) {
                    best = (x[at], k as i64);
                }
                scanned[at] = best;
            }
        }
    }
    scanned
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
    fn all_element_median_keeps_the_zero_nth_element_leaves() {
        // torch 2.15: median() and nanmedian() of [3, 0, -0, -1, 0, -0, 2]
        // → -0.0 (ordered by position the middle would be the 0.0 at 4).
        let row = vec![3.0, 0.0, -0.0, -1.0, 0.0, -0.0, 2.0];
        for skip_nan in [false, true] {
            let m = median_of_all(row.clone(), skip_nan, false);
            assert!(m == 0.0 && m.is_sign_negative(), "{skip_nan}: {m}");
        }
        assert!(!row_median(&row, false, false).0.is_sign_negative());
        // With a NaN first: median() is NaN, nanmedian() → 0.0.
        let row = vec![f64::NAN, 0.0, -0.0, -1.0, 0.0, -0.0, 2.0];
        assert!(median_of_all(row.clone(), false, false).is_nan());
        let m = median_of_all(row, true, false);
        assert!(m == 0.0 && !m.is_sign_negative(), "{m}");
        // median([0, -0, 0, -0]) → -0.0.
        let m = median_of_all(vec![0.0, -0.0, 0.0, -0.0], false, false);
        assert!(m == 0.0 && m.is_sign_negative(), "{m}");
        assert!(median_of_all(Vec::new(), false, false).is_nan());
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
