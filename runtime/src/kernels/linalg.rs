//! Matrix products: `mm`, `addmm`, `bmm`, `baddbmm`, `addbmm`, `mv`,
//! `addmv` and `dot`.
//!
//! Results are contiguous (row-major) whatever the operands' strides, as
//! PyTorch's CPU kernels produce them. float32 and float64 `mm`, `addmm`,
//! `bmm` and `baddbmm` run a blocked GEMM in their own precision straight
//! from the operands' storage ([`super::matmul`]), as PyTorch's sgemm and
//! dgemm do. Integer products (every width) multiply and accumulate in
//! wrapping i64 and are stored wrapped to their width, as PyTorch's integer
//! gemm computes them modulo 2^width ([`int_gemm`]; exact beyond 2^53).
//! float16/bfloat16 `mm`, `addmm`, `bmm`, `baddbmm`, `addbmm`, `mv`,
//! `addmv` and `dot` small enough for PyTorch's own loops (not oneDNN) sum
//! in float32 in those loops' order ([`super::reduced_gemm`]). Every other
//! product multiplies in f64 and rounds once: float16/bfloat16 products
//! oneDNN takes are computed wider than their storage as PyTorch's CPU
//! kernels do (they accumulate in float32).
//!
//! Observed in torch 2.15: matrix operands are not promoted (mixed dtypes
//! are errors), and `torch.matmul` / `@` never reaches a kernel of its own —
//! it dispatches `mm` (2-D @ 2-D, and N-D @ 2-D after a `view` to 2-D),
//! `mv` (2-D @ 1-D, N-D @ 1-D after a `view`), `dot` (1-D @ 1-D), `mm` on an
//! `unsqueeze`d vector then `squeeze_` (1-D @ 2-D), and `bmm` on
//! `expand`ed and `view`ed/`reshape`d operands (batched), ending with an
//! `_unsafe_view` to the broadcast batch shape.

use super::iter::{broadcast_view, read_broadcast};
use super::matmul::{self, Bias};
use super::reduced_gemm;
use super::{Kernel, KernelCtx};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// The batched and vector products (`mm` and `addmm` are core operators,
/// registered in [`super::lookup`]'s core table).
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.bmm.default" => bmm,
        "aten.baddbmm.default" => baddbmm,
        "aten.addbmm.default" => addbmm,
        "aten.mv.default" => mv,
        "aten.addmv.default" => addmv,
        "aten.dot.default" => dot,
        _ => return None,
    })
}

fn matrix_dims(op: &str, t: &Tensor, arg: &str) -> Result<(usize, usize)> {
    match t.shape() {
        &[r, c] => Ok((
            usize::try_from(r).unwrap_or(0),
            usize::try_from(c).unwrap_or(0),
        )),
        other => Err(RuntimeError::shape(
            op,
            format!(
                "{arg} must be a matrix, got {}-D tensor {other:?}",
                other.len()
            ),
        )),
    }
}

/// `mm`'s dtype check (PyTorch does not promote matrix operands), made
/// after the shape check and printing both dtypes as C++ type names
/// (observed in torch 2.15: "expected m1 and m2 to have the same dtype, but
/// got: float != c10::BFloat16"). `scalar_names` prints `ScalarType` names
/// instead (the `mm-dtype-message-scalar-names` fault).
pub(crate) fn same_dtype(op: &str, m1: &Tensor, m2: &Tensor, scalar_names: bool) -> Result<DType> {
    if m1.dtype() != m2.dtype() {
        let name = |d: DType| {
            if scalar_names {
                d.scalar_type_name()
            } else {
                d.type_meta_name()
            }
        };
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "expected m1 and m2 to have the same dtype, but got: {} != {}",
                name(m1.dtype()),
                name(m2.dtype())
            ),
        });
    }
    Ok(m1.dtype())
}

