//! `hann_window(window_length, periodic=True, *, dtype, layout, device)`,
//! the window `torch.stft` front ends pass.
//!
//! PyTorch computes it as its Hamming window with `α = β = ½`: for
//! `N = window_length + 1` when periodic (the last point dropped), else
//! `N = window_length`, `w[j] = ½ − ½·cos(2πj/(N − 1))`, step by step in
//! the window's dtype (`arange`, `mul_` by the angle step, `cos_`, `mul_`
//! by `−½`, `add_` of `½`); a window of length 1 is `[1]`.

use super::{KernelCtx, RuntimeError};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::factory::options_dtype;
use crate::tensor::dtype::DType;

/// Both overloads: `periodic` is argument 1 of `hann_window.periodic`.
pub(crate) fn hann_window(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let length = a.int(0)?;
    let (periodic, options_at) = if ctx.op == "aten.hann_window.periodic" {
        (a.bool(1)?, 2)
    } else {
        (true, 1)
    };
    if length < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("hann_window requires non-negative window_length, got window_length={length}"),
        ));
    }
    let dtype = options_dtype(ctx, &a, options_at, options_at + 1, ctx.default_dtype)?;
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "hann_window expects floating point dtypes, got: {}",
                dtype.name()
            ),
        });
    }
    let len = length as usize;
    let out = ctx.output(&[length], &[1], dtype, || {
        crate::tensor::check_alloc(ctx.op, len)?;
        if len == 1 {
            return Ok(vec![1.0]);
        }
        let n = if periodic { len + 1 } else { len };
        let step = 2.0 * std::f64::consts::PI / (n - 1) as f64;
        Ok((0..len)
            .map(|j| match dtype {
                DType::Float32 => {
                    let angle = j as f32 * step as f32;
                    f64::from(angle.cos() * -0.5 + 0.5)
                }
                _ => (j as f64 * step).cos() * -0.5 + 0.5,
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}
