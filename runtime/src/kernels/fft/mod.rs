//! The spectral operators behind `torch.fft` and `torch.stft`/`istft`:
//! `_fft_r2c`, `_fft_c2r`, `_fft_c2c` over any dimensions and lengths, and
//! the `hann_window` factory and the `fft_fftfreq`/`fft_rfftfreq` sample
//! frequencies.
//!
//! Each transform reads its input in logical order, runs the 1-D transform
//! of [`dft`] (double precision) along every transformed dimension, scales
//! by PyTorch's `normalization` (0: none, 1: `1/√n`, 2: `1/n`, `n` the
//! product of the signal sizes) and writes its result with the strides of
//! PyTorch's CPU (MKL) kernel: the batch dimensions ordered by the input's
//! strides (largest first) and collapsed, then the transformed dimensions
//! in the order `dim` lists them, contiguous.
//!
//! * `_fft_r2c(self, dim, normalization, onesided)`: real → complex,
//!   forward; `onesided` keeps `n/2 + 1` entries of the last `dim`.
//! * `_fft_c2r(self, dim, normalization, last_dim_size)`: the inverse of a
//!   onesided transform, complex → real: the other dimensions transformed
//!   first (c2c, inverse), then the last one extended by Hermitian symmetry
//!   from its first `last_dim_size/2 + 1` entries (the imaginary parts of
//!   the zero and Nyquist entries play no part), transformed, real part.
//! * `_fft_c2c(self, dim, normalization, forward)`: complex → complex.

pub(crate) mod complex_steps;
pub(crate) mod dft;
mod freq;
mod window;

use super::{Kernel, KernelCtx};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use dft::C;

/// The kernel of a spectral operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._fft_r2c.default" => fft_r2c,
        "aten._fft_c2r.default" => fft_c2r,
        "aten._fft_c2c.default" => fft_c2c,
        "aten.hann_window.default"
        | "aten.hann_window.periodic"
        | "aten.hamming_window.default"
        | "aten.hamming_window.periodic"
        | "aten.hamming_window.periodic_alpha"
        | "aten.hamming_window.periodic_alpha_beta"
        | "aten.blackman_window.default"
        | "aten.blackman_window.periodic"
        | "aten.bartlett_window.default"
        | "aten.bartlett_window.periodic"
        | "aten.kaiser_window.default"
        | "aten.kaiser_window.periodic"
        | "aten.kaiser_window.beta" => window::window,
        "aten.fft_fftfreq.default" | "aten.fft_rfftfreq.default" => freq::fftfreq,
        _ => return None,
    })
}

/// `dim` wrapped and checked: in range, no repeats, at least one.
fn signal_dims(op: &str, dim: &[i64], rank: usize) -> Result<Vec<usize>> {
    if dim.is_empty() {
        return Err(RuntimeError::shape(
            op,
            "expected at least one dimension to transform",
        ));
    }
    let mut out = Vec::with_capacity(dim.len());
    for &d in dim {
        let w = crate::tensor::strides::wrap_dim(d, rank).ok_or_else(|| {
            RuntimeError::index(
                op,
                format!(
                    "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                    -(rank.max(1) as i64),
                    rank.max(1) as i64 - 1
                ),
            )
        })?;
        if out.contains(&w) {
            return Err(RuntimeError::shape(
                op,
                format!("dims must be unique, got {dim:?}"),
            ));
        }
        out.push(w);
    }
    Ok(out)
}

/// The scale of PyTorch's `normalization` code for a signal of `n` elements.
fn norm_scale(op: &str, normalization: i64, n: usize) -> Result<f64> {
    match normalization {
        0 => Ok(1.0),
        1 => Ok(1.0 / (n as f64).sqrt()),
        2 => Ok(1.0 / n as f64),
        other => Err(RuntimeError::unsupported(
            op,
            format!("normalization mode {other} (PyTorch knows 0, 1 and 2)"),
        )),
    }
}

