//! Matrix decompositions and solves under `torch.linalg`: `linalg_qr`,
//! `linalg_cholesky_ex`, `linalg_solve_triangular` (and the older
//! `triangular_solve`), `cholesky_solve`,
//! `_linalg_solve_ex`, `linalg_lu_solve`, `linalg_inv_ex`, `_linalg_det`,
//! `_linalg_slogdet`, and `_linalg_check_errors`, which turns their `info`
//! into PyTorch's `LinAlgError`; the LU factorization as an operator
//! (`linalg_lu_factor_ex`, `linalg_lu`, `lu_unpack`) is in [`lu`], the
//! spectral decompositions (`_linalg_svd`, `_linalg_eigh`, `linalg_pinv`)
//! in [`spectral`], the nonsymmetric eigendecomposition (`linalg_eig`) in
//! [`eig`] on [`geev`], least squares (`linalg_lstsq`) in [`lstsq`], the symmetric-indefinite
//! `linalg_ldl_factor_ex`/`linalg_ldl_solve` in [`ldl`],
//! `cholesky_inverse` in [`cholesky_inverse`].
//!
//! One LU factorization ([`lu_factor`], LAPACK's `getf2` as MKL rounds it)
//! serves every operator that factors: solve, inverse, determinants and
//! the `lu` operators. A right-hand `linalg_lu_solve` (`left=False`) comes
//! back row-major, the transpose of the left solve it is.
//!
//! Each batch matrix is factored by the reference LAPACK routine PyTorch's
//! CPU kernels call ([`lapack`]), in f64, and rounded once to the input's
//! dtype (float32 or float64). Observed in torch 2.15 (CPU): every matrix
//! result is batch-contiguous with each matrix column-major (strides
//! `[…, 1, rows]`), as LAPACK writes it; `info` and `pivots` are int32;
//! `_linalg_det`/`_linalg_slogdet` factor `Aᵀ` when `A` is contiguous
//! (`det(Aᵀ) = det(A)`, no copy) and `A` otherwise, `_linalg_solve_ex` and
//! `linalg_inv_ex` factor `A`; `linalg_cholesky_ex` returns the partly
//! factored matrix (the failing pivot on the diagonal) with the other
//! triangle zeroed when the input is not positive-definite.

mod cholesky_inverse;
mod complex_inv;
mod eig;
mod geev;
mod householder;
pub(crate) mod lapack;
mod ldl;
mod lstsq;
mod lu;
mod matrix_exp;
mod spectral;

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::{broadcast_index, broadcast_shapes, contiguous_strides};

/// The kernel of `op` if it is a decomposition or solve.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.linalg_qr.default" => linalg_qr,
        "aten.linalg_cholesky_ex.default" => linalg_cholesky_ex,
        "aten._linalg_check_errors.default" => linalg_check_errors,
        "aten.linalg_solve_triangular.default" => linalg_solve_triangular,
        "aten.triangular_solve.default" => triangular_solve,
        "aten.cholesky_solve.default" => cholesky_solve,
        "aten._linalg_solve_ex.default" => linalg_solve_ex,
        "aten.linalg_lu_solve.default" => linalg_lu_solve,
        "aten.linalg_lu_factor_ex.default" => lu::linalg_lu_factor_ex,
        "aten.linalg_lu.default" => lu::linalg_lu,
        "aten.lu_unpack.default" => lu::lu_unpack,
        "aten.linalg_inv_ex.default" => linalg_inv_ex,
        "aten._linalg_det.default" => linalg_det,
        "aten._linalg_slogdet.default" => linalg_slogdet,
        "aten.geqrf.default" => householder::geqrf,
        "aten.linalg_householder_product.default" => householder::linalg_householder_product,
        "aten.ormqr.default" => householder::ormqr,
        "aten.linalg_matrix_exp.default" => matrix_exp::linalg_matrix_exp,
        "aten.linalg_lstsq.default" => lstsq::linalg_lstsq,
        "aten.linalg_ldl_factor_ex.default" => ldl::linalg_ldl_factor_ex,
        "aten.linalg_ldl_solve.default" => ldl::linalg_ldl_solve,
        "aten.cholesky_inverse.default" => cholesky_inverse::cholesky_inverse,
        "aten._linalg_svd.default" => spectral::linalg_svd,
        "aten._linalg_eigh.default" => spectral::linalg_eigh,
        "aten.linalg_eig.default" => eig::linalg_eig,
        "aten.linalg_pinv.atol_rtol_tensor" => spectral::linalg_pinv,
        // Real vectors: `vdot` is `dot` (conjugating the first is a no-op).
        "aten.vdot.default" => super::linalg::dot,
        _ => return None,
    })
}

fn size(x: i64) -> usize {
    usize::try_from(x).unwrap_or(0)
}

/// A stack of matrices: batch shape, rows, columns.
#[derive(Clone)]
struct Stack {
    batch: Vec<i64>,
    rows: usize,
    cols: usize,
}

impl Stack {
    fn of(op: &str, t: &Tensor, what: &str) -> Result<Stack> {
        let s = t.shape();
        if s.len() < 2 {
            return Err(RuntimeError::shape(
                op,
                format!("{what}: The input tensor A must have at least 2 dimensions."),
            ));
        }
        Ok(Stack {
            batch: s[..s.len() - 2].to_vec(),
            rows: size(s[s.len() - 2]),
            cols: size(s[s.len() - 1]),
        })
    }

