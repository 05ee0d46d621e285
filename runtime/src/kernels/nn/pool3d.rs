//! 3-d pooling: `max_pool3d_with_indices`, `avg_pool3d`,
//! `_adaptive_avg_pool3d`, `adaptive_max_pool3d` and their backward kernels.
//!
//! Inputs are `(C, D, H, W)` or `(N, C, D, H, W)`; each leading index is a
//! plane. Every output element reads a window of input offsets within its
//! plane (depth-major), computed per dimension exactly as the 2-d kernels
//! do ([`super::pool`]): max pooling keeps the first maximum and lets NaN
//! win, its indices are `(z·H + y)·W + x`; average pooling divides by the
//! padded window, the clipped window or `divisor_override`; adaptive
//! pooling averages (or takes the first maximum of)
//! `[floor(o·I/O), ceil((o+1)·I/O))`. Results are contiguous, except that
//! max pooling follows a channels-last (NDHWC) input into a channels-last
//! result and input gradient, as PyTorch's CPU kernel does.

use super::common::{is_reduced_float, kernel_dtype, round_to};
use super::conv::{is_channels_last, strides_like};
use super::pool::step_dtype;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a 3-d pooling operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.max_pool3d_with_indices.default" => max_pool3d_with_indices,
        "aten.max_pool3d_with_indices_backward.default" => max_pool3d_with_indices_backward,
        "aten.avg_pool3d.default" => avg_pool3d,
        "aten.avg_pool3d_backward.default" => avg_pool3d_backward,
        "aten._adaptive_avg_pool3d.default" => adaptive_avg_pool3d,
        "aten._adaptive_avg_pool3d_backward.default" => adaptive_avg_pool3d_backward,
        "aten.adaptive_max_pool3d.default" => adaptive_max_pool3d,
        "aten.adaptive_max_pool3d_backward.default" => adaptive_max_pool3d_backward,
        _ => return None,
    })
}

/// The windows of one pooling call: per output element of a plane, the
/// input offsets it reads, the offset a max starts from, and the divisor of
/// an average as the factors its gradient is divided by in turn (an adaptive
/// window's depth, height and width; a fixed window's one divisor and 1, 1).
struct Windows {
    planes: usize,
    size: [usize; 3],
    out: [usize; 3],
    taps: Vec<Vec<usize>>,
    first: Vec<usize>,
    divisors: Vec<[f64; 3]>,
}

impl Windows {
    fn plane(&self) -> usize {
        self.size.iter().product()
    }

    fn out_shape(&self, x: &Tensor) -> Vec<i64> {
        let s = x.shape();
        let mut shape = s[..s.len() - 3].to_vec();
        shape.extend(self.out.map(|o| o as i64));
        shape
    }

    /// Builds windows from per-dimension tap lists (`axes[d][o]`: the input
    /// indices output `o` of dimension `d` reads, its first index and its
    /// divisor factor).
    fn from_axes(
        planes: usize,
        size: [usize; 3],
        axes: [Vec<(Vec<usize>, usize, f64)>; 3],
    ) -> Windows {
        let out = [axes[0].len(), axes[1].len(), axes[2].len()];
        let n = out.iter().product();
        let (mut taps, mut first, mut divisors) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (zs, z0, fz) in &axes[0] {
            for (ys, y0, fy) in &axes[1] {
                for (xs, x0, fx) in &axes[2] {
                    let mut t = Vec::with_capacity(zs.len() * ys.len() * xs.len());
                    for z in zs {
                        for y in ys {
                            for x in xs {
                                t.push((z * size[1] + y) * size[2] + x);
                            }
                        }
                    }
                    taps.push(t);
                    first.push((z0 * size[1] + y0) * size[2] + x0);
                    divisors.push([*fz, *fy, *fx]);
                }
            }
        }
        Windows {
            planes,
            size,
            out,
            taps,
            first,
            divisors,
        }
    }