/// `addmm`'s and `addbmm`'s dtype checks: `self` against `mat2` first, then
/// `mat1` against `mat2`, printing `ScalarType` names (observed in torch
/// 2.15: `addmm(bf16, f32, f32)` says "self and mat2 must have the same
/// dtype, but got BFloat16 and Float"; `addmm(f32, bf16, f32)` "mat1 and
/// mat2 …"). `addmm` makes them before any shape check, `addbmm` after its
/// batch geometry.
pub(crate) fn addmm_dtype(op: &str, bias: &Tensor, m1: &Tensor, m2: &Tensor) -> Result<DType> {
    for (name, t) in [("self", bias), ("mat1", m1)] {
        if t.dtype() != m2.dtype() {
            return Err(RuntimeError::TypeCast {
                op: op.to_owned(),
                message: format!(
                    "{name} and mat2 must have the same dtype, but got {} and {}",
                    t.dtype().scalar_type_name(),
                    m2.dtype().scalar_type_name()
                ),
            });
        }
    }
    Ok(m2.dtype())
}

/// `baddbmm`'s first check, made before any shape check: `self` must have
/// `batch1`'s dtype, the three printed as C++ type names (observed in torch
/// 2.15: "Input dtypes must be the same, got: input c10::BFloat16, batch1:
/// float, batch2: float"). `batch1` against `batch2` is checked later, by
/// [`same_scalar_type`] after the shapes.
pub(crate) fn baddbmm_input_dtype(op: &str, bias: &Tensor, b1: &Tensor, b2: &Tensor) -> Result<()> {
    if bias.dtype() != b1.dtype() {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "Input dtypes must be the same, got: input {}, batch1: {}, batch2: {}",
                bias.dtype().type_meta_name(),
                b1.dtype().type_meta_name(),
                b2.dtype().type_meta_name()
            ),
        });
    }
    Ok(())
}

/// The shape of `m1 @ m2`, checking both are compatible matrices.
pub(crate) fn product_shape(
    op: &str,
    m1: &Tensor,
    m2: &Tensor,
    names: (&str, &str),
) -> Result<Vec<i64>> {
    let (n, k) = matrix_dims(op, m1, names.0)?;
    let (k2, m) = matrix_dims(op, m2, names.1)?;
    if k != k2 {
        return Err(RuntimeError::shape(
            op,
            // PyTorch names the operator first (observed in torch 2.15:
            // `mm: mat1 and mat2 ...`, `addmm: mat1 and mat2 ...`).
            format!(
                "{}: mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})",
                op.split('.').nth(1).unwrap_or(op)
            ),
        ));
    }
    Ok(vec![n as i64, m as i64])
}

/// Below this many multiply-adds a product runs the plain loop: the blocked
/// GEMM's packing costs more than it saves on tiny matrices. Measured (best
/// of nine batches, f64): 4³ loop 0.14 µs vs GEMM 0.30 µs; 8³ about even;
/// 16³ 2.2 vs 0.35 µs; 64³ 83 vs 11 µs; 256³ 12 ms vs 0.6 ms. Through the
/// kernel (`cargo run --release -p ft-runtime --example matmul_timing`,
/// which includes reading operands and writing the result): float32 mm
/// 64² 99 → 73 µs, 128² 746 → 397 µs, 256² 9.5 → 1.9 ms.
const BLOCKED_GEMM_MIN_WORK: usize = 1024;

/// `out[n×m] = a[n×k] · b[k×m]` on row-major buffers: `matrixmultiply`'s
/// blocked f64 GEMM (through `ndarray`'s safe interface) for products large
/// enough to profit, a plain loop otherwise.
fn gemm(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    if n * k * m >= BLOCKED_GEMM_MIN_WORK
        && let (Ok(av), Ok(bv)) = (
            ndarray::ArrayView2::from_shape((n, k), a),
            ndarray::ArrayView2::from_shape((k, m), b),
        )
    {
        return av.dot(&bv).into_iter().collect();
    }
    let mut out = vec![0f64; n * m];
    for (i, row) in out.chunks_exact_mut(m.max(1)).enumerate().take(n) {
        for p in 0..k {
            let x = a[i * k + p];
            let brow = &b[p * m..(p + 1) * m];
            row.iter_mut().zip(brow).for_each(|(o, y)| *o += x * y);
        }
    }
    out
}

fn matmul_values(op: &str, m1: &Tensor, m2: &Tensor) -> Result<Vec<f64>> {
    let (n, k) = matrix_dims(op, m1, "mat1")?;
    let (_, m) = matrix_dims(op, m2, "mat2")?;
    Ok(gemm(&m1.read_f64(op)?, &m2.read_f64(op)?, n, k, m))
}