    fn count(&self) -> usize {
        self.batch.iter().map(|&d| size(d)).product()
    }

    fn with(&self, rows: usize, cols: usize) -> Stack {
        Stack {
            batch: self.batch.clone(),
            rows,
            cols,
        }
    }

    fn shape(&self) -> Vec<i64> {
        let mut s = self.batch.clone();
        s.extend([self.rows as i64, self.cols as i64]);
        s
    }

    /// Batch-contiguous, each matrix column-major.
    fn f_strides(&self) -> Vec<i64> {
        let shape = self.shape();
        let mut st = contiguous_strides(&shape);
        let n = st.len();
        st[n - 2] = 1;
        st[n - 1] = self.rows.max(1) as i64;
        st
    }
}

/// Checks the dtype is float32 or float64 (PyTorch's message otherwise).
fn float_dtype(op: &str, t: &Tensor, api: &str) -> Result<DType> {
    match t.dtype() {
        d @ (DType::Float32 | DType::Float64) => Ok(d),
        d if d.is_floating() => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!("\"{api}\" not implemented for '{}'", d.scalar_type_name()),
        }),
        d => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "{api}: Expected a floating point or complex tensor as input. Got {}",
                d.scalar_type_name()
            ),
        }),
    }
}

/// Checks the stack holds square matrices (PyTorch's message otherwise).
fn square(op: &str, s: &Stack, api: &str) -> Result<()> {
    if s.rows != s.cols {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: A must be batches of square matrices, but they are {} by {} matrices",
                s.rows, s.cols
            ),
        ));
    }
    Ok(())
}

/// The stack of `t`, checked to be at least 2-D and square.
fn square_stack(op: &str, t: &Tensor, api: &str) -> Result<Stack> {
    let s = Stack::of(op, t, api)?;
    square(op, &s, api)?;
    Ok(s)
}

/// The square stack of `t` and its float dtype, checked in that order.
fn square_float(op: &str, t: &Tensor, api: &str) -> Result<(Stack, DType)> {
    let s = square_stack(op, t, api)?;
    let dtype = float_dtype(op, t, api)?;
    Ok((s, dtype))
}

/// The float dtype of `t`, then that `other` shares it.
fn float_pair(op: &str, t: &Tensor, other: &Tensor, api: &str) -> Result<DType> {
    let dtype = float_dtype(op, t, api)?;
    same_dtype(op, t, other)?;
    Ok(dtype)
}

/// Checks `B` (`rows×cols`) fits `AX = B` (left) or `XA = B` for an `n×n`
/// `A`.
fn check_equation(
    op: &str,
    api: &str,
    n: usize,
    left: bool,
    rows: usize,
    cols: usize,
) -> Result<()> {
    if (left && rows != n) || (!left && cols != n) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: Incompatible shapes of A and B for the equation {} ({n}x{n} and {rows}x{cols})",
                if left { "AX = B" } else { "XA = B" }
            ),
        ));
    }
    Ok(())
}

/// The matrices of `t` (C order in), each column-major.
fn matrices(op: &str, t: &Tensor, s: &Stack) -> Result<Vec<Vec<f64>>> {
    let v = t.read_f64(op)?;
    let (m, n) = (s.rows, s.cols);
    Ok((0..s.count())
        .map(|b| {
            let base = b * m * n;
            let mut out = vec![0.0; m * n];
            for i in 0..m {
                for j in 0..n {
                    out[i + j * m] = v[base + i * n + j];
                }
            }
            out
        })
        .collect())
}

/// Column-major matrices back to C order, rounded to `dtype`.
fn c_order(mats: &[Vec<f64>], m: usize, n: usize, dtype: DType) -> Vec<f64> {
    let mut out = Vec::with_capacity(mats.len() * m * n);
    for a in mats {
        for i in 0..m {
            for j in 0..n {
                out.push(cast_value(dtype, a[i + j * m]));
            }
        }
    }
    out
}

fn str_arg<'a>(a: &Args<'a>, i: usize) -> Result<&'a str> {
    match a.values.get(i) {
        Some(IValue::Str(s)) => Ok(s),
        _ => Err(RuntimeError::unsupported(
            a.op,
            format!("argument {i} is not a str"),
        )),
    }
}

fn info_tensor(ctx: &KernelCtx<'_>, batch: &[i64], info: Vec<i64>) -> Result<Tensor> {
    ctx.output_i64(batch, &contiguous_strides(batch), DType::Int32, || Ok(info))
}

