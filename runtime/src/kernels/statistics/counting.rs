//! Counting kernels: `bincount`, `histc`, `_unique`, `_unique2`,
//! `unique_consecutive`, `unique_dim`, `count_nonzero` and
//! `tril_indices`/`triu_indices`.
//!
//! Observed in torch 2.15 on CPU:
//!
//! * `bincount` takes a 1-D tensor of non-negative integers (not bool);
//!   without weights the counts are int64; float32 weights accumulate in
//!   float32 and give float32 bins, every other weight dtype is converted to
//!   float64 first and gives float64 bins. An empty input gives `minlength`
//!   int64 zeros, weights or not. There are `max(max(self) + 1, minlength)`
//!   bins.
//! * `histc` is floating-only; `min == max` (the default `0, 0`) takes the
//!   data's range, an empty range widens to `[min - 1, max + 1]`. Each
//!   element in range goes to bin `trunc((x - lo) * bins / (hi - lo))`,
//!   computed in the input's dtype, the last edge belonging to the last bin.
//! * `_unique2` always sorts (`sorted=False` too); NaN sorts last and no two
//!   NaN are equal; the first of equal values (in stable sorted order) is
//!   kept (`-0.0` before `0.0` when it comes first). An output that was not
//!   asked for is an empty int64 vector. `_unique` (what
//!   `index_fill`'s backward calls with `sorted=False`) is `_unique2`
//!   without the counts: values and inverse only, sorted either way.
//! * Every unique refuses complex input (`"unique" not implemented for
//!   'ComplexFloat'`).
//! * `unique_dim` and `unique_consecutive(dim=...)` compare whole slices
//!   (sorted lexicographically for `unique_dim`) and return all three
//!   outputs whether asked or not; the unique slices are laid out with
//!   `dim` outermost and moved back (shape `(3, 1)` along dim 1 has strides
//!   `(1, 3)`).
//!
//! Integer values are compared as f64, exact up to 2^53.

use std::cmp::Ordering;

use super::not_implemented;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::reduction::dims::Reduction;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// PyTorch's refusal of a bincount input.
const BINCOUNT_INPUT: &str = "bincount only supports 1-d non-negative integral inputs.";

/// `bincount(self, weights=None, minlength=0)`.
pub(crate) fn bincount(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let weights = match a.values.get(1) {
        Some(IValue::Tensor(w)) => Some(w),
        _ => None,
    };
    let minlength = a.int(2)?;
    if !t.dtype().is_integral(false) {
        return Err(not_implemented(ctx, "bincount_cpu", t.dtype()));
    }
    if minlength < 0 {
        return Err(RuntimeError::shape(ctx.op, "minlength should be >= 0"));
    }
    if t.dim() == 1 && t.numel() == 0 {
        let n = minlength;
        let out = ctx.output_i64(&[n], &[1], DType::Int64, || Ok(vec![0; n as usize]))?;
        return Ok(vec![out.into()]);
    }
    if t.dim() != 1 {
        return Err(RuntimeError::shape(ctx.op, BINCOUNT_INPUT));
    }
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "bincount on a tensor without data (the number of bins depends on the values)",
        ));
    }
    let values = t.read_i64(ctx.op)?;
    if values.iter().any(|&v| v < 0) {
        return Err(RuntimeError::shape(ctx.op, BINCOUNT_INPUT));
    }
    if let Some(w) = weights {
        ctx.check(w, "weights")?;
        if w.dim() != 1 || w.numel() != values.len() {
            return Err(RuntimeError::shape(
                ctx.op,
                "weights should be 1-d and have the same length as input",
            ));
        }
    }
    let top = values.iter().copied().max().unwrap_or(-1);
    let bins = (top + 1).max(minlength);
    crate::tensor::check_alloc(ctx.op, bins as usize)?;
    let bins_len = bins as usize;
    let faulty = ctx.faults.bincount_drops_last_bin;
    let out = match weights {
        None => {
            let mut counts = vec![0i64; bins_len];
            for &v in &values {
                if !(faulty && v == top) {
                    counts[v as usize] += 1;
                }
            }
            ctx.output_i64(&[bins], &[1], DType::Int64, || Ok(counts))?
        }
        Some(w) if w.dtype() == DType::Float32 => {
            let ws = w.read_f32(ctx.op)?;
            let mut sums = vec![0f32; bins_len];
            for (&v, &x) in values.iter().zip(&ws) {
                if !(faulty && v == top) {
                    sums[v as usize] += x;
                }
            }
            ctx.output(&[bins], &[1], DType::Float32, || {
                Ok(sums.into_iter().map(f64::from).collect())
            })?
        }
        Some(w) => {
            let ws = w.read_f64(ctx.op)?;
            let mut sums = vec![0f64; bins_len];
            for (&v, &x) in values.iter().zip(&ws) {
                if !(faulty && v == top) {
                    sums[v as usize] += x;
                }
            }
            ctx.output(&[bins], &[1], DType::Float64, || Ok(sums))?
        }
    };
    Ok(vec![out.into()])
}

