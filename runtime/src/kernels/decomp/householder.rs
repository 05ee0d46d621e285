//! Householder reflectors as LAPACK stores them: `geqrf` (`dgeqrf`: R on
//! and above the diagonal, the reflectors' `v` below, and `tau`),
//! `linalg_householder_product` (`dorgqr`: the first `n` columns of
//! `H(0)·…·H(k−1)`) and `ormqr` (`dormqr`: `op(Q)·C` or `C·op(Q)` without
//! forming `Q`).
//!
//! Observed in torch 2.15 (CPU): every matrix result is batch-contiguous
//! with each matrix column-major (strides `[…, 1, rows]`), `tau` is
//! contiguous with `min(m, n)` entries; `geqrf` is not differentiable (its
//! node is `NotImplemented`, failing only when a backward reaches it).
//! Each matrix is computed by the unblocked reference routine (`dgeqr2`,
//! `dorg2r`, `dorm2r`; the blocked ones fall back to them below LAPACK's
//! crossover) in the tensor's precision.

use super::{Stack, c_order, lapack, matrices};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// Checks `t` is float32 or float64 (`name`'s "not implemented" otherwise).
fn real_dtype(op: &str, t: &Tensor, name: &str) -> Result<DType> {
    match t.dtype() {
        d @ (DType::Float32 | DType::Float64) => Ok(d),
        d => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!("\"{name}\" not implemented for '{}'", d.scalar_type_name()),
        }),
    }
}

/// The stack of `t`, at least 2-D (`api`'s message otherwise).
fn stack_2d(op: &str, t: &Tensor, api: &str, what: &str) -> Result<Stack> {
    if t.dim() < 2 {
        return Err(RuntimeError::shape(
            op,
            format!("{api}: {what} must have at least 2 dimensions."),
        ));
    }
    Stack::of(op, t, api)
}

/// The vectors of `t` (its last dimension), `count` of them.
fn vectors(op: &str, t: &Tensor, count: usize, len: usize) -> Result<Vec<Vec<f64>>> {
    let v = t.read_f64(op)?;
    Ok((0..count)
        .map(|b| v.get(b * len..(b + 1) * len).unwrap_or(&[]).to_vec())
        .collect())
}

/// `geqrf(self) -> (a, tau)`.
pub(super) fn geqrf(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let op = ctx.op;
    let s = stack_2d(op, x, "torch.geqrf", "input")?;
    let dtype = real_dtype(op, x, "geqrf_cpu")?;
    let single = dtype == DType::Float32;
    let (m, n) = (s.rows, s.cols);
    let k = m.min(n);
    let negate_tau = ctx.faults.geqrf_tau_negated;
    let factors: Vec<(Vec<f64>, Vec<f64>)> = if ctx.has_data() {
        matrices(op, x, &s)?
            .into_iter()
            .map(|mut mat| {
                let mut tau = lapack::geqr2(&mut mat, m, n, single);
                if negate_tau {
                    tau.iter_mut().for_each(|t| *t = -*t);
                }
                (mat, tau)
            })
            .collect()
    } else {
        Vec::new()
    };
    let out = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        let mats: Vec<Vec<f64>> = factors.iter().map(|(m, _)| m.clone()).collect();
        Ok(c_order(&mats, m, n, dtype))
    })?;
    let mut tshape = s.batch.clone();
    tshape.push(k as i64);
    let tau = ctx.output(&tshape, &contiguous_strides(&tshape), dtype, || {
        Ok(factors
            .iter()
            .flat_map(|(_, t)| t.iter().copied())
            .collect())
    })?;
    Ok(vec![out.into(), tau.into()])
}

/// The checks PyTorch makes of `(input, tau)` for `householder_product`
/// and `ormqr`: float dtypes that agree, `tau`'s batch equal to `input`'s.
fn check_tau(
    op: &str,
    api: &str,
    input: &Tensor,
    tau: &Tensor,
    s: &Stack,
    max_k: usize,
) -> Result<usize> {
    if tau.dim() + 1 != input.dim() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: input.dim() must be greater than or equal to 2 and tau.dim() must equal input.dim() - 1"
            ),
        ));
    }
    let ts = tau.shape();
    if ts[..ts.len() - 1] != s.batch[..] {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got {:?}",
                &ts[..ts.len() - 1]
            ),
        ));
    }
    let k = usize::try_from(ts[ts.len() - 1]).unwrap_or(0);
    if k > max_k {
        return Err(RuntimeError::shape(
            op,
            format!("{api}: input.shape[-1] must be greater than or equal to tau.shape[-1]"),
        ));
    }
    if tau.dtype() != input.dtype() {
        return Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "{api}: tau dtype {} does not match input dtype {}",
                tau.dtype().scalar_type_name(),
                input.dtype().scalar_type_name()
            ),
        });
    }
    Ok(k)
}