/// `linalg_qr(A, mode='reduced') -> (Q, R)`.
fn linalg_qr(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    let mode = str_arg(&a, 1)?;
    let op = ctx.op;
    let (compute_q, reduced) = match mode {
        "reduced" => (true, true),
        "complete" => (true, false),
        "r" => (false, true),
        other => {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "qr received unrecognized mode '{other}' but expected one of 'reduced' (default), 'r', or 'complete'"
                ),
            ));
        }
    };
    let s = Stack::of(op, x, "linalg.qr")?;
    let dtype = float_dtype(op, x, "linalg.qr")?;
    let single = dtype == DType::Float32;
    let (m, n) = (s.rows, s.cols);
    let k = m.min(n);
    let qcols = if reduced { k } else { m };
    let rrows = if reduced { k } else { m };
    let sign = if ctx.faults.qr_sign_flipped {
        -1.0
    } else {
        1.0
    };
    let factors = if ctx.has_data() {
        matrices(op, x, &s)?
            .into_iter()
            .map(|mut a| {
                let tau = lapack::geqr2(&mut a, m, n, single);
                let q = compute_q.then(|| lapack::org2r(&a, m, &tau, qcols, single));
                let mut r = vec![0.0; rrows * n];
                for j in 0..n {
                    for i in 0..=j.min(rrows.saturating_sub(1)) {
                        if i < m {
                            r[i + j * rrows] = a[i + j * m];
                        }
                    }
                }
                (q, r)
            })
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    // The fault: the opposite Householder convention (beta = +sign·norm)
    // negates every reflector's row of R and column of Q.
    let flip = |v: &mut [f64], rows: usize, cols: usize, col_major_q: bool| {
        for j in 0..cols {
            for i in 0..rows {
                let flip_it = if col_major_q { j < k } else { i < k };
                if flip_it {
                    v[i + j * rows] *= sign;
                }
            }
        }
    };
    let q = if compute_q {
        let qs = s.with(m, qcols);
        ctx.output(&qs.shape(), &qs.f_strides(), dtype, || {
            let mats: Vec<Vec<f64>> = factors
                .iter()
                .map(|(q, _)| {
                    let mut q = q.clone().unwrap_or_default();
                    flip(&mut q, m, qcols, true);
                    q
                })
                .collect();
            Ok(c_order(&mats, m, qcols, dtype))
        })?
    } else {
        ctx.output(&[0], &[1], dtype, || Ok(Vec::new()))?
    };
    let rs = s.with(rrows, n);
    let r = ctx.output(&rs.shape(), &rs.f_strides(), dtype, || {
        let mats: Vec<Vec<f64>> = factors
            .iter()
            .map(|(_, r)| {
                let mut r = r.clone();
                flip(&mut r, rrows, n, false);
                r
            })
            .collect();
        Ok(c_order(&mats, rrows, n, dtype))
    })?;
    Ok(vec![q.into(), r.into()])
}

/// `linalg_cholesky_ex(self, *, upper=False, check_errors=False) -> (L, info)`.
fn linalg_cholesky_ex(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let upper = a.bool(1)?;
    let check_errors = a.bool(2)?;
    let op = ctx.op;
    let (s, dtype) = square_float(op, x, "linalg.cholesky")?;
    let single = dtype == DType::Float32;
    let n = s.rows;
    let mut infos = vec![0i64; s.count()];
    let mut mats = Vec::new();
    if ctx.has_data() {
        for (b, mut m) in matrices(op, x, &s)?.into_iter().enumerate() {
            infos[b] = lapack::potf2(&mut m, n, upper, single);
            // tril_/triu_ of the factor.
            for j in 0..n {
                for i in 0..n {
                    if (upper && i > j) || (!upper && i < j) {
                        m[i + j * n] = 0.0;
                    }
                }
            }
            mats.push(m);
        }
    }
    if check_errors {
        check_info(op, &infos, "linalg.cholesky", s.batch.is_empty())?;
    }
    let l = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        Ok(c_order(&mats, n, n, dtype))
    })?;
    let info = info_tensor(ctx, &s.batch, infos)?;
    Ok(vec![l.into(), info.into()])
}

/// PyTorch's `_linalg_check_errors`: the `LinAlgError` of the first
/// nonzero `info` (`is_matrix`: one matrix, no batch element named).
fn check_info(op: &str, infos: &[i64], api: &str, is_matrix: bool) -> Result<()> {
    let Some((b, &info)) = infos.iter().enumerate().find(|(_, i)| **i != 0) else {
        return Ok(());
    };
    let head = if is_matrix {
        api.to_owned()
    } else {
        format!("{api}: (Batch element {b})")
    };
    let message = if info < 0 {
        format!(
            "{head}: Argument {} has illegal value. Most certainly there is a bug in the implementation calling the backend library.",
            -info
        )
    } else if api.contains("inv") {
        format!(
            "{head}: The diagonal element {info} is zero, the inversion could not be completed because the input matrix is singular."
        )
    } else if api.contains("solve") {
        format!("{head}: The solver failed because the input matrix is singular.")
    } else if api.contains("lu_factor") {
        // A plain RuntimeError (TORCH_CHECK), not a LinAlgError.
        return Err(RuntimeError::shape(
            op,
            format!(
                "{head}: U[{info},{info}] is zero and using it on lu_solve would result in a division by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
            ),
        ));
    } else if api.contains("cholesky") {
        format!(
            "{head}: The factorization could not be completed because the input is not positive-definite (the leading minor of order {info} is not positive-definite)."
        )
    } else {
        format!("{head}: Unknown error code: {info}.")
    };
    Err(RuntimeError::LinAlg {
        op: op.to_owned(),
        message,
    })
}

/// `_linalg_check_errors(info, api_name, *, is_matrix) -> ()`.
fn linalg_check_errors(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let info = a.tensor(0)?;
    let api = str_arg(&a, 1)?;
    let is_matrix = a.bool(2)?;
    if ctx.has_data() {
        let infos = info.read_i64(ctx.op)?;
        check_info(ctx.op, &infos, api, is_matrix)?;
    }
    Ok(Vec::new())
}

