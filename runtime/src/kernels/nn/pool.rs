//! 2-d pooling: `max_pool2d_with_indices` (+ backward), `avg_pool2d`
//! (+ backward), `_adaptive_avg_pool2d` (+ backward), `adaptive_max_pool2d`
//! (+ backward).
//!
//! Inputs are `(C, H, W)` or `(N, C, H, W)`; every leading index is one
//! independent plane. Results keep the input's memory format (contiguous,
//! or channels-last for a channels-last input), as PyTorch's CPU kernels do.
//!
//! Observed in torch 2.15: `F.max_pool2d` dispatches
//! `max_pool2d_with_indices` (also without grad, under a dispatch mode);
//! `nn.AdaptiveAvgPool2d` dispatches `_adaptive_avg_pool2d` except for an
//! output of 1x1, which is `mean.dim(self, [-1, -2], keepdim=True)`.
//! Max pooling keeps the first maximum of a window and lets NaN win; its
//! indices are flat `h * W + w` offsets into the input plane (int64).

use super::common::{kernel_dtype, round_to};
use super::conv::{is_channels_last, strides_like};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The kernel of `op` if it is a pooling operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.max_pool2d_with_indices.default" => max_pool2d_with_indices,
        "aten.max_pool2d_with_indices_backward.default" => max_pool2d_with_indices_backward,
        "aten.avg_pool2d.default" => avg_pool2d,
        "aten.avg_pool2d_backward.default" => avg_pool2d_backward,
        "aten._adaptive_avg_pool2d.default" => adaptive_avg_pool2d,
        "aten._adaptive_avg_pool2d_backward.default" => adaptive_avg_pool2d_backward,
        "aten.adaptive_max_pool2d.default" => adaptive_max_pool2d,
        "aten.adaptive_max_pool2d_backward.default" => adaptive_max_pool2d_backward,
        _ => return None,
    })
}

/// Planes and sizes of a pooling input `(.., H, W)`.
#[derive(Clone, Copy, Debug)]
struct Planes {
    count: usize,
    /// The planes of one sample (`size(-3)`), as PyTorch's shape checks
    /// name them.
    channels: usize,
    h: usize,
    w: usize,
}

/// One pooling window geometry (per spatial dimension `[h, w]`).
#[derive(Clone, Copy, Debug)]
struct Window {
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    out: [usize; 2],
}

fn planes(op: &str, t: &Tensor, name: &str) -> Result<Planes> {
    let s = t.shape();
    let valid = match s.len() {
        3 => s.iter().all(|&d| d > 0),
        4 => s[1..].iter().all(|&d| d > 0),
        _ => false,
    };
    if !valid {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for {name}, but got:{s:?}"
            ),
        ));
    }
    let n = s.len();
    let count = s[..n - 2].iter().map(|&d| d as usize).product();
    Ok(Planes {
        count,
        channels: s[n - 3] as usize,
        h: s[n - 2] as usize,
        w: s[n - 1] as usize,
    })
}