/// A bound as C++'s `operator<<` prints a double (`1`, `2.5`, `inf`, `-nan`).
fn cpp_double(v: f64) -> String {
    if v.is_nan() {
        "-nan".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{v}")
    }
}

/// `histc(self, bins=100, min=0, max=0)`.
pub(crate) fn histc(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if !t.dtype().is_floating() {
        return Err(not_implemented(ctx, "histogram_cpu", t.dtype()));
    }
    let bins = a.int(1)?;
    let (min, max) = (a.scalar(2)?, a.scalar(3)?);
    if bins <= 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("torch.histogram(): bins must be > 0, but got {bins} for dimension 0"),
        ));
    }
    if min > max {
        return Err(RuntimeError::shape(
            ctx.op,
            "torch.histc: max must be larger than min",
        ));
    }
    crate::tensor::check_alloc(ctx.op, bins as usize)?;
    let dtype = t.dtype();
    let values = if ctx.has_data() {
        t.read_f64(ctx.op)?
    } else {
        Vec::new()
    };
    let (mut lo, mut hi) = (min, max);
    if lo == hi && !values.is_empty() {
        lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if values.iter().any(|v| v.is_nan()) {
            (lo, hi) = (f64::NAN, f64::NAN);
        }
    }
    if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    if ctx.has_data() && !(lo.is_finite() && hi.is_finite()) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "torch.histc: range of [{}, {}] is not finite",
                cpp_double(lo),
                cpp_double(hi)
            ),
        ));
    }
    let out = ctx.output(&[bins], &[1], dtype, || {
        let mut hist = vec![0f64; bins as usize];
        let round = |v: f64| crate::tensor::storage::cast_value(dtype, v);
        let (lo, hi) = (round(lo), round(hi));
        let width = round(hi - lo);
        for &x in &values {
            if !(x >= lo && x <= hi) {
                continue;
            }
            let scaled = round(round(x - lo) * bins as f64);
            let mut pos = round(scaled / width) as i64;
            if pos == bins {
                pos -= 1;
            }
            if let Some(slot) = hist.get_mut(pos.max(0) as usize) {
                *slot += 1.0;
            }
        }
        Ok(hist)
    })?;
    Ok(vec![out.into()])
}