    fn max(&self, x: &[f64]) -> (Vec<f64>, Vec<i64>) {
        let mut values = Vec::with_capacity(self.planes * self.taps.len());
        let mut indices = Vec::with_capacity(values.capacity());
        for plane in x.chunks(self.plane().max(1)).take(self.planes) {
            for (taps, &first) in self.taps.iter().zip(&self.first) {
                let mut best = (f64::NEG_INFINITY, first);
                for &t in taps {
                    let v = plane.get(t).copied().unwrap_or(f64::NAN);
                    if v > best.0 || v.is_nan() {
                        best = (v, t);
                    }
                }
                values.push(best.0);
                indices.push(best.1 as i64);
            }
        }
        (values, indices)
    }

    /// Each window's average. For float16/bfloat16 (`stepwise`) PyTorch's
    /// CPU kernel sums in the tensor's dtype, one element at a time, and
    /// divides the sum by the window's factors in turn, rounding at every
    /// step; otherwise the sum is taken in f64 and divided once.
    fn average(&self, x: &[f64], stepwise: Option<DType>) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.planes * self.taps.len());
        for plane in x.chunks(self.plane().max(1)).take(self.planes) {
            for (taps, div) in self.taps.iter().zip(&self.divisors) {
                let values = taps.iter().filter_map(|&t| plane.get(t));
                let avg = match stepwise {
                    Some(dtype) => div
                        .iter()
                        .fold(values.fold(0.0, |s, &v| round_to(dtype, s + v)), |v, &f| {
                            round_to(dtype, v / f)
                        }),
                    None => values.sum::<f64>() / div.iter().product::<f64>(),
                };
                out.push(if taps.is_empty() { 0.0 } else { avg });
            }
        }
        out
    }

    /// The input gradient of an average: each output's gradient divided by
    /// the window's factors in turn, then added to every element it read,
    /// in output order, each step rounded to `dtype` (PyTorch's CPU kernels).
    fn average_backward(&self, g: &[f64], dtype: DType) -> Vec<f64> {
        let plane = self.plane();
        let mut dx = vec![0.0; self.planes * plane];
        let per = self.taps.len().max(1);
        for (k, &d) in g.iter().enumerate() {
            let (base, o) = ((k / per) * plane, k % per);
            let share = self.divisors[o]
                .iter()
                .fold(d, |v, &f| round_to(dtype, v / f));
            for &t in &self.taps[o] {
                if let Some(slot) = dx.get_mut(base + t) {
                    *slot = round_to(dtype, *slot + share);
                }
            }
        }
        dx
    }
}

fn planes(op: &str, x: &Tensor) -> Result<(usize, [usize; 3])> {
    let s = x.shape();
    let n = s.len();
    if !(n == 4 || n == 5) || s[n - 4..].contains(&0) {
        return Err(RuntimeError::shape(
            op,
            format!("non-empty 4D or 5D (batch mode) tensor expected for input, but got: {s:?}"),
        ));
    }
    let count = s[..n - 3].iter().map(|&d| d as usize).product();
    Ok((
        count,
        [s[n - 3] as usize, s[n - 2] as usize, s[n - 1] as usize],
    ))
}

/// An `int[3]` argument: one value or three; `default` when empty.
fn triple(a: &Args<'_>, i: usize, default: Option<[i64; 3]>) -> Result<[i64; 3]> {
    match (a.int_list(i)?.as_slice(), default) {
        ([v], _) => Ok([*v; 3]),
        ([x, y, z], _) => Ok([*x, *y, *z]),
        ([], Some(d)) => Ok(d),
        (other, _) => Err(RuntimeError::shape(
            a.op,
            format!("expected one or three values for argument {i}, got {other:?}"),
        )),
    }
}