/// Solves each `op(T)·X = B` (left) or `X·op(T) = B` (right) for
/// triangular `T` (`n×n`), `B` column-major `rows×cols`.
#[allow(clippy::too_many_arguments)]
fn tri_solve(
    single: bool,
    right_fault: bool,
    t: &[f64],
    n: usize,
    lower: bool,
    unit: bool,
    left: bool,
    b: &[f64],
    rows: usize,
    cols: usize,
) -> Vec<f64> {
    if left {
        let mut x = b.to_vec();
        lapack::trsm_left(t, n, lower, false, unit, &mut x, cols, single);
        x
    } else {
        // X T = B  ⇔  Tᵀ Xᵀ = Bᵀ.
        let mut bt = transpose_rect(b, rows, cols);
        lapack::trsm_left(t, n, lower, !right_fault, unit, &mut bt, rows, single);
        transpose_rect(&bt, cols, rows)
    }
}

/// Broadcasts the batches of a square `A` stack and a right-hand side.
struct Pair {
    batch: Vec<i64>,
    from_a: Vec<usize>,
    from_b: Vec<usize>,
}

impl Pair {
    /// The result stack: the broadcast batch of `rows×cols` matrices.
    fn out(&self, rows: usize, cols: usize) -> Stack {
        Stack {
            batch: self.batch.clone(),
            rows,
            cols,
        }
    }
}

fn pair(op: &str, sa: &Stack, sb: &Stack) -> Result<Pair> {
    let batch = broadcast_shapes(&sa.batch, &sb.batch).ok_or_else(|| {
        RuntimeError::shape(
            op,
            format!(
                "The size of tensor a ({:?}) must match the size of tensor b ({:?}) at a non-singleton dimension",
                sa.batch, sb.batch
            ),
        )
    })?;
    Ok(Pair {
        from_a: broadcast_index(&sa.batch, &batch),
        from_b: broadcast_index(&sb.batch, &batch),
        batch,
    })
}

fn same_dtype(op: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "Expected out tensor to have dtype {}, but got {} instead",
                a.dtype().scalar_type_name(),
                b.dtype().scalar_type_name()
            ),
        });
    }
    Ok(())
}

/// The checked operands of `AX = B` (`left`) or `XA = B`.
struct System {
    sa: Stack,
    sb: Stack,
    dtype: DType,
}

/// Checks a square `A` and a matrix `B` in PyTorch's order (`A`'s stack and
/// squareness, `B`'s stack, the float dtype of `A` and `B`'s match, the
/// equation's shapes).
fn system(op: &str, api: &str, a: &Tensor, b: &Tensor, left: bool) -> Result<System> {
    let sa = square_stack(op, a, api)?;
    let sb = Stack::of(op, b, api)?;
    let dtype = float_pair(op, a, b, api)?;
    check_equation(op, api, sa.rows, left, sb.rows, sb.cols)?;
    Ok(System { sa, sb, dtype })
}

/// `linalg_solve_triangular(self, B, *, upper, left=True, unitriangular=False)`.
fn linalg_solve_triangular(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (t, b) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(t, "self")?;
    ctx.check(b, "B")?;
    let (upper, left, unit) = (a.bool(2)?, a.bool(3)?, a.bool(4)?);
    let op = ctx.op;
    let api = "linalg.solve_triangular";
    let System { sa: st, sb, dtype } = system(op, api, t, b, left)?;
    let single = dtype == DType::Float32;
    let n = st.rows;
    let (rows, cols) = (sb.rows, sb.cols);
    let p = pair(op, &st, &sb)?;
    let right_fault = ctx.faults.solve_triangular_right_transposed;
    let out = p.out(rows, cols);
    let res = ctx.output(&out.shape(), &out.f_strides(), dtype, || {
        let ta = matrices(op, t, &st)?;
        let bb = matrices(op, b, &sb)?;
        let mats: Vec<Vec<f64>> = (0..p.from_a.len())
            .map(|i| {
                tri_solve(
                    single,
                    right_fault,
                    &ta[p.from_a[i]],
                    n,
                    !upper,
                    unit,
                    left,
                    &bb[p.from_b[i]],
                    rows,
                    cols,
                )
            })
            .collect();
        Ok(c_order(&mats, rows, cols, dtype))
    })?;
    Ok(vec![res.into()])
}

/// The operands of the older solvers' `AX = b` (`triangular_solve`),
/// checked in PyTorch's order with its messages: both at least 2-D, the
/// same dtype, `A` square, `b`'s rows matching `A`, then a float32/float64
/// kernel (`"triangular_solve_cpu" not implemented for ...`).
fn legacy_solve_operands(op: &str, b: &Tensor, a: &Tensor) -> Result<(Stack, Stack, DType)> {
    for (t, name) in [(b, "b"), (a, "A")] {
        if t.shape().len() < 2 {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "torch.triangular_solve: Expected {name} to have at least 2 dimensions, but it has {} dimensions instead",
                    t.shape().len()
                ),
            ));
        }
    }
    if a.dtype() != b.dtype() {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "Expected b and A to have the same dtype, but found b of type {} and A of type {} instead.",
                b.dtype().scalar_type_name(),
                a.dtype().scalar_type_name()
            ),
        });
    }
    let (sa, sb) = (Stack::of(op, a, "A")?, Stack::of(op, b, "b")?);
    if sa.rows != sa.cols {
        return Err(RuntimeError::shape(
            op,
            format!(
                "A must be batches of square matrices, but they are {} by {} matrices",
                sa.rows, sa.cols
            ),
        ));
    }
    if sb.rows != sa.cols {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Incompatible matrix sizes for triangular_solve: each A matrix is {0} by {0} but each b matrix is {1} by {2}",
                sa.cols, sb.rows, sb.cols
            ),
        ));
    }
    match a.dtype() {
        d @ (DType::Float32 | DType::Float64) => Ok((sa, sb, d)),
        d => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"triangular_solve_cpu\" not implemented for '{}'",
                d.scalar_type_name()
            ),
        }),
    }
}

