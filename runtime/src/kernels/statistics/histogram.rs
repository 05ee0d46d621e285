//! The histogram family: `histogram.bin_ct`, `histogram.bins_tensor`,
//! `_histogramdd_bin_edges`, `_histogramdd_from_bin_cts` and
//! `_histogramdd_from_bin_tensors` (what `torch.histogram` and
//! `torch.histogramdd` dispatch; `histc` is in [`super::counting`]).
//!
//! Observed in torch 2.15 on CPU (and read in its `Histogram.cpp` /
//! `cpu/HistogramKernel.cpp`):
//!
//! * The input is read as `M` points of `N` coordinates (its last
//!   dimension; `histogram` flattens to `N = 1`). A point is counted only
//!   when every coordinate lies in `[first edge, last edge]` (so NaN never
//!   counts), each adding its weight (1 without weights) in the dtype.
//! * Equal-width bins (an `int` count): the outer edges are `range`, else
//!   the data's min and max per coordinate (NaN or ±inf there is refused,
//!   "range [...] is not finite"), widened by ±0.5 when equal; the edges are
//!   `linspace(lo, hi, bins + 1)` in the dtype. A coordinate goes to bin
//!   `trunc((x - first) * bins / (last - first))` computed in the dtype,
//!   then the edges at that bin's neighbours decide: the position of the
//!   last edge `<= x` among the three (a value the division put one bin off
//!   is moved back).
//! * Explicit edges (tensors): the position of the last edge `<= x` by
//!   libstdc++'s `upper_bound` over the whole sequence (unsorted edges give
//!   what that binary search gives).
//! * Either way the last edge belongs to the last bin.
//! * With more than `200 / N` points and several intra-op threads the
//!   points are split into one contiguous block per thread, each block
//!   accumulated on its own and the blocks' histograms summed (the weighted
//!   float sums depend on the thread count).
//! * `density` divides by the histogram's total (PyTorch's float sum) and
//!   then, coordinate by coordinate, by each bin's width (`diff` of its
//!   edges), in the dtype.
//!
//! float32 and float64 only: float16/bfloat16 (which PyTorch takes with an
//! explicit range or explicit edges) are refused as unsupported.

use super::not_implemented;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::reduce::{Layout, cascade_sums};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// Points per `parallel_for` task of the histogram kernel, divided by the
/// number of coordinates (PyTorch's `HISTOGRAM_GRAIN_SIZE`).
const GRAIN: usize = 200;

/// How a coordinate finds its bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    /// Division over evenly spaced edges, corrected against the
    /// neighbouring edges.
    Linear,
    /// Binary search over the edges.
    Search,
}

/// `histogram.bin_ct(self, bins=100, *, range=None, weight=None, density=False)`.
pub(crate) fn histogram_bin_ct(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let bins = a.int(1)?;
    let range = float_list(&a, 2)?;
    let weight = opt_tensor(&a, 3);
    let density = a.bool(4)?;
    let flat = [t.numel() as i64, 1];
    check_bin_counts(ctx, &[bins])?;
    let data = read(ctx, t)?;
    let outer = outer_edges(ctx, t.dtype(), &data, 1, range.as_deref())?;
    let edges = linspace_edges(t.dtype(), &outer, &[bins]);
    check_weight(ctx, &flat, t.dtype(), weight, |w| vec![w.numel() as i64])?;
    floating_kernel(ctx, t.dtype())?;
    let hist = accumulate(ctx, t, &data, 1, &edges, weight, density, Select::Linear)?;
    let edge_out = edges_tensor(ctx, t.dtype(), &edges[0])?;
    Ok(vec![hist.into(), edge_out.into()])
}

/// `histogram.bins_tensor(self, bins, *, weight=None, density=False)`.
pub(crate) fn histogram_bins_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let bins = a.tensor(1)?;
    ctx.check(bins, "bins")?;
    let weight = opt_tensor(&a, 2);
    let density = a.bool(3)?;
    let flat = [t.numel() as i64, 1];
    check_edge_tensors(ctx, t.dtype(), 1, std::slice::from_ref(bins))?;
    check_weight(ctx, &flat, t.dtype(), weight, |w| vec![w.numel() as i64])?;
    check_bin_counts(ctx, &[bins.numel() as i64 - 1])?;
    floating_kernel(ctx, t.dtype())?;
    let data = read(ctx, t)?;
    let edges = vec![read(ctx, bins)?];
    let hist = accumulate(ctx, t, &data, 1, &edges, weight, density, Select::Search)?;
    let edge_out = edges_tensor(ctx, bins.dtype(), &edges[0])?;
    Ok(vec![hist.into(), edge_out.into()])
}