/// An `int[2]` pooling parameter: one value or two; `default` when empty.
fn pair(a: &Args<'_>, i: usize, what: &str, default: Option<[i64; 2]>) -> Result<[i64; 2]> {
    let v = a.int_list(i)?;
    match (v.as_slice(), default) {
        ([x], _) => Ok([*x, *x]),
        ([x, y], _) => Ok([*x, *y]),
        ([], Some(d)) => Ok(d),
        _ => Err(RuntimeError::shape(a.op, what.to_owned())),
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

/// Parses and checks a pooling window (PyTorch's `pool2d_shape_check`
/// messages). Arguments at `first`: kernel_size, stride, padding and, when
/// `dilation_at` is given, dilation.
fn window(
    a: &Args<'_>,
    p: &Planes,
    first: usize,
    dilation_at: Option<usize>,
    ceil: bool,
) -> Result<Window> {
    let op = a.op;
    let kernel = pair(
        a,
        first,
        "kernel_size must either be a single int, or a tuple of two ints",
        None,
    )?;
    let stride = pair(
        a,
        first + 1,
        "stride must either be omitted, a single int, or a tuple of two ints",
        Some(kernel),
    )?;
    let padding = pair(
        a,
        first + 2,
        "padding must either be a single int, or a tuple of two ints",
        None,
    )?;
    let dilation = match dilation_at {
        Some(i) => pair(
            a,
            i,
            "dilation must be either a single int, or a tuple of two ints",
            None,
        )?,
        None => [1, 1],
    };
    if stride.contains(&0) {
        return Err(RuntimeError::shape(op, "stride should not be zero"));
    }
    if kernel.iter().any(|&k| k <= 0) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "kernel size should be greater than zero, but got kH: {} kW: {}",
                kernel[0], kernel[1]
            ),
        ));
    }
    if stride.iter().any(|&s| s < 0)
        || dilation.iter().any(|&d| d <= 0)
        || padding.iter().any(|&q| q < 0)
    {
        return Err(RuntimeError::shape(
            op,
            "stride and dilation should be greater than zero and padding non-negative",
        ));
    }
    for i in 0..2 {
        if padding[i] > ((kernel[i] - 1) * dilation[i] + 1) / 2 {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
                    padding[i], kernel[i], dilation[i]
                ),
            ));
        }
    }
    let size = [p.h as i64, p.w as i64];
    let out: Vec<i64> = (0..2)
        .map(|i| output_size(size[i], kernel[i], padding[i], stride[i], dilation[i], ceil))
        .collect();
    if out.iter().any(|&o| o < 1) {
        let c = p.channels;
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given input size: ({c}x{}x{}). Calculated output size: ({c}x{}x{}). Output size is too small",
                p.h, p.w, out[0], out[1]
            ),
        ));
    }
    let u = |v: [i64; 2]| [v[0] as usize, v[1] as usize];
    Ok(Window {
        kernel: u(kernel),
        stride: u(stride),
        padding: u(padding),
        dilation: u(dilation),
        out: [out[0] as usize, out[1] as usize],
    })
}

/// The shape of a pooling result: `self`'s leading dimensions, then `out`.
fn pooled_shape(t: &Tensor, out: [usize; 2]) -> Vec<i64> {
    let s = t.shape();
    let mut shape = s[..s.len() - 2].to_vec();
    shape.extend([out[0] as i64, out[1] as i64]);
    shape
}

/// Strides of a result shaped `shape` in the memory format `like`
/// suggests: channels-last for any NHWC stride order, a crop or a channel
/// chunk of a channels-last tensor included. The fault
/// `pool-exact-channels-last` asks for exactly dense NHWC strides instead.
fn layout(ctx: &KernelCtx<'_>, shape: &[i64], like: &Tensor) -> Vec<i64> {
    let channels_last = if ctx.faults.pool_exact_channels_last {
        like.dim() == 4
            && !like.is_contiguous()
            && crate::tensor::strides::channels_last_strides(like.shape()).as_deref()
                == Some(like.stride())
    } else {
        is_channels_last(like)
    };
    strides_like(shape, channels_last)
}

/// Refuses a dtype the CPU kernel does not dispatch, naming the kernel as
/// PyTorch does (`<name>_channels_last` when the input suggests NHWC).
fn pool_dtype(op: &str, name: &str, x: &Tensor, dtype: DType, supported: bool) -> Result<()> {
    let kernel = if is_channels_last(x) {
        format!("{name}_channels_last")
    } else {
        name.to_owned()
    };
    kernel_dtype(op, &kernel, dtype, supported)
}

/// Whether average pooling dispatches `dtype` (floating and int64).
fn averages(dtype: DType) -> bool {
    dtype.is_floating() || dtype == DType::Int64
}

// -- max pooling --------------------------------------------------------------