/// `mm(self, mat2)`.
pub(crate) fn mm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (m1, m2) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(m1, "self")?;
    ctx.check(m2, "mat2")?;
    let shape = product_shape(ctx.op, m1, m2, ("self", "mat2"))?;
    let dtype = same_dtype(ctx.op, m1, m2, ctx.faults.mm_dtype_message_scalar_names)?;
    if exact_products(ctx, dtype) {
        let out = ctx.output_i64(&shape, &contiguous_strides(&shape), dtype, || {
            int_matmul_values(ctx.op, m1, m2)
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) =
            reduced_gemm::product(ctx.op, (m1, m2), None, 1.0, &shape, ctx.cpu.vectorised())?
    {
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.rank_one_product_accumulated
        && let Some(out) = matmul::rank_one(ctx.op, m1, m2, &shape)?
    {
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && let Some(out) = matmul::product(ctx.op, m1, m2, None, 1.0, &shape)?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        matmul_values(ctx.op, m1, m2)
    })?;
    Ok(vec![out.into()])
}

/// Whether products of `dtype` take the exact integer path: every integer
/// dtype (not bool), unless the `integer-matmul-in-double` fault sends them
/// through f64 as the runtime once did.
fn exact_products(ctx: &KernelCtx<'_>, dtype: DType) -> bool {
    dtype.is_integral(false) && !ctx.faults.integer_matmul_in_double
}

/// `out[n×m] = a[n×k] · b[k×m]` on row-major integer buffers in wrapping
/// i64: the integer product modulo 2^64, which stored in a narrower dtype
/// is its product modulo 2^width, whatever order PyTorch accumulates in.
fn int_gemm(a: &[i64], b: &[i64], n: usize, k: usize, m: usize) -> Vec<i64> {
    let mut out = vec![0i64; n * m];
    for (i, row) in out.chunks_exact_mut(m.max(1)).enumerate().take(n) {
        for p in 0..k {
            let x = a[i * k + p];
            let brow = &b[p * m..(p + 1) * m];
            row.iter_mut()
                .zip(brow)
                .for_each(|(o, &y)| *o = o.wrapping_add(x.wrapping_mul(y)));
        }
    }
    out
}

fn int_matmul_values(op: &str, m1: &Tensor, m2: &Tensor) -> Result<Vec<i64>> {
    let (n, k) = matrix_dims(op, m1, "mat1")?;
    let (_, m) = matrix_dims(op, m2, "mat2")?;
    Ok(int_gemm(&m1.read_i64(op)?, &m2.read_i64(op)?, n, k, m))
}

/// `beta * self + alpha * product` in wrapping integer arithmetic, `self`
/// broadcast to `shape` and ignored when `beta == 0`.
fn int_scale_add(
    op: &str,
    bias: &Tensor,
    shape: &[i64],
    product: Vec<i64>,
    beta: i64,
    alpha: i64,
) -> Result<Vec<i64>> {
    if beta == 0 {
        return Ok(product.into_iter().map(|p| alpha.wrapping_mul(p)).collect());
    }
    let b = broadcast_view(op, bias, shape)?.read_i64(op)?;
    Ok(product
        .iter()
        .zip(&b)
        .map(|(&p, &c)| beta.wrapping_mul(c).wrapping_add(alpha.wrapping_mul(p)))
        .collect())
}

/// `addmm(self, mat1, mat2, *, beta=1, alpha=1)`:
/// `beta * self + alpha * (mat1 @ mat2)`, `self` broadcast to the product's
/// shape and ignored when `beta == 0`.
pub(crate) fn addmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (bias, m1, m2) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(bias, "self")?;
    ctx.check(m1, "mat1")?;
    ctx.check(m2, "mat2")?;
    let beta = a.scalar(3)?;
    let alpha = a.scalar(4)?;
    let dtype = addmm_dtype(ctx.op, bias, m1, m2)?;
    let shape = product_shape(ctx.op, m1, m2, ("mat1", "mat2"))?;
    if crate::tensor::strides::broadcast_shapes(bias.shape(), &shape).as_deref() != Some(&shape[..])
    {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "self of shape {:?} cannot be broadcast to {shape:?}",
                bias.shape()
            ),
        ));
    }
    if exact_products(ctx, dtype) {
        let (beta, alpha) = (
            a.int_scalar(ctx.op, 3, dtype)?,
            a.int_scalar(ctx.op, 4, dtype)?,
        );
        let out = ctx.output_i64(&shape, &contiguous_strides(&shape), dtype, || {
            let prod = int_matmul_values(ctx.op, m1, m2)?;
            int_scale_add(ctx.op, bias, &shape, prod, beta, alpha)
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) = reduced_gemm::product(
            ctx.op,
            (m1, m2),
            Some(Bias { tensor: bias, beta }),
            alpha,
            &shape,
            ctx.cpu.vectorised(),
        )?
    {
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.addmm_single_term_unfused
        && let Some(out) =
            matmul::single_term(ctx.op, m1, m2, &Bias { tensor: bias, beta }, alpha, &shape)?
    {
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && let Some(out) = matmul::product(
            ctx.op,
            m1,
            m2,
            Some(Bias { tensor: bias, beta }),
            alpha,
            &shape,
        )?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let prod = matmul_values(ctx.op, m1, m2)?;
        let b = if beta == 0.0 {
            vec![0f64; prod.len()]
        } else {
            read_broadcast(ctx.op, bias, &shape)?
        };
        Ok(prod
            .iter()
            .zip(&b)
            .map(|(&p, &c)| {
                let scaled = if beta == 0.0 { 0.0 } else { beta * c };
                scaled + alpha * p
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

fn dim_usize(d: i64) -> usize {
    usize::try_from(d).unwrap_or(0)
}

/// `(batch, n, k)` of a 3-D operand, with PyTorch's message otherwise.
fn batch_dims(op: &str, t: &Tensor, arg: &str) -> Result<(usize, usize, usize)> {
    match t.shape() {
        &[b, n, k] => Ok((dim_usize(b), dim_usize(n), dim_usize(k))),
        _ => Err(RuntimeError::shape(
            op,
            format!("{arg} must be a 3D tensor"),
        )),
    }
}

/// PyTorch's batched-product dtype check ("expected scalar type Float but
/// found Double").
pub(crate) fn same_scalar_type(op: &str, ts: &[&Tensor]) -> Result<DType> {
    let first = ts.first().map_or(DType::Float32, |t| t.dtype());
    if let Some(other) = ts.iter().find(|t| t.dtype() != first) {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "expected scalar type {} but found {}",
                first.scalar_type_name(),
                other.dtype().scalar_type_name()
            ),
        });
    }
    Ok(first)
}

/// Geometry of `batch1 @ batch2`: `(batch, n, k, m)`.
pub(crate) fn bmm_geometry(
    op: &str,
    b1: &Tensor,
    b2: &Tensor,
) -> Result<(usize, usize, usize, usize)> {
    let (b, n, k) = batch_dims(op, b1, "batch1")?;
    let (b2n, k2, m) = batch_dims(op, b2, "batch2")?;
    if (b2n, k2) != (b, k) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: [{b2n}, {k2}]."
            ),
        ));
    }
    Ok((b, n, k, m))
}