/// `_histogramdd_bin_edges(self, bins, *, range=None, weight=None, density=False)`:
/// the edges `histogramdd` returns for bin counts.
pub(crate) fn histogramdd_bin_edges(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let bins = a.int_list(1)?;
    let range = float_list(&a, 2)?;
    let (edges, _) = dd_edges(ctx, t, &bins, range.as_deref())?;
    let out = edges
        .iter()
        .map(|e| edges_tensor(ctx, t.dtype(), e))
        .collect::<Result<Vec<_>>>()?;
    Ok(vec![IValue::TensorList(out)])
}

/// `_histogramdd_from_bin_cts(self, bins, *, range=None, weight=None, density=False)`.
pub(crate) fn histogramdd_from_bin_cts(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let bins = a.int_list(1)?;
    let range = float_list(&a, 2)?;
    let weight = opt_tensor(&a, 3);
    let density = a.bool(4)?;
    let (edges, data) = dd_edges(ctx, t, &bins, range.as_deref())?;
    let n = bins.len();
    check_weight(ctx, t.shape(), t.dtype(), weight, |w| w.shape().to_vec())?;
    check_bin_counts(ctx, &bins)?;
    floating_kernel(ctx, t.dtype())?;
    let hist = accumulate(ctx, t, &data, n, &edges, weight, density, Select::Linear)?;
    Ok(vec![hist.into()])
}

/// `_histogramdd_from_bin_tensors(self, bins, *, weight=None, density=False)`.
pub(crate) fn histogramdd_from_bin_tensors(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let bins = a.tensor_list(1)?;
    let weight = opt_tensor(&a, 2);
    let density = a.bool(3)?;
    let n = points_width(ctx, t)?;
    check_edge_tensors(ctx, t.dtype(), n, bins)?;
    check_weight(ctx, t.shape(), t.dtype(), weight, |w| w.shape().to_vec())?;
    let counts: Vec<i64> = bins.iter().map(|b| b.numel() as i64 - 1).collect();
    check_bin_counts(ctx, &counts)?;
    floating_kernel(ctx, t.dtype())?;
    let data = read(ctx, t)?;
    let edges = bins
        .iter()
        .map(|b| {
            ctx.check(b, "bins")?;
            read(ctx, b)
        })
        .collect::<Result<Vec<_>>>()?;
    let hist = accumulate(ctx, t, &data, n, &edges, weight, density, Select::Search)?;
    Ok(vec![hist.into()])
}

/// The evenly spaced edges of `histogramdd` with bin counts, and the data.
fn dd_edges(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    bins: &[i64],
    range: Option<&[f64]>,
) -> Result<(Vec<Vec<f64>>, Vec<f64>)> {
    let n = points_width(ctx, t)?;
    if bins.len() != n {
        return Err(RuntimeError::shape(
            ctx.op,
            "histogramdd: The size of bins must be equal to the innermost dimension of the input.",
        ));
    }
    let data = read(ctx, t)?;
    let outer = outer_edges(ctx, t.dtype(), &data, n, range)?;
    if let Some(&b) = bins.iter().find(|&&b| b < -1) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("number of steps must be non-negative, got {}", b + 1),
        ));
    }
    Ok((linspace_edges(t.dtype(), &outer, bins), data))
}

/// `N`, the number of coordinates of a `histogramdd` input (at least 2-D).
fn points_width(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<usize> {
    if t.dim() < 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            "torch.histogramdd: input tensor should have at least 2 dimensions",
        ));
    }
    Ok(t.shape()[t.dim() - 1] as usize)
}

/// The values of `t` in logical order (nothing without data).
fn read(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<Vec<f64>> {
    if ctx.has_data() {
        t.read_f64(ctx.op)
    } else {
        Ok(Vec::new())
    }
}

fn opt_tensor<'a>(a: &Args<'a>, i: usize) -> Option<&'a Tensor> {
    match a.values.get(i) {
        Some(IValue::Tensor(w)) => Some(w),
        _ => None,
    }
}

