//! Spectral decompositions: `_linalg_svd`, `_linalg_eigh` and
//! `linalg_pinv.atol_rtol_tensor`.
//!
//! Each batch matrix is decomposed in f64 by one-sided (SVD) or cyclic
//! (symmetric eigenproblem) Jacobi rotations, which are accurate to a few
//! ulps of the matrix norm, and rounded once to the input's dtype. PyTorch's
//! CPU kernels call LAPACK's `gesdd`/`syevd` in the input's own precision;
//! the two agree within the backward-error bound of either (Weyl: every
//! singular value or eigenvalue within `‖E‖₂`; Wedin / Davis–Kahan: every
//! singular or eigen subspace within `‖E‖₂ / gap`).
//!
//! **Gauge.** Singular vectors are defined up to a common sign per pair
//! `(uᵢ, vᵢ)` (a common rotation for a cluster of equal singular values),
//! eigenvectors up to a sign (a rotation within a cluster). LAPACK picks one
//! representative; nothing makes it more right than another. When the
//! replay hands the runtime PyTorch's recorded outputs
//! ([`crate::Runtime::provide_gauge_reference`]), the kernel maps its own
//! decomposition onto the gauge nearest to them, using only gauge moves:
//! per cluster of values within `√u·max` of each other, the orthogonal `Q`
//! maximising `tr(Qᵀ(UᵀU_ref + VᵀV_ref))` (the polar factor) applied to
//! both `U`'s columns and `V`'s, and for a cluster of zero singular values
//! (and the completion columns of `full_matrices`) to `U` and `V` apart.
//! These moves leave `U·diag(S)·Vᴴ` (and `V·diag(L)·Vᴴ`) unchanged, so a
//! wrong decomposition stays wrong: a perturbed value, a non-orthogonal
//! vector, or a column of `U` negated without its row of `Vh` still differ
//! from PyTorch's. Without a reference the kernel's own convention holds
//! (each singular/eigen vector's largest component positive).
//!
//! Output layouts as torch 2.15 (CPU) returns them: `U`, `Vh` and the
//! eigenvectors batch-contiguous with each matrix column-major, `S` and
//! the eigenvalues contiguous, the pseudo-inverse a contiguous matmul
//! result. `compute_uv=False` / `compute_v=False` return empty `[0]`
//! tensors in their place. PyTorch's CPU kernel refuses `driver=`.

use super::{Stack, c_order, float_dtype, matrices, square_float, str_arg};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// An SVD of one `m×n` matrix: `U` column-major `m×ucols`, `S`
/// (descending), `V` column-major `n×vcols` (the columns of `V`, i.e.
/// `Vh`'s rows).
pub(super) struct Svd {
    pub(super) u: Vec<f64>,
    pub(super) s: Vec<f64>,
    pub(super) v: Vec<f64>,
}

/// The unit roundoff of a dtype's arithmetic.
pub(super) fn unit_roundoff(dtype: DType) -> f64 {
    if dtype == DType::Float32 {
        f64::from(f32::EPSILON) / 2.0
    } else {
        f64::EPSILON / 2.0
    }
}

/// One-sided Jacobi SVD of the column-major `m×n` matrix `a` (`m ≥ n`):
/// `U` `m×n`, `S` descending, `V` `n×n`.
fn jacobi_tall(a: &[f64], m: usize, n: usize) -> Svd {
    let mut w = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i + i * n] = 1.0;
    }
    for _sweep in 0..80 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for i in 0..m {
                    let (x, y) = (w[i + p * m], w[i + q * m]);
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if gamma == 0.0 || gamma.abs() <= f64::EPSILON * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for i in 0..m {
                    let (x, y) = (w[i + p * m], w[i + q * m]);
                    w[i + p * m] = c * x - s * y;
                    w[i + q * m] = s * x + c * y;
                }
                for i in 0..n {
                    let (x, y) = (v[i + p * n], v[i + q * n]);
                    v[i + p * n] = c * x - s * y;
                    v[i + q * n] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let norms: Vec<f64> = (0..n)
        .map(|j| (0..m).map(|i| w[i + j * m].powi(2)).sum::<f64>().sqrt())
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| norms[y].total_cmp(&norms[x]));
    let mut u = vec![0.0; m * n];
    let mut vs = vec![0.0; n * n];
    let mut s = vec![0.0; n];
    for (k, &j) in order.iter().enumerate() {
        s[k] = norms[j];
        for i in 0..m {
            u[i + k * m] = if norms[j] > 0.0 {
                w[i + j * m] / norms[j]
            } else {
                0.0
            };
        }
        for i in 0..n {
            vs[i + k * n] = v[i + j * n];
        }
    }
    // Columns of U for zero singular values: an orthonormal completion.
    let rank = s.iter().filter(|&&x| x > 0.0).count();
    let filled = complete(&u[..m * rank], m, n);
    u[m * rank..].copy_from_slice(&filled[m * rank..m * n]);
    Svd { u, s, v: vs }
}