/// The strides of PyTorch's CPU FFT output of `out_shape`, for an input
/// with `in_strides` transformed along `dims` (see the module docs).
fn output_strides(out_shape: &[i64], in_strides: &[i64], dims: &[usize]) -> Vec<i64> {
    let rank = out_shape.len();
    let mut batch: Vec<usize> = (0..rank).filter(|d| !dims.contains(d)).collect();
    batch.sort_by(|&a, &b| in_strides[b].cmp(&in_strides[a]));
    let mut strides = vec![0i64; rank];
    let mut size = 1i64;
    for &d in dims.iter().rev() {
        strides[d] = size;
        size *= out_shape[d].max(1);
    }
    let signal = size;
    let mut batch_numel = 1i64;
    for &d in batch.iter().rev() {
        strides[d] = batch_numel * signal;
        batch_numel *= out_shape[d].max(1);
    }
    strides
}

/// Applies `f` to every line along `dim` of a row-major buffer of `shape`,
/// replacing each line (of the old length) by `f`'s result (of length
/// `new_len`); returns the new buffer, of `shape` with `dim` = `new_len`.
fn map_lines(
    data: &[C],
    shape: &mut [usize],
    dim: usize,
    new_len: usize,
    mut f: impl FnMut(&[C]) -> Vec<C>,
) -> Vec<C> {
    let len = shape[dim];
    let inner: usize = shape[dim + 1..].iter().product();
    let outer: usize = shape[..dim].iter().product();
    let mut out = vec![(0.0, 0.0); outer * new_len * inner];
    let mut line = Vec::with_capacity(len);
    for o in 0..outer {
        for i in 0..inner {
            line.clear();
            line.extend((0..len).map(|j| data[(o * len + j) * inner + i]));
            let result = f(&line);
            for (j, v) in result.into_iter().take(new_len).enumerate() {
                out[(o * new_len + j) * inner + i] = v;
            }
        }
    }
    shape[dim] = new_len;
    out
}

/// A tensor's elements in logical order as complex numbers (a real tensor
/// has zero imaginary parts), with its shape.
fn complex_values(op: &str, t: &Tensor) -> Result<(Vec<C>, Vec<usize>)> {
    let shape: Vec<usize> = t.shape().iter().map(|&d| d.max(0) as usize).collect();
    let parts = t.read_f64(op)?;
    let values = if t.dtype().is_complex() {
        parts.chunks_exact(2).map(|p| (p[0], p[1])).collect()
    } else {
        parts.into_iter().map(|v| (v, 0.0)).collect()
    };
    Ok((values, shape))
}

/// Complex transforms (c2c) of `data` along each of `dims`.
fn transform_dims(
    data: Vec<C>,
    shape: &mut [usize],
    dims: &[usize],
    inverse: bool,
    flip: bool,
) -> Vec<C> {
    let mut data = data;
    for &d in dims {
        let n = shape[d];
        data = map_lines(&data, shape, d, n, |line| dft::dft(line, inverse, flip));
    }
    data
}

fn flatten(values: Vec<C>, scale: f64) -> Vec<f64> {
    values
        .into_iter()
        .flat_map(|(re, im)| [re * scale, im * scale])
        .collect()
}

/// The input's checks shared by the transforms: on the backend, of
/// `want` kind (real floating or complex).
fn check_input(ctx: &KernelCtx<'_>, t: &Tensor, complex: bool) -> Result<()> {
    ctx.check(t, "self")?;
    let ok = if complex {
        matches!(t.dtype(), DType::Complex64 | DType::Complex128)
    } else {
        matches!(t.dtype(), DType::Float32 | DType::Float64)
    };
    if ok {
        return Ok(());
    }
    Err(RuntimeError::KernelDtype {
        op: ctx.op.to_owned(),
        message: format!(
            "expected a {} input, got {}",
            if complex {
                "complex64 or complex128"
            } else {
                "float32 or float64"
            },
            t.dtype().name()
        ),
    })
}

/// `_fft_r2c(self, dim, normalization, onesided)`.
fn fft_r2c(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    check_input(ctx, t, false)?;
    let dims = signal_dims(ctx.op, &a.int_list(1)?, t.dim())?;
    let normalization = a.int(2)?;
    let onesided = a.bool(3)?;
    let last = *dims.last().unwrap_or(&0);
    let mut out_shape = t.shape().to_vec();
    if onesided {
        out_shape[last] = out_shape[last] / 2 + 1;
    }
    let n: usize = dims.iter().map(|&d| t.shape()[d].max(0) as usize).product();
    let scale = norm_scale(ctx.op, normalization, n)?;
    let strides = output_strides(&out_shape, t.stride(), &dims);
    let dtype = t.dtype().to_complex().unwrap_or(DType::Complex64);
    let flip = ctx.faults.fft_twiddle_sign;
    let out = ctx.output(&out_shape, &strides, dtype, || {
        let (values, mut shape) = complex_values(ctx.op, t)?;
        let mut data = transform_dims(values, &mut shape, &dims, false, flip);
        if onesided {
            let keep = out_shape[last] as usize;
            data = map_lines(&data, &mut shape, last, keep, <[C]>::to_vec);
        }
        Ok(flatten(data, scale))
    })?;
    Ok(vec![out.into()])
}