/// A `float[]?` argument.
fn float_list(a: &Args<'_>, i: usize) -> Result<Option<Vec<f64>>> {
    Ok(match a.values.get(i) {
        None | Some(IValue::None) => None,
        Some(IValue::FloatList(v)) => Some(v.clone()),
        Some(IValue::IntList(v)) => Some(v.iter().map(|&x| x as f64).collect()),
        Some(IValue::ScalarList(v)) => Some(
            v.iter()
                .map(|x| match x {
                    IValue::Int(i) => *i as f64,
                    IValue::Float(f) => *f,
                    IValue::Bool(b) => f64::from(u8::from(*b)),
                    _ => f64::NAN,
                })
                .collect(),
        ),
        Some(_) => Some(vec![a.scalar(i)?]),
    })
}

/// A shape as c10 prints it (`[6, 1]`).
fn shape_text(shape: &[i64]) -> String {
    let parts: Vec<String> = shape.iter().map(i64::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// A double as C++'s `operator<<` prints it (`-nan` with the sign bit).
fn cpp_double(v: f64) -> String {
    if v.is_nan() && v.is_sign_negative() {
        "-nan".to_owned()
    } else {
        crate::kernels::elementwise::cpp_general(v)
    }
}

/// Every dimension has at least one bin.
fn check_bin_counts(ctx: &KernelCtx<'_>, counts: &[i64]) -> Result<()> {
    if let Some((dim, c)) = counts.iter().enumerate().find(|(_, c)| **c <= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("torch.histogram(): bins must be > 0, but got {c} for dimension {dim}"),
        ));
    }
    Ok(())
}

/// Explicit edges: one 1-D, non-empty sequence of the input's dtype per
/// coordinate.
fn check_edge_tensors(ctx: &KernelCtx<'_>, dtype: DType, n: usize, bins: &[Tensor]) -> Result<()> {
    if bins.len() != n {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "torch.histogramdd: expected {n} sequences of bin edges for a {n}-dimensional \
                 histogram but got {}",
                bins.len()
            ),
        ));
    }
    for (dim, b) in bins.iter().enumerate() {
        if b.dtype() != dtype {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "torch.histogramdd: input tensor and bins tensors should have the same dtype, \
                     but got input with dtype {} and bins for dimension {dim} with dtype {}",
                    dtype.type_meta_name(),
                    b.dtype().type_meta_name()
                ),
            ));
        }
        if b.dim() != 1 {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "torch.histogramdd: bins tensor should have one dimension, but got {} \
                     dimensions in the bins tensor for dimension {dim}",
                    b.dim()
                ),
            ));
        }
        if b.numel() == 0 {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "torch.histogramdd: bins tensor should have at least 1 element, but got 0 \
                     elements in the bins tensor for dimension {dim}"
                ),
            ));
        }
    }
    Ok(())
}

/// The weight has the input's dtype and its shape without the last
/// dimension (`shape` the input's as PyTorch checks it; `weight_shape` the
/// weight's as checked: `histogram` flattens it).
fn check_weight(
    ctx: &KernelCtx<'_>,
    shape: &[i64],
    dtype: DType,
    weight: Option<&Tensor>,
    weight_shape: impl Fn(&Tensor) -> Vec<i64>,
) -> Result<()> {
    let Some(w) = weight else {
        return Ok(());
    };
    ctx.check(w, "weight")?;
    if w.dtype() != dtype {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight tensor \
                 should have the same dtype, but got input({}), and weight({})",
                dtype.type_meta_name(),
                w.dtype().type_meta_name()
            ),
        ));
    }
    let mut ws = weight_shape(w);
    if ws.is_empty() {
        ws = vec![1];
    }
    if ws != shape[..shape.len() - 1] {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "torch.histogramdd: if weight tensor is provided it should have the same shape as \
                 the input tensor excluding its innermost dimension, but got input with shape {} \
                 and weight with shape {}",
                shape_text(shape),
                shape_text(&weight_shape(w))
            ),
        ));
    }
    Ok(())
}