/// `a` before `b` in ascending order, NaN last.
fn ascending(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// An empty int64 vector (an output that was not asked for).
fn nothing(ctx: &KernelCtx<'_>) -> Result<Tensor> {
    ctx.output_i64(&[0], &[1], DType::Int64, || Ok(Vec::new()))
}

/// Unique values of `values` in `order` (positions visited in that order),
/// merging neighbours that compare equal: the kept values, each position's
/// group and each group's size.
fn group_runs<T: Copy + PartialEq>(values: &[T], order: &[usize]) -> (Vec<T>, Vec<i64>, Vec<i64>) {
    let mut kept: Vec<T> = Vec::new();
    let mut inverse = vec![0i64; values.len()];
    let mut counts: Vec<i64> = Vec::new();
    for &p in order {
        let v = values[p];
        match kept.last() {
            Some(&last) if last == v => {
                if let Some(c) = counts.last_mut() {
                    *c += 1;
                }
            }
            _ => {
                kept.push(v);
                counts.push(1);
            }
        }
        inverse[p] = kept.len() as i64 - 1;
    }
    (kept, inverse, counts)
}

/// The three outputs of a flattened unique.
fn unique_outputs(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    sort: bool,
    return_inverse: bool,
    return_counts: bool,
) -> Result<Vec<IValue>> {
    if t.dtype().is_complex() {
        return Err(not_implemented(ctx, "unique", t.dtype()));
    }
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "unique on a tensor without data (the result's size depends on the values)",
        ));
    }
    // int64 as i64: values one apart beyond 2^53 are distinct.
    let (out, inverse, counts) = if t.dtype() == DType::Int64 {
        let values = t.read_i64(ctx.op)?;
        let mut order: Vec<usize> = (0..values.len()).collect();
        if sort {
            order.sort_by_key(|&i| values[i]);
        }
        let (kept, inverse, counts) = group_runs(&values, &order);
        let n = kept.len() as i64;
        (
            ctx.output_i64(&[n], &[1], t.dtype(), || Ok(kept))?,
            inverse,
            counts,
        )
    } else {
        let values = t.read_f64(ctx.op)?;
        let mut order: Vec<usize> = (0..values.len()).collect();
        if sort {
            order.sort_by(|&i, &j| ascending(values[i], values[j]));
        }
        let (kept, inverse, counts) = group_runs(&values, &order);
        let n = kept.len() as i64;
        (
            ctx.output(&[n], &[1], t.dtype(), || Ok(kept))?,
            inverse,
            counts,
        )
    };
    let n = counts.len() as i64;
    let inverse = if return_inverse {
        let shape = t.shape().to_vec();
        ctx.output_i64(&shape, &contiguous_strides(&shape), DType::Int64, || {
            Ok(inverse)
        })?
    } else {
        nothing(ctx)?
    };
    let counts = if return_counts {
        ctx.output_i64(&[n], &[1], DType::Int64, || Ok(counts))?
    } else {
        nothing(ctx)?
    };
    Ok(vec![out.into(), inverse.into(), counts.into()])
}

/// `_unique(self, sorted=True, return_inverse=False)`: the sorted unique
/// values and, when asked, each element's index among them.
pub(crate) fn unique(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let mut outputs = unique_outputs(ctx, t, true, a.bool(2)?, false)?;
    outputs.truncate(2);
    Ok(outputs)
}

/// `_unique2(self, sorted=True, return_inverse=False, return_counts=False)`.
pub(crate) fn unique2(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    unique_outputs(ctx, t, true, a.bool(2)?, a.bool(3)?)
}

/// `unique_consecutive(self, return_inverse=False, return_counts=False,
/// dim=None)`.
pub(crate) fn unique_consecutive(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    match a.values.get(3) {
        Some(IValue::Int(dim)) => unique_slices(ctx, t, *dim, false),
        _ => unique_outputs(ctx, t, false, a.bool(1)?, a.bool(2)?),
    }
}

/// `unique_dim(self, dim, sorted=True, return_inverse=False,
/// return_counts=False)`.
pub(crate) fn unique_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    unique_slices(ctx, t, a.int(1)?, true)
}

