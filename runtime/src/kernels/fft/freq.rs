//! `fft_fftfreq(n, d=1.0, *, dtype, layout, device, pin_memory)` and
//! `fft_rfftfreq`: the sample frequencies of a length-`n` transform.
//!
//! PyTorch builds them step by step in the result's dtype: `arange(n)` (for
//! `fftfreq` the upper half overwritten by `arange(-(n / 2), 0)`, or
//! `arange(n / 2 + 1)` for `rfftfreq`), then `mul_` by the double
//! `1.0 / (n * d)`, which the dtype's kernel computes in its own precision
//! (float for float32 and the reduced types) and rounds once. Only floating
//! dtypes are accepted (`fftfreq requires a floating point or complex
//! dtype`; a complex dtype then fails in `arange`).

use super::{KernelCtx, RuntimeError};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::factory::options_dtype;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;

/// Both operators: `rfftfreq` keeps the non-negative half.
pub(crate) fn fftfreq(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let onesided = ctx.op == "aten.fft_rfftfreq.default";
    let n = a.int(0)?;
    let d = match a.values.get(1) {
        None | Some(IValue::None) => 1.0,
        Some(_) => a.scalar(1)?,
    };
    let dtype = options_dtype(ctx, &a, 2, 3, ctx.default_dtype)?;
    let name = if onesided { "rfftfreq" } else { "fftfreq" };
    if !(dtype.is_floating() || dtype.is_complex()) {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!("{name} requires a floating point or complex dtype"),
        });
    }
    // C++'s truncating `n / 2 + 1`: rfftfreq(-3) is empty, rfftfreq(-5) fails.
    let len = if onesided { n / 2 + 1 } else { n };
    if len < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("Trying to create tensor with negative dimension {len}: [{len}]"),
        ));
    }
    if dtype.is_complex() {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"arange_cpu\" not implemented for '{}'",
                dtype.scalar_type_name()
            ),
        });
    }
    let scale = 1.0 / (n as f64 * d);
    let out = ctx.output(&[len], &[1], dtype, || {
        crate::tensor::check_alloc(ctx.op, len as usize)?;
        Ok((0..len)
            .map(|i| {
                let k = if !onesided && i >= (n + 1) / 2 {
                    i - n
                } else {
                    i
                };
                frequency(dtype, k, scale)
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `k * scale` as `mul_` computes it on `arange`'s value `k` in `dtype`.
fn frequency(dtype: DType, k: i64, scale: f64) -> f64 {
    match dtype {
        DType::Float64 => k as f64 * scale,
        _ => {
            let k = cast_value(dtype, k as f64) as f32;
            cast_value(dtype, f64::from(k * scale as f32))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_steps_round_like_pytorch() {
        // torch.fft.fftfreq(5): 1/5 rounded to float, times k in float.
        let scale = 1.0 / 5.0;
        assert_eq!(frequency(DType::Float32, 1, scale), 0.20000000298023224);
        assert_eq!(frequency(DType::Float32, -2, scale), -0.4000000059604645);
        // torch.fft.rfftfreq(6, d=0.3, dtype=torch.float64)
        assert_eq!(
            frequency(DType::Float64, 1, 1.0 / (6.0 * 0.3)),
            0.5555555555555556
        );
        // torch.fft.fftfreq(7, 0.1, dtype=torch.bfloat16)[3]
        assert_eq!(frequency(DType::BFloat16, 3, 1.0 / (7.0 * 0.1)), 4.28125);
    }
}
