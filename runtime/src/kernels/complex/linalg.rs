//! Complex matrix products: `mm` and `bmm` (what `torch.matmul`, `@` and
//! `torch.einsum` reach with complex operands), the matrix-vector products
//! `mv` and `addmv` (`matrix @ vector`, `torch.mv`, `torch.addmv`),
//! `addmm` (`torch.addmm`, a complex `nn.Linear`), `baddbmm`
//! (`torch.baddbmm`), `dot` and `vdot`.
//!
//! `mm`, `bmm`, `addmm` and `baddbmm` are conjugate-aware in PyTorch (the Conjugate fallback
//! lets them through: BLAS takes a conjugate flag), so an operand may carry
//! the conjugate bit; its values are read conjugated. `mv` and `addmv` are
//! not (observed in torch 2.15: MvBackward0's `self.conj().t().mv(grad)`
//! dispatches a `clone` of the conjugate view), so their operands arrive
//! materialized. Products are summed in
//! f64 over the parts and rounded once; PyTorch's cgemm/zgemm sums in the
//! operands' precision in its own order, which the replay's
//! summation-order room covers.

use super::{KernelCtx, any_complex, real_kernel};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::linalg;
use crate::tensor::Tensor;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// The sizes of `t`, which must have `rank` dimensions.
fn dims(ctx: &KernelCtx<'_>, t: &Tensor, rank: usize, arg: &str) -> Result<Vec<usize>> {
    if t.shape().len() != rank {
        let what = if rank == 2 { "a matrix" } else { "a 3D tensor" };
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "{arg} must be {what}, got {}-D tensor {:?}",
                t.shape().len(),
                t.shape()
            ),
        ));
    }
    Ok(t.shape()
        .iter()
        .map(|&s| usize::try_from(s).unwrap_or(0))
        .collect())
}

/// Both operands' layouts checked (`self`, `mat2`); their dtypes are
/// compared after the shapes, as PyTorch does.
fn check_operands(ctx: &KernelCtx<'_>, x: &Tensor, y: &Tensor) -> Result<()> {
    ctx.check(x, "self")?;
    ctx.check(y, "mat2")
}

/// An operand's parts in logical order; under the `complex-mm-no-conj`
/// fault a conjugate-bit operand is read as its stored values.
fn parts(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<Vec<f64>> {
    let mut values = t.read_f64(ctx.op)?;
    if t.is_conj() && ctx.faults.complex_mm_no_conj {
        values.iter_mut().skip(1).step_by(2).for_each(|v| *v = -*v);
    }
    Ok(values)
}

/// `x (n×k) @ y (k×m)` on interleaved parts.
fn cgemm(x: &[f64], y: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; 2 * n * m];
    for i in 0..n {
        for j in 0..m {
            let (mut re, mut im) = (0.0, 0.0);
            for l in 0..k {
                let (a, b) = (x[2 * (i * k + l)], x[2 * (i * k + l) + 1]);
                let (c, d) = (y[2 * (l * m + j)], y[2 * (l * m + j) + 1]);
                re += a * c - b * d;
                im += a * d + b * c;
            }
            out[2 * (i * m + j)] = re;
            out[2 * (i * m + j) + 1] = im;
        }
    }
    out
}

/// `mm(self, mat2)` of complex matrices.
pub(crate) fn mm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    check_operands(ctx, x, y)?;
    let (dx, dy) = (dims(ctx, x, 2, "self")?, dims(ctx, y, 2, "mat2")?);
    if dx[1] != dy[0] {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                dx[0], dx[1], dy[0], dy[1]
            ),
        ));
    }
    linalg::same_dtype(ctx.op, x, y, ctx.faults.mm_dtype_message_scalar_names)?;
    let shape = [x.shape()[0], y.shape()[1]];
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        Ok(cgemm(&parts(ctx, x)?, &parts(ctx, y)?, dx[0], dx[1], dy[1]))
    })?;
    Ok(vec![out.into()])
}

/// `x (b×n×k) @ y (b×k×m)` on interleaved parts, one [`cgemm`] per batch
/// entry.
fn batched_cgemm(x: &[f64], y: &[f64], (b, n, k, m): (usize, usize, usize, usize)) -> Vec<f64> {
    let mut values = Vec::with_capacity(2 * b * n * m);
    for i in 0..b {
        values.extend(cgemm(
            &x[2 * i * n * k..2 * (i + 1) * n * k],
            &y[2 * i * k * m..2 * (i + 1) * k * m],
            n,
            k,
            m,
        ));
    }
    values
}