/// The `batch` products of two 3-D operands, in logical order.
fn bmm_values(
    op: &str,
    b1: &Tensor,
    b2: &Tensor,
    g: (usize, usize, usize, usize),
) -> Result<Vec<f64>> {
    Ok(batched(&b1.read_f64(op)?, &b2.read_f64(op)?, g, gemm))
}

/// [`bmm_values`] of integer operands, exactly ([`int_gemm`]).
fn int_bmm_values(
    op: &str,
    b1: &Tensor,
    b2: &Tensor,
    g: (usize, usize, usize, usize),
) -> Result<Vec<i64>> {
    Ok(batched(&b1.read_i64(op)?, &b2.read_i64(op)?, g, int_gemm))
}

/// `product` of each of the `b` pairs of `n x k` and `k x m` matrices in
/// `x` and `y` (contiguous), concatenated.
fn batched<T>(
    x: &[T],
    y: &[T],
    (b, n, k, m): (usize, usize, usize, usize),
    product: impl Fn(&[T], &[T], usize, usize, usize) -> Vec<T>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(b * n * m);
    for i in 0..b {
        out.extend(product(
            &x[i * n * k..(i + 1) * n * k],
            &y[i * k * m..(i + 1) * k * m],
            n,
            k,
            m,
        ));
    }
    out
}