/// First in-bounds tap of output `o` along one dimension, and the end.
fn max_range(o: usize, win: &Window, d: usize, size: usize) -> (usize, usize) {
    let start = (o * win.stride[d]) as i64 - win.padding[d] as i64;
    let end = (start + ((win.kernel[d] - 1) * win.dilation[d]) as i64 + 1).min(size as i64);
    let mut first = start;
    while first < 0 {
        first += win.dilation[d] as i64;
    }
    (first as usize, end.max(0) as usize)
}

/// Max and flat index per output element, plane by plane.
fn max_values(x: &[f64], p: &Planes, win: &Window) -> (Vec<f64>, Vec<i64>) {
    let per_plane = win.out[0] * win.out[1];
    let mut values = Vec::with_capacity(p.count * per_plane);
    let mut indices = Vec::with_capacity(p.count * per_plane);
    for plane in x.chunks(p.h * p.w).take(p.count) {
        for oy in 0..win.out[0] {
            let (y0, y1) = max_range(oy, win, 0, p.h);
            for ox in 0..win.out[1] {
                let (x0, x1) = max_range(ox, win, 1, p.w);
                let mut best = (f64::NEG_INFINITY, (y0 * p.w + x0) as i64);
                for y in (y0..y1).step_by(win.dilation[0]) {
                    for xx in (x0..x1).step_by(win.dilation[1]) {
                        let at = y * p.w + xx;
                        let v = plane.get(at).copied().unwrap_or(f64::NAN);
                        if v > best.0 || v.is_nan() {
                            best = (v, at as i64);
                        }
                    }
                }
                values.push(best.0);
                indices.push(best.1);
            }
        }
    }
    (values, indices)
}

/// `max_pool2d_with_indices(self, kernel_size, stride=[], padding=0,
/// dilation=1, ceil_mode=False)`: `(values, int64 indices)`.
pub(crate) fn max_pool2d_with_indices(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let p = planes(ctx.op, x, "input")?;
    let win = window(&a, &p, 1, Some(4), a.bool(5)?)?;
    let shape = pooled_shape(x, win.out);
    let dtype = x.dtype();
    pool_dtype(
        ctx.op,
        "max_pool2d",
        x,
        dtype,
        !matches!(dtype, DType::Bool) && !dtype.is_complex(),
    )?;
    let strides = layout(ctx, &shape, x);
    let (values, indices) = if ctx.has_data() {
        max_values(&x.read_f64(ctx.op)?, &p, &win)
    } else {
        (Vec::new(), Vec::new())
    };
    let out = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let idx = ctx.output_i64(&shape, &strides, DType::Int64, || Ok(indices))?;
    Ok(vec![out.into(), idx.into()])
}

/// `max_pool2d_with_indices_backward(grad_output, self, kernel_size, stride,
/// padding, dilation, ceil_mode, indices)`: each output gradient goes to
/// the input element its index names (summed where windows overlap).
pub(crate) fn max_pool2d_with_indices_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x, idx) = (a.tensor(0)?, a.tensor(1)?, a.tensor(7)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(idx, "indices")?;
    let p = planes(ctx.op, x, "input")?;
    let win = window(&a, &p, 2, Some(5), a.bool(6)?)?;
    let shape = pooled_shape(x, win.out);
    if g.shape() != shape.as_slice() || idx.shape() != shape.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?} and indices {:?} must have the pooled size {shape:?}",
                g.shape(),
                idx.shape()
            ),
        ));
    }
    let dtype = g.dtype();
    pool_dtype(ctx.op, "max_pool2d_backward", x, dtype, dtype.is_floating())?;
    Ok(vec![
        scatter_by_indices(ctx, g, x, idx, &p, win.out)?.into(),
    ])
}

