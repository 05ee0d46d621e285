//! `embedding_renorm_(self, indices, max_norm, norm_type)`: the in-place
//! row rescaling `nn.Embedding(max_norm=...)` runs (under `no_grad`, on a
//! detached alias of the weight) before every lookup.
//!
//! PyTorch's CPU kernel visits each distinct index once (sorted), takes
//! the row's `norm_type`-norm in the weight's dtype and, when it exceeds
//! `max_norm`, multiplies the row by `max_norm / (norm + 1e-7)` (the scale
//! a double, applied as a scalar of the weight's dtype). Rows not indexed,
//! and rows within the bound, are untouched.

use super::common::{require_floating, round_to};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};

/// The kernel of `op` if it is `embedding_renorm_`.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.embedding_renorm_.default" => embedding_renorm_,
        _ => return None,
    })
}

/// The `p`-norm of `row` (`p = ∞` the largest magnitude, `p = 0` the count
/// of non-zeros).
fn norm(row: &[f64], p: f64) -> f64 {
    if p == f64::INFINITY {
        row.iter().fold(0.0, |m, v| m.max(v.abs()))
    } else if p == 0.0 {
        row.iter().filter(|v| **v != 0.0).count() as f64
    } else if p == 1.0 {
        row.iter().map(|v| v.abs()).sum()
    } else if p == 2.0 {
        row.iter().map(|v| v * v).sum::<f64>().sqrt()
    } else {
        row.iter()
            .map(|v| v.abs().powf(p))
            .sum::<f64>()
            .powf(1.0 / p)
    }
}

/// `embedding_renorm_(self, indices, max_norm, norm_type)`.
pub(crate) fn embedding_renorm_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (weight, indices) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(weight, "self")?;
    ctx.check(indices, "indices")?;
    let (max_norm, norm_type) = (a.scalar(2)?, a.scalar(3)?);
    let op = ctx.op;
    if weight.dim() != 2 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected 2-dimensional tensor, but got {}-dimensional tensor for argument #1 'self' (while checking arguments for embedding_renorm_)",
                weight.dim()
            ),
        ));
    }
    if indices.dtype().is_floating() {
        return Err(RuntimeError::UnsupportedDtype {
            op: op.to_owned(),
            arg: "indices".to_owned(),
            dtype: indices.dtype().scalar_type_name().to_owned(),
        });
    }
    require_floating("embedding_renorm_", "self", weight.dtype())?;
    let dtype = weight.dtype();
    let (rows, cols) = (
        weight.shape()[0].max(0) as usize,
        weight.shape()[1].max(0) as usize,
    );
    let scales = !ctx.faults.embedding_renorm_no_scale;
    ctx.write(weight, || {
        let mut values = weight.read_f64(op)?;
        let mut picked = Vec::new();
        for i in indices.read_i64(op)? {
            let row = usize::try_from(i)
                .ok()
                .filter(|&r| r < rows)
                .ok_or_else(|| {
                    RuntimeError::shape(op, format!("index {i} is out of bounds for {rows} rows"))
                })?;
            picked.push(row);
        }
        picked.sort_unstable();
        picked.dedup();
        for row in picked {
            let slice = &mut values[row * cols..(row + 1) * cols];
            let n = round_to(dtype, norm(slice, norm_type));
            if n > max_norm && scales {
                let scale = round_to(dtype, max_norm / (n + 1e-7));
                for v in slice.iter_mut() {
                    *v = round_to(dtype, *v * scale);
                }
            }
        }
        Ok(values)
    })?;
    Ok(vec![weight.clone().into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;

    #[test]
    fn only_indexed_rows_above_the_bound_are_rescaled() {
        let mut rt = Runtime::new();
        let w = crate::kernels::nn::tests::f32s(&mut rt, &[3, 2], &[3.0, 4.0, 0.3, 0.4, 6.0, 8.0]);
        let idx = crate::kernels::nn::tests::i64s(&mut rt, &[3], &[0, 1, 0]);
        rt.call(
            "aten.embedding_renorm_.default",
            vec![
                w.clone().into(),
                idx.into(),
                IValue::Float(1.0),
                IValue::Float(2.0),
            ],
        )
        .expect("renorm");
        let got = w.to_f64_vec().expect("values");
        let scale = 1.0 / (5.0 + 1e-7);
        let want = [3.0 * scale, 4.0 * scale, 0.3, 0.4, 6.0, 8.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?}");
        }
    }
}
