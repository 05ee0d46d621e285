//! `renorm(self, p, dim, maxnorm)`: every slice along `dim` whose `p`-norm
//! (over all other dimensions) exceeds `maxnorm` is scaled down to it, by
//! `maxnorm / (norm + 1e-7)`; the others are left as they are.
//!
//! As PyTorch's CPU kernel: the norm, the factor and the product are in
//! the element type (float for float32, float for float16/bfloat16 with
//! the factor rounded to the element type, double for float64); integer
//! inputs are refused as `linalg.vector_norm` refuses them; the result is
//! contiguous. Checks in PyTorch's order: `p > 0`, `maxnorm >= 0`, at least
//! two dimensions, then `dim`.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::reduction::dims::wrap;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// The `p`-norm of `values` (accumulated in double).
fn norm(values: &[f64], p: f64) -> f64 {
    if p.is_infinite() {
        values.iter().fold(0.0, |m: f64, v| m.max(v.abs()))
    } else if p == 1.0 {
        values.iter().map(|v| v.abs()).sum()
    } else if p == 2.0 {
        values.iter().map(|v| v * v).sum::<f64>().sqrt()
    } else {
        values
            .iter()
            .map(|v| v.abs().powf(p))
            .sum::<f64>()
            .powf(1.0 / p)
    }
}

/// `renorm(Tensor self, Scalar p, int dim, Scalar maxnorm) -> Tensor`.
pub(crate) fn renorm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let p = a.scalar(1)?;
    let dim_arg = a.int(2)?;
    let maxnorm = a.scalar(3)?;
    if p.is_nan() || p <= 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "renorm: non-positive-norm not supported",
        ));
    }
    if maxnorm.is_nan() || maxnorm < 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("renorm: expected maxnorm to be >= 0 but got {maxnorm}"),
        ));
    }
    if x.dim() < 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "renorm: input needs at least 2 dimensions, got {} dimensions",
                x.dim()
            ),
        ));
    }
    let dim = wrap(ctx.op, dim_arg, x.dim())?;
    let dtype = x.dtype();
    if !dtype.is_floating() {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
                dtype.scalar_type_name()
            ),
        });
    }
    let shape = x.shape().to_vec();
    let strides = contiguous_strides(&shape);
    let unscaled = ctx.faults.renorm_ignores_maxnorm;
    let values = if ctx.has_data() {
        let v = x.read_f64(ctx.op)?;
        let size = shape[dim].max(0) as usize;
        let inner: usize = shape[dim + 1..]
            .iter()
            .map(|&n| n.max(0) as usize)
            .product();
        let slice_of = |i: usize| (i / inner.max(1)) % size.max(1);
        let mut slices = vec![Vec::new(); size];
        for (i, &val) in v.iter().enumerate() {
            slices[slice_of(i)].push(val);
        }
        // The compute type: float for float32 and the half types, double
        // for float64; the factor is rounded to the element type.
        let wide = dtype == DType::Float64;
        let compute = if wide { DType::Float64 } else { DType::Float32 };
        let factors: Vec<f64> = slices
            .iter()
            .map(|s| {
                let n = cast_value(compute, norm(s, p));
                let bound = cast_value(compute, maxnorm);
                let f = if n > bound && !unscaled {
                    cast_value(compute, bound / cast_value(compute, n + 1e-7))
                } else {
                    1.0
                };
                cast_value(dtype, f)
            })
            .collect();
        v.iter()
            .enumerate()
            .map(|(i, &val)| cast_value(compute, val * factors[slice_of(i)]))
            .collect()
    } else {
        Vec::new()
    };
    Ok(vec![
        ctx.output(&shape, &strides, dtype, || Ok(values))?.into(),
    ])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    fn renorm(x: &Tensor, p: f64, dim: i64, maxnorm: f64) -> crate::error::Result<Vec<f64>> {
        let out = Runtime::new().call(
            "aten.renorm.default",
            vec![
                x.into(),
                IValue::Float(p),
                IValue::Int(dim),
                IValue::Float(maxnorm),
            ],
        )?;
        Ok(out
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor")
            .to_f64_vec()
            .expect("values"))
    }

    #[test]
    fn rows_over_the_bound_are_scaled_to_it() {
        // Row 0 has norm 5 > 1: scaled by 1 / (5 + 1e-7); row 1 (0.5) kept.
        let x = tensor(&[2, 2], DType::Float64, &[3.0, 4.0, 0.3, 0.4]);
        let v = renorm(&x, 2.0, 0, 1.0).expect("renorm");
        let f = 1.0 / (5.0 + 1e-7);
        assert_eq!(v, vec![3.0 * f, 4.0 * f, 0.3, 0.4]);
        // Slices along dim -1 are columns; their infinity norms are 3 and 4,
        // both over 2.
        let c = renorm(&x, f64::INFINITY, -1, 2.0).expect("renorm");
        let (f0, f1) = (2.0 / (3.0 + 1e-7), 2.0 / (4.0 + 1e-7));
        assert_eq!(c, vec![3.0 * f0, 4.0 * f1, 0.3 * f0, 0.4 * f1]);
    }

    #[test]
    fn bad_arguments_get_pytorchs_messages() {
        let x = tensor(&[2, 2], DType::Float32, &[1.0; 4]);
        let err = |r: crate::error::Result<Vec<f64>>| r.expect_err("an error").to_string();
        assert!(err(renorm(&x, 0.0, 0, 1.0)).contains("renorm: non-positive-norm not supported"));
        assert!(
            err(renorm(&x, 2.0, 0, -1.0))
                .contains("renorm: expected maxnorm to be >= 0 but got -1")
        );
        let row = tensor(&[3], DType::Float32, &[1.0; 3]);
        assert!(
            err(renorm(&row, 2.0, 0, 1.0))
                .contains("renorm: input needs at least 2 dimensions, got 1 dimensions")
        );
        assert!(err(renorm(&x, 2.0, 2, 1.0)).contains("Dimension out of range"));
        let ints = tensor(&[2, 2], DType::Int64, &[1.0; 4]);
        assert!(err(renorm(&ints, 2.0, 0, 1.0)).contains(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"
        ));
    }
}