/// The input gradient of a max pooling: each output gradient added to the
/// input element its index names (plane-relative `h * W + w`), in output
/// order and rounded to the gradient's dtype after each addition, as
/// PyTorch's CPU kernels accumulate (in every dtype and memory format): a
/// sum in `f64` rounded once differs where overlapping windows send
/// gradients of mixed sign to one element.
fn scatter_by_indices(
    ctx: &KernelCtx<'_>,
    g: &Tensor,
    x: &Tensor,
    idx: &Tensor,
    p: &Planes,
    out: [usize; 2],
) -> Result<Tensor> {
    ctx.output(x.shape(), &layout(ctx, x.shape(), x), g.dtype(), || {
        let (gv, iv) = (g.read_f64(ctx.op)?, idx.read_i64(ctx.op)?);
        let dtype = step_dtype(ctx, g.dtype());
        let plane = p.h * p.w;
        let per_plane = out[0] * out[1];
        let mut dx = vec![0.0; p.count * plane];
        for (k, (&d, &i)) in gv.iter().zip(&iv).enumerate() {
            let base = (k / per_plane.max(1)) * plane;
            let slot = usize::try_from(i)
                .ok()
                .filter(|&i| i < plane)
                .ok_or_else(|| {
                    RuntimeError::shape(
                        ctx.op,
                        format!("index {i} out of range for a plane of {plane}"),
                    )
                })?;
            let at = &mut dx[base + slot];
            *at = round_to(dtype, *at + d);
        }
        Ok(dx)
    })
}

/// The dtype a pooling gradient is rounded to after each division and
/// addition: the gradient's own, as PyTorch's CPU kernels accumulate, or
/// float64 (a sum rounded once, at the end) under the
/// `pool-gradient-in-double` fault.
pub(super) fn step_dtype(ctx: &KernelCtx<'_>, dtype: DType) -> DType {
    if ctx.faults.pool_gradient_in_double {
        DType::Float64
    } else {
        dtype
    }
}

// -- average pooling ----------------------------------------------------------

/// The averaging settings of `avg_pool2d`.
#[derive(Clone, Copy, Debug)]
struct Average {
    count_include_pad: bool,
    divisor_override: Option<i64>,
}

/// The in-bounds window of output `(oy, ox)` and its divisor (PyTorch's CPU
/// `avg_pool2d`: the padded window counts when `count_include_pad`).
fn avg_window(oy: usize, ox: usize, p: &Planes, win: &Window, avg: Average) -> ([usize; 4], f64) {
    let span = |o: usize, d: usize, size: usize| {
        let start = (o * win.stride[d]) as i64 - win.padding[d] as i64;
        let end = (start + win.kernel[d] as i64).min((size + win.padding[d]) as i64);
        let padded = end - start;
        (
            start.max(0) as usize,
            end.min(size as i64).max(0) as usize,
            padded,
        )
    };
    let (y0, y1, ph) = span(oy, 0, p.h);
    let (x0, x1, pw) = span(ox, 1, p.w);
    let divisor = match avg.divisor_override {
        Some(d) => d as f64,
        None if avg.count_include_pad => (ph * pw) as f64,
        None => (y1.saturating_sub(y0) * x1.saturating_sub(x0)) as f64,
    };
    ([y0, y1, x0, x1], divisor)
}

fn avg_settings(a: &Args<'_>, first: usize) -> Result<Average> {
    let divisor_override = match a.values.get(first + 1) {
        Some(IValue::Int(0)) => return Err(RuntimeError::shape(a.op, "divisor must be not zero")),
        Some(IValue::Int(d)) => Some(*d),
        _ => None,
    };
    Ok(Average {
        count_include_pad: a.bool(first)?,
        divisor_override,
    })
}

