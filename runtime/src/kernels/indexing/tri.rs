//! `tril` and `triu`: the lower / upper triangle of the last two
//! dimensions, the rest zeroed. Results are contiguous (observed in torch
//! 2.15 also for expanded inputs).

use super::{Elems, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::strides::contiguous_strides;

/// Keeps element (row `i`, column `j`) of every matrix where `keep(j - i)`.
fn triangle(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    name: &str,
    keep: impl Fn(i64) -> bool,
) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    if this.dim() < 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{name}: input tensor must have at least 2 dimensions"),
        ));
    }
    let shape = this.shape();
    let cols = shape[shape.len() - 1].max(0) as usize;
    let rows = shape[shape.len() - 2].max(0) as usize;
    let out = output(ctx, shape, &contiguous_strides(shape), this.dtype(), || {
        let mut values = Elems::read(ctx.op, this)?;
        for p in 0..values.len() {
            let j = (p % cols.max(1)) as i64;
            let i = ((p / cols.max(1)) % rows.max(1)) as i64;
            if !keep(j - i) {
                values.zero_at(p);
            }
        }
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

/// `tril(self, diagonal=0)`: keeps `j - i <= diagonal`.
pub(crate) fn tril(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let k = a.int(1)?;
    triangle(ctx, &a, "tril", |d| d <= k)
}

/// `triu(self, diagonal=0)`: keeps `j - i >= diagonal`.
pub(crate) fn triu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let k = a.int(1)?;
    triangle(ctx, &a, "triu", |d| d >= k)
}