/// Unique slices of `t` along `dim` (sorted lexicographically or kept in
/// order, merging neighbours), with the inverse and counts.
fn unique_slices(ctx: &KernelCtx<'_>, t: &Tensor, dim: i64, sort: bool) -> Result<Vec<IValue>> {
    let shape = t.shape().to_vec();
    let d = crate::kernels::reduction::dims::wrap(ctx.op, dim, shape.len())?;
    if shape.is_empty() {
        return Err(RuntimeError::shape(
            ctx.op,
            "unique_dim: Expected a tensor with at least one dimension",
        ));
    }
    if t.dtype().is_complex() {
        return Err(not_implemented(ctx, "unique", t.dtype()));
    }
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "unique on a tensor without data (the result's size depends on the values)",
        ));
    }
    let values = t.read_f64(ctx.op)?;
    let size = shape[d].max(0) as usize;
    let inner: usize = shape[d + 1..].iter().map(|&s| s.max(0) as usize).product();
    let outer: usize = shape[..d].iter().map(|&s| s.max(0) as usize).product();
    // Slice k: its elements in logical order of the other dimensions.
    let slices: Vec<Vec<f64>> = (0..size)
        .map(|k| {
            (0..outer)
                .flat_map(|o| (0..inner).map(move |i| (o * size + k) * inner + i))
                .map(|p| values[p])
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..size).collect();
    if sort {
        order.sort_by(|&i, &j| {
            slices[i]
                .iter()
                .zip(&slices[j])
                .map(|(&x, &y)| ascending(x, y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }
    let mut kept: Vec<usize> = Vec::new();
    let mut inverse = vec![0i64; size];
    let mut counts: Vec<i64> = Vec::new();
    for &k in &order {
        match kept.last() {
            Some(&last) if slices[last] == slices[k] => {
                if let Some(c) = counts.last_mut() {
                    *c += 1;
                }
            }
            _ => {
                kept.push(k);
                counts.push(1);
            }
        }
        inverse[k] = kept.len() as i64 - 1;
    }
    let n = kept.len() as i64;
    let mut out_shape = shape.clone();
    out_shape[d] = n;
    // Built with `dim` outermost, then moved back into place.
    let mut moved: Vec<i64> = vec![n];
    moved.extend(
        shape
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != d)
            .map(|(_, &s)| s),
    );
    let moved_strides = contiguous_strides(&moved);
    let mut strides = vec![0i64; shape.len()];
    strides[d] = moved_strides[0];
    let mut rest = moved_strides[1..].iter();
    for (k, s) in strides.iter_mut().enumerate() {
        if k != d {
            *s = rest.next().copied().unwrap_or(1);
        }
    }
    let mut logical = vec![0f64; kept.len() * outer * inner];
    for (u, &k) in kept.iter().enumerate() {
        for o in 0..outer {
            for i in 0..inner {
                logical[(o * kept.len() + u) * inner + i] = slices[k][o * inner + i];
            }
        }
    }
    let out = ctx.output(&out_shape, &strides, t.dtype(), || Ok(logical))?;
    let inverse = ctx.output_i64(&[size as i64], &[1], DType::Int64, || Ok(inverse))?;
    let counts = ctx.output_i64(&[n], &[1], DType::Int64, || Ok(counts))?;
    Ok(vec![out.into(), inverse.into(), counts.into()])
}

/// The number of non-zero elements of `t` over `dims` (`None`: all).
fn count_nonzero_over(ctx: &KernelCtx<'_>, t: &Tensor, dims: Option<&[i64]>) -> Result<Tensor> {
    let r = Reduction::new(ctx.op, t.shape(), dims, false)?;
    let strides = r.out_strides();
    ctx.output_i64(&r.out_shape, &strides, DType::Int64, || {
        let values = t.read_f64(ctx.op)?;
        let nonzero: Vec<u8> = values.iter().map(|&v| u8::from(v != 0.0)).collect();
        Ok(r.groups(&nonzero)
            .iter()
            .map(|g| g.iter().map(|&b| i64::from(b)).sum())
            .collect())
    })
}

/// `count_nonzero(self, dim=None)`.
pub(crate) fn count_nonzero(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let out = match a.values.get(1) {
        Some(IValue::Int(d)) => count_nonzero_over(ctx, t, Some(&[*d]))?,
        _ => count_nonzero_over(ctx, t, None)?,
    };
    Ok(vec![out.into()])
}

/// `count_nonzero.dim_IntList(self, dim)` (an empty list counts everything).
pub(crate) fn count_nonzero_dims(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dims = a.int_list(1)?;
    Ok(vec![count_nonzero_over(ctx, t, Some(&dims))?.into()])
}

/// The coordinates `(i, j)` of a `row × col` matrix in row-major order
/// with `j - i <= offset` (`lower`) or `j - i >= offset`, as a `(2, n)`
/// tensor of `dtype` (default int64).
fn triangle_indices(ctx: &KernelCtx<'_>, a: &Args<'_>, lower: bool) -> Result<Vec<IValue>> {
    let (row, col, offset) = (a.int(0)?, a.int(1)?, a.int(2)?);
    let dtype = a.opt_dtype(3)?.unwrap_or(DType::Int64);
    let name = if lower {
        "tril_indices"
    } else {
        "triu_indices"
    };
    if !dtype.is_integral(false) {
        return Err(not_implemented(ctx, name, dtype));
    }
    if row < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("row must be non-negative, got{row}"),
        ));
    }
    if col < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("col must be non-negative, got{col}"),
        ));
    }
    crate::tensor::check_alloc(ctx.op, (row as usize).saturating_mul(col as usize))?;
    let mut rows = Vec::new();
    let mut cols = Vec::new();
    for i in 0..row {
        for j in 0..col {
            let keep = if lower {
                j - i <= offset
            } else {
                j - i >= offset
            };
            if keep {
                rows.push(i);
                cols.push(j);
            }
        }
    }
    let n = rows.len() as i64;
    rows.extend(cols);
    let out = ctx.output_i64(&[2, n], &[n, 1], dtype, || Ok(rows))?;
    Ok(vec![out.into()])
}