/// `avg_pool2d(self, kernel_size, stride=[], padding=0, ceil_mode=False,
/// count_include_pad=True, divisor_override=None)`.
pub(crate) fn avg_pool2d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let p = planes(ctx.op, x, "input")?;
    let win = window(&a, &p, 1, None, a.bool(4)?)?;
    let avg = avg_settings(&a, 5)?;
    let shape = pooled_shape(x, win.out);
    pool_dtype(ctx.op, "avg_pool2d", x, x.dtype(), averages(x.dtype()))?;
    let out = ctx.output(&shape, &layout(ctx, &shape, x), x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        let mut out = Vec::with_capacity(p.count * win.out[0] * win.out[1]);
        for plane in xs.chunks(p.h * p.w).take(p.count) {
            for oy in 0..win.out[0] {
                for ox in 0..win.out[1] {
                    let ([y0, y1, x0, x1], divisor) = avg_window(oy, ox, &p, &win, avg);
                    out.push(if y0 >= y1 || x0 >= x1 {
                        0.0
                    } else {
                        window_sum(plane, p.w, [y0, y1, x0, x1]) / divisor
                    });
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `avg_pool2d_backward(grad_output, self, kernel_size, stride, padding,
/// ceil_mode, count_include_pad, divisor_override)`.
pub(crate) fn avg_pool2d_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (g, x) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    let p = planes(ctx.op, x, "input")?;
    let win = window(&a, &p, 2, None, a.bool(5)?)?;
    let avg = avg_settings(&a, 6)?;
    check_grad_shape(ctx.op, g, &pooled_shape(x, win.out))?;
    pool_dtype(
        ctx.op,
        "avg_pool2d_backward",
        x,
        g.dtype(),
        averages(g.dtype()),
    )?;
    let out = ctx.output(x.shape(), &layout(ctx, x.shape(), x), g.dtype(), || {
        // Each output's share, divided and added in the gradient's dtype,
        // in output order (PyTorch's CPU kernel, every dtype and format).
        let (gv, dtype) = (g.read_f64(ctx.op)?, step_dtype(ctx, g.dtype()));
        let plane = p.h * p.w;
        let mut dx = vec![0.0; p.count * plane];
        let per_plane = win.out[0] * win.out[1];
        for (k, &d) in gv.iter().enumerate() {
            let (base, o) = ((k / per_plane) * plane, k % per_plane);
            let ([y0, y1, x0, x1], divisor) =
                avg_window(o / win.out[1], o % win.out[1], &p, &win, avg);
            if x0 >= x1 {
                continue;
            }
            let share = round_to(dtype, d / divisor);
            for y in y0..y1 {
                dx[base + y * p.w + x0..base + y * p.w + x1]
                    .iter_mut()
                    .for_each(|v| *v = round_to(dtype, *v + share));
            }
        }
        Ok(dx)
    })?;
    Ok(vec![out.into()])
}

/// Sum of `plane[y0..y1, x0..x1]` (row width `w`), 0 for an empty window.
fn window_sum(plane: &[f64], w: usize, [y0, y1, x0, x1]: [usize; 4]) -> f64 {
    (y0..y1)
        .filter_map(|y| plane.get(y * w + x0..y * w + x1.max(x0)))
        .flatten()
        .sum()
}

fn check_grad_shape(op: &str, g: &Tensor, shape: &[i64]) -> Result<()> {
    if g.shape() == shape {
        Ok(())
    } else {
        Err(RuntimeError::shape(
            op,
            format!(
                "grad_output of size {:?} does not match the pooled size {shape:?}",
                g.shape()
            ),
        ))
    }
}

// -- adaptive average pooling -------------------------------------------------

/// Input range `[floor(o·I/O), ceil((o+1)·I/O))` of adaptive output `o`.
fn adaptive_range(o: usize, input: usize, output: usize) -> (usize, usize) {
    let start = (o * input) / output;
    let end = ((o + 1) * input).div_ceil(output);
    (start, end)
}

fn adaptive_planes(op: &str, x: &Tensor) -> Result<Planes> {
    if !(3..=4).contains(&x.dim()) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {:?}",
                x.shape()
            ),
        ));
    }
    planes(op, x, "input")
}