/// `triangular_solve(self, A, upper=True, transpose=False,
/// unitriangular=False) -> (solution, cloned_coefficient)`: the older
/// `torch.triangular_solve`, `op(A)·X = B` for `B = self` with `op(A) = Aᵀ`
/// when `transpose`. Both results are broadcast over the batch and
/// column-major (strides `[…, 1, rows]`); the second is a copy of `A`
/// (both triangles, as given).
fn triangular_solve(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (b, t) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(b, "self")?;
    ctx.check(t, "A")?;
    let (upper, transpose, unit) = (a.bool(2)?, a.bool(3)?, a.bool(4)?);
    let op = ctx.op;
    let (st, sb, dtype) = legacy_solve_operands(op, b, t)?;
    let single = dtype == DType::Float32;
    let n = st.rows;
    let cols = sb.cols;
    let p = pair(op, &st, &sb)?;
    let trans = transpose != ctx.faults.triangular_solve_transpose_ignored;
    let out = p.out(n, cols);
    let solution = ctx.output(&out.shape(), &out.f_strides(), dtype, || {
        let ta = matrices(op, t, &st)?;
        let bb = matrices(op, b, &sb)?;
        let mats: Vec<Vec<f64>> = (0..p.from_a.len())
            .map(|i| {
                let mut x = bb[p.from_b[i]].clone();
                lapack::trsm_left(
                    &ta[p.from_a[i]],
                    n,
                    !upper,
                    trans,
                    unit,
                    &mut x,
                    cols,
                    single,
                );
                x
            })
            .collect();
        Ok(c_order(&mats, n, cols, dtype))
    })?;
    let copy = p.out(n, n);
    let coefficient = ctx.output(&copy.shape(), &copy.f_strides(), dtype, || {
        let ta = matrices(op, t, &st)?;
        let mats: Vec<Vec<f64>> = p.from_a.iter().map(|&i| ta[i].clone()).collect();
        Ok(c_order(&mats, n, n, dtype))
    })?;
    Ok(vec![solution.into(), coefficient.into()])
}

/// `cholesky_solve(self, input2, upper=False)`: `X = (L·Lᵀ)⁻¹·B` (or
/// `(Uᵀ·U)⁻¹·B`) for `B = self`, the factor `input2`.
fn cholesky_solve(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (b, l) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(b, "self")?;
    ctx.check(l, "input2")?;
    let upper = a.bool(2)?;
    let op = ctx.op;
    let api = "cholesky_solve";
    let sl = square_stack(op, l, api)?;
    let sb = Stack::of(op, b, api)?;
    let dtype = float_pair(op, b, l, api)?;
    let single = dtype == DType::Float32;
    let n = sl.rows;
    if sb.rows != n {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but each b matrix is {} by {}",
                sb.rows, sb.cols
            ),
        ));
    }
    let p = pair(op, &sl, &sb)?;
    let out = p.out(n, sb.cols);
    let res = ctx.output(&out.shape(), &out.f_strides(), dtype, || {
        let ls = matrices(op, l, &sl)?;
        let bs = matrices(op, b, &sb)?;
        let mats: Vec<Vec<f64>> = (0..p.from_a.len())
            .map(|i| {
                let f = &ls[p.from_a[i]];
                let mut x = bs[p.from_b[i]].clone();
                // lower: L y = b, Lᵀ x = y; upper: Uᵀ y = b, U x = y.
                lapack::trsm_left(f, n, !upper, upper, false, &mut x, sb.cols, single);
                lapack::trsm_left(f, n, !upper, !upper, false, &mut x, sb.cols, single);
                x
            })
            .collect();
        Ok(c_order(&mats, n, sb.cols, dtype))
    })?;
    Ok(vec![res.into()])
}

/// LU factors of a stack: column-major LU, 1-based pivots, info.
struct Lu {
    lu: Vec<Vec<f64>>,
    piv: Vec<Vec<i64>>,
    info: Vec<i64>,
}

/// `getf2` of each `m×n` matrix of a stack (`pivoting`: LAPACK's, or the
/// fault's).
fn lu_factor(
    mats: Vec<Vec<f64>>,
    m: usize,
    n: usize,
    single: bool,
    pivoting: lapack::Pivoting,
) -> Lu {
    let mut lu = Lu {
        lu: Vec::new(),
        piv: Vec::new(),
        info: Vec::new(),
    };
    for mut a in mats {
        let (p, i) = lapack::getf2(&mut a, m, n, single, pivoting);
        lu.lu.push(a);
        lu.piv.push(p);
        lu.info.push(i);
    }
    lu
}

/// The transpose of a square column-major `n×n` matrix.
fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    (0..n * n).map(|p| a[(p / n) + (p % n) * n]).collect()
}