/// The orthonormal columns `q` (column-major `m×k`) extended to `cols`
/// orthonormal columns by Gram–Schmidt (twice) against the unit vectors.
fn complete(q: &[f64], m: usize, cols: usize) -> Vec<f64> {
    let mut out = q.to_vec();
    let mut k = q.len() / m.max(1);
    let mut e = 0;
    while k < cols && e < m {
        let mut x = vec![0.0; m];
        x[e] = 1.0;
        e += 1;
        for _ in 0..2 {
            for j in 0..k {
                let d: f64 = (0..m).map(|i| out[i + j * m] * x[i]).sum();
                for (i, xi) in x.iter_mut().enumerate() {
                    *xi -= d * out[i + j * m];
                }
            }
        }
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 1e-8 {
            out.extend(x.iter().map(|v| v / norm));
            k += 1;
        }
    }
    out
}

/// The SVD of the column-major `m×n` matrix `a`, `U` with `ucols` columns
/// and `V` with `vcols` (`min(m, n)`, or `m`/`n` for full matrices).
pub(super) fn svd(a: &[f64], m: usize, n: usize, full: bool) -> Svd {
    let k = m.min(n);
    let mut r = if m >= n {
        jacobi_tall(a, m, n)
    } else {
        let t = super::transpose_rect(a, m, n);
        let r = jacobi_tall(&t, n, m);
        Svd {
            u: r.v,
            s: r.s,
            v: r.u,
        }
    };
    // Deterministic own convention: each pair's largest |v| component > 0.
    for j in 0..k {
        let col = &r.v[j * n..(j + 1) * n];
        let big = col
            .iter()
            .copied()
            .fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
        if big < 0.0 {
            r.u[j * m..(j + 1) * m].iter_mut().for_each(|x| *x = -*x);
            r.v[j * n..(j + 1) * n].iter_mut().for_each(|x| *x = -*x);
        }
    }
    if full {
        r.u = complete(&r.u[..m * k], m, m);
        r.v = complete(&r.v[..n * k], n, n);
    }
    r
}