/// `bmm(self, mat2)` of complex batches.
pub(crate) fn bmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    check_operands(ctx, x, y)?;
    let (dx, dy) = (dims(ctx, x, 3, "batch1")?, dims(ctx, y, 3, "batch2")?);
    if (dy[0], dy[1]) != (dx[0], dx[2]) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
                dx[0], dx[2], dy[0], dy[1]
            ),
        ));
    }
    linalg::same_scalar_type(ctx.op, &[x, y])?;
    let g = (dx[0], dx[1], dx[2], dy[2]);
    let shape = [x.shape()[0], x.shape()[1], y.shape()[2]];
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        Ok(batched_cgemm(&parts(ctx, x)?, &parts(ctx, y)?, g))
    })?;
    Ok(vec![out.into()])
}

/// `baddbmm(self, batch1, batch2, *, beta, alpha)`: `beta * self + alpha *
/// batch1 @ batch2` with complex operands and scalars; conjugate-aware like
/// `bmm` (observed in torch 2.15: `baddbmm(c, a.conj(), b)` dispatches no
/// `clone`).
pub(crate) fn baddbmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let (bias, b1, b2, beta, alpha) = biased_operands(ctx, &a, ["batch1", "batch2"])?;
    linalg::baddbmm_input_dtype(ctx.op, bias, b1, b2)?;
    let g = linalg::bmm_geometry(ctx.op, b1, b2)?;
    let shape = [g.0 as i64, g.1 as i64, g.3 as i64];
    linalg::check_bias(ctx.op, bias, &shape)?;
    let dtype = linalg::same_scalar_type(ctx.op, &[b1, b2])?;
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let p = batched_cgemm(&parts(ctx, b1)?, &parts(ctx, b2)?, g);
        complex_scale_add(ctx.op, bias, &shape, &p, beta, alpha)
    })?;
    Ok(vec![out.into()])
}

/// Argument `i` of a call as a complex scalar (`beta`, `alpha`): a Python
/// complex, or a real number with a zero imaginary part.
fn complex_scalar(a: &Args<'_>, i: usize) -> Result<[f64; 2]> {
    match a.values.get(i) {
        Some(IValue::Complex(re, im)) => Ok([*re, *im]),
        _ => Ok([a.scalar(i)?, 0.0]),
    }
}

/// A biased product's operands (`self`, the two factors named `names`,
/// each checked) and its scalars `beta`, `alpha` (arguments 3 and 4).
type Biased<'a> = (&'a Tensor, &'a Tensor, &'a Tensor, [f64; 2], [f64; 2]);

fn biased_operands<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>, names: [&str; 2]) -> Result<Biased<'a>> {
    let (bias, x, y) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(bias, "self")?;
    ctx.check(x, names[0])?;
    ctx.check(y, names[1])?;
    Ok((bias, x, y, complex_scalar(a, 3)?, complex_scalar(a, 4)?))
}

/// `(a + bi)(c + di)`.
fn cmul([a, b]: [f64; 2], [c, d]: [f64; 2]) -> [f64; 2] {
    [a * c - b * d, a * d + b * c]
}

/// `beta * bias + alpha * product` on interleaved parts, `bias` broadcast
/// to `shape`; with `beta == 0` the bias is not read (its NaNs do not
/// propagate), as PyTorch's `add*` products define.
fn complex_scale_add(
    op: &str,
    bias: &Tensor,
    shape: &[i64],
    product: &[f64],
    beta: [f64; 2],
    alpha: [f64; 2],
) -> Result<Vec<f64>> {
    let scaled = product.chunks_exact(2).map(|p| cmul(alpha, [p[0], p[1]]));
    if beta == [0.0, 0.0] {
        return Ok(scaled.flatten().collect());
    }
    let b = super::operand_parts(op, crate::dispatch::args::Operand::Tensor(bias), shape)?;
    Ok(scaled
        .zip(b.chunks_exact(2))
        .flat_map(|(p, c)| {
            let c = cmul(beta, [c[0], c[1]]);
            [c[0] + p[0], c[1] + p[1]]
        })
        .collect())
}

/// `mv(self, vec)` of a complex matrix and vector.
pub(crate) fn mv(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let (mat, vec) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(mat, "self")?;
    ctx.check(vec, "vec")?;
    let (n, k) = linalg::mv_geometry(ctx.op, mat, vec, None)?;
    let dtype = linalg::addmv_dtype(ctx.op, &[vec, mat, vec])?;
    let shape = [n as i64];
    let out = ctx.output(&shape, &[1], dtype, || {
        Ok(cgemm(&parts(ctx, mat)?, &parts(ctx, vec)?, n, k, 1))
    })?;
    Ok(vec![out.into()])
}