/// PyTorch's `pooling_output_shape`.
fn output_size(input: i64, kernel: i64, pad: i64, stride: i64, dilation: i64, ceil: bool) -> i64 {
    let numerator =
        input + 2 * pad - dilation * (kernel - 1) - 1 + if ceil { stride - 1 } else { 0 };
    let mut out = numerator.div_euclid(stride) + 1;
    if ceil && (out - 1) * stride >= input + pad {
        out -= 1;
    }
    out
}

/// Kernel, stride, padding, dilation and output sizes of a pooling window,
/// with the 2-d kernels' checks.
fn window(
    a: &Args<'_>,
    size: [usize; 3],
    first: usize,
    dilation_at: Option<usize>,
    ceil: bool,
) -> Result<[[i64; 3]; 5]> {
    let kernel = triple(a, first, None)?;
    let stride = triple(a, first + 1, Some(kernel))?;
    let padding = triple(a, first + 2, None)?;
    let dilation = match dilation_at {
        Some(i) => triple(a, i, None)?,
        None => [1; 3],
    };
    if kernel.iter().any(|&k| k <= 0)
        || stride.iter().any(|&s| s <= 0)
        || dilation.iter().any(|&d| d <= 0)
    {
        return Err(RuntimeError::shape(
            a.op,
            "kernel size, stride and dilation should be greater than zero",
        ));
    }
    for d in 0..3 {
        if padding[d] < 0 || padding[d] > ((kernel[d] - 1) * dilation[d] + 1) / 2 {
            return Err(RuntimeError::shape(
                a.op,
                format!(
                    "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
                    padding[d], kernel[d], dilation[d]
                ),
            ));
        }
    }
    let out: Vec<i64> = (0..3)
        .map(|d| {
            output_size(
                size[d] as i64,
                kernel[d],
                padding[d],
                stride[d],
                dilation[d],
                ceil,
            )
        })
        .collect();
    if out.iter().any(|&o| o < 1) {
        return Err(RuntimeError::shape(
            a.op,
            format!(
                "Given input size: ({size:?}). Calculated output size: ({out:?}). Output size is too small"
            ),
        ));
    }
    Ok([kernel, stride, padding, dilation, [out[0], out[1], out[2]]])
}

fn max_windows(planes: usize, size: [usize; 3], w: [[i64; 3]; 5]) -> Windows {
    let [kernel, stride, padding, dilation, out] = w;
    let axes = [0, 1, 2].map(|d| {
        (0..out[d])
            .map(|o| {
                let start = o * stride[d] - padding[d];
                let end = (start + (kernel[d] - 1) * dilation[d] + 1).min(size[d] as i64);
                let mut first = start;
                while first < 0 {
                    first += dilation[d];
                }
                let taps = (first..end.max(first))
                    .step_by(dilation[d] as usize)
                    .map(|v| v as usize)
                    .collect();
                (taps, first as usize, 1.0)
            })
            .collect()
    });
    Windows::from_axes(planes, size, axes)
}

fn avg_windows(
    planes: usize,
    size: [usize; 3],
    w: [[i64; 3]; 5],
    include_pad: bool,
    divisor: Option<i64>,
) -> Windows {
    let [kernel, stride, padding, _, out] = w;
    let axes = [0, 1, 2].map(|d| {
        (0..out[d])
            .map(|o| {
                let start = o * stride[d] - padding[d];
                let end = (start + kernel[d]).min(size[d] as i64 + padding[d]);
                let padded = (end - start) as f64;
                let (lo, hi) = (start.max(0), end.min(size[d] as i64));
                let taps: Vec<usize> = (lo..hi.max(lo)).map(|v| v as usize).collect();
                let factor = if include_pad {
                    padded
                } else {
                    taps.len() as f64
                };
                (taps, lo as usize, factor)
            })
            .collect()
    });
    let mut windows = Windows::from_axes(planes, size, axes);
    // A fixed window's gradient is divided once, by the product (or the
    // override).
    for v in &mut windows.divisors {
        let whole = divisor.map_or_else(|| v.iter().product(), |d| d as f64);
        *v = [whole, 1.0, 1.0];
    }
    windows
}

