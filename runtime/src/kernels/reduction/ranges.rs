//! Evenly spaced factories: `linspace`.
//!
//! Observed in torch 2.15 on CPU: the dtype is the `dtype` argument, else
//! the default dtype (also for integer end points); `step = (end - start) /
//! (steps - 1)` in the element type (double for integer dtypes), the first
//! half counts up from `start` (`start + step·i`) and the second half down
//! from `end` (`end - step·(steps - 1 - i)`), so both end points are exact
//! (`linspace(0, 1, 7)` in float32 has `0.6666666269…` at index 4); one step
//! gives `[start]`, zero steps an empty tensor; integer results truncate.
//! For float32 and float64 the compiler fuses each `start + step·i` (and
//! `end - step·k`) into one fused multiply-add, rounded once: measured bit
//! for bit on 33 to 200 steps (`linspace(0.1, 0.9, 17)` in float32 has
//! `0.449999988…` at index 7, two roundings give `0.449999958…`).

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::factory::options_dtype;
use crate::tensor::dtype::DType;

/// The values of `linspace` in f64 (float32 and reduced floats step in
/// float32 arithmetic, as PyTorch's element type does; float32 and float64
/// with fused multiply-adds).
pub(crate) fn values(dtype: DType, start: f64, end: f64, steps: usize) -> Vec<f64> {
    if steps == 1 {
        return vec![start];
    }
    let half = steps / 2;
    let last = steps as f64 - 1.0;
    match dtype {
        DType::Float32 => {
            let (s, e) = (start as f32, end as f32);
            let step = (e - s) / last as f32;
            (0..steps)
                .map(|i| {
                    f64::from(if i < half {
                        step.mul_add(i as f32, s)
                    } else {
                        (-step).mul_add((steps - 1 - i) as f32, e)
                    })
                })
                .collect()
        }
        DType::Float64 => {
            let step = (end - start) / last;
            (0..steps)
                .map(|i| {
                    if i < half {
                        step.mul_add(i as f64, start)
                    } else {
                        (-step).mul_add((steps - 1 - i) as f64, end)
                    }
                })
                .collect()
        }
        DType::Float16 | DType::BFloat16 => {
            let (s, e) = (start as f32, end as f32);
            let step = (e - s) / last as f32;
            (0..steps)
                .map(|i| {
                    f64::from(if i < half {
                        s + step * i as f32
                    } else {
                        e - step * (steps - 1 - i) as f32
                    })
                })
                .collect()
        }
        _ => {
            let step = (end - start) / last;
            (0..steps)
                .map(|i| {
                    if i < half {
                        start + step * i as f64
                    } else {
                        end - step * (steps - 1 - i) as f64
                    }
                })
                .collect()
        }
    }
}

/// `linspace(start, end, steps, *, dtype, layout, device, pin_memory)`.
pub(crate) fn linspace(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (start, end) = (a.scalar(0)?, a.scalar(1)?);
    let steps = a.int(2)?;
    let steps = usize::try_from(steps)
        .map_err(|_| RuntimeError::shape(ctx.op, "number of steps must be non-negative"))?;
    let dtype = options_dtype(ctx, &a, 3, 4, ctx.default_dtype)?;
    let shape = [steps as i64];
    let out = ctx.output(&shape, &[1], dtype, || {
        let v = values(dtype, start, end, steps);
        Ok(if dtype.is_floating() {
            v
        } else {
            v.into_iter().map(f64::trunc).collect()
        })
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::values;
    use crate::tensor::dtype::DType;

    #[test]
    fn both_halves_as_pytorch() {
        let v = values(DType::Float32, 0.0, 1.0, 7);
        assert_eq!(v[4], 0.6666666269302368);
        assert_eq!(v[1], 0.1666666716337204);
        assert_eq!(
            values(DType::Float64, -1.0, 1.0, 5),
            vec![-1.0, -0.5, 0.0, 0.5, 1.0]
        );
    }

    #[test]
    fn fused_multiply_add_as_pytorch() {
        // torch.linspace(0.1, 0.9, 17)[7] in float32: one rounding of
        // 0.1f + step·7 (two roundings give 0.44999995827674866).
        assert_eq!(values(DType::Float32, 0.1, 0.9, 17)[7], 0.44999998807907104);
        assert_eq!(values(DType::Float32, 0.1, 0.9, 17)[8], 0.5);
    }
}