/// `beta * self + alpha * product`, `self` broadcast to `shape` and ignored
/// when `beta == 0` (so NaN/inf there do not propagate, as in PyTorch).
fn scale_add(
    op: &str,
    bias: &Tensor,
    shape: &[i64],
    product: Vec<f64>,
    beta: f64,
    alpha: f64,
) -> Result<Vec<f64>> {
    if beta == 0.0 {
        return Ok(product.into_iter().map(|p| alpha * p).collect());
    }
    let b = read_broadcast(op, bias, shape)?;
    Ok(product
        .iter()
        .zip(&b)
        .map(|(&p, &c)| beta * c + alpha * p)
        .collect())
}

/// PyTorch's check that `self` of an `add*` product broadcasts to the result.
pub(crate) fn check_bias(op: &str, bias: &Tensor, shape: &[i64]) -> Result<()> {
    if broadcast_shapes(bias.shape(), shape).as_deref() != Some(shape) {
        let sizes = |s: &[i64]| s.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        return Err(RuntimeError::shape(
            op,
            format!(
                "The expanded size of the tensor must match the existing size at non-singleton dimension.  Target sizes: [{}].  Tensor sizes: [{}]",
                sizes(shape),
                sizes(bias.shape())
            ),
        ));
    }
    Ok(())
}

