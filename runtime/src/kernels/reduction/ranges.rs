//! Evenly spaced factories: `linspace`.
//!
//! Observed in torch 2.15 on CPU: the dtype is the `dtype` argument, else
//! the default dtype (also for integer end points); `step = (end - start) /
//! (steps - 1)` in the element type (double for integer dtypes), the first
//! half counts up from `start` (`start + step·i`) and the second half down
//! from `end` (`end - step·(steps - 1 - i)`), so both end points are exact
//! (`linspace(0, 1, 7)` in float32 has `0.6666666269…` at index 4); one step
//! gives `[start]`, zero steps an empty tensor; integer results truncate.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::factory::options_dtype;
use crate::tensor::dtype::DType;

/// The values of `linspace` in f64 (float32 and reduced floats step in
/// float32 arithmetic, as PyTorch's element type does).
fn values(dtype: DType, start: f64, end: f64, steps: usize) -> Vec<f64> {
    if steps == 1 {
        return vec![start];
    }
    let half = steps / 2;
    let last = steps as f64 - 1.0;
    match dtype {
        DType::Float32 | DType::Float16 | DType::BFloat16 => {
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
}
