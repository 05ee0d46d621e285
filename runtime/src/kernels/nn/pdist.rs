//! Distances between the rows of one matrix: `_pdist_forward` and
//! `_pdist_backward` (the kernels under `F.pdist` / `torch.pdist`).
//!
//! `_pdist_forward(self, p)` of a contiguous `[N, M]` matrix is the
//! `N(N−1)/2` distances `‖x_i − x_j‖_p` for `i < j` in row-major order of
//! the pairs (the upper triangle of `cdist(x, x)`), with the norm families
//! of [`super::cdist`]. `_pdist_backward(grad, self, p, pdist)` is the
//! gradient for `self`: each pair adds `g·∂d/∂δ` to row `i` and subtracts
//! it from row `j`, with `cdist`'s per-component subgradients.
//!
//! Observed in torch 2.15 (CPU): both kernels take float32 and float64 only
//! (`"pdist" not implemented for 'Half'`), require a contiguous `self`
//! (`_pdist_forward requires contiguous input`, `_pdist_backward requires
//! self to be contiguous`; `torch.pdist` passes `input.contiguous()`),
//! give an empty result for fewer than two rows and zeros for no columns;
//! the non-negative `p` check lives in the composite `pdist`, not here.

use super::cdist::{distance, distance_grad};
use super::common::round_to;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a `pdist` operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._pdist_forward.default" => pdist_forward,
        "aten._pdist_backward.default" => pdist_backward,
        _ => return None,
    })
}

/// Rows and columns of a valid `self`.
fn geometry(op: &str, x: &Tensor, contiguity: &str) -> Result<(usize, usize)> {
    if !matches!(x.dtype(), DType::Float32 | DType::Float64) {
        return Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"pdist\" not implemented for '{}'",
                x.dtype().scalar_type_name()
            ),
        });
    }
    let [n, m] = *x.shape() else {
        return Err(RuntimeError::index(
            op,
            format!("pdist takes a 2-D matrix, got {} dimension(s)", x.dim()),
        ));
    };
    if !x.is_contiguous() {
        return Err(RuntimeError::shape(op, contiguity));
    }
    Ok((
        usize::try_from(n).unwrap_or(0),
        usize::try_from(m).unwrap_or(0),
    ))
}

fn pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

/// `_pdist_forward(self, p=2)`.
pub(crate) fn pdist_forward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let op = ctx.op;
    let (n, m) = geometry(op, x, "_pdist_forward requires contiguous input")?;
    let p = a.scalar(1)?;
    let dtype = x.dtype();
    let shape = [pairs(n) as i64];
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let xs = x.read_f64(op)?;
        let mut out = Vec::with_capacity(pairs(n));
        for i in 0..n {
            for j in i + 1..n {
                out.push(distance(
                    &xs[i * m..(i + 1) * m],
                    &xs[j * m..(j + 1) * m],
                    p,
                    dtype,
                ));
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `_pdist_backward(grad, self, p, pdist)`.
pub(crate) fn pdist_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (grad, x, dist) = (a.tensor(0)?, a.tensor(1)?, a.tensor(3)?);
    for (t, name) in [(grad, "grad"), (x, "self"), (dist, "pdist")] {
        ctx.check(t, name)?;
    }
    let op = ctx.op;
    let (n, m) = geometry(op, x, "_pdist_backward requires self to be contiguous")?;
    if !dist.is_contiguous() {
        return Err(RuntimeError::shape(
            op,
            "_pdist_backward requires pdist to be contiguous",
        ));
    }
    for (t, name) in [(grad, "grad"), (dist, "pdist")] {
        if t.numel() != pairs(n) {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "{name} of shape {:?} does not hold the {} pair distances of {n} rows",
                    t.shape(),
                    pairs(n)
                ),
            ));
        }
    }
    let p = a.scalar(2)?;
    let dtype = x.dtype();
    let second = if ctx.faults.pdist_grad_one_sided {
        0.0
    } else {
        1.0
    };
    let out = ctx.output(x.shape(), &contiguous_strides(x.shape()), dtype, || {
        let (xs, gs, ds) = (x.read_f64(op)?, grad.read_f64(op)?, dist.read_f64(op)?);
        let mut out = vec![0.0; n * m];
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                let (g, d) = (gs[k], ds[k]);
                k += 1;
                for c in 0..m {
                    let diff = round_to(dtype, xs[i * m + c] - xs[j * m + c]);
                    let term = g * distance_grad(diff, d, p);
                    out[i * m + c] += term;
                    out[j * m + c] -= second * term;
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;

    fn values(t: &IValue) -> Vec<f64> {
        t.as_tensor().expect("tensor").to_f64_vec().expect("values")
    }

    #[test]
    fn pairs_in_row_major_order_and_their_gradient() {
        let mut rt = Runtime::new();
        let x = crate::kernels::nn::tests::f32s(&mut rt, &[3, 2], &[0.0, 0.0, 3.0, 4.0, 0.0, 1.0]);
        let d = rt
            .call(
                "aten._pdist_forward.default",
                vec![x.clone().into(), IValue::Float(2.0)],
            )
            .expect("forward");
        let dv = values(&d[0]);
        // (0,1) = 5, (0,2) = 1, (1,2) = √18.
        assert_eq!(dv.len(), 3);
        assert!((dv[0] - 5.0).abs() < 1e-6 && (dv[1] - 1.0).abs() < 1e-6);
        assert!((dv[2] - 18f64.sqrt()).abs() < 1e-5);
        let g = crate::kernels::nn::tests::f32s(&mut rt, &[3], &[1.0, 0.0, 0.0]);
        let back = rt
            .call(
                "aten._pdist_backward.default",
                vec![g.into(), x.clone().into(), IValue::Float(2.0), d[0].clone()],
            )
            .expect("backward");
        // Only pair (0,1): δ/d = (−0.6, −0.8) on row 0, its negation on row 1.
        let bv = values(&back[0]);
        let want = [-0.6, -0.8, 0.6, 0.8, 0.0, 0.0];
        for (got, want) in bv.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{bv:?}");
        }
    }

    #[test]
    fn a_transposed_input_is_refused_as_pytorch_refuses_it() {
        let mut rt = Runtime::new();
        let x = crate::kernels::nn::tests::f32s(&mut rt, &[2, 3], &[0.0; 6]);
        let t = rt.call("aten.t.default", vec![x.into()]).expect("t")[0].clone();
        let err = rt
            .call("aten._pdist_forward.default", vec![t, IValue::Float(2.0)])
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("_pdist_forward requires contiguous input"),
            "{err}"
        );
    }
}