/// `bmm(self, mat2)`: one matrix product per batch entry.
pub(crate) fn bmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (b1, b2) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(b1, "self")?;
    ctx.check(b2, "mat2")?;
    let g = bmm_geometry(ctx.op, b1, b2)?;
    let dtype = same_scalar_type(ctx.op, &[b1, b2])?;
    let shape = [g.0 as i64, g.1 as i64, g.3 as i64];
    if exact_products(ctx, dtype) {
        let out = ctx.output_i64(&shape, &contiguous_strides(&shape), dtype, || {
            int_bmm_values(ctx.op, b1, b2, g)
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) =
            reduced_gemm::batched(ctx.op, (b1, b2), None, 1.0, &shape, ctx.cpu.vectorised())?
    {
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.bmm_rank_one_accumulated
        && let Some(out) = matmul::single_batch_rank_one(ctx.op, b1, b2, &shape)?
    {
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && let Some(out) = matmul::product(ctx.op, b1, b2, None, 1.0, &shape)?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        bmm_values(ctx.op, b1, b2, g)
    })?;
    Ok(vec![out.into()])
}

/// `baddbmm(self, batch1, batch2, *, beta=1, alpha=1)`:
/// `beta * self + alpha * bmm(batch1, batch2)`.
pub(crate) fn baddbmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (bias, b1, b2) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(bias, "self")?;
    ctx.check(b1, "batch1")?;
    ctx.check(b2, "batch2")?;
    let (beta, alpha) = (a.scalar(3)?, a.scalar(4)?);
    baddbmm_input_dtype(ctx.op, bias, b1, b2)?;
    let g = bmm_geometry(ctx.op, b1, b2)?;
    let shape = [g.0 as i64, g.1 as i64, g.3 as i64];
    check_bias(ctx.op, bias, &shape)?;
    let dtype = same_scalar_type(ctx.op, &[b1, b2])?;
    if exact_products(ctx, dtype) {
        let (beta, alpha) = (
            a.int_scalar(ctx.op, 3, dtype)?,
            a.int_scalar(ctx.op, 4, dtype)?,
        );
        let out = ctx.output_i64(&shape, &contiguous_strides(&shape), dtype, || {
            let prod = int_bmm_values(ctx.op, b1, b2, g)?;
            int_scale_add(ctx.op, bias, &shape, prod, beta, alpha)
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) = reduced_gemm::batched(
            ctx.op,
            (b1, b2),
            Some(Bias { tensor: bias, beta }),
            alpha,
            &shape,
            ctx.cpu.vectorised(),
        )?
    {
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && let Some(out) = matmul::product(
            ctx.op,
            b1,
            b2,
            Some(Bias { tensor: bias, beta }),
            alpha,
            &shape,
        )?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        scale_add(
            ctx.op,
            bias,
            &shape,
            bmm_values(ctx.op, b1, b2, g)?,
            beta,
            alpha,
        )
    })?;
    Ok(vec![out.into()])
}

/// `addbmm(self, batch1, batch2, *, beta=1, alpha=1)`:
/// `beta * self + alpha * Σ_b batch1[b] @ batch2[b]`.
pub(crate) fn addbmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (bias, b1, b2) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(bias, "self")?;
    ctx.check(b1, "batch1")?;
    ctx.check(b2, "batch2")?;
    let (beta, alpha) = (a.scalar(3)?, a.scalar(4)?);
    let g = bmm_geometry(ctx.op, b1, b2)?;
    let dtype = addmm_dtype(ctx.op, bias, b1, b2)?;
    let shape = [g.1 as i64, g.3 as i64];
    check_bias(ctx.op, bias, &shape)?;
    if exact_products(ctx, dtype) {
        let (beta, alpha) = (
            a.int_scalar(ctx.op, 3, dtype)?,
            a.int_scalar(ctx.op, 4, dtype)?,
        );
        let out = ctx.output_i64(&shape, &contiguous_strides(&shape), dtype, || {
            let per_batch = int_bmm_values(ctx.op, b1, b2, g)?;
            let mut total = vec![0i64; g.1 * g.3];
            for chunk in per_batch.chunks_exact((g.1 * g.3).max(1)) {
                total
                    .iter_mut()
                    .zip(chunk)
                    .for_each(|(t, &v)| *t = t.wrapping_add(v));
            }
            int_scale_add(ctx.op, bias, &shape, total, beta, alpha)
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) = reduced_gemm::accumulated(
            ctx.op,
            (b1, b2),
            Bias { tensor: bias, beta },
            alpha,
            &shape,
            ctx.cpu.vectorised(),
        )?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let per_batch = bmm_values(ctx.op, b1, b2, g)?;
        let mut total = vec![0f64; g.1 * g.3];
        for chunk in per_batch.chunks_exact((g.1 * g.3).max(1)) {
            total.iter_mut().zip(chunk).for_each(|(t, v)| *t += v);
        }
        scale_add(ctx.op, bias, &shape, total, beta, alpha)
    })?;
    Ok(vec![out.into()])
}

/// `(n, k)` of `mat @ vec`, with PyTorch's messages.
pub(crate) fn mv_geometry(
    op: &str,
    mat: &Tensor,
    vec: &Tensor,
    input: Option<&Tensor>,
) -> Result<(usize, usize)> {
    let (&[n, k], &[kv]) = (mat.shape(), vec.shape()) else {
        return Err(RuntimeError::shape(
            op,
            format!(
                "vector + matrix @ vector expected, got {}, {}, {}",
                input.map_or(1, Tensor::dim),
                mat.dim(),
                vec.dim()
            ),
        ));
    };
    if k != kv {
        let input_size = input.map_or(n, |t| t.shape().first().copied().unwrap_or(1));
        return Err(RuntimeError::shape(
            op,
            format!("size mismatch, got input ({input_size}), mat ({n}x{k}), vec ({kv})"),
        ));
    }
    Ok((dim_usize(n), dim_usize(k)))
}

/// `(n, k)` of `addmv(bias, mat, vec)`: [`mv_geometry`], and `bias` must
/// broadcast to the product's `[n]` (PyTorch's message).
pub(crate) fn addmv_geometry(
    op: &str,
    bias: &Tensor,
    mat: &Tensor,
    vec: &Tensor,
) -> Result<(usize, usize)> {
    let (n, k) = mv_geometry(op, mat, vec, Some(bias))?;
    let shape = [n as i64];
    if broadcast_shapes(bias.shape(), &shape).as_deref() != Some(&shape[..]) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "size mismatch, got input ({}), mat ({n}x{k}), vec ({k})",
                bias.shape().first().copied().unwrap_or(1)
            ),
        ));
    }
    Ok((n, k))
}

