//! Complex kernels (`complex64`, `complex128`).
//!
//! A complex tensor's storage holds interleaved (real, imag) parts of its
//! real dtype ([`crate::tensor::dtype::DType::parts`]), so the kernels here
//! read and write *parts*: `read_f64` of a complex tensor returns `2·numel`
//! values, conjugated when the tensor's conjugate bit is set.
//!
//! [`lookup`] comes before every other kernel table. For an operator that
//! exists for real dtypes too (`mul`, `add`, `abs`, `sum`, `copy_`, ...) its
//! kernel takes the complex path only when an operand is complex and
//! otherwise runs the real kernel ([`super::lookup_real`]), so the real
//! kernels stay unaware of complex dtypes.

mod arith;
mod construct;
mod copy;
mod foreach;
mod linalg;
mod select;
mod views;

use super::{Kernel, KernelCtx};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The kernel for `op` when it has a complex variant or is complex-only.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    if super::foreach::ForeachCall::parse(op)
        .is_some_and(|c| matches!(c.base, "add" | "sub" | "mul" | "div"))
    {
        return Some(foreach::binary);
    }
    if super::foreach::ForeachCall::parse(op)
        .is_some_and(|c| foreach::unary_element_kernel(&c).is_some())
    {
        return Some(foreach::unary);
    }
    Some(match op {
        "aten.view_as_real.default" => views::view_as_real,
        "aten.view_as_complex.default" => views::view_as_complex,
        "aten._conj.default" => views::conj,
        "aten._neg_view.default" => views::neg_view,
        "aten._conj_physical.default" => copy::conj_physical,
        "aten.polar.default" => construct::polar,
        "aten.complex.default" => construct::complex,
        "aten.angle.default" => construct::angle,
        "aten.add.Tensor" => arith::add,
        "aten.sub.Tensor" => arith::sub,
        "aten.mul.Tensor" | "aten.mul.Scalar" => arith::mul,
        "aten.div.Tensor" | "aten.div.Scalar" => arith::div,
        "aten.add_.Tensor" | "aten.add_.Scalar" => arith::add_,
        "aten.sub_.Tensor" | "aten.sub_.Scalar" => arith::sub_,
        "aten.mul_.Tensor" | "aten.mul_.Scalar" => arith::mul_,
        "aten.div_.Tensor" | "aten.div_.Scalar" => arith::div_,
        "aten.neg.default" => arith::neg,
        "aten.abs.default" => arith::abs,
        "aten.sgn.default" => arith::sgn,
        "aten.isnan.default" => arith::isnan,
        "aten.exp.default" => arith::exp,
        "aten.reciprocal.default" => arith::reciprocal,
        "aten.pow.Tensor_Scalar" => arith::pow,
        "aten.pow.Tensor_Tensor" => arith::pow_tensor,
        "aten.rsub.Tensor" | "aten.rsub.Scalar" => arith::rsub,
        "aten.sqrt.default" => arith::sqrt,
        "aten.log.default" => arith::log,
        "aten.tanh.default" => arith::tanh,
        "aten.sigmoid.default" => arith::sigmoid,
        "aten.sin.default" => arith::sin,
        "aten.cos.default" => arith::cos,
        "aten.sinh.default" => arith::sinh,
        "aten.cosh.default" => arith::cosh,
        "aten.tanh_backward.default" => arith::tanh_backward,
        "aten.sigmoid_backward.default" => arith::sigmoid_backward,
        "aten.mm.default" => linalg::mm,
        "aten.bmm.default" => linalg::bmm,
        "aten.mv.default" => linalg::mv,
        "aten.addmv.default" => linalg::addmv,
        "aten.addmm.default" => linalg::addmm,
        "aten.baddbmm.default" => linalg::baddbmm,
        "aten.dot.default" => linalg::dot,
        "aten.vdot.default" => linalg::vdot,
        "aten.sum.dim_IntList" => copy::sum_dim,
        "aten.mean.dim" => copy::mean_dim,
        "aten.sum.default" => copy::sum,
        "aten.mean.default" => copy::mean,
        "aten.copy_.default" => copy::copy_,
        "aten.fill_.Scalar" | "aten.fill.Scalar" => copy::fill_scalar,
        "aten.fill_.Tensor" | "aten.fill.Tensor" => copy::fill_tensor,
        "aten._to_copy.default" => copy::to_copy,
        "aten.where.self" => select::where_,
        "aten.masked_fill.Scalar" | "aten.masked_fill.Tensor" => select::masked_fill,
        "aten.masked_fill_.Scalar" | "aten.masked_fill_.Tensor" => select::masked_fill_,
        "aten.eq.Scalar" | "aten.eq.Tensor" | "aten.ne.Scalar" | "aten.ne.Tensor" => select::equal,
        "aten.scalar_tensor.default" => select::scalar_tensor,
        "aten._local_scalar_dense.default" => select::local_scalar_dense,
        _ => return None,
    })
}