fn adaptive_windows(planes: usize, size: [usize; 3], out: [usize; 3]) -> Windows {
    adaptive_windows_ending(planes, size, out, false)
}

/// [`adaptive_windows`], each window's end rounded down instead of up when
/// `floor_end` (the `adaptive-max-pool3d-floor-end` fault).
fn adaptive_windows_ending(
    planes: usize,
    size: [usize; 3],
    out: [usize; 3],
    floor_end: bool,
) -> Windows {
    let axes = [0, 1, 2].map(|d| {
        (0..out[d])
            .map(|o| {
                let end = if floor_end {
                    ((o + 1) * size[d] / out[d]).max(o * size[d] / out[d] + 1)
                } else {
                    ((o + 1) * size[d]).div_ceil(out[d])
                };
                let (lo, hi) = ((o * size[d]) / out[d], end);
                ((lo..hi).collect::<Vec<_>>(), lo, (hi - lo) as f64)
            })
            .collect()
    });
    Windows::from_axes(planes, size, axes)
}

fn divisor_override(a: &Args<'_>, i: usize) -> Result<Option<i64>> {
    match a.values.get(i) {
        Some(IValue::Int(0)) => Err(RuntimeError::shape(a.op, "divisor must be not zero")),
        Some(IValue::Int(d)) => Ok(Some(*d)),
        _ => Ok(None),
    }
}

/// `max_pool3d_with_indices(self, kernel_size, stride=[], padding=0,
/// dilation=1, ceil_mode=False)`.
pub(crate) fn max_pool3d_with_indices(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let (count, size) = planes(ctx.op, x)?;
    let win = max_windows(count, size, window(&a, size, 1, Some(4), a.bool(5)?)?);
    let shape = win.out_shape(x);
    let dtype = x.dtype();
    let name = if is_channels_last(x) {
        "max_pool3d_channels_last"
    } else {
        "max_pool3d"
    };
    kernel_dtype(
        ctx.op,
        name,
        dtype,
        dtype != DType::Bool && !dtype.is_complex(),
    )?;
    let strides = strides_like(
        &shape,
        is_channels_last(x) && !ctx.faults.max_pool3d_contiguous,
    );
    let (values, indices) = if ctx.has_data() {
        win.max(&x.read_f64(ctx.op)?)
    } else {
        (Vec::new(), Vec::new())
    };
    let values = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let indices = ctx.output_i64(&shape, &strides, DType::Int64, || Ok(indices))?;
    Ok(vec![values.into(), indices.into()])
}

/// `max_pool3d_with_indices_backward(grad_output, self, kernel_size, stride,
/// padding, dilation, ceil_mode, indices)`.
pub(crate) fn max_pool3d_with_indices_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x, idx) = (a.tensor(0)?, a.tensor(1)?, a.tensor(7)?);
    for (t, name) in [(g, "grad_output"), (x, "self"), (idx, "indices")] {
        ctx.check(t, name)?;
    }
    let name = if is_channels_last(x) {
        "max_pool3d_backward_channels_last"
    } else {
        "max_pool3d_backward"
    };
    kernel_dtype(ctx.op, name, g.dtype(), g.dtype().is_floating())?;
    let channels_last = is_channels_last(x) && !ctx.faults.max_pool3d_contiguous;
    scatter_by_indices(ctx, g, x, idx, channels_last)
}