/// `addmv(self, mat, vec, *, beta, alpha)`: `beta * self + alpha * mat @
/// vec` with complex operands and scalars.
pub(crate) fn addmv(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let (bias, mat, vec, beta, alpha) = biased_operands(ctx, &a, ["mat", "vec"])?;
    let (n, k) = linalg::addmv_geometry(ctx.op, bias, mat, vec)?;
    let dtype = linalg::addmv_dtype(ctx.op, &[bias, mat, vec])?;
    let shape = [n as i64];
    let out = ctx.output(&shape, &[1], dtype, || {
        let p = cgemm(&parts(ctx, mat)?, &parts(ctx, vec)?, n, k, 1);
        complex_scale_add(ctx.op, bias, &shape, &p, beta, alpha)
    })?;
    Ok(vec![out.into()])
}

/// `addmm(self, mat1, mat2, *, beta, alpha)`: `beta * self + alpha *
/// mat1 @ mat2` with complex operands and scalars; conjugate-aware like
/// `mm` (observed in torch 2.15: `addmm(c, m.conj(), n)` dispatches no
/// `clone`).
pub(crate) fn addmm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let (bias, m1, m2, beta, alpha) = biased_operands(ctx, &a, ["mat1", "mat2"])?;
    let dtype = linalg::addmm_dtype(ctx.op, bias, m1, m2)?;
    let shape = linalg::product_shape(ctx.op, m1, m2, ("mat1", "mat2"))?;
    if broadcast_shapes(bias.shape(), &shape).as_deref() != Some(&shape[..]) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "self of shape {:?} cannot be broadcast to {shape:?}",
                bias.shape()
            ),
        ));
    }
    let (d1, d2) = (dims(ctx, m1, 2, "mat1")?, dims(ctx, m2, 2, "mat2")?);
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let p = cgemm(&parts(ctx, m1)?, &parts(ctx, m2)?, d1[0], d1[1], d2[1]);
        complex_scale_add(ctx.op, bias, &shape, &p, beta, alpha)
    })?;
    Ok(vec![out.into()])
}

/// `dot(self, tensor)` / `vdot(self, other)` (`conj_first`: `self`
/// conjugated) of complex vectors, summed as [`cgemm`] sums.
fn complex_dot(ctx: &mut KernelCtx<'_>, a: Args<'_>, vdot: bool) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    crate::kernels::linalg::check_dot_operands(ctx, x, y)?;
    let k = x.numel();
    // Conjugate-bit operands reach the kernel (PyTorch lets `dot`/`vdot`
    // through its Conjugate fallback): it computes on the unconjugated
    // storages and conjugates the result as a view when that is what the
    // logical product is, `dot(x̄, ȳ) = conj(dot(x, y))` and
    // `vdot(x, ȳ) = conj(dot(x, y))` (observed in torch 2.15: the result has
    // its conjugate bit set); every other pairing is a plain `dot`/`vdot`.
    // The logical operands give the same bits (a conjugate is exact).
    let conj_result = y.is_conj() && (x.is_conj() != vdot);
    let conj_first = vdot && !ctx.faults.complex_vdot_no_conj;
    let out = ctx.output(&[], &[], x.dtype(), || {
        let mut px = x.read_f64(ctx.op)?;
        if conj_first {
            px.iter_mut().skip(1).step_by(2).for_each(|v| *v = -*v);
        }
        let mut product = cgemm(&px, &y.read_f64(ctx.op)?, 1, k, 1);
        if conj_result {
            product.iter_mut().skip(1).step_by(2).for_each(|v| *v = -*v);
        }
        Ok(product)
    })?;
    if conj_result {
        return Ok(vec![
            out.reinterpreted(out.dtype(), true, Vec::new(), Vec::new(), 0)
                .into(),
        ]);
    }
    Ok(vec![out.into()])
}

/// `dot(self, tensor)`: `sum(self * tensor)`.
pub(crate) fn dot(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    complex_dot(ctx, a, false)
}

/// `vdot(self, other)`: `sum(self.conj() * other)`.
pub(crate) fn vdot(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    complex_dot(ctx, a, true)
}

#[cfg(test)]
mod tests {
    use super::{cgemm, cmul};

    #[test]
    fn complex_scalars_multiply_with_cross_terms() {
        // (1+2i)(3-i) = 3 - i + 6i + 2 = 5+5i
        assert_eq!(cmul([1.0, 2.0], [3.0, -1.0]), [5.0, 5.0]);
    }

    #[test]
    fn complex_products_have_cross_terms() {
        // [1+2i, 3] @ [[i], [1-i]] = (1+2i)i + 3(1-i) = (-2+i) + (3-3i) = 1-2i
        let x = [1.0, 2.0, 3.0, 0.0];
        let y = [0.0, 1.0, 1.0, -1.0];
        assert_eq!(cgemm(&x, &y, 1, 2, 1), vec![1.0, -2.0]);
    }
}