/// Real kernels that are right for complex operands as they are: they
/// copy whole elements (a complex element's two parts travel together),
/// fill real values (imaginary parts zero) or draw both parts (`randn`'s
/// with variance 1/2 each). Views are right too (geometry only, see
/// [`super::handles_complex`]).
const COMPLEX_READY: &[&str] = &[
    "aten.clone.default",
    "aten.lift_fresh.default",
    "aten.empty.memory_format",
    "aten.empty_strided.default",
    "aten.new_empty_strided.default",
    "aten.empty_like.default",
    "aten.zeros.default",
    "aten.ones.default",
    "aten.zeros_like.default",
    "aten.ones_like.default",
    "aten.zero_.default",
    // both parts of a Python complex, a real value's real part
    // (`kernels/reduction/factories.rs`)
    "aten.full_like.default",
    "aten.new_full.default",
    // norms of the moduli (`kernels/reduction/stats.rs`)
    "aten.linalg_vector_norm.default",
    "aten._foreach_norm.Scalar",
    // real variances of both parts; products and scans of complex values
    // (`kernels/reduction/stats.rs`, `kernels/reduction/scan.rs`)
    "aten.var.correction",
    "aten.std.correction",
    "aten.prod.default",
    "aten.prod.dim_int",
    "aten.cumsum.default",
    "aten.cumprod.default",
    // LU with partial pivoting of complex values (`kernels/decomp/complex_inv.rs`)
    "aten.linalg_inv_ex.default",
    "aten._linalg_solve_ex.default",
    // whole elements placed on a diagonal (`kernels/indexing/elems.rs`)
    "aten.diagonal_scatter.default",
    // complex results of a real input; complex inputs are refused
    // (`kernels/decomp/eig.rs`)
    "aten.linalg_eig.default",
    // ones on the diagonal (imaginary parts zero)
    "aten.eye.default",
    "aten.eye.m",
    // geometry and storage only (the storage counts real scalars)
    "aten.resize_.default",
    "aten.resize_as_.default",
    "aten.randn.default",
    "aten.randn.generator",
    "aten.rand.default",
    "aten.rand.generator",
    // both parts drawn (`kernels/factory.rs`)
    "aten.uniform_.default",
    "aten.normal_.default",
    // element-moving kernels built on `indexing::Elems`, whose complex
    // elements keep both parts together (`kernels/indexing/elems.rs`)
    "aten.cat.default",
    "aten.stack.default",
    "aten.index.Tensor",
    "aten.index_select.default",
    "aten.index_put.default",
    "aten.index_put_.default",
    "aten.index_add.default",
    "aten.index_add_.default",
    "aten.index_copy.default",
    "aten.index_copy_.default",
    "aten.gather.default",
    "aten.scatter.src",
    "aten.scatter_.src",
    "aten.scatter_add.default",
    "aten.scatter_add_.default",
    "aten.masked_select.default",
    "aten.masked_scatter.default",
    "aten.masked_scatter_backward.default",
    "aten.nonzero.default",
    "aten.flip.default",
    "aten.roll.default",
    "aten.repeat.default",
    "aten.slice_backward.default",
    "aten.select_backward.default",
    "aten.unfold_backward.default",
    "aten.diagonal_copy.default",
    "aten.diagonal_backward.default",
    "aten.diag_embed.default",
    "aten.tril.default",
    "aten.triu.default",
    "aten.tril_.default",
    "aten.triu_.default",
    "aten._unsafe_view.default",
    // copies whole elements, pads with a complex constant (`kernels/nn/pad.rs`)
    "aten.constant_pad_nd.default",
    // in-place view operators restride the tensor (geometry only), as
    // `torch.stft` of one 1-d signal squeezes its complex result with
    // `squeeze_(0)`
    "aten.transpose_.default",
    "aten.t_.default",
    "aten.unsqueeze_.default",
    "aten.squeeze_.dim",
    "aten.squeeze_.default",
    "aten.squeeze_.dims",
    "aten.as_strided_.default",
    // complex by construction (`kernels/fft`)
    "aten._fft_r2c.default",
    "aten._fft_c2r.default",
    "aten._fft_c2c.default",
];

pub(super) use arith::product;