/// The gradient of a max pooling: each `grad_output` element added into
/// its plane of a zeroed `self`-shaped tensor at its index; channels-last
/// (NDHWC) when `channels_last`, else contiguous.
fn scatter_by_indices(
    ctx: &mut KernelCtx<'_>,
    g: &Tensor,
    x: &Tensor,
    idx: &Tensor,
    channels_last: bool,
) -> Result<Vec<IValue>> {
    let (count, size) = planes(ctx.op, x)?;
    let plane: usize = size.iter().product();
    let per = idx
        .shape()
        .iter()
        .rev()
        .take(3)
        .map(|&d| d as usize)
        .product::<usize>()
        .max(1);
    if g.shape() != idx.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            "grad_output and indices must have one shape",
        ));
    }
    let strides = strides_like(x.shape(), channels_last);
    let out = ctx.output(x.shape(), &strides, g.dtype(), || {
        let (gv, iv) = (g.read_f64(ctx.op)?, idx.read_i64(ctx.op)?);
        let dtype = step_dtype(ctx, g.dtype());
        let mut dx = vec![0.0; count * plane];
        for (k, (&d, &i)) in gv.iter().zip(&iv).enumerate() {
            let slot = usize::try_from(i)
                .ok()
                .filter(|&i| i < plane)
                .ok_or_else(|| {
                    RuntimeError::shape(
                        ctx.op,
                        format!("index {i} out of range for a plane of {plane}"),
                    )
                })?;
            let at = &mut dx[(k / per) * plane + slot];
            *at = round_to(dtype, *at + d);
        }
        Ok(dx)
    })?;
    Ok(vec![out.into()])
}

/// `avg_pool3d(self, kernel_size, stride=[], padding=0, ceil_mode=False,
/// count_include_pad=True, divisor_override=None)`.
pub(crate) fn avg_pool3d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let (count, size) = planes(ctx.op, x)?;
    let w = window(&a, size, 1, None, a.bool(4)?)?;
    let win = avg_windows(count, size, w, a.bool(5)?, divisor_override(&a, 6)?);
    let shape = win.out_shape(x);
    let reduced = ctx.faults.avg_pool3d_reduced_float && x.dtype().is_floating();
    kernel_dtype(
        ctx.op,
        "avg_pool3d_out_frame",
        x.dtype(),
        averages(x.dtype()) || reduced,
    )?;
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        Ok(win.average(&x.read_f64(ctx.op)?, None))
    })?;
    Ok(vec![out.into()])
}

/// `avg_pool3d_backward(grad_output, self, kernel_size, stride, padding,
/// ceil_mode, count_include_pad, divisor_override)`.
pub(crate) fn avg_pool3d_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (g, x) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    let (count, size) = planes(ctx.op, x)?;
    let w = window(&a, size, 2, None, a.bool(5)?)?;
    let win = avg_windows(count, size, w, a.bool(6)?, divisor_override(&a, 7)?);
    if g.shape() != win.out_shape(x).as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match the pooled size",
                g.shape()
            ),
        ));
    }
    let dtype = g.dtype();
    kernel_dtype(
        ctx.op,
        "avg_pool3d_backward_out_frame",
        dtype,
        averages(dtype),
    )?;
    let out = ctx.output(x.shape(), &contiguous_strides(x.shape()), g.dtype(), || {
        Ok(win.average_backward(&g.read_f64(ctx.op)?, step_dtype(ctx, g.dtype())))
    })?;
    Ok(vec![out.into()])
}

/// Whether 3-d average pooling dispatches `dtype`: float32, float64 and
/// int64 only (float16 and bfloat16 are refused on CPU).
fn averages(dtype: DType) -> bool {
    matches!(dtype, DType::Float32 | DType::Float64 | DType::Int64)
}

/// `_adaptive_avg_pool3d(self, output_size)`.
pub(crate) fn adaptive_avg_pool3d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let (count, size) = planes(ctx.op, x)?;
    let out = triple(&a, 1, None)?;
    if out.iter().any(|&o| o <= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("adaptive_avg_pool3d(): Expected output_size to be positive, but got {out:?}"),
        ));
    }
    let win = adaptive_windows(count, size, out.map(|o| o as usize));
    let shape = win.out_shape(x);
    let floating = x.dtype().is_floating();
    kernel_dtype(ctx.op, "adaptive_avg_pool3d_cpu", x.dtype(), floating)?;
    let stepwise = (is_reduced_float(x.dtype()) && !ctx.faults.adaptive_avg_pool3d_reduced_in_f64)
        .then_some(x.dtype());
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        Ok(win.average(&x.read_f64(ctx.op)?, stepwise))
    })?;
    Ok(vec![out.into()])
}

