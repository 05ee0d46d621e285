//! Evenly spaced factories: `linspace` and `logspace`.
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
use crate::tensor::storage::cast_value;

/// The values of `linspace` in f64 (float32 and reduced floats step in
/// float32 arithmetic, as PyTorch's element type does; float32 and float64
/// with fused multiply-adds).
pub(crate) fn values(dtype: DType, start: f64, end: f64, steps: usize) -> Vec<f64> {
    values_as(dtype, start, end, steps, false)
}

/// [`values`]; `reduced_in_float` steps float16/bfloat16 from the
/// unrounded end points with two roundings (the
/// `linspace-reduced-as-float` fault).
///
/// float16 and bfloat16 (measured on torch 2.15, 400 random end points and
/// 2 to 300 steps each, bit for bit): the end points are first converted
/// to the dtype, the step is `(end − start) / (steps − 1)` in float, and
/// each value is computed in float and stored: bfloat16 fuses `start +
/// step·i` (and `end − step·k`) into one rounding, float16 rounds the
/// product and the sum (`linspace(-1, 1, 7)` in bfloat16 has −2⁻²⁵ in the
/// middle, not 0).
pub(crate) fn values_as(
    dtype: DType,
    start: f64,
    end: f64,
    steps: usize,
    reduced_in_float: bool,
) -> Vec<f64> {
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
            let in_dtype = |v: f64| {
                if reduced_in_float {
                    v as f32
                } else {
                    cast_value(dtype, f64::from(v as f32)) as f32
                }
            };
            let (s, e) = (in_dtype(start), in_dtype(end));
            let step = (e - s) / last as f32;
            let fused = dtype == DType::BFloat16 && !reduced_in_float;
            (0..steps)
                .map(|i| {
                    f64::from(match (i < half, fused) {
                        (true, true) => step.mul_add(i as f32, s),
                        (true, false) => s + step * i as f32,
                        (false, true) => (-step).mul_add((steps - 1 - i) as f32, e),
                        (false, false) => e - step * (steps - 1 - i) as f32,
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

/// The `start`, `end` and `steps` arguments of `linspace` / `logspace`,
/// `steps` checked non-negative.
fn ends_and_steps(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<(f64, f64, usize)> {
    let steps = usize::try_from(a.int(2)?)
        .map_err(|_| RuntimeError::shape(ctx.op, "number of steps must be non-negative"))?;
    Ok((a.scalar(0)?, a.scalar(1)?, steps))
}

/// `linspace(start, end, steps, *, dtype, layout, device, pin_memory)`.
pub(crate) fn linspace(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (start, end, steps) = ends_and_steps(ctx, &a)?;
    let dtype = options_dtype(ctx, &a, 3, 4, ctx.default_dtype)?;
    let reduced_in_float = ctx.faults.linspace_reduced_as_float;
    let shape = [steps as i64];
    let out = ctx.output(&shape, &[1], dtype, || {
        let v = values_as(dtype, start, end, steps, reduced_in_float);
        Ok(if dtype.is_floating() {
            v
        } else {
            v.into_iter().map(f64::trunc).collect()
        })
    })?;
    Ok(vec![out.into()])
}

/// The values of `logspace` in f64, before the store into `dtype`.
///
/// Measured against torch 2.15's CPU kernel (3000 random end points, step
/// counts and bases, float32 and float64, bit for bit): the end points are
/// first held in the element type (float32 rounds them, an integer dtype
/// truncates them), their difference is taken in the element type (float16
/// and bfloat16 round it) and divided by `steps - 1` in double; the exponent
/// is then `start + step·i` for the first half and `end - step·(steps-1-i)`
/// for the second, in double with two roundings (no fused multiply-add),
/// and `base` is raised to it in double. One step gives `base^start` of the
/// unrounded start.
pub(crate) fn log_values(
    dtype: DType,
    start: f64,
    end: f64,
    steps: usize,
    base: f64,
    unrounded_ends: bool,
) -> Vec<f64> {
    if steps == 1 {
        return vec![base.powf(start)];
    }
    let held = |v: f64| {
        if unrounded_ends {
            v
        } else {
            cast_value(dtype, v)
        }
    };
    let (s, e) = (held(start), held(end));
    let step = held(e - s) / (steps as f64 - 1.0);
    let half = steps / 2;
    (0..steps)
        .map(|i| {
            let exponent = if i < half {
                s + step * i as f64
            } else {
                e - step * (steps - 1 - i) as f64
            };
            base.powf(exponent)
        })
        .collect()
}

/// `logspace(start, end, steps, base=10.0, *, dtype, layout, device,
/// pin_memory)`: the default dtype unless `dtype` is given (also for
/// integer end points); integer results truncate the power.
pub(crate) fn logspace(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (start, end, steps) = ends_and_steps(ctx, &a)?;
    let base = a.scalar(3)?;
    let dtype = options_dtype(ctx, &a, 4, 5, ctx.default_dtype)?;
    if dtype.is_complex() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            format!("dtype {}", dtype.name()),
        ));
    }
    let shape = [steps as i64];
    let unrounded = ctx.faults.logspace_unrounded_ends;
    let out = ctx.output(&shape, &[1], dtype, || {
        Ok(log_values(dtype, start, end, steps, base, unrounded))
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::{log_values, values, values_as};
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

    #[test]
    fn reduced_dtypes_round_the_ends_and_bfloat16_fuses() {
        // torch.linspace(-1, 1, 7, dtype=torch.bfloat16)[3]: 1 − step·3 in
        // one rounding (step = 1/3 in float), stored as −2⁻²⁵.
        let v = values(DType::BFloat16, -1.0, 1.0, 7);
        assert_eq!(v[3], -2f64.powi(-25));
        assert_eq!(values_as(DType::BFloat16, -1.0, 1.0, 7, true)[3], 0.0);
        // float16 rounds the product first: exactly 0.
        assert_eq!(values(DType::Float16, -1.0, 1.0, 7)[3], 0.0);
        // The ends are held in the dtype: 0.1 in bfloat16 is 0.10009765625.
        assert_eq!(values(DType::BFloat16, 0.1, 0.9, 3)[0], 0.10009765625);
    }

    #[test]
    fn logspace_as_pytorch() {
        // torch.logspace(0.5, 2.5, 5, base=2, dtype=torch.int32): the end
        // points truncate to 0 and 2 first, so [1, 1, 2, 2, 4].
        let v: Vec<i64> = log_values(DType::Int32, 0.5, 2.5, 5, 2.0, false)
            .into_iter()
            .map(|x| x.trunc() as i64)
            .collect();
        assert_eq!(v, vec![1, 1, 2, 2, 4]);
        assert_eq!(
            log_values(DType::Int64, 0.0, 3.0, 4, 10.0, false),
            vec![1.0, 10.0, 100.0, 1000.0]
        );
        // One step: base^start of the unrounded start.
        assert_eq!(
            log_values(DType::Float32, 1.0, 2.0, 1, 10.0, false),
            vec![10.0]
        );
    }
}
