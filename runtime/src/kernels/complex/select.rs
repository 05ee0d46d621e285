//! Complex element selection: `where.self`, `masked_fill` (out of place and
//! in place), `eq`/`ne` against a number, `scalar_tensor` of a complex
//! number, and `item()` of a complex element.
//!
//! The real kernels of these operators read a complex tensor's interleaved
//! parts as if they were elements; here a condition or mask picks whole
//! elements (both parts), and equality compares both parts, as PyTorch's
//! complex kernels do.

use super::{KernelCtx, any_complex, cx_operand, cx_parts, real_kernel};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::pointwise::broadcast;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// `where.self(condition, self, other)` with a complex `self` or `other`.
pub(crate) fn where_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let cond = a.tensor(0)?;
    ctx.check(cond, "condition")?;
    if cond.dtype() != DType::Bool {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
                cond.dtype().scalar_type_name()
            ),
        });
    }
    let (x, y) = (cx_operand(ctx, &a, 1)?, cx_operand(ctx, &a, 2)?);
    let (gx, gy) = (x.geometry(), y.geometry());
    let first = broadcast(ctx.op, &(cond.shape(), cond.stride()), &gx)?;
    let shape = broadcast(ctx.op, &(first.as_slice(), &[][..]), &gy)?;
    let strides = output_strides(&shape, &[(cond.shape(), cond.stride()), gx, gy]);
    let dtype = super::cx_result_type(ctx, &[x, y]);
    let out = ctx.output(&shape, &strides, dtype, || {
        let c = read_broadcast(ctx.op, cond, &shape)?;
        let (px, py) = (cx_parts(ctx.op, x, &shape)?, cx_parts(ctx.op, y, &shape)?);
        Ok(c.iter()
            .enumerate()
            .flat_map(|(i, &c)| {
                let from = if c != 0.0 { &px } else { &py };
                [from[2 * i], from[2 * i + 1]]
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// The fill value of `masked_fill` as complex parts (a real number, a
/// Python complex or a 0-dim tensor).
fn fill_value(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<[f64; 2]> {
    match a.values.get(2) {
        Some(IValue::Complex(re, im)) => Ok([*re, *im]),
        Some(IValue::Tensor(v)) => {
            if v.dim() != 0 {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!(
                        "masked_fill_ only supports a 0-dimensional value tensor, but got tensor \
                         with {} dimension(s).",
                        v.dim()
                    ),
                ));
            }
            ctx.check(v, "value")?;
            if !ctx.has_data() {
                return Ok([0.0, 0.0]);
            }
            let parts = read_broadcast(ctx.op, v, &[])?;
            Ok([
                parts.first().copied().unwrap_or(0.0),
                if v.dtype().is_complex() {
                    parts.get(1).copied().unwrap_or(0.0)
                } else {
                    0.0
                },
            ])
        }
        _ => Ok([a.scalar(2)?, 0.0]),
    }
}

/// Writes `value` into the elements of the complex `this` where `mask`
/// (broadcast to it) is true.
fn fill_masked(ctx: &KernelCtx<'_>, this: &Tensor, mask: &Tensor, value: [f64; 2]) -> Result<()> {
    if !ctx.has_data() {
        return Ok(());
    }
    let m = read_broadcast(ctx.op, mask, this.shape())?;
    let mut parts = this.read_f64(ctx.op)?;
    for (z, &m) in parts.chunks_exact_mut(2).zip(&m) {
        if m != 0.0 {
            z.copy_from_slice(&value);
        }
    }
    this.write_f64(ctx.op, &parts)
}

fn check_mask(ctx: &KernelCtx<'_>, this: &Tensor, mask: &Tensor) -> Result<()> {
    ctx.check(this, "self")?;
    ctx.check(mask, "mask")?;
    if mask.dtype() != DType::Bool {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "masked_fill_ only supports boolean masks, but got mask with dtype {}",
                mask.dtype().type_meta_name()
            ),
        });
    }
    Ok(())
}

/// `masked_fill.Scalar(self, mask, value)` / `.Tensor` of a complex `self`:
/// a contiguous copy (broadcast with `mask`) with `value` where `mask` is
/// true.
pub(crate) fn masked_fill(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, mask) = (a.tensor(0)?, a.tensor(1)?);
    if !this.dtype().is_complex() {
        return real_kernel(ctx, a);
    }
    check_mask(ctx, this, mask)?;
    let shape = broadcast(
        ctx.op,
        &(mask.shape(), mask.stride()),
        &(this.shape(), this.stride()),
    )?;
    let value = fill_value(ctx, &a)?;
    let out = ctx.output(&shape, &contiguous_strides(&shape), this.dtype(), || {
        read_broadcast(ctx.op, this, &shape)
    })?;
    fill_masked(ctx, &out, mask, value)?;
    Ok(vec![out.into()])
}

