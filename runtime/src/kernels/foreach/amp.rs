//! The gradient scaler's operators (`torch.amp.GradScaler("cpu")`):
//!
//! * `_amp_foreach_non_finite_check_and_unscale_(Tensor(a!)[] self,
//!   Tensor(b!) found_inf, Tensor inv_scale) -> ()`: multiplies every
//!   gradient by `inv_scale` in place (non-finite values stay non-finite)
//!   and sets `found_inf` to 1 when any element is inf or NaN; it never
//!   resets it. Like the `_foreach_*_` operators it has no ADInplaceOrView
//!   kernel, so no version changes.
//! * `_amp_update_scale_(Tensor(a!) self, Tensor(b!) growth_tracker,
//!   Tensor found_inf, float scale_growth_factor, float scale_backoff_factor,
//!   int growth_interval) -> Tensor(a!)`: after an overflow the scale backs
//!   off and the tracker restarts; otherwise the tracker counts successful
//!   steps and every `growth_interval` of them the scale grows (if the grown
//!   scale is finite). Observed in torch 2.15 under a dispatch mode: `self`'s
//!   version is bumped, `growth_tracker`'s is not.
//!
//! Both check their operands with PyTorch's messages (float32 one-element
//! `found_inf`, `inv_scale` and scale, int32 tracker).

use super::self_list;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// PyTorch's checks of a scaler operand: on the backend, one element,
/// `dtype`.
fn check_operand(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    name: &str,
    dtype: DType,
    kind: &str,
) -> Result<()> {
    ctx.check(t, name)?;
    check_numel(ctx, t, name)?;
    if t.dtype() != dtype {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!("{name} must be a {kind} tensor."),
        });
    }
    Ok(())
}

/// PyTorch's size check of a scaler operand: exactly one element.
fn check_numel(ctx: &KernelCtx<'_>, t: &Tensor, name: &str) -> Result<()> {
    if t.numel() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{name} must be a 1-element tensor."),
        ));
    }
    Ok(())
}

/// The single element of a checked one-element operand (0 on meta).
fn item(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<f64> {
    if !ctx.has_data() {
        return Ok(0.0);
    }
    Ok(t.read_f64(ctx.op)?.first().copied().unwrap_or(0.0))
}

/// Kernel of `_amp_foreach_non_finite_check_and_unscale_`.
///
/// PyTorch returns at once for an empty gradient list, checking nothing;
/// otherwise it checks both operands' sizes (`inv_scale` first) before
/// either dtype (`inv_scale` first again), then the gradients' dtypes.
pub(super) fn unscale_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grads = a.tensor_list(0)?;
    if grads.is_empty() {
        return Ok(Vec::new());
    }
    let grads = self_list(ctx, &a, 0)?;
    let found_inf = a.tensor(1)?;
    let inv_scale = a.tensor(2)?;
    if ctx.faults.amp_unscale_checks_found_inf_first {
        check_operand(ctx, found_inf, "found_inf", DType::Float32, "float")?;
        check_operand(ctx, inv_scale, "inv_scale", DType::Float32, "float")?;
    } else {
        for (t, name) in [(inv_scale, "inv_scale"), (found_inf, "found_inf")] {
            check_numel(ctx, t, name)?;
        }
        for (t, name) in [(inv_scale, "inv_scale"), (found_inf, "found_inf")] {
            check_operand(ctx, t, name, DType::Float32, "float")?;
        }
    }
    for g in grads {
        if !g.dtype().is_floating() {
            return Err(RuntimeError::KernelDtype {
                op: ctx.op.to_owned(),
                message: format!(
                    "\"_amp_foreach_non_finite_check_and_unscale_cpu\" not implemented for '{}'",
                    g.dtype().scalar_type_name()
                ),
            });
        }
    }
    let inv = item(ctx, inv_scale)?;
    let mut non_finite = false;
    for g in grads {
        ctx.write(g, || {
            let values = g.read_f64(ctx.op)?;
            non_finite |= values.iter().any(|v| !v.is_finite());
            Ok(if inv == 1.0 {
                values
            } else {
                values.into_iter().map(|v| v * inv).collect()
            })
        })?;
    }
    if non_finite {
        ctx.write(found_inf, || Ok(vec![1.0]))?;
    }
    Ok(Vec::new())
}

/// Kernel of `_amp_update_scale_`.
pub(super) fn update_scale_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let scale = a.tensor(0)?;
    let tracker = a.tensor(1)?;
    let found_inf = a.tensor(2)?;
    let (growth, backoff) = (a.scalar(3)?, a.scalar(4)?);
    let interval = a.int(5)?;
    check_operand(ctx, scale, "current_scale", DType::Float32, "float")?;
    check_operand(ctx, tracker, "growth_tracker", DType::Int32, "int")?;
    check_operand(ctx, found_inf, "found_inf", DType::Float32, "float")?;
    if ctx.has_data() {
        let (s, successful) = next_scale(
            item(ctx, scale)?,
            item(ctx, tracker)? as i64,
            item(ctx, found_inf)? > 0.0,
            (growth, backoff, interval),
        );
        ctx.write(scale, || Ok(vec![s]))?;
        tracker.write_i64(ctx.op, &[successful])?;
    }
    Ok(vec![scale.clone().into()])
}

/// The next scale and growth tracker: `(growth factor, backoff factor,
/// growth interval)` as the operator takes them. The scale is a float32
/// tensor: products are rounded to float32 when written.
fn next_scale(scale: f64, tracker: i64, found_inf: bool, factors: (f64, f64, i64)) -> (f64, i64) {
    let (growth, backoff, interval) = factors;
    if found_inf {
        return (scale * backoff, 0);
    }
    let successful = tracker + 1;
    if successful == interval {
        let grown = scale * growth;
        let grown_f32 = f64::from(grown as f32);
        (if grown_f32.is_finite() { grown } else { scale }, 0)
    } else {
        (scale, successful)
    }
}

#[cfg(test)]
mod tests {
    use super::next_scale;

    #[test]
    fn the_scale_backs_off_grows_and_counts_as_pytorch() {
        assert_eq!(next_scale(4.0, 1, true, (2.0, 0.5, 2)), (2.0, 0));
        assert_eq!(next_scale(4.0, 1, false, (2.0, 0.5, 2)), (8.0, 0));
        assert_eq!(next_scale(4.0, 0, false, (2.0, 0.5, 2)), (4.0, 1));
        assert_eq!(next_scale(3.0e38, 1, false, (2.0, 0.5, 2)), (3.0e38, 0));
    }
}