/// The kernel's dtypes: PyTorch's `histogram_cpu` takes the floating
/// dtypes; this runtime float32 and float64.
fn floating_kernel(ctx: &KernelCtx<'_>, dtype: DType) -> Result<()> {
    if !dtype.is_floating() {
        return Err(not_implemented(ctx, "histogram_cpu", dtype));
    }
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(RuntimeError::unsupported(
            ctx.op,
            format!("histograms of {dtype:?} (float32 and float64 only)"),
        ));
    }
    Ok(())
}

/// The outer edges `(first, last)` per coordinate: `range`, else the data's
/// extremes (`[0, 1]` without points), widened by ±0.5 when equal.
fn outer_edges(
    ctx: &KernelCtx<'_>,
    dtype: DType,
    data: &[f64],
    n: usize,
    range: Option<&[f64]>,
) -> Result<Vec<(f64, f64)>> {
    let mut outer = vec![(0.0, 1.0); n];
    if let Some(r) = range {
        if r.len() != 2 * n {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "torch.histogramdd: for a {n}-dimensional histogram range should have {} \
                     elements, but got {}",
                    2 * n,
                    r.len()
                ),
            ));
        }
        for (dim, o) in outer.iter_mut().enumerate() {
            *o = (r[2 * dim], r[2 * dim + 1]);
        }
    } else if !data.is_empty() || (!ctx.has_data() && n > 0) {
        if !matches!(dtype, DType::Float32 | DType::Float64) {
            return Err(not_implemented(ctx, "histogramdd", dtype));
        }
        if !ctx.has_data() {
            return Err(RuntimeError::unsupported(
                ctx.op,
                "histogram edges from a tensor without data (they depend on the values)",
            ));
        }
        // aminmax over the points: NaN wins.
        for (dim, o) in outer.iter_mut().enumerate() {
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            let mut nan = None;
            for &v in data.iter().skip(dim).step_by(n) {
                if v.is_nan() {
                    nan.get_or_insert(v);
                }
                lo = lo.min(v);
                hi = hi.max(v);
            }
            *o = nan.map_or((lo, hi), |v| (v, v));
        }
    }
    for (dim, (lo, hi)) in outer.iter_mut().enumerate() {
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "torch.histogramdd: dimension {dim}'s range [{}, {}] is not finite",
                    cpp_double(*lo),
                    cpp_double(*hi)
                ),
            ));
        }
        if *lo > *hi {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "torch.histogramdd: min should not exceed max, but got min {} max {} for \
                     dimension {dim}",
                    cpp_double(*lo),
                    cpp_double(*hi)
                ),
            ));
        }
        if lo == hi {
            *lo -= 0.5;
            *hi += 0.5;
        }
    }
    Ok(outer)
}

/// `linspace(first, last, bins + 1)` in the dtype per coordinate.
fn linspace_edges(dtype: DType, outer: &[(f64, f64)], bins: &[i64]) -> Vec<Vec<f64>> {
    outer
        .iter()
        .zip(bins)
        .map(|(&(lo, hi), &b)| {
            let steps = usize::try_from(b + 1).unwrap_or(0);
            crate::kernels::reduction::linspace_values(dtype, lo, hi, steps)
        })
        .collect()
}

fn edges_tensor(ctx: &KernelCtx<'_>, dtype: DType, edges: &[f64]) -> Result<Tensor> {
    let len = edges.len() as i64;
    ctx.output(&[len], &[1], dtype, || Ok(edges.to_vec()))
}

/// libstdc++'s `std::upper_bound` over `seq[first..last]`: the first index
/// whose edge is greater than `x` as its binary search finds it.
fn upper_bound(seq: &[f64], mut first: usize, last: usize, x: f64) -> usize {
    let mut len = last - first;
    while len > 0 {
        let half = len >> 1;
        let middle = first + half;
        if x < seq[middle] {
            len = half;
        } else {
            first = middle + 1;
            len = len - half - 1;
        }
    }
    first
}