/// `masked_fill_.Scalar(self, mask, value)` / `.Tensor` of a complex `self`.
pub(crate) fn masked_fill_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, mask) = (a.tensor(0)?, a.tensor(1)?);
    if !this.dtype().is_complex() {
        return real_kernel(ctx, a);
    }
    check_mask(ctx, this, mask)?;
    let shape = broadcast(
        ctx.op,
        &(this.shape(), this.stride()),
        &(mask.shape(), mask.stride()),
    )?;
    if shape != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {shape:?}",
                this.shape()
            ),
        ));
    }
    let value = fill_value(ctx, &a)?;
    fill_masked(ctx, this, mask, value)?;
    Ok(vec![this.clone().into()])
}

/// `eq.Scalar`/`eq.Tensor`/`ne.Scalar`/`ne.Tensor` with a complex operand:
/// both parts compared (a bool result).
pub(crate) fn equal(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let want = ctx.op.starts_with("aten.eq.");
    let (x, y) = (cx_operand(ctx, &a, 0)?, cx_operand(ctx, &a, 1)?);
    let (gx, gy) = (x.geometry(), y.geometry());
    let shape = broadcast(ctx.op, &gx, &gy)?;
    let strides = output_strides(&shape, &[gx, gy]);
    let out = ctx.output(&shape, &strides, DType::Bool, || {
        let (px, py) = (cx_parts(ctx.op, x, &shape)?, cx_parts(ctx.op, y, &shape)?);
        Ok(px
            .chunks_exact(2)
            .zip(py.chunks_exact(2))
            .map(|(p, q)| f64::from(u8::from((p[0] == q[0] && p[1] == q[1]) == want)))
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `_local_scalar_dense(self)` (`Tensor.item()`) of a one-element complex
/// tensor: a Python complex (its conjugate bit resolved); anything else is
/// the real kernel's, errors included.
pub(crate) fn local_scalar_dense(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    if !t.dtype().is_complex() || t.numel() != 1 || !ctx.has_data() {
        return real_kernel(ctx, a);
    }
    ctx.check(t, "self")?;
    match t.read_f64(ctx.op)?[..] {
        [re, im] if ctx.faults.complex_item_conjugated => Ok(vec![IValue::Complex(re, -im)]),
        [re, im] => Ok(vec![IValue::Complex(re, im)]),
        _ => Err(RuntimeError::shape(
            ctx.op,
            "a complex element without two parts",
        )),
    }
}

/// `scalar_tensor(s, *, dtype, ...)`: a complex `s` makes a 0-dim complex
/// tensor (complex128 unless `dtype` says otherwise); a real `s` is the
/// real kernel's, which fills a complex `dtype`'s real part.
pub(crate) fn scalar_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let Some(IValue::Complex(re, im)) = a.values.first() else {
        return real_kernel(ctx, a);
    };
    let dtype = a.opt_dtype(1)?.unwrap_or(DType::Complex128);
    if !dtype.is_complex() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "value cannot be converted to type {} without overflow",
                dtype.scalar_type_name()
            ),
        });
    }
    let out = ctx.output(&[], &[], dtype, || Ok(vec![*re, *im]))?;
    Ok(vec![out.into()])
}
