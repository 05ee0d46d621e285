//! `_foreach_norm.Scalar(Tensor[] self, Scalar ord=2, ScalarType? dtype=None)
//! -> Tensor[]`: `linalg_vector_norm(self[i], ord, dtype=dtype)` of every
//! element over all its dimensions, a new 0-dim tensor each.
//!
//! The norm of order `p` is `(sum |x|^p)^(1/p)`; `inf` / `-inf` are the
//! largest / smallest `|x|`, `0` counts the non-zero elements. Each result
//! has `dtype` when given (the elements are converted to it first),
//! otherwise the element's dtype, which must be floating
//! (observed in torch 2.15: "linalg.vector_norm: Expected a floating point
//! or complex tensor as input. Got Long").

use super::{results, self_list};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::reduction::dims::Reduction;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Kernel of `_foreach_norm.Scalar`.
pub(super) fn norm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = self_list(ctx, &a, 0)?;
    let ord = a.scalar(1)?;
    let dtype = a.opt_dtype(2)?;
    let mut outs = Vec::with_capacity(this.len());
    for t in this {
        outs.push(element_norm(ctx, t, ord, dtype)?);
    }
    Ok(results(false, outs))
}

/// The norm of one element as a 0-dim tensor.
fn element_norm(ctx: &KernelCtx<'_>, t: &Tensor, ord: f64, dtype: Option<DType>) -> Result<Tensor> {
    if !t.dtype().is_floating() && !t.dtype().is_complex() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
                t.dtype().scalar_type_name()
            ),
        });
    }
    // a complex element's norm is real (observed in torch 2.15)
    let out_dtype = dtype.unwrap_or(t.dtype()).to_real();
    if !out_dtype.is_floating() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "linalg.vector_norm: dtype should be floating point or complex, but got {}",
                out_dtype.scalar_type_name()
            ),
        });
    }
    ctx.output(&[], &[], out_dtype, || {
        let values = crate::kernels::reduction::stats::moduli(ctx.op, t)?;
        let all = Reduction::new(ctx.op, t.shape(), None, false)?;
        if let Some(norms) = crate::kernels::reduction::stats::kernel_ordered_norms(
            ctx, t, &values, &all, ord, out_dtype,
        ) {
            return Ok(norms);
        }
        Ok(vec![vector_norm(&values, ord)])
    })
}

/// `(sum |x|^ord)^(1/ord)` with the special orders 0, 1, 2 and ±inf.
pub(super) fn vector_norm(values: &[f64], ord: f64) -> f64 {
    let abs = values.iter().map(|x| x.abs());
    if ord == f64::INFINITY {
        // The `inf` norm of no elements is 0.
        if values.is_empty() {
            0.0
        } else {
            abs.fold(f64::NEG_INFINITY, nan_max)
        }
    } else if ord == f64::NEG_INFINITY {
        abs.fold(f64::INFINITY, nan_min)
    } else if ord == 0.0 {
        values.iter().filter(|&&x| x != 0.0).count() as f64
    } else if ord == 1.0 {
        abs.sum()
    } else if ord == 2.0 {
        values.iter().map(|x| x * x).sum::<f64>().sqrt()
    } else {
        abs.map(|x| x.powf(ord)).sum::<f64>().powf(1.0 / ord)
    }
}

fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

#[cfg(test)]
mod tests {
    use super::vector_norm;

    #[test]
    fn vector_norms_of_every_order() {
        let x = [3.0, -4.0, 0.0];
        assert_eq!(vector_norm(&x, 2.0), 5.0);
        assert_eq!(vector_norm(&x, 1.0), 7.0);
        assert_eq!(vector_norm(&x, 0.0), 2.0);
        assert_eq!(vector_norm(&x, f64::INFINITY), 4.0);
        assert_eq!(vector_norm(&x, f64::NEG_INFINITY), 0.0);
        assert!((vector_norm(&x, 3.0) - 91f64.powf(1.0 / 3.0)).abs() < 1e-12);
        assert_eq!(vector_norm(&[], f64::INFINITY), 0.0);
        assert!(vector_norm(&[f64::NAN, 1.0], f64::INFINITY).is_nan());
    }
}