/// `mv(self, vec)`: matrix-vector product.
pub(crate) fn mv(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (mat, vec) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(mat, "self")?;
    ctx.check(vec, "vec")?;
    let (n, k) = mv_geometry(ctx.op, mat, vec, None)?;
    // `mv` runs addmv into a result made with `vec`'s dtype, so that dtype
    // is printed first (observed in torch 2.15: `mv(f32, bf16)` "… but got
    // BFloat16, Float, and BFloat16").
    let dtype = addmv_dtype(ctx.op, &[vec, mat, vec])?;
    let shape = [n as i64];
    if exact_products(ctx, dtype) {
        let out = ctx.output_i64(&shape, &[1], dtype, || {
            let (x, y) = (mat.read_i64(ctx.op)?, vec.read_i64(ctx.op)?);
            Ok(int_gemm(&x, &y, n, k, 1))
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) = reduced_gemm::gemv(
            ctx.op,
            (mat, vec),
            None,
            1.0,
            ctx.cpu.vectorised(),
            ctx.faults.reduced_mv_in_order,
        )?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &[1], dtype, || {
        Ok(gemm(
            &mat.read_f64(ctx.op)?,
            &vec.read_f64(ctx.op)?,
            n,
            k,
            1,
        ))
    })?;
    Ok(vec![out.into()])
}

/// PyTorch's addmv dtype check (also used by `mv`, which calls addmv).
pub(crate) fn addmv_dtype(op: &str, ts: &[&Tensor; 3]) -> Result<DType> {
    let [input, mat, vec] = ts;
    if input.dtype() != mat.dtype() || mat.dtype() != vec.dtype() {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "addmv input tensors must have the same dtype, but got {}, {}, and {}",
                input.dtype().scalar_type_name(),
                mat.dtype().scalar_type_name(),
                vec.dtype().scalar_type_name()
            ),
        });
    }
    Ok(mat.dtype())
}

/// `addmv(self, mat, vec, *, beta=1, alpha=1)`: `beta * self + alpha * mat @ vec`.
pub(crate) fn addmv(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (bias, mat, vec) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(bias, "self")?;
    ctx.check(mat, "mat")?;
    ctx.check(vec, "vec")?;
    let (beta, alpha) = (a.scalar(3)?, a.scalar(4)?);
    let (n, k) = addmv_geometry(ctx.op, bias, mat, vec)?;
    let dtype = addmv_dtype(ctx.op, &[bias, mat, vec])?;
    let shape = [n as i64];
    if exact_products(ctx, dtype) {
        let (beta, alpha) = (
            a.int_scalar(ctx.op, 3, dtype)?,
            a.int_scalar(ctx.op, 4, dtype)?,
        );
        let out = ctx.output_i64(&shape, &[1], dtype, || {
            let (x, y) = (mat.read_i64(ctx.op)?, vec.read_i64(ctx.op)?);
            int_scale_add(ctx.op, bias, &shape, int_gemm(&x, &y, n, k, 1), beta, alpha)
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) = reduced_gemm::gemv(
            ctx.op,
            (mat, vec),
            Some(Bias { tensor: bias, beta }),
            alpha,
            ctx.cpu.vectorised(),
            ctx.faults.reduced_mv_in_order,
        )?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &[1], dtype, || {
        let p = gemm(&mat.read_f64(ctx.op)?, &vec.read_f64(ctx.op)?, n, k, 1);
        scale_add(ctx.op, bias, &shape, p, beta, alpha)
    })?;
    Ok(vec![out.into()])
}

/// `dot`/`vdot`'s operand checks (PyTorch's messages): two 1-D tensors of
/// one dtype and length.
pub(crate) fn check_dot_operands(ctx: &KernelCtx<'_>, x: &Tensor, y: &Tensor) -> Result<()> {
    ctx.check(x, "self")?;
    ctx.check(y, "tensor")?;
    if x.dim() != 1 || y.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "1D tensors expected, but got {}D and {}D tensors",
                x.dim(),
                y.dim()
            ),
        ));
    }
    if x.dtype() != y.dtype() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "dot : expected both vectors to have same dtype, but found {} and {}",
                x.dtype().scalar_type_name(),
                y.dtype().scalar_type_name()
            ),
        });
    }
    if x.numel() != y.numel() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
                x.numel(),
                y.numel(),
                x.numel(),
                y.numel()
            ),
        ));
    }
    Ok(())
}