/// The histogram of `data` (`M` points of `n` coordinates, row-major) over
/// `edges`, as PyTorch's CPU kernel computes it (module docs).
#[allow(clippy::too_many_arguments)]
fn accumulate(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    data: &[f64],
    n: usize,
    edges: &[Vec<f64>],
    weight: Option<&Tensor>,
    density: bool,
    select: Select,
) -> Result<Tensor> {
    let dtype = t.dtype();
    let shape: Vec<i64> = edges.iter().map(|e| e.len() as i64 - 1).collect();
    let strides = contiguous_strides(&shape);
    let weights = match weight {
        Some(w) => Some(read(ctx, w)?),
        None => None,
    };
    let threads = ctx.cpu.threads();
    let open_last = ctx.faults.histogram_last_edge_open;
    ctx.output(&shape, &strides, dtype, || {
        let round = |v: f64| cast_value(dtype, v);
        let cells: usize = shape.iter().map(|&s| s as usize).product();
        if n == 0 {
            return Ok(vec![0.0; cells]);
        }
        let m = data.len() / n;
        let stride: Vec<usize> = strides.iter().map(|&s| s as usize).collect();
        // The bin of point `i`, or None when a coordinate is outside.
        let cell = |i: usize| -> Option<usize> {
            let mut at = 0;
            for dim in 0..n {
                let x = data[i * n + dim];
                let seq = &edges[dim];
                let k = seq.len();
                let (first, last) = (seq[0], seq[k - 1]);
                if !(x >= first && x <= last) {
                    return None;
                }
                let mut pos = match select {
                    Select::Search => upper_bound(seq, 0, k, x) as i64 - 1,
                    Select::Linear => {
                        let scaled = round(round(x - first) * (k - 1) as f64);
                        let guess = round(scaled / round(last - first)) as i64;
                        let lo = (guess - 1).max(0) as usize;
                        let hi = (guess + 2).clamp(0, k as i64) as usize;
                        upper_bound(seq, lo.min(hi), hi, x) as i64 - 1
                    }
                };
                if pos == k as i64 - 1 {
                    if open_last {
                        return None;
                    }
                    pos -= 1;
                }
                at += stride[dim] * pos.max(0) as usize;
            }
            Some(at)
        };
        // One block of points per thread when PyTorch's parallel_for splits.
        let grain = (GRAIN / n).max(1);
        let parts = if threads > 1 && m > grain && m > 1 {
            threads.min(m.div_ceil(grain))
        } else {
            1
        };
        let chunk = m.div_ceil(parts.max(1)).max(1);
        let mut partial = vec![0.0f64; threads.max(1) * cells];
        for (tid, block) in partial.chunks_mut(cells).enumerate().take(parts) {
            for i in (tid * chunk)..((tid + 1) * chunk).min(m) {
                if let Some(at) = cell(i) {
                    let w = weights.as_ref().map_or(1.0, |w| w[i]);
                    if let Some(slot) = block.get_mut(at) {
                        *slot = round(*slot + w);
                    }
                }
            }
        }
        let mut hist = if threads > 1 {
            cascade_sums(
                &partial,
                dtype,
                Layout::Outer {
                    rows: threads,
                    width: cells,
                },
                threads,
            )
        } else {
            partial
        };
        if density {
            let total = if hist.len() == 1 {
                hist[0]
            } else {
                cascade_sums(&hist, dtype, Layout::Full, threads)[0]
            };
            for h in hist.iter_mut() {
                *h = round(*h / total);
            }
            for (dim, seq) in edges.iter().enumerate() {
                let widths: Vec<f64> = seq.windows(2).map(|p| round(p[1] - p[0])).collect();
                for (c, h) in hist.iter_mut().enumerate() {
                    let j = (c / stride[dim]) % widths.len();
                    *h = round(*h / widths[j]);
                }
            }
        }
        Ok(hist)
    })
}

#[cfg(test)]
mod tests {
    use super::upper_bound;

    #[test]
    fn upper_bound_as_libstdcxx() {
        let seq = [0.0, 1.0, 1.0, 2.0];
        assert_eq!(upper_bound(&seq, 0, 4, 1.0), 3);
        assert_eq!(upper_bound(&seq, 0, 4, -1.0), 0);
        assert_eq!(upper_bound(&seq, 0, 4, 2.0), 4);
        assert_eq!(upper_bound(&seq, 1, 3, 0.5), 1);
        // Unsorted edges: where the binary search lands.
        assert_eq!(upper_bound(&[3.0, 0.0, 1.0], 0, 3, 0.5), 2);
    }
}