/// The transpose of a column-major `rows×cols` matrix, column-major
/// `cols×rows`.
fn transpose_rect(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; rows * cols];
    for i in 0..rows {
        for j in 0..cols {
            t[j + i * cols] = a[i + j * rows];
        }
    }
    t
}

/// Solves `A X = B` (`left`) or `X A = B` for one LU-factored `A`
/// (`adjoint`: `Aᵀ` in place of `A`), `B` column-major `rows×cols`.
#[allow(clippy::too_many_arguments)]
fn lu_solve_one(
    f: &[f64],
    piv: &[i64],
    n: usize,
    left: bool,
    adjoint: bool,
    b: &[f64],
    rows: usize,
    cols: usize,
    single: bool,
) -> Vec<f64> {
    if left {
        let mut x = b.to_vec();
        lapack::getrs(f, piv, n, adjoint, &mut x, cols, single);
        x
    } else {
        // X A = B ⇔ Aᵀ Xᵀ = Bᵀ (adjoint: A Xᵀ = Bᵀ).
        let mut bt = transpose_rect(b, rows, cols);
        lapack::getrs(f, piv, n, !adjoint, &mut bt, rows, single);
        transpose_rect(&bt, cols, rows)
    }
}

/// The pivoting every LU factorization uses: LAPACK's partial pivoting,
/// unless the fault `lu-pivot-without-max` is set.
fn pivoting(ctx: &KernelCtx<'_>) -> lapack::Pivoting {
    if ctx.faults.lu_pivot_without_max {
        lapack::Pivoting::FirstNonzero
    } else {
        lapack::Pivoting::Partial
    }
}

/// The LU factors of `x`'s stack `s` (none without data).
fn lu_of(ctx: &KernelCtx<'_>, x: &Tensor, s: &Stack, single: bool) -> Result<Lu> {
    Ok(if ctx.has_data() {
        lu_factor(
            matrices(ctx.op, x, s)?,
            s.rows,
            s.cols,
            single,
            pivoting(ctx),
        )
    } else {
        lu_factor(Vec::new(), s.rows, s.cols, single, pivoting(ctx))
    })
}

/// The LU outputs: LU (column-major stack), pivots `[*, n]` int32.
fn lu_outputs(ctx: &KernelCtx<'_>, s: &Stack, dtype: DType, lu: &Lu) -> Result<(Tensor, Tensor)> {
    let n = s.rows;
    let lu_t = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        Ok(c_order(&lu.lu, n, n, dtype))
    })?;
    let mut pshape = s.batch.clone();
    pshape.push(n as i64);
    let piv = ctx.output_i64(&pshape, &contiguous_strides(&pshape), DType::Int32, || {
        Ok(lu.piv.iter().flatten().copied().collect())
    })?;
    Ok((lu_t, piv))
}

/// `_linalg_solve_ex(A, B, *, left=True, check_errors=False) -> (result, LU, pivots, info)`.
fn linalg_solve_ex(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, b) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "A")?;
    ctx.check(b, "B")?;
    if x.dtype().is_complex() || b.dtype().is_complex() {
        return complex_inv::linalg_solve_ex(ctx, &a, x, b);
    }
    let left = a.bool(2)?;
    let check_errors = a.bool(3)?;
    let op = ctx.op;
    let api = "linalg.solve";
    let sa = square_stack(op, x, api)?;
    let dtype = float_pair(op, x, b, api)?;
    let single = dtype == DType::Float32;
    let n = sa.rows;
    // NumPy's vector case: B is `[*, n]` with A's batch (or 1-D).
    let vector = b.dim() == 1
        || (left && b.dim() + 1 == x.dim() && b.shape()[..b.dim() - 1] == sa.batch[..]);
    let sb = if vector {
        let mut batch = b.shape().to_vec();
        let last = batch.pop().unwrap_or(0);
        Stack {
            batch,
            rows: size(last),
            cols: 1,
        }
    } else {
        Stack::of(op, b, api)?
    };
    let (rows, cols) = (sb.rows, sb.cols);
    check_equation(op, api, n, left, rows, cols)?;
    let p = pair(op, &sa, &sb)?;
    let lu = lu_of(ctx, x, &sa, single)?;
    if check_errors {
        check_info(op, &lu.info, "torch.linalg.solve", sa.batch.is_empty())?;
    }
    let out = p.out(rows, cols);
    let (shape, strides) = if vector {
        // Observed in torch 2.15: a batched vector result `[*B, n]` is laid
        // out as the `[*B[..-1], n, B[-1]]` solve it is, transposed back
        // (strides `[…, 1, B[-1]]`): `(2, 3)` has strides `(1, 2)`.
        let mut s = p.batch.clone();
        s.push(rows as i64);
        let mut st = contiguous_strides(&s);
        if let [.., last_batch, n_stride] = st.as_mut_slice() {
            *n_stride = s[s.len() - 2].max(1);
            *last_batch = 1;
        }
        (s, st)
    } else if left {
        (out.shape(), out.f_strides())
    } else {
        // `left=False` solves the transposed system and transposes its
        // column-major result back: row-major (torch 2.15, `X A = B` with
        // `B` of `(2, 4)` gives strides `(4, 1)`).
        let shape = out.shape();
        let strides = contiguous_strides(&shape);
        (shape, strides)
    };
    let res = ctx.output(&shape, &strides, dtype, || {
        let bs = if vector {
            let v = b.read_f64(op)?;
            (0..sb.count())
                .map(|k| v.get(k * rows..(k + 1) * rows).unwrap_or(&[]).to_vec())
                .collect()
        } else {
            matrices(op, b, &sb)?
        };
        let mats: Vec<Vec<f64>> = (0..p.from_a.len())
            .map(|i| {
                let (f, piv) = (&lu.lu[p.from_a[i]], &lu.piv[p.from_a[i]]);
                let bm = &bs[p.from_b[i]];
                lu_solve_one(f, piv, n, left, false, bm, rows, cols, single)
            })
            .collect();
        Ok(c_order(&mats, rows, cols, dtype))
    })?;
    let (lu_t, piv) = lu_outputs(ctx, &sa, dtype, &lu)?;
    let info = info_tensor(ctx, &sa.batch, lu.info.clone())?;
    Ok(vec![res.into(), lu_t.into(), piv.into(), info.into()])
}