/// `dot(self, tensor)`: inner product of two 1-D tensors (0-dim result).
pub(crate) fn dot(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    check_dot_operands(ctx, x, y)?;
    if exact_products(ctx, x.dtype()) {
        // exact, wrapping as PyTorch's integer dot does
        let out = ctx.output_i64(&[], &[], x.dtype(), || {
            let (xs, ys) = (x.read_i64(ctx.op)?, y.read_i64(ctx.op)?);
            Ok(vec![xs.iter().zip(&ys).fold(0i64, |acc, (p, q)| {
                acc.wrapping_add(p.wrapping_mul(*q))
            })])
        })?;
        return Ok(vec![out.into()]);
    }
    if ctx.has_data()
        && !ctx.faults.reduced_matmul_in_double
        && let Some(out) = reduced_gemm::dot(
            ctx.op,
            (x, y),
            ctx.cpu.vectorised(),
            ctx.faults.reduced_mv_in_order,
        )?
    {
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&[], &[], x.dtype(), || {
        let (xs, ys) = (x.read_f64(ctx.op)?, y.read_f64(ctx.op)?);
        Ok(vec![xs.iter().zip(&ys).map(|(p, q)| p * q).sum()])
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_products_are_exact_modulo_2_64() {
        // [2^53 + 1, 1] @ [[2^53 + 1], [-1]]: (2^53 + 1)^2 - 1 wraps.
        let big = (1i64 << 53) + 1;
        let out = int_gemm(&[big, 1], &[big, -1], 1, 2, 1);
        assert_eq!(out, vec![big.wrapping_mul(big).wrapping_sub(1)]);
        // 2x2 @ 2x1, row-major
        assert_eq!(int_gemm(&[1, 2, 3, 4], &[5, 6], 2, 2, 1), vec![17, 39]);
    }

    fn zeros(shape: &[i64], dtype: DType) -> Tensor {
        let n = shape.iter().product::<i64>() as usize;
        Tensor::from_f64(
            "test",
            shape,
            &contiguous_strides(shape),
            dtype,
            &vec![0.0; n],
        )
        .expect("tensor")
    }

    fn message(r: Result<impl Sized>) -> String {
        match r {
            Err(RuntimeError::TypeCast { message, .. }) => message,
            Err(other) => format!("{other}"),
            Ok(_) => "ok".to_owned(),
        }
    }

    #[test]
    fn product_dtype_messages_follow_pytorchs_check_order() {
        // Messages measured in torch 2.15.
        let (f, b) = (DType::Float32, DType::BFloat16);
        let m = |d| zeros(&[2, 2], d);
        assert_eq!(
            message(same_dtype("mm", &m(f), &m(b), false)),
            "expected m1 and m2 to have the same dtype, but got: float != c10::BFloat16"
        );
        // addmm(f32, bf16, bf16): self against mat2 first.
        assert_eq!(
            message(addmm_dtype("addmm", &m(f), &m(b), &m(b))),
            "self and mat2 must have the same dtype, but got Float and BFloat16"
        );
        // addmm(bf16, f32, bf16): then mat1 against mat2.
        assert_eq!(
            message(addmm_dtype("addmm", &m(b), &m(f), &m(b))),
            "mat1 and mat2 must have the same dtype, but got Float and BFloat16"
        );
        let t = |d| zeros(&[1, 2, 2], d);
        // baddbmm(f32, f32, bf16): self matches batch1, so this check passes
        // and the batches are compared later ("expected scalar type").
        assert_eq!(
            message(baddbmm_input_dtype("baddbmm", &t(f), &t(f), &t(b))),
            "ok"
        );
        assert_eq!(
            message(baddbmm_input_dtype(
                "baddbmm",
                &t(b),
                &t(f),
                &t(DType::Int64)
            )),
            "Input dtypes must be the same, got: input c10::BFloat16, batch1: float, batch2: long int"
        );
    }
}