/// `_fft_c2r(self, dim, normalization, last_dim_size)`.
fn fft_c2r(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    check_input(ctx, t, true)?;
    let dims = signal_dims(ctx.op, &a.int_list(1)?, t.dim())?;
    let normalization = a.int(2)?;
    let last_dim_size = a.int(3)?;
    let last = *dims.last().unwrap_or(&0);
    let half = t.shape()[last];
    if last_dim_size < 1 || half < last_dim_size / 2 + 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Invalid number of data points ({last_dim_size}) specified for a onesided \
                 input of {half} entries"
            ),
        ));
    }
    let mut out_shape = t.shape().to_vec();
    out_shape[last] = last_dim_size;
    let n: usize = dims.iter().map(|&d| out_shape[d].max(0) as usize).product();
    let scale = if ctx.faults.irfft_missing_normalization {
        1.0
    } else {
        norm_scale(ctx.op, normalization, n)?
    };
    let strides = output_strides(&out_shape, t.stride(), &dims);
    let flip = ctx.faults.fft_twiddle_sign;
    let out = ctx.output(&out_shape, &strides, t.dtype().to_real(), || {
        let (values, mut shape) = complex_values(ctx.op, t)?;
        let rest = &dims[..dims.len() - 1];
        let data = transform_dims(values, &mut shape, rest, true, flip);
        let len = last_dim_size as usize;
        let data = map_lines(&data, &mut shape, last, len, |line| {
            let full: Vec<C> = (0..len)
                .map(|k| {
                    if k <= len / 2 {
                        line[k]
                    } else {
                        let (re, im) = line[len - k];
                        (re, -im)
                    }
                })
                .collect();
            dft::dft(&full, true, flip)
        });
        Ok(data.into_iter().map(|(re, _)| re * scale).collect())
    })?;
    Ok(vec![out.into()])
}

/// `_fft_c2c(self, dim, normalization, forward)`.
fn fft_c2c(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    check_input(ctx, t, true)?;
    let dims = signal_dims(ctx.op, &a.int_list(1)?, t.dim())?;
    let normalization = a.int(2)?;
    let forward = a.bool(3)?;
    let n: usize = dims.iter().map(|&d| t.shape()[d].max(0) as usize).product();
    let scale = norm_scale(ctx.op, normalization, n)?;
    let strides = output_strides(t.shape(), t.stride(), &dims);
    let flip = ctx.faults.fft_twiddle_sign;
    let out = ctx.output(t.shape(), &strides, t.dtype(), || {
        let (values, mut shape) = complex_values(ctx.op, t)?;
        let data = transform_dims(values, &mut shape, &dims, !forward, flip);
        Ok(flatten(data, scale))
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::output_strides;

    #[test]
    fn output_strides_follow_pytorchs_cpu_kernel() {
        // Observed in torch 2.15 (MKL): _fft_r2c of x.transpose(0, 1) of a
        // [4, 6, 8] tensor along dim 2, of x.transpose(1, 2) along dim 1,
        // of x.permute(2, 0, 1) along [0, 2]; _fft_c2c of z.transpose(0, 2)
        // along dim 1.
        assert_eq!(output_strides(&[6, 4, 5], &[8, 48, 1], &[2]), [5, 30, 1]);
        assert_eq!(output_strides(&[4, 5, 6], &[48, 1, 8], &[1]), [30, 1, 5]);
        assert_eq!(output_strides(&[8, 4, 4], &[1, 48, 8], &[0, 2]), [4, 32, 1]);
        assert_eq!(output_strides(&[8, 6, 4], &[1, 4, 24], &[1]), [6, 1, 48]);
    }
}