/// `linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False)`.
fn linalg_lu_solve(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (lu_t, piv_t, b) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(lu_t, "LU")?;
    ctx.check(b, "B")?;
    let (left, adjoint) = (a.bool(3)?, a.bool(4)?);
    let op = ctx.op;
    let api = "linalg.lu_solve";
    let System { sa: sl, sb, dtype } = system(op, api, lu_t, b, left)?;
    let single = dtype == DType::Float32;
    let n = sl.rows;
    let (rows, cols) = (sb.rows, sb.cols);
    let mut piv_shape = sl.batch.clone();
    piv_shape.push(n as i64);
    if piv_t.shape() != piv_shape.as_slice() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: Expected pivots of shape {piv_shape:?} for LU of shape {:?}, got {:?}",
                sl.shape(),
                piv_t.shape()
            ),
        ));
    }
    let p = pair(op, &sl, &sb)?;
    let out = p.out(rows, cols);
    // Observed in torch 2.15: a right solve is the transpose of a left one
    // and comes back row-major (`[2, 3]` → strides `[3, 1]`).
    let strides = if left {
        out.f_strides()
    } else {
        contiguous_strides(&out.shape())
    };
    let res = ctx.output(&out.shape(), &strides, dtype, || {
        let lus = matrices(op, lu_t, &sl)?;
        let pivs = pivot_rows(op, piv_t, n)?;
        let bs = matrices(op, b, &sb)?;
        let mats: Vec<Vec<f64>> = (0..p.from_a.len())
            .map(|i| {
                let f = &lus[p.from_a[i]];
                let piv = pivs.get(p.from_a[i]).cloned().unwrap_or_default();
                let bm = &bs[p.from_b[i]];
                lu_solve_one(f, &piv, n, left, adjoint, bm, rows, cols, single)
            })
            .collect();
        Ok(c_order(&mats, rows, cols, dtype))
    })?;
    Ok(vec![res.into()])
}

/// `linalg_inv_ex(A, *, check_errors=False) -> (inverse, info)`: LU of `A`,
/// then the solve of the identity.
fn linalg_inv_ex(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    if x.dtype().is_complex() {
        return complex_inv::linalg_inv_ex(ctx, &a, x);
    }
    let check_errors = a.bool(1)?;
    let op = ctx.op;
    let api = "linalg.inv";
    let (s, dtype) = square_float(op, x, api)?;
    let single = dtype == DType::Float32;
    let n = s.rows;
    let lu = lu_of(ctx, x, &s, single)?;
    if check_errors {
        check_info(op, &lu.info, api, s.batch.is_empty())?;
    }
    let inv = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        let mats: Vec<Vec<f64>> = lu
            .lu
            .iter()
            .zip(&lu.piv)
            .map(|(f, piv)| {
                let mut e = vec![0.0; n * n];
                (0..n).for_each(|i| e[i + i * n] = 1.0);
                lapack::getrs(f, piv, n, false, &mut e, n, single);
                e
            })
            .collect();
        Ok(c_order(&mats, n, n, dtype))
    })?;
    let info = info_tensor(ctx, &s.batch, lu.info.clone())?;
    Ok(vec![inv.into(), info.into()])
}

/// The LU factors `_linalg_det`/`_linalg_slogdet` use: of `Aᵀ` when `A`
/// is contiguous, of `A` otherwise.
fn det_lu(ctx: &KernelCtx<'_>, x: &Tensor, s: &Stack) -> Result<Lu> {
    let n = s.rows;
    let single = x.dtype() == DType::Float32;
    if !ctx.has_data() {
        return Ok(lu_factor(Vec::new(), n, n, single, pivoting(ctx)));
    }
    let mut mats = matrices(ctx.op, x, s)?;
    if x.is_contiguous() {
        mats = mats.iter().map(|m| transpose(m, n)).collect();
    }
    Ok(lu_factor(mats, n, n, single, pivoting(ctx)))
}

/// `(-1)^(number of row swaps)`.
fn perm_sign(piv: &[i64]) -> f64 {
    let swaps = piv
        .iter()
        .enumerate()
        .filter(|(i, p)| **p != *i as i64 + 1)
        .count();
    if swaps % 2 == 0 { 1.0 } else { -1.0 }
}