/// `_adaptive_avg_pool3d_backward(grad_output, self)`.
pub(crate) fn adaptive_avg_pool3d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    let (count, size) = planes(ctx.op, x)?;
    let n = g.dim();
    if n != x.dim() {
        return Err(RuntimeError::shape(
            ctx.op,
            "grad_output and self must have one rank",
        ));
    }
    let out = [g.shape()[n - 3], g.shape()[n - 2], g.shape()[n - 1]].map(|o| o.max(1) as usize);
    let win = adaptive_windows(count, size, out);
    let floating = g.dtype().is_floating();
    kernel_dtype(
        ctx.op,
        "adaptive_avg_pool3d_backward_cpu",
        g.dtype(),
        floating,
    )?;
    let dx = ctx.output(x.shape(), &contiguous_strides(x.shape()), g.dtype(), || {
        Ok(win.average_backward(&g.read_f64(ctx.op)?, step_dtype(ctx, g.dtype())))
    })?;
    Ok(vec![dx.into()])
}

/// PyTorch's input checks of `adaptive_max_pool3d` (rank, then a non-batch
/// dimension of size 0).
fn adaptive_max_input(op: &str, x: &Tensor) -> Result<()> {
    let s = x.shape();
    if !(s.len() == 4 || s.len() == 5) {
        return Err(RuntimeError::shape(
            op,
            format!("adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: {s:?}"),
        ));
    }
    let first = s.len() - 4;
    if let Some(d) = (first..s.len()).find(|&d| s[d] == 0) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "adaptive_max_pool3d(): Expected input to have non-zero size for non-batch \
                 dimensions, but input has sizes {s:?} with dimension {d} being empty"
            ),
        ));
    }
    Ok(())
}

/// `adaptive_max_pool3d(self, output_size)`: `(values, int64 indices)`, the
/// first maximum of each adaptive window (NaN wins), indices within the
/// plane, contiguous.
pub(crate) fn adaptive_max_pool3d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    adaptive_max_input(ctx.op, x)?;
    let (count, size) = planes(ctx.op, x)?;
    let out = triple(&a, 1, None)?;
    if out.iter().any(|&o| o < 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "adaptive_max_pool3d(): Expected output_size to be non-negative, but got {out:?}"
            ),
        ));
    }
    let floor_end = ctx.faults.adaptive_max_pool3d_floor_end;
    let win = adaptive_windows_ending(count, size, out.map(|o| o as usize), floor_end);
    let shape = win.out_shape(x);
    let floating = x.dtype().is_floating();
    kernel_dtype(ctx.op, "adaptive_max_pool3d_cpu", x.dtype(), floating)?;
    let strides = contiguous_strides(&shape);
    let (values, indices) = if ctx.has_data() {
        win.max(&x.read_f64(ctx.op)?)
    } else {
        (Vec::new(), Vec::new())
    };
    let values = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let indices = ctx.output_i64(&shape, &strides, DType::Int64, || Ok(indices))?;
    Ok(vec![values.into(), indices.into()])
}

/// `adaptive_max_pool3d_backward(grad_output, self, indices)`.
pub(crate) fn adaptive_max_pool3d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x, idx) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, name) in [(g, "grad_output"), (x, "self"), (idx, "indices")] {
        ctx.check(t, name)?;
    }
    let floating = g.dtype().is_floating();
    kernel_dtype(ctx.op, "adaptive_max_pool3d_backward", g.dtype(), floating)?;
    scatter_by_indices(ctx, g, x, idx, false)
}