/// `_adaptive_avg_pool2d(self, output_size)`.
pub(crate) fn adaptive_avg_pool2d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let p = adaptive_planes(ctx.op, x)?;
    let size = pair(&a, 1, "output_size must be 2", None)?;
    if size.iter().any(|&s| s < 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {{{}, {}}}",
                size[0], size[1]
            ),
        ));
    }
    let out_hw = [size[0] as usize, size[1] as usize];
    let shape = pooled_shape(x, out_hw);
    pool_dtype(
        ctx.op,
        "adaptive_avg_pool2d",
        x,
        x.dtype(),
        x.dtype().is_floating(),
    )?;
    let out = ctx.output(&shape, &layout(ctx, &shape, x), x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        let mut out = Vec::with_capacity(p.count * out_hw[0] * out_hw[1]);
        for plane in xs.chunks(p.h * p.w).take(p.count) {
            for oy in 0..out_hw[0] {
                let (y0, y1) = adaptive_range(oy, p.h, out_hw[0]);
                for ox in 0..out_hw[1] {
                    let (x0, x1) = adaptive_range(ox, p.w, out_hw[1]);
                    let sum = window_sum(plane, p.w, [y0, y1, x0, x1]);
                    out.push(sum / ((y1 - y0) * (x1 - x0)) as f64);
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `_adaptive_avg_pool2d_backward(grad_output, self)`.
pub(crate) fn adaptive_avg_pool2d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    let p = adaptive_planes(ctx.op, x)?;
    if g.dim() != x.dim() || g.shape()[..g.dim() - 2] != x.shape()[..x.dim() - 2] {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match self {:?}",
                g.shape(),
                x.shape()
            ),
        ));
    }
    let out_hw = [
        g.shape()[g.dim() - 2] as usize,
        g.shape()[g.dim() - 1] as usize,
    ];
    let dtype = g.dtype();
    pool_dtype(
        ctx.op,
        "adaptive_avg_pool2d_backward",
        x,
        dtype,
        dtype.is_floating(),
    )?;
    let out = ctx.output(x.shape(), &layout(ctx, x.shape(), x), g.dtype(), || {
        // PyTorch's CPU kernel: `grad / kh / kw`, then added in output
        // order, every step rounded to the gradient's dtype.
        let (gv, dtype) = (g.read_f64(ctx.op)?, step_dtype(ctx, g.dtype()));
        let plane = p.h * p.w;
        let per_plane = out_hw[0] * out_hw[1];
        let mut dx = vec![0.0; p.count * plane];
        for (k, &d) in gv.iter().enumerate() {
            let (base, o) = ((k / per_plane) * plane, k % per_plane);
            let (y0, y1) = adaptive_range(o / out_hw[1], p.h, out_hw[0]);
            let (x0, x1) = adaptive_range(o % out_hw[1], p.w, out_hw[1]);
            let by_rows = round_to(dtype, d / (y1 - y0) as f64);
            let share = round_to(dtype, by_rows / (x1 - x0) as f64);
            for y in y0..y1 {
                dx[base + y * p.w + x0..base + y * p.w + x1]
                    .iter_mut()
                    .for_each(|v| *v = round_to(dtype, *v + share));
            }
        }
        Ok(dx)
    })?;
    Ok(vec![out.into()])
}

/// Max and flat index per adaptive window, plane by plane.
fn adaptive_max_values(x: &[f64], p: &Planes, out: [usize; 2]) -> (Vec<f64>, Vec<i64>) {
    let mut values = Vec::with_capacity(p.count * out[0] * out[1]);
    let mut indices = Vec::with_capacity(p.count * out[0] * out[1]);
    for plane in x.chunks(p.h * p.w).take(p.count) {
        for oy in 0..out[0] {
            let (y0, y1) = adaptive_range(oy, p.h, out[0]);
            for ox in 0..out[1] {
                let (x0, x1) = adaptive_range(ox, p.w, out[1]);
                let mut best = (f64::NEG_INFINITY, (y0 * p.w + x0) as i64);
                for y in y0..y1 {
                    for xx in x0..x1 {
                        let at = y * p.w + xx;
                        let v = plane.get(at).copied().unwrap_or(f64::NAN);
                        if v > best.0 || v.is_nan() {
                            best = (v, at as i64);
                        }
                    }
                }
                values.push(best.0);
                indices.push(best.1);
            }
        }
    }
    (values, indices)
}