/// `_linalg_det(A) -> (result, LU, pivots)`.
fn linalg_det(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    let op = ctx.op;
    let api = "linalg.det";
    let (s, dtype) = square_float(op, x, api)?;
    let single = dtype == DType::Float32;
    let n = s.rows;
    let lu = det_lu(ctx, x, &s)?;
    let det = ctx.output(&s.batch, &contiguous_strides(&s.batch), dtype, || {
        Ok(lu
            .lu
            .iter()
            .zip(&lu.piv)
            .map(|(f, piv)| {
                // prod(diag(LU)) in the dtype's precision, times det(P).
                let prod = if single {
                    f64::from((0..n).fold(1f32, |acc, i| acc * f[i + i * n] as f32))
                } else {
                    (0..n).map(|i| f[i + i * n]).product()
                };
                cast_value(dtype, perm_sign(piv) * prod)
            })
            .collect())
    })?;
    let (lu_t, piv) = lu_outputs(ctx, &s, dtype, &lu)?;
    Ok(vec![det.into(), lu_t.into(), piv.into()])
}

/// `_linalg_slogdet(A) -> (sign, logabsdet, LU, pivots)`.
fn linalg_slogdet(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    let op = ctx.op;
    let api = "linalg.slogdet";
    let (s, dtype) = square_float(op, x, api)?;
    let single = dtype == DType::Float32;
    let n = s.rows;
    let lu = det_lu(ctx, x, &s)?;
    let strides = contiguous_strides(&s.batch);
    let sign = ctx.output(&s.batch, &strides, dtype, || {
        Ok(lu
            .lu
            .iter()
            .zip(&lu.piv)
            .map(|(f, piv)| {
                let sg: f64 = (0..n).map(|i| sgn(f[i + i * n])).product();
                perm_sign(piv) * sg
            })
            .collect())
    })?;
    let logabs = ctx.output(&s.batch, &strides, dtype, || {
        Ok(lu
            .lu
            .iter()
            .map(|f| {
                // diag.abs().log().sum(-1), each log rounded to the dtype.
                let logs = (0..n).map(|i| cast_value(dtype, f[i + i * n].abs().ln()));
                let sum = if single {
                    f64::from(logs.fold(0f32, |acc, v| acc + v as f32))
                } else {
                    logs.sum()
                };
                cast_value(dtype, sum)
            })
            .collect())
    })?;
    let (lu_t, piv) = lu_outputs(ctx, &s, dtype, &lu)?;
    Ok(vec![sign.into(), logabs.into(), lu_t.into(), piv.into()])
}

fn sgn(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// A stack of pivot vectors (`getrf`'s or `sytrf`'s) as one row of `n`
/// per matrix.
fn pivot_rows(op: &str, pivots: &Tensor, n: usize) -> Result<Vec<Vec<i64>>> {
    Ok(pivots
        .read_i64(op)?
        .chunks(n.max(1))
        .map(<[i64]>::to_vec)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(infos: &[i64], api: &str, is_matrix: bool) -> String {
        match check_info("aten._linalg_check_errors.default", infos, api, is_matrix) {
            Err(e) => e.python_message(),
            Ok(()) => String::new(),
        }
    }

    #[test]
    fn check_errors_raises_pytorchs_linalg_errors() {
        // Messages as torch 2.15 raises them (class _LinAlgError).
        assert_eq!(message(&[0], "linalg.cholesky", true), "");
        assert_eq!(
            message(&[2], "linalg.cholesky", true),
            "_LinAlgError: linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order 2 is not positive-definite)."
        );
        assert_eq!(
            message(&[0, 1], "linalg.inv", false),
            "_LinAlgError: linalg.inv: (Batch element 1): The diagonal element 1 is zero, the inversion could not be completed because the input matrix is singular."
        );
        assert_eq!(
            message(&[0, 0, 2], "torch.linalg.lu_factor", false),
            "RuntimeError: torch.linalg.lu_factor: (Batch element 2): U[2,2] is zero and using it on lu_solve would result in a division by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        );
        assert_eq!(
            message(&[3], "torch.linalg.solve", true),
            "_LinAlgError: torch.linalg.solve: The solver failed because the input matrix is singular."
        );
    }

    #[test]
    fn the_permutation_sign_counts_row_swaps() {
        // 1-based LAPACK pivots: [1, 2, 3] swaps nothing, [2, 2, 3] once,
        // [3, 3, 3] twice.
        assert_eq!(perm_sign(&[1, 2, 3]), 1.0);
        assert_eq!(perm_sign(&[2, 2, 3]), -1.0);
        assert_eq!(perm_sign(&[3, 3, 3]), 1.0);
    }

    #[test]
    fn rectangular_transpose_round_trips() {
        // Column-major 2×3 [[1, 2, 3], [4, 5, 6]] → 3×2 [[1, 4], [2, 5], [3, 6]].
        let a = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
        let t = transpose_rect(&a, 2, 3);
        assert_eq!(t, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(transpose_rect(&t, 3, 2), a.to_vec());
        assert_eq!(transpose_rect(&a[..4], 2, 2), transpose(&a[..4], 2));
    }

    #[test]
    fn column_major_strides_per_batch_matrix() {
        let s = Stack {
            batch: vec![3],
            rows: 4,
            cols: 2,
        };
        assert_eq!(s.f_strides(), vec![8, 1, 4]);
        assert_eq!(broadcast_index(&[1], &[3]), vec![0, 0, 0]);
        assert_eq!(broadcast_index(&[3], &[2, 3]), vec![0, 1, 2, 0, 1, 2]);
    }
}
