//! `linalg_eig(A) -> (eigenvalues, eigenvectors)`, the nonsymmetric
//! eigendecomposition `torch.linalg.eig` and `torch.linalg.eigvals` both
//! dispatch (observed in torch 2.15 (CPU): `eigvals` records only the
//! `linalg_eig` it calls, eigenvectors included).
//!
//! Each batch matrix is decomposed by [`super::geev`] (LAPACK's `geev`
//! steps, in the input's precision); the results are complex of the
//! input's precision (`float32` → `complex64`), the eigenvalues contiguous
//! `[…, n]`, the eigenvectors batch-contiguous with each matrix
//! column-major, as LAPACK writes them. Checks in PyTorch's order: at least
//! two dimensions, square, a floating dtype, finite entries.

use super::geev::{Variant, geev};
use super::{Stack, matrices, square_stack};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// `linalg_eig(Tensor self) -> (Tensor eigenvalues, Tensor eigenvectors)`.
pub(super) fn linalg_eig(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let op = ctx.op;
    let s: Stack = square_stack(op, x, "linalg.eig")?;
    let dtype = x.dtype();
    let Some(out_dtype) = dtype.to_complex() else {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Unknown Complex ScalarType for {}",
                dtype.scalar_type_name()
            ),
        ));
    };
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        if dtype.is_complex() {
            return Err(RuntimeError::unsupported(
                op,
                "complex input (LAPACK's zgeev path) is not implemented",
            ));
        }
        return Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"linalg_eig_out_cpu\" not implemented for '{}'",
                dtype.scalar_type_name()
            ),
        });
    }
    let single = dtype == DType::Float32;
    let n = s.rows;
    let variant = Variant {
        skip_phase: ctx.faults.eig_unnormalised_vectors,
    };
    let mut values = Vec::new();
    let mut vectors = Vec::new();
    if ctx.has_data() {
        let mats = matrices(op, x, &s)?;
        if mats.iter().flatten().any(|v| !v.is_finite()) {
            return Err(RuntimeError::shape(
                op,
                "torch.linalg.eig: input tensor should not contain infs or NaNs.",
            ));
        }
        for (b, m) in mats.iter().enumerate() {
            let e = geev(m, n, single, variant).map_err(|_| RuntimeError::LinAlg {
                op: op.to_owned(),
                message: if s.batch.is_empty() {
                    "linalg.eig: The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues (error code: 1).".to_owned()
                } else {
                    format!("linalg.eig: (Batch element {b}): The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues (error code: 1).")
                },
            })?;
            values.push(e.values);
            vectors.push(e.vectors);
        }
    }
    let mut vshape = s.batch.clone();
    vshape.push(n as i64);
    let eigenvalues = ctx.output(&vshape, &contiguous_strides(&vshape), out_dtype, || {
        Ok(values
            .iter()
            .flatten()
            .flat_map(|&(re, im)| [cast_value(dtype, re), cast_value(dtype, im)])
            .collect())
    })?;
    let eigenvectors = ctx.output(&s.shape(), &s.f_strides(), out_dtype, || {
        // Logical (row-major) order of each column-major matrix.
        let mut out = Vec::with_capacity(vectors.len() * n * n * 2);
        for m in &vectors {
            for i in 0..n {
                for j in 0..n {
                    let (re, im) = m[i + j * n];
                    out.push(cast_value(dtype, re));
                    out.push(cast_value(dtype, im));
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![eigenvalues.into(), eigenvectors.into()])
}