/// `adaptive_max_pool2d(self, output_size)`: `(values, int64 indices)`.
pub(crate) fn adaptive_max_pool2d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let p = planes(ctx.op, x, "input")?;
    let size = pair(
        &a,
        1,
        "adaptive_max_pool2d(): internal error: output_size.size() must be 2",
        None,
    )?;
    if size.iter().any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("adaptive_max_pool2d(): Expected output_size to be positive, but got {size:?}"),
        ));
    }
    let out = [size[0] as usize, size[1] as usize];
    let shape = pooled_shape(x, out);
    pool_dtype(
        ctx.op,
        "adaptive_max_pool2d",
        x,
        x.dtype(),
        x.dtype().is_floating(),
    )?;
    let strides = layout(ctx, &shape, x);
    let (values, indices) = if ctx.has_data() {
        adaptive_max_values(&x.read_f64(ctx.op)?, &p, out)
    } else {
        (Vec::new(), Vec::new())
    };
    let values = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let indices = ctx.output_i64(&shape, &strides, DType::Int64, || Ok(indices))?;
    Ok(vec![values.into(), indices.into()])
}

/// `adaptive_max_pool2d_backward(grad_output, self, indices)`.
pub(crate) fn adaptive_max_pool2d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (g, x, idx) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    ctx.check(idx, "indices")?;
    let p = planes(ctx.op, x, "input")?;
    let n = g.dim();
    if n != x.dim() || idx.shape() != g.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?} and indices {:?} must have one shape",
                g.shape(),
                idx.shape()
            ),
        ));
    }
    let out = [g.shape()[n - 2] as usize, g.shape()[n - 1] as usize];
    let dtype = g.dtype();
    pool_dtype(
        ctx.op,
        "adaptive_max_pool2d_backward",
        x,
        dtype,
        dtype.is_floating(),
    )?;
    Ok(vec![scatter_by_indices(ctx, g, x, idx, &p, out)?.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_sizes_follow_pooling_output_shape() {
        assert_eq!(output_size(6, 2, 0, 2, 1, false), 3);
        assert_eq!(output_size(6, 3, 1, 2, 1, true), 4);
        assert_eq!(output_size(5, 2, 0, 2, 1, true), 3);
        // The last window would start in the right padding: dropped.
        assert_eq!(output_size(4, 2, 1, 2, 1, true), 3);
    }

    #[test]
    fn adaptive_ranges_cover_the_input() {
        assert_eq!(adaptive_range(0, 6, 4), (0, 2));
        assert_eq!(adaptive_range(1, 6, 4), (1, 3));
        assert_eq!(adaptive_range(3, 6, 4), (4, 6));
    }

    #[test]
    fn max_pool_keeps_the_first_maximum_and_nan_wins() {
        let p = Planes {
            count: 1,
            channels: 1,
            h: 2,
            w: 4,
        };
        let win = Window {
            kernel: [2, 2],
            stride: [2, 2],
            padding: [0, 0],
            dilation: [1, 1],
            out: [1, 2],
        };
        let x = [1.0, 3.0, f64::NAN, 0.0, 3.0, 2.0, 9.0, 1.0];
        let (v, i) = max_values(&x, &p, &win);
        assert_eq!(v[0], 3.0);
        assert_eq!(i, vec![1, 2]);
        assert!(v[1].is_nan());
    }
}