/// `linalg_householder_product(input, tau) -> Q`.
pub(super) fn linalg_householder_product(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (x, tau) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "input")?;
    ctx.check(tau, "tau")?;
    let op = ctx.op;
    let api = "torch.linalg.householder_product";
    let s = stack_2d(op, x, api, "input")?;
    let (m, n) = (s.rows, s.cols);
    if m < n {
        return Err(RuntimeError::shape(
            op,
            format!("{api}: input.shape[-2] must be greater than or equal to input.shape[-1]"),
        ));
    }
    let k = check_tau(op, api, x, tau, &s, n)?;
    let dtype = real_dtype(op, x, "orgqr_cpu")?;
    let single = dtype == DType::Float32;
    let reversed = ctx.faults.householder_product_reversed;
    let out = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        let taus = vectors(op, tau, s.count(), k)?;
        let mats: Vec<Vec<f64>> = matrices(op, x, &s)?
            .into_iter()
            .zip(taus)
            .map(|(mat, t)| {
                if reversed {
                    org2r_reversed(&mat, m, &t, n, single)
                } else {
                    lapack::org2r(&mat, m, &t, n, single)
                }
            })
            .collect();
        Ok(c_order(&mats, m, n, dtype))
    })?;
    Ok(vec![out.into()])
}

/// The fault `householder-product-reversed`: `H(k−1)·…·H(0)` (the
/// reflectors multiplied in the opposite order), by applying them one at a
/// time to the identity's first `cols` columns.
fn org2r_reversed(a: &[f64], m: usize, tau: &[f64], cols: usize, single: bool) -> Vec<f64> {
    let mut q = vec![0.0; m * cols];
    for j in 0..cols.min(m) {
        q[j + j * m] = 1.0;
    }
    // Q·C with Q = H(0)…H(k−1) applies H(k−1) first; reversed applies H(0) first.
    let k = tau.len();
    let mut vecs = vec![0.0; m * k];
    for i in 0..k {
        vecs[i + i * m] = 1.0;
        for r in i + 1..m {
            vecs[r + i * m] = a[r + i * m];
        }
    }
    lapack::orm2r(&vecs, m, tau, &mut q, m, cols, true, true, single);
    q
}

/// `ormqr(self, input2, input3, left=True, transpose=False)`: `op(Q)·C`
/// (`left`) or `C·op(Q)`, `Q` from `geqrf`'s reflectors in `self` and `tau`
/// `input2`, `C` = `input3`.
pub(super) fn ormqr(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, tau, c) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, n) in [(x, "self"), (tau, "input2"), (c, "input3")] {
        ctx.check(t, n)?;
    }
    let left = a.bool(3)?;
    let transpose = a.bool(4)?;
    let op = ctx.op;
    let api = "torch.ormqr";
    let s = stack_2d(op, x, api, "input")?;
    let cs = stack_2d(op, c, api, "other")?;
    if cs.batch != s.batch {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: Expected batch dimensions of other to be equal to input.shape[:-2], but got {:?}",
                cs.batch
            ),
        ));
    }
    let nq = if left { cs.rows } else { cs.cols };
    if s.rows != nq {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: other.shape[{}] must be equal to input.shape[-2]",
                if left { -2 } else { -1 }
            ),
        ));
    }
    let k = check_tau(op, api, x, tau, &s, s.cols.min(nq))?;
    if c.dtype() != x.dtype() {
        return Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "{api}: other dtype {} does not match input dtype {}",
                c.dtype().scalar_type_name(),
                x.dtype().scalar_type_name()
            ),
        });
    }
    let dtype = real_dtype(op, x, "ormqr_cpu")?;
    let single = dtype == DType::Float32;
    let trans = transpose != ctx.faults.ormqr_ignores_transpose;
    let (m, n) = (cs.rows, cs.cols);
    let out = ctx.output(&cs.shape(), &cs.f_strides(), dtype, || {
        let taus = vectors(op, tau, s.count(), k)?;
        let refl = matrices(op, x, &s)?;
        let mats: Vec<Vec<f64>> = matrices(op, c, &cs)?
            .into_iter()
            .zip(refl.iter().zip(taus))
            .map(|(mut cm, (v, t))| {
                lapack::orm2r(v, s.rows, &t, &mut cm, m, n, left, trans, single);
                cm
            })
            .collect();
        Ok(c_order(&mats, m, n, dtype))
    })?;
    Ok(vec![out.into()])
}