/// A complex tensor's elements (logical order) as `(re, im)` pairs.
pub(super) fn pairs(op: &str, t: &Tensor) -> Result<Vec<(f64, f64)>> {
    Ok(t.read_f64(op)?
        .chunks_exact(2)
        .map(|p| (p[0], p[1]))
        .collect())
}

/// Whether `op` has a complex path or a real kernel that is right for
/// complex operands.
pub(crate) fn handles(op: &str) -> bool {
    lookup(op).is_some() || COMPLEX_READY.contains(&op)
}

/// Whether any tensor argument is complex, or any argument a Python
/// complex number.
fn any_complex(a: &Args<'_>) -> bool {
    a.values.iter().any(|v| matches!(v, IValue::Complex(..)))
        || a.values
            .iter()
            .flat_map(IValue::tensors)
            .any(|t| t.dtype().is_complex())
}

/// An operand of a complex kernel: a tensor, or a Python number (real or
/// complex) with the dtype it promotes as.
#[derive(Clone, Copy)]
enum Cx<'a> {
    Tensor(&'a Tensor),
    Number([f64; 2], DType),
}

impl<'a> Cx<'a> {
    fn geometry(&self) -> (&'a [i64], &'a [i64]) {
        match self {
            Cx::Tensor(t) => (t.shape(), t.stride()),
            Cx::Number(..) => (&[], &[]),
        }
    }

    fn promote(&self) -> crate::tensor::promote::PromoteOperand {
        match self {
            Cx::Tensor(t) => Operand::Tensor(t).promote(),
            Cx::Number(_, d) => crate::tensor::promote::PromoteOperand::Number(*d),
        }
    }
}

/// Argument `i` as a complex kernel's operand (a Python complex is a
/// complex128 number, as PyTorch wraps it).
fn cx_operand<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>, i: usize) -> Result<Cx<'a>> {
    if let Some(IValue::Complex(re, im)) = a.values.get(i) {
        return Ok(Cx::Number([*re, *im], DType::Complex128));
    }
    Ok(match a.operand(i)? {
        Operand::Tensor(t) => {
            ctx.check(t, if i == 0 { "self" } else { "other" })?;
            Cx::Tensor(t)
        }
        Operand::Scalar(v, d) => Cx::Number([v, 0.0], d),
        Operand::BigInt(v) => Cx::Number([v as f64, 0.0], DType::Int64),
    })
}

/// The operand's elements broadcast to `shape` as interleaved complex parts.
fn cx_parts(op: &str, operand: Cx<'_>, shape: &[i64]) -> Result<Vec<f64>> {
    match operand {
        Cx::Tensor(t) => operand_parts(op, Operand::Tensor(t), shape),
        Cx::Number(z, _) => Ok(z.repeat(crate::tensor::strides::numel(shape))),
    }
}

/// `torch.result_type` of complex kernels' operands.
fn cx_result_type(ctx: &KernelCtx<'_>, operands: &[Cx<'_>]) -> DType {
    let promote: Vec<_> = operands.iter().map(Cx::promote).collect();
    crate::tensor::promote::result_type(&promote, ctx.default_dtype).unwrap_or(ctx.default_dtype)
}

/// Runs the real kernel of the call's operator.
fn real_kernel(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let kernel = super::lookup_real(ctx.op)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a CPU kernel"))?;
    kernel(ctx, a)
}

/// The operand's elements broadcast to `shape` as interleaved complex
/// parts (a real operand has zero imaginary parts).
fn operand_parts(op: &str, operand: Operand<'_>, shape: &[i64]) -> Result<Vec<f64>> {
    match operand {
        Operand::Tensor(t) if t.dtype().is_complex() => super::iter::read_broadcast(op, t, shape),
        Operand::Tensor(t) => Ok(super::iter::read_broadcast(op, t, shape)?
            .into_iter()
            .flat_map(|v| [v, 0.0])
            .collect()),
        Operand::Scalar(v, _) => Ok([v, 0.0].repeat(crate::tensor::strides::numel(shape))),
        Operand::BigInt(v) => Ok([v as f64, 0.0].repeat(crate::tensor::strides::numel(shape))),
    }
}

/// Refuses complex tensors on a backend without data handling for them.
fn check_float_parts(op: &str, t: &Tensor, what: &str) -> Result<()> {
    match t.dtype() {
        DType::Float32 | DType::Float64 => Ok(()),
        other => Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "{what} is only supported for float and double tensors, but got a tensor of \
                 scalar type: {}",
                other.scalar_type_name()
            ),
        }),
    }
}