/// `tril_indices(row, col, offset=0, *, dtype=long, ...)`.
pub(crate) fn tril_indices(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    triangle_indices(ctx, &a, true)
}

/// `triu_indices(row, col, offset=0, *, dtype=long, ...)`.
pub(crate) fn triu_indices(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    triangle_indices(ctx, &a, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_keeps_int64_values_one_apart_beyond_two_to_the_53() {
        let v: [i64; 4] = [(1 << 60) + 1, 1 << 60, (1 << 60) + 1, 3];
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by_key(|&i| v[i]);
        let (kept, inverse, counts) = group_runs(&v, &order);
        assert_eq!(kept, vec![3, 1 << 60, (1 << 60) + 1]);
        assert_eq!(inverse, vec![2, 1, 2, 0]);
        assert_eq!(counts, vec![1, 1, 2]);
    }

    #[test]
    fn unique_keeps_the_first_of_equal_values_and_every_nan() {
        // torch 2.15: _unique2([1, nan, -0., 0., 1, nan], True, True, True)
        // → values [-0., 1, nan, nan], inverse [1, 2, 0, 0, 1, 3], counts [2, 2, 1, 1].
        let v = [1.0, f64::NAN, -0.0, 0.0, 1.0, f64::NAN];
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| ascending(v[i], v[j]));
        let (kept, inverse, counts) = group_runs(&v, &order);
        assert_eq!(kept.len(), 4);
        assert!(kept[0] == 0.0 && kept[0].is_sign_negative());
        assert_eq!(inverse, vec![1, 2, 0, 0, 1, 3]);
        assert_eq!(counts, vec![2, 2, 1, 1]);
    }

    #[test]
    fn consecutive_runs_do_not_merge_apart() {
        // unique_consecutive([1, 1, 2, 2, 3, 1, 1]) → [1, 2, 3, 1], counts [2, 2, 1, 2].
        let v = [1.0, 1.0, 2.0, 2.0, 3.0, 1.0, 1.0];
        let order: Vec<usize> = (0..v.len()).collect();
        let (kept, inverse, counts) = group_runs(&v, &order);
        assert_eq!(kept, vec![1.0, 2.0, 3.0, 1.0]);
        assert_eq!(inverse, vec![0, 0, 1, 1, 2, 3, 3]);
        assert_eq!(counts, vec![2, 2, 1, 2]);
    }
}
