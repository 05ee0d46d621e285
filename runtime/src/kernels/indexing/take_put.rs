//! `take`, `put` and `put_`: elements addressed by their position in the
//! tensor's logical (row-major) order, whatever its strides.
//!
//! `take(self, index)` reads `self.flatten()[index]` into a tensor of
//! `index`'s shape; `put_(self, index, source, accumulate)` writes
//! `source.flatten()[i]` to `self.flatten()[index[i]]` in order — a repeated
//! position keeps the last write, or with `accumulate` the sum, added one
//! element at a time in `self`'s dtype as ATen's serial CPU loop does; `put`
//! is `self.clone(preserve_format).put_(...)`. Negative positions count from
//! the end. Checks and messages follow torch 2.15's.

use super::Elems;
use super::elems::{output, write};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::factory::like_strides;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// `take(self, index)`.
pub(crate) fn take(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let index = a.tensor(1)?;
    ctx.check(this, "self")?;
    let mut positions = positions(ctx, this, index, "take")?;
    if ctx.faults.take_in_storage_order {
        let order = storage_order(this);
        for p in &mut positions {
            *p = order.get(*p).copied().unwrap_or(*p);
        }
    }
    let out = output(ctx, index.shape(), &contiguous(index), this.dtype(), || {
        Elems::read(ctx.op, this)?.pick(ctx.op, &positions)
    })?;
    Ok(vec![out.into()])
}

/// `put_(self, index, source, accumulate=False)`.
pub(crate) fn put_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let values = put_values(ctx, &a, this)?;
    write(ctx, this, || Ok(values))?;
    Ok(vec![this.clone().into()])
}

/// `put(self, index, source, accumulate=False)`: a copy of `self` in its
/// own layout, written as `put_` would.
pub(crate) fn put(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let values = put_values(ctx, &a, this)?;
    let strides = like_strides(ctx, this, None)?;
    let out = output(ctx, this.shape(), &strides, this.dtype(), || Ok(values))?;
    Ok(vec![out.into()])
}

/// The elements of `self` after `put_`'s writes, in logical order.
fn put_values(ctx: &KernelCtx<'_>, a: &Args<'_>, this: &Tensor) -> Result<Elems> {
    let index = a.tensor(1)?;
    let source = a.tensor(2)?;
    let accumulate = a.bool(3)?;
    ctx.check(this, "self")?;
    if source.dtype() != this.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "put_(): self and source expected to have the same dtype, but got self.dtype = {} and source.dtype = {}",
                this.dtype().scalar_type_name(),
                source.dtype().scalar_type_name()
            ),
        ));
    }
    if source.numel() != index.numel() {
        return Err(RuntimeError::Index {
            op: ctx.op.to_owned(),
            message: format!(
                "put_(): Expected source and index to have the same number of elements, but got source.numel() = {}, index.numel() = {}",
                source.numel(),
                index.numel()
            ),
        });
    }
    let positions = positions(ctx, this, index, "put_")?;
    if !ctx.has_data() {
        return Ok(Elems::empty(this.dtype(), 0));
    }
    let mut values = Elems::read(ctx.op, this)?;
    let written = Elems::read(ctx.op, source)?;
    let rounding = this.dtype().is_floating() && this.dtype() != DType::Float64;
    let mut seen = vec![false; values.len()];
    for (from, &to) in positions.iter().enumerate() {
        if ctx.faults.put_first_write_wins && !accumulate {
            if seen.get(to).copied().unwrap_or(false) {
                continue;
            }
            if let Some(s) = seen.get_mut(to) {
                *s = true;
            }
        }
        values.put(to, &written, from, accumulate);
        if accumulate
            && rounding
            && let Elems::F(v) = &mut values
        {
            // each addition rounds to the dtype, as the serial loop's
            if let Some(x) = v.get_mut(to) {
                *x = crate::tensor::storage::cast_value(this.dtype(), *x);
            }
        }
    }
    Ok(values)
}

/// `index`'s values as positions in `this`'s logical order, checked as
/// `take`/`put_` check them (`what` names the operator).
fn positions(ctx: &KernelCtx<'_>, this: &Tensor, index: &Tensor, what: &str) -> Result<Vec<usize>> {
    if index.dtype() != DType::Int64 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "{what}(): Expected a long tensor for index, but got {}",
                index.dtype().scalar_type_name()
            ),
        ));
    }
    if !ctx.has_data() {
        return Ok(Vec::new());
    }
    let numel = this.numel() as i64;
    if numel == 0 && index.numel() > 0 {
        return Err(RuntimeError::Index {
            op: ctx.op.to_owned(),
            message: format!("{what}(): tried to take from an empty tensor"),
        });
    }
    index
        .read_i64(ctx.op)?
        .into_iter()
        .map(|i| {
            let wrapped = if i < 0 { i + numel } else { i };
            if (0..numel).contains(&wrapped) {
                Ok(wrapped as usize)
            } else {
                Err(RuntimeError::Index {
                    op: ctx.op.to_owned(),
                    message: format!(
                        "out of range: tried to access index {i} on a tensor of {numel} elements."
                    ),
                })
            }
        })
        .collect()
}

/// The logical positions of `t`'s elements sorted by their place in
/// storage (fault `take-in-storage-order`).
fn storage_order(t: &Tensor) -> Vec<usize> {
    let shape = t.shape();
    let strides = t.stride();
    let mut order: Vec<usize> = (0..t.numel()).collect();
    let offset = |mut p: usize| {
        let mut at = 0i64;
        for (&size, &stride) in shape.iter().zip(strides).rev() {
            let size = size.max(1) as usize;
            at += (p % size) as i64 * stride;
            p /= size;
        }
        at
    };
    order.sort_by_key(|&p| offset(p));
    order
}

fn contiguous(t: &Tensor) -> Vec<i64> {
    crate::tensor::strides::contiguous_strides(t.shape())
}