/// Cyclic Jacobi eigendecomposition of the symmetric `n×n` matrix `a`
/// (column-major, read from its lower or upper triangle): eigenvalues
/// ascending, eigenvectors column-major.
fn eigh(a: &[f64], n: usize, lower: bool) -> (Vec<f64>, Vec<f64>) {
    let mut s = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..n {
            let (r, c) = if (i >= j) == lower { (i, j) } else { (j, i) };
            s[i + j * n] = a[r + c * n];
        }
    }
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i + i * n] = 1.0;
    }
    for _sweep in 0..80 {
        let off: f64 = (0..n)
            .flat_map(|j| (0..n).filter(move |&i| i != j).map(move |i| (i, j)))
            .map(|(i, j)| s[i + j * n].powi(2))
            .sum();
        let total: f64 = s.iter().map(|x| x * x).sum();
        if off <= (f64::EPSILON * f64::EPSILON) * total || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = s[p + q * n];
                if apq == 0.0 {
                    continue;
                }
                let theta = (s[q + q * n] - s[p + p * n]) / (2.0 * apq);
                let t = if theta == 0.0 {
                    1.0
                } else {
                    theta.signum() / (theta.abs() + (1.0 + theta * theta).sqrt())
                };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let sn = t * c;
                for k in 0..n {
                    let (x, y) = (s[k + p * n], s[k + q * n]);
                    s[k + p * n] = c * x - sn * y;
                    s[k + q * n] = sn * x + c * y;
                }
                for k in 0..n {
                    let (x, y) = (s[p + k * n], s[q + k * n]);
                    s[p + k * n] = c * x - sn * y;
                    s[q + k * n] = sn * x + c * y;
                }
                for k in 0..n {
                    let (x, y) = (v[k + p * n], v[k + q * n]);
                    v[k + p * n] = c * x - sn * y;
                    v[k + q * n] = sn * x + c * y;
                }
            }
        }
    }
    let diag: Vec<f64> = (0..n).map(|i| s[i + i * n]).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| diag[x].total_cmp(&diag[y]));
    let mut vals = Vec::with_capacity(n);
    let mut vecs = vec![0.0; n * n];
    for (k, &j) in order.iter().enumerate() {
        vals.push(diag[j]);
        let col = &v[j * n..(j + 1) * n];
        let big = col
            .iter()
            .copied()
            .fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            vecs[i + k * n] = sign * col[i];
        }
    }
    (vals, vecs)
}

/// `Xᵀ·Y` of the column blocks `cols` of two column-major matrices with
/// `rows` rows.
fn cross(x: &[f64], y: &[f64], rows: usize, cols: &[usize]) -> Vec<f64> {
    let k = cols.len();
    let mut out = vec![0.0; k * k];
    for (a, &i) in cols.iter().enumerate() {
        for (b, &j) in cols.iter().enumerate() {
            out[a + b * k] = (0..rows).map(|r| x[r + i * rows] * y[r + j * rows]).sum();
        }
    }
    out
}

/// The orthogonal polar factor of the square column-major `k×k` `m`
/// (`W·Zᵀ` for `m = W·Σ·Zᵀ`); the sign for `k = 1`.
fn polar(m: &[f64], k: usize) -> Vec<f64> {
    if k == 1 {
        return vec![if m[0] < 0.0 { -1.0 } else { 1.0 }];
    }
    let r = jacobi_tall(m, k, k);
    let mut q = vec![0.0; k * k];
    for j in 0..k {
        for i in 0..k {
            q[i + j * k] = (0..k).map(|l| r.u[i + l * k] * r.v[j + l * k]).sum();
        }
    }
    q
}

/// `X[:, cols] ← X[:, cols]·Q` for a column-major `X` with `rows` rows.
fn rotate(x: &mut [f64], rows: usize, cols: &[usize], q: &[f64]) {
    let k = cols.len();
    for r in 0..rows {
        let old: Vec<f64> = cols.iter().map(|&c| x[r + c * rows]).collect();
        for (b, &c) in cols.iter().enumerate() {
            x[r + c * rows] = (0..k).map(|a| old[a] * q[a + b * k]).sum();
        }
    }
}

/// Consecutive runs of `values` (sorted) whose neighbours lie within `tol`.
fn clusters(values: &[f64], tol: f64) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, &x) in values.iter().enumerate() {
        match out.last_mut() {
            Some(run) if i > 0 && (values[i - 1] - x).abs() <= tol => run.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// Moves `r` to the gauge nearest the reference `(U, S, V)` (same layout):
/// see the module documentation.
fn align_svd(r: &mut Svd, reference: &Svd, m: usize, n: usize, u_roundoff: f64) {
    let k = r.s.len();
    let ucols = r.u.len() / m.max(1);
    let vcols = r.v.len() / n.max(1);
    let smax = reference.s.first().copied().unwrap_or(0.0).max(0.0);
    let tol = u_roundoff.sqrt() * smax;
    // Zero singular values (within the rounding of a backward-stable SVD,
    // `16·max(m, n)·u·σ_max`): their vectors are free in U and V apart,
    // with the completion columns.
    let null_tol = 16.0 * m.max(n) as f64 * u_roundoff * smax;
    let null: Vec<usize> = (0..k).filter(|&i| reference.s[i] <= null_tol).collect();
    let runs = clusters(&reference.s[..k - null.len()], tol);
    for run in &runs {
        let mut mm = cross(&r.u, &reference.u, m, run);
        let mv = cross(&r.v, &reference.v, n, run);
        mm.iter_mut().zip(&mv).for_each(|(a, b)| *a += b);
        let q = polar(&mm, run.len());
        rotate(&mut r.u, m, run, &q);
        rotate(&mut r.v, n, run, &q);
    }
    let ufree: Vec<usize> = null.iter().copied().chain(k..ucols).collect();
    let vfree: Vec<usize> = null.iter().copied().chain(k..vcols).collect();
    replace_free(&mut r.u, &reference.u, m, &ufree);
    replace_free(&mut r.v, &reference.v, n, &vfree);
}

/// The free columns `free` of `x` (column-major, `rows` rows: the vectors
/// of zero singular values and the completion of `full_matrices`) may be
/// any orthonormal basis of the complement of the others: they become the
/// orthonormal basis of that complement nearest to the reference's, the
/// polar factor of the reference's columns projected onto it.
fn replace_free(x: &mut [f64], reference: &[f64], rows: usize, free: &[usize]) {
    if free.is_empty() {
        return;
    }
    let cols = x.len() / rows.max(1);
    let keep: Vec<usize> = (0..cols).filter(|c| !free.contains(c)).collect();
    let p = free.len();
    let mut proj = vec![0.0; rows * p];
    for (b, &c) in free.iter().enumerate() {
        let mut col: Vec<f64> = (0..rows).map(|i| reference[i + c * rows]).collect();
        for _ in 0..2 {
            for &j in &keep {
                let d: f64 = (0..rows).map(|i| x[i + j * rows] * col[i]).sum();
                for (i, ci) in col.iter_mut().enumerate() {
                    *ci -= d * x[i + j * rows];
                }
            }
        }
        proj[b * rows..(b + 1) * rows].copy_from_slice(&col);
    }
    if p > rows {
        return;
    }
    let r = jacobi_tall(&proj, rows, p);
    for (b, &c) in free.iter().enumerate() {
        for i in 0..rows {
            x[i + c * rows] = (0..p).map(|l| r.u[i + l * rows] * r.v[b + l * p]).sum();
        }
    }
}

/// Moves eigenvectors `v` to the gauge nearest `v_ref`, per cluster of the
/// reference eigenvalues `l_ref`.
fn align_eigh(v: &mut [f64], l_ref: &[f64], v_ref: &[f64], n: usize, u_roundoff: f64) {
    let big = l_ref.iter().fold(0.0f64, |b, x| b.max(x.abs()));
    for run in clusters(l_ref, u_roundoff.sqrt() * big) {
        let q = polar(&cross(v, v_ref, n, &run), run.len());
        rotate(v, n, &run, &q);
    }
}

/// The reference outputs split per batch matrix, column-major, when the
/// replay gave them and they fit (`shapes`: rows × cols of each output).
fn reference_mats(
    ctx: &KernelCtx<'_>,
    count: usize,
    shapes: &[(usize, usize)],
) -> Option<Vec<Vec<Vec<f64>>>> {
    let outs = ctx.gauge?;
    if outs.len() != shapes.len() {
        return None;
    }
    let mut per = vec![Vec::new(); count];
    for (o, &(rows, cols)) in outs.iter().zip(shapes) {
        if o.len() != count * rows * cols {
            return None;
        }
        for (b, mats) in per.iter_mut().enumerate() {
            let base = b * rows * cols;
            let mut cm = vec![0.0; rows * cols];
            for i in 0..rows {
                for j in 0..cols {
                    cm[i + j * rows] = o[base + i * cols + j];
                }
            }
            mats.push(cm);
        }
    }
    Some(per)
}

/// `_linalg_svd(A, full_matrices=False, compute_uv=True, *, driver=None)
/// -> (U, S, Vh)`.
pub(super) fn linalg_svd(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    let full = a.bool(1)?;
    let compute_uv = a.bool(2)?;
    let op = ctx.op;
    if !matches!(a.values.get(3), None | Some(IValue::None)) {
        // PyTorch's CPU kernel: `driver=` is a cuSOLVER option.
        str_arg(&a, 3)?;
        return Err(RuntimeError::shape(
            op,
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with cuSOLVER backend.",
        ));
    }
    let s = Stack::of(op, x, "linalg.svd")?;
    let dtype = float_dtype(op, x, "linalg.svd")?;
    let (m, n) = (s.rows, s.cols);
    let k = m.min(n);
    let full = full && compute_uv;
    let (ucols, vrows) = if full { (m, n) } else { (k, k) };
    let mut results = Vec::new();
    if ctx.has_data() {
        let refs = reference_mats(ctx, s.count(), &[(m, ucols), (1, k), (vrows, n)]);
        for (b, mat) in matrices(op, x, &s)?.into_iter().enumerate() {
            let mut r = svd(&mat, m, n, full);
            if ctx.faults.svd_u_sign_without_vh && k > 0 {
                // The fault: U's first column negated, Vh's first row not.
                r.u[..m].iter_mut().for_each(|v| *v = -*v);
            }
            if compute_uv && let Some(per) = &refs {
                let rm = &per[b];
                let reference = Svd {
                    u: rm[0].clone(),
                    s: rm[1].clone(),
                    v: super::transpose_rect(&rm[2], vrows, n),
                };
                align_svd(&mut r, &reference, m, n, unit_roundoff(dtype));
            }
            results.push(r);
        }
    }
    let (u, vh) = if compute_uv {
        let us = s.with(m, ucols);
        let u = ctx.output(&us.shape(), &us.f_strides(), dtype, || {
            let mats: Vec<Vec<f64>> = results.iter().map(|r| r.u.clone()).collect();
            Ok(c_order(&mats, m, ucols, dtype))
        })?;
        let vs = s.with(vrows, n);
        let vh = ctx.output(&vs.shape(), &vs.f_strides(), dtype, || {
            let mats: Vec<Vec<f64>> = results
                .iter()
                .map(|r| super::transpose_rect(&r.v, n, vrows))
                .collect();
            Ok(c_order(&mats, vrows, n, dtype))
        })?;
        (u, vh)
    } else {
        (
            ctx.output(&[0], &[1], dtype, || Ok(Vec::new()))?,
            ctx.output(&[0], &[1], dtype, || Ok(Vec::new()))?,
        )
    };
    let mut sshape = s.batch.clone();
    sshape.push(k as i64);
    let sv = ctx.output(&sshape, &contiguous_strides(&sshape), dtype, || {
        Ok(results.iter().flat_map(|r| r.s.clone()).collect())
    })?;
    Ok(vec![u.into(), sv.into(), vh.into()])
}

/// `_linalg_eigh(A, UPLO='L', compute_v=True) -> (eigenvalues,
/// eigenvectors)`.
pub(super) fn linalg_eigh(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    let uplo = str_arg(&a, 1)?;
    let compute_v = a.bool(2)?;
    let op = ctx.op;
    let lower = match uplo {
        "L" | "l" => true,
        "U" | "u" => false,
        other => {
            return Err(RuntimeError::shape(
                op,
                format!("Expected UPLO argument to be 'L' or 'U', but got {other}"),
            ));
        }
    };
    let (s, dtype) = square_float(op, x, "linalg.eigh")?;
    let n = s.rows;
    let mut results = Vec::new();
    if ctx.has_data() {
        let refs = reference_mats(ctx, s.count(), &[(1, n), (n, n)]);
        for (b, mat) in matrices(op, x, &s)?.into_iter().enumerate() {
            let (mut vals, mut vecs) = eigh(&mat, n, lower);
            if ctx.faults.eigh_values_descending {
                // The fault: eigenvalues (with their vectors) descending.
                vals.reverse();
                let cols: Vec<Vec<f64>> =
                    vecs.chunks(n.max(1)).rev().map(<[f64]>::to_vec).collect();
                vecs = cols.concat();
            }
            if compute_v && let Some(per) = &refs {
                align_eigh(&mut vecs, &per[b][0], &per[b][1], n, unit_roundoff(dtype));
            }
            results.push((vals, vecs));
        }
    }
    let mut lshape = s.batch.clone();
    lshape.push(n as i64);
    let l = ctx.output(&lshape, &contiguous_strides(&lshape), dtype, || {
        Ok(results.iter().flat_map(|r| r.0.clone()).collect())
    })?;
    let v = if compute_v {
        ctx.output(&s.shape(), &s.f_strides(), dtype, || {
            let mats: Vec<Vec<f64>> = results.iter().map(|r| r.1.clone()).collect();
            Ok(c_order(&mats, n, n, dtype))
        })?
    } else {
        ctx.output(&[0], &[1], dtype, || Ok(Vec::new()))?
    };
    Ok(vec![l.into(), v.into()])
}

/// The value of an optional 0-dim (or broadcastable per-batch) tolerance
/// tensor, per batch matrix.
fn tolerance(op: &str, t: Option<&Tensor>, count: usize, what: &str) -> Result<Option<Vec<f64>>> {
    let Some(t) = t else {
        return Ok(None);
    };
    let v = t.read_f64(op)?;
    match v.len() {
        1 => Ok(Some(vec![v[0]; count])),
        len if len == count => Ok(Some(v)),
        len => Err(RuntimeError::shape(
            op,
            format!("{what}: expected a scalar or one value per matrix ({count}), got {len}"),
        )),
    }
}

/// `linalg_pinv.atol_rtol_tensor(self, *, atol=None, rtol=None,
/// hermitian=False)`: `V·diag(S⁺)·Uᴴ` from the SVD (or, Hermitian, from
/// the eigendecomposition with `|λ|` as singular values), `S⁺` the
/// reciprocal of the values above `max(atol, rtol·σ_max)`; the default
/// `rtol` is `eps·max(m, n)` when `atol` is absent or zero.
pub(super) fn linalg_pinv(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let opt = |i: usize| match a.values.get(i) {
        Some(IValue::Tensor(t)) => Some(t),
        _ => None,
    };
    let hermitian = a.bool(3)?;
    let op = ctx.op;
    let s = Stack::of(op, x, "linalg.pinv")?;
    let dtype = float_dtype(op, x, "linalg.pinv")?;
    if hermitian && s.rows != s.cols {
        return Err(RuntimeError::shape(
            op,
            format!(
                "linalg.eigh: A must be batches of square matrices, but they are {} by {} matrices",
                s.rows, s.cols
            ),
        ));
    }
    let (m, n) = (s.rows, s.cols);
    let count = s.count();
    let atol = tolerance(op, opt(1), count, "atol")?;
    let rtol = tolerance(op, opt(2), count, "rtol")?;
    let eps = 2.0 * unit_roundoff(dtype);
    let default_rtol = eps * m.max(n) as f64;
    let mut out = Vec::new();
    if ctx.has_data() {
        for (b, mat) in matrices(op, x, &s)?.into_iter().enumerate() {
            let at = atol.as_ref().map_or(0.0, |v| v[b]);
            let rt = match &rtol {
                Some(v) => v[b],
                None if at > 0.0 => 0.0,
                None => default_rtol,
            };
            // pinv = Σ_i f(σ_i)·v_i·u_iᵀ (n×m), column-major.
            let mut p = vec![0.0; n * m];
            let mut add = |vcol: &[f64], ucol: &[f64], w: f64| {
                for j in 0..m {
                    for i in 0..n {
                        p[i + j * n] += w * vcol[i] * ucol[j];
                    }
                }
            };
            if hermitian {
                let (vals, vecs) = eigh(&mat, n, true);
                let big = vals.iter().fold(0.0f64, |b, x| b.max(x.abs()));
                let tol = at.max(rt * big);
                for (i, &l) in vals.iter().enumerate() {
                    if l.abs() > tol {
                        let col = &vecs[i * n..(i + 1) * n];
                        add(col, col, 1.0 / l);
                    }
                }
            } else {
                let r = svd(&mat, m, n, false);
                let tol = at.max(rt * r.s.first().copied().unwrap_or(0.0));
                for (i, &sv) in r.s.iter().enumerate() {
                    if sv > tol {
                        add(&r.v[i * n..(i + 1) * n], &r.u[i * m..(i + 1) * m], 1.0 / sv);
                    }
                }
            }
            out.push(p);
        }
    }
    let ps = s.with(n, m);
    let shape = ps.shape();
    let p = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        Ok(c_order(&out, n, m, dtype))
    })?;
    Ok(vec![p.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct(r: &Svd, m: usize, n: usize) -> Vec<f64> {
        let mut a = vec![0.0; m * n];
        for (l, &s) in r.s.iter().enumerate() {
            for j in 0..n {
                for i in 0..m {
                    a[i + j * m] += r.u[i + l * m] * s * r.v[j + l * n];
                }
            }
        }
        a
    }

    #[test]
    fn svd_reconstructs_tall_wide_and_full() {
        // A (3×2, column-major) = [[3, 1], [1, 3], [0, 2]].
        let a = [3.0, 1.0, 0.0, 1.0, 3.0, 2.0];
        let r = svd(&a, 3, 2, false);
        assert!(r.s[0] >= r.s[1]);
        for (x, y) in reconstruct(&r, 3, 2).iter().zip(&a) {
            assert!((x - y).abs() < 1e-12);
        }
        let t = super::super::transpose_rect(&a, 3, 2);
        let w = svd(&t, 2, 3, true);
        assert_eq!(w.v.len(), 9);
        for (x, y) in r.s.iter().zip(&w.s) {
            assert!((x - y).abs() < 1e-12);
        }
        // The completion column of V is orthogonal to the others.
        for l in 0..2 {
            let d: f64 = (0..3).map(|i| w.v[i + 2 * 3] * w.v[i + l * 3]).sum();
            assert!(d.abs() < 1e-12);
        }
    }

    #[test]
    fn eigh_ascending_with_orthonormal_vectors() {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3.
        let (l, v) = eigh(&[2.0, 1.0, 1.0, 2.0], 2, true);
        assert!((l[0] - 1.0).abs() < 1e-14 && (l[1] - 3.0).abs() < 1e-14);
        let d = v[0] * v[2] + v[1] * v[3];
        assert!(d.abs() < 1e-14);
    }

    #[test]
    fn alignment_moves_only_the_gauge() {
        let a = [3.0, 1.0, 0.0, 1.0, 3.0, 2.0];
        let reference = svd(&a, 3, 2, false);
        // A flipped pair is flipped back; U·S·Vᵀ is unchanged.
        let mut r = svd(&a, 3, 2, false);
        r.u[..3].iter_mut().for_each(|x| *x = -*x);
        r.v[..2].iter_mut().for_each(|x| *x = -*x);
        align_svd(&mut r, &reference, 3, 2, f64::EPSILON / 2.0);
        for (x, y) in r.u.iter().zip(&reference.u) {
            assert!((x - y).abs() < 1e-12);
        }
        // U's column alone flipped: no gauge move repairs both U and V.
        let mut bad = svd(&a, 3, 2, false);
        bad.u[..3].iter_mut().for_each(|x| *x = -*x);
        align_svd(&mut bad, &reference, 3, 2, f64::EPSILON / 2.0);
        let du: f64 = bad
            .u
            .iter()
            .zip(&reference.u)
            .map(|(x, y)| (x - y).abs())
            .sum();
        let dv: f64 = bad
            .v
            .iter()
            .zip(&reference.v)
            .map(|(x, y)| (x - y).abs())
            .sum();
        assert!(du + dv > 0.5);
    }

    #[test]
    fn repeated_eigenvalues_align_by_rotation() {
        // The identity: any orthonormal basis is an eigenbasis.
        let v_ref = [0.6, 0.8, -0.8, 0.6];
        let (l, mut v) = eigh(&[1.0, 0.0, 0.0, 1.0], 2, true);
        align_eigh(&mut v, &l, &v_ref, 2, f64::EPSILON / 2.0);
        for (x, y) in v.iter().zip(&v_ref) {
            assert!((x - y).abs() < 1e-12);
        }
    }
}
