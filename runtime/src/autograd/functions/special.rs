//! Backward formulas of the special functions (PyTorch's derivatives.yaml,
//! real dtypes), each making torch 2.15's calls in its order:
//!
//! * `lgamma`: `grad * digamma(self)`; `digamma`: `grad * polygamma(1,
//!   self)`; `polygamma(n, ·)`: `grad * polygamma(n + 1, self)`;
//! * `mvlgamma(·, p)`: `grad * (arange(-p/2 + 1/2, 1/2, 1/2) +
//!   self.unsqueeze(-1)).digamma_().sum(-1)`;
//! * `erfinv`: `0.5 √π · exp(erfinv(self)²) * grad`;
//! * `i0`: `grad * special_i1(self)`; `special_i0e`: `grad *
//!   (special_i1e(self) - sgn(self) * result)`; `special_i1` /
//!   `special_i1e`: PyTorch's `i1_backward` / `i1e_backward` (a safe
//!   `self` where `|self| <= eps`, the limit 1/2 there);
//! * `sinc`: `grad * (πx cos(πx) - sin(πx)) / (πx²)`, 0 where `πx² == 0`;
//! * `logit(·, eps)`: `logit_backward(grad, self, eps)`;
//! * `special_entr`: `grad * -(log(self) + 1)`; `special_ndtri`:
//!   `grad * √(2π) * exp(result² / 2)`;
//! * the binary `hypot`, `logaddexp`, `logaddexp2`, `special_xlog1py`,
//!   whose gradients are computed `other` first (alphabetical order, as
//!   PyTorch's generated code does).
//!
//! The formulas of the Gamma-family samplers, `special_erfcx` and
//! `special_log_ndtr` are in [`distributions`], RenormBackward0's in
//! [`renorm`], the Bessel functions' and `special_zeta`'s in [`bessel`];
//! they share this file's node.
//!
//! Where C++ evaluates the operands of one call, the right one is
//! dispatched first (observed: `grad * self / (other + 1)` dispatches the
//! `add` before the `mul`).

pub(crate) mod bessel;
pub(crate) mod distributions;
pub(crate) mod renorm;

use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::Layout;

/// A special-function formula: `(ctx, grad, self, result, params)`.
pub(crate) type SpecialFormula = fn(
    &mut BackwardCtx<'_>,
    &Tensor,
    Option<&Tensor>,
    Option<&Tensor>,
    &[IValue],
) -> Result<Tensor>;

/// A one-input special-function node: what it saves and its formula.
pub(crate) struct SpecialBackward {
    pub(crate) self_: Option<SavedVariable>,
    /// Whether the forward result is saved (filled by `save_outputs`).
    pub(crate) wants_result: bool,
    pub(crate) result: Option<SavedVariable>,
    pub(crate) params: Vec<IValue>,
    pub(crate) formula: SpecialFormula,
}

impl SpecialBackward {
    /// A node saving `self` (if given) and, with `result`, the output.
    pub(crate) fn new(
        self_: Option<&Tensor>,
        result: bool,
        params: Vec<IValue>,
        formula: SpecialFormula,
    ) -> SpecialBackward {
        SpecialBackward {
            self_: self_.map(SavedVariable::input),
            wants_result: result,
            result: None,
            params,
            formula,
        }
    }
}

fn freed(ctx: &BackwardCtx<'_>) -> RuntimeError {
    RuntimeError::GraphFreed {
        node: ctx.node.name().to_owned(),
    }
}

fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Option<Tensor>> {
    saved.as_ref().map(|s| s.unpack(ctx.node)).transpose()
}

impl BackwardFn for SpecialBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let this = unpack(ctx, &self.self_)?;
        if self.wants_result && self.result.is_none() {
            return Err(freed(ctx));
        }
        let result = unpack(ctx, &self.result)?;
        let out = (self.formula)(ctx, &g, this.as_ref(), result.as_ref(), &self.params)?;
        Ok(vec![Some(out)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if self.wants_result {
            self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
        }
    }

    fn release_variables(&mut self) {
        for s in [&mut self.self_, &mut self.result].into_iter().flatten() {
            s.release();
        }
    }
}

/// PyTorch's `not_implemented(name)` in a backward formula.
fn not_implemented(ctx: &BackwardCtx<'_>, name: &str) -> RuntimeError {
    RuntimeError::KernelDtype {
        op: ctx.node.name().to_owned(),
        message: format!("the derivative for '{name}' is not implemented."),
    }
}

fn need(t: Option<&Tensor>) -> Result<&Tensor> {
    t.ok_or_else(|| RuntimeError::autograd("backward formula: saved tensor missing"))
}

/// One dispatch with a single tensor result.
fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt.elementwise().call(op, args)
}

fn unary_call(ctx: &mut BackwardCtx<'_>, op: &str, x: &Tensor) -> Result<Tensor> {
    call(ctx, op, vec![x.into()])
}

fn binary_call(ctx: &mut BackwardCtx<'_>, op: &str, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    call(ctx, op, vec![x.into(), y.into()])
}

fn mul(ctx: &mut BackwardCtx<'_>, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    binary_call(ctx, "aten.mul.Tensor", x, y)
}

fn mul_scalar(ctx: &mut BackwardCtx<'_>, x: &Tensor, s: f64) -> Result<Tensor> {
    call(ctx, "aten.mul.Scalar", vec![x.into(), IValue::Float(s)])
}

fn scalar_tensor(ctx: &mut BackwardCtx<'_>, value: f64, like: &Tensor) -> Result<Tensor> {
    ReductionOps(&mut *ctx.rt).scalar_tensor(value, like.dtype(), like.device())
}

fn polygamma_call(ctx: &mut BackwardCtx<'_>, n: i64, x: &Tensor) -> Result<Tensor> {
    call(
        ctx,
        "aten.polygamma.default",
        vec![IValue::Int(n), x.into()],
    )
}

fn int_param(params: &[IValue], i: usize) -> i64 {
    match params.get(i) {
        Some(IValue::Int(v)) => *v,
        _ => 0,
    }
}

/// A number parameter as f64 (`None` for anything else).
fn number(v: Option<&IValue>) -> Option<f64> {
    match v {
        Some(IValue::Float(x)) => Some(*x),
        Some(IValue::Int(x)) => Some(*x as f64),
        _ => None,
    }
}

/// SpecialXlog1PyBackward2 (`special_xlog1py.other_scalar(self, other)`):
/// `special_xlog1py(grad, other)`, then, unless `other > -1`, masked to 0
/// where `self == 0` (`eq`, `masked_fill`); saves `self`, params: `other`.
pub(crate) fn xlog1py_other_scalar(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _result: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let other = p.first().cloned().unwrap_or(IValue::None);
    let x = call(
        ctx,
        "aten.special_xlog1py.other_scalar",
        vec![g.into(), other.clone()],
    )?;
    if number(Some(&other)).is_some_and(|o| o > -1.0) {
        return Ok(x);
    }
    let zero = call(
        ctx,
        "aten.eq.Scalar",
        vec![need(s)?.into(), IValue::Float(0.0)],
    )?;
    call(
        ctx,
        "aten.masked_fill.Scalar",
        vec![(&x).into(), (&zero).into(), IValue::Float(0.0)],
    )
}

/// SpecialXlog1PyBackward1 (`special_xlog1py.self_scalar(self, other)`):
/// `grad * self / (other + 1)`, dispatched as `add.Scalar(other, 1)`,
/// `mul.Scalar(grad, self)`, `div.Tensor` (observed in torch 2.15); saves
/// `other`, params: `self`.
pub(crate) fn xlog1py_self_scalar(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _result: Option<&Tensor>,
    p: &[IValue],
) -> Result<Tensor> {
    let this = p.first().cloned().unwrap_or(IValue::None);
    let plus = call(
        ctx,
        "aten.add.Scalar",
        vec![need(s)?.into(), IValue::Int(1)],
    )?;
    let scaled = call(ctx, "aten.mul.Scalar", vec![g.into(), this])?;
    binary_call(ctx, "aten.div.Tensor", &scaled, &plus)
}

/// LgammaBackward0.
pub(crate) fn lgamma(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let d = unary_call(ctx, "aten.digamma.default", need(s)?)?;
    mul(ctx, g, &d)
}

/// DigammaBackward0.
pub(crate) fn digamma(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let p = polygamma_call(ctx, 1, need(s)?)?;
    mul(ctx, g, &p)
}

/// PolygammaBackward0 (params: `n`).
pub(crate) fn polygamma(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    params: &[IValue],
) -> Result<Tensor> {
    let n = int_param(params, 0);
    let p = polygamma_call(ctx, n + 1, need(s)?)?;
    mul(ctx, g, &p)
}

/// MvlgammaBackward0 (params: `p`).
pub(crate) fn mvlgamma(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    params: &[IValue],
) -> Result<Tensor> {
    let x = need(s)?;
    let p = int_param(params, 0) as f64;
    let range = call(
        ctx,
        "aten.arange.start_step",
        vec![
            IValue::Float(-p / 2.0 + 0.5),
            IValue::Float(0.5),
            IValue::Float(0.5),
            IValue::Dtype(x.dtype()),
            IValue::Layout(Layout::Strided),
            IValue::Device(x.device()),
        ],
    )?;
    let column = call(
        ctx,
        "aten.unsqueeze.default",
        vec![x.into(), IValue::Int(-1)],
    )?;
    let args = binary_call(ctx, "aten.add.Tensor", &range, &column)?;
    let args = unary_call(ctx, "aten.digamma_.default", &args)?;
    let summed = call(
        ctx,
        "aten.sum.dim_IntList",
        vec![(&args).into(), IValue::IntList(vec![-1])],
    )?;
    mul(ctx, g, &summed)
}

/// ErfinvBackward0: `0.5 * sqrt(pi) * exp(erfinv(self).pow(2)) * grad`.
pub(crate) fn erfinv(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let e = unary_call(ctx, "aten.erfinv.default", need(s)?)?;
    let sq = call(
        ctx,
        "aten.pow.Tensor_Scalar",
        vec![(&e).into(), IValue::Int(2)],
    )?;
    let ex = unary_call(ctx, "aten.exp.default", &sq)?;
    let scaled = mul_scalar(ctx, &ex, 0.5 * std::f64::consts::PI.sqrt())?;
    mul(ctx, &scaled, g)
}

/// I0Backward0: `grad * special_i1(self)`.
pub(crate) fn i0(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let i1 = unary_call(ctx, "aten.special_i1.default", need(s)?)?;
    mul(ctx, g, &i1)
}

/// SpecialI0EBackward0: `grad * (special_i1e(self) - self.sgn() * result)`.
pub(crate) fn i0e(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    r: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let x = need(s)?;
    let sign = unary_call(ctx, "aten.sgn.default", x)?;
    let scaled = mul(ctx, &sign, need(r)?)?;
    let i1e = unary_call(ctx, "aten.special_i1e.default", x)?;
    let d = binary_call(ctx, "aten.sub.Tensor", &i1e, &scaled)?;
    mul(ctx, g, &d)
}

/// `torch.finfo(dtype).eps`.
fn finfo_eps(dtype: DType) -> f64 {
    match dtype {
        DType::Float64 => f64::EPSILON,
        DType::Float16 => 0.000_976_562_5,
        DType::BFloat16 => 0.007_812_5,
        _ => f64::from(f32::EPSILON),
    }
}

/// `i1_backward` / `i1e_backward`: `self` replaced by `eps` where
/// `|self| <= eps`; the derivative there is its limit 1/2.
fn bessel_i1_grad(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    x: &Tensor,
    result: &Tensor,
    scaled: bool,
) -> Result<Tensor> {
    let base_op = if scaled {
        "aten.special_i0e.default"
    } else {
        "aten.i0.default"
    };
    order_one_grad(ctx, g, x, result, base_op, scaled)
}

/// The derivative of an order-one Bessel function `f₁` from its order-zero
/// partner `f₀` (`base_op`): `grad * (f₀(x) - f₁(x) / x)` (with
/// `scaled`, `grad * (f₀(x) - f₁(x) · (sgn(x) + 1/x))`), `x` replaced by
/// `eps` where `|x| <= eps` and the limit 1/2 there.
fn order_one_grad(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    x: &Tensor,
    result: &Tensor,
    base_op: &str,
    scaled: bool,
) -> Result<Tensor> {
    let eps = finfo_eps(x.dtype());
    let magnitude = unary_call(ctx, "aten.abs.default", x)?;
    let tiny = call(
        ctx,
        "aten.le.Scalar",
        vec![(&magnitude).into(), IValue::Float(eps)],
    )?;
    let eps_t = scalar_tensor(ctx, eps, x)?;
    let safe = call(
        ctx,
        "aten.where.self",
        vec![(&tiny).into(), (&eps_t).into(), x.into()],
    )?;
    let recip = unary_call(ctx, "aten.reciprocal.default", &safe)?;
    let factor = if scaled {
        let sign = unary_call(ctx, "aten.sgn.default", &safe)?;
        binary_call(ctx, "aten.add.Tensor", &sign, &recip)?
    } else {
        recip
    };
    let term = mul(ctx, result, &factor)?;
    let base = unary_call(ctx, base_op, &safe)?;
    let d = binary_call(ctx, "aten.sub.Tensor", &base, &term)?;
    let half = scalar_tensor(ctx, 0.5, x)?;
    let limited = call(
        ctx,
        "aten.where.self",
        vec![(&tiny).into(), (&half).into(), (&d).into()],
    )?;
    mul(ctx, g, &limited)
}

/// SpecialI1Backward0.
pub(crate) fn i1(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    r: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    bessel_i1_grad(ctx, g, need(s)?, need(r)?, false)
}

/// SpecialI1EBackward0.
pub(crate) fn i1e(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    r: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    bessel_i1_grad(ctx, g, need(s)?, need(r)?, true)
}

/// SincBackward0: `((pi*x) * cos(pi*x) - sin(pi*x)) / (pi * x * x)`
/// times `grad`, 0 where `pi * x * x == 0`.
pub(crate) fn sinc(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    use std::f64::consts::PI;
    let x = need(s)?;
    let pix = mul_scalar(ctx, x, PI)?;
    let sq = mul(ctx, x, x)?;
    let pisq = mul_scalar(ctx, &sq, PI)?;
    let sin = unary_call(ctx, "aten.sin.default", &pix)?;
    let cos = unary_call(ctx, "aten.cos.default", &pix)?;
    let pc = mul(ctx, &pix, &cos)?;
    let num = binary_call(ctx, "aten.sub.Tensor", &pc, &sin)?;
    let q = binary_call(ctx, "aten.div.Tensor", &num, &pisq)?;
    let gq = mul(ctx, g, &q)?;
    let zero = scalar_tensor(ctx, 0.0, &gq)?;
    let at_zero = call(
        ctx,
        "aten.eq.Scalar",
        vec![(&pisq).into(), IValue::Float(0.0)],
    )?;
    call(
        ctx,
        "aten.where.self",
        vec![(&at_zero).into(), (&zero).into(), (&gq).into()],
    )
}

/// LogitBackward0 (params: `eps`): `logit_backward(grad, self, eps)`
/// without grad mode. With it (`create_graph=True`) differentiable
/// operators instead, observed in torch 2.15 in this order: the value
/// outside the band (`zeros([])` with `eps`, else `empty([])` filled with
/// NaN), `1.0 − self` (`empty_like`, `fill_`, `sub_`), `grad / (self · (1 −
/// self))`, then `where((self >= lo).logical_and(self <= hi), ·, outside)`
/// with `lo = eps` (0 without) and `hi = 1 − lo`, `<=` taken first.
pub(crate) fn logit(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    params: &[IValue],
) -> Result<Tensor> {
    let eps = params.first().cloned().unwrap_or(IValue::None);
    let x = need(s)?;
    if !ctx.rt.is_grad_enabled() {
        return call(
            ctx,
            "aten.logit_backward.default",
            vec![g.into(), x.into(), eps],
        );
    }
    let lo = match eps {
        IValue::None => None,
        IValue::Float(e) => Some(e),
        IValue::Int(e) => Some(e as f64),
        other => {
            return Err(RuntimeError::autograd(format!(
                "LogitBackward0: eps is {}, not a float",
                other.kind()
            )));
        }
    };
    let options = |sizes: Vec<i64>| {
        vec![
            IValue::IntList(sizes),
            IValue::Dtype(x.dtype()),
            IValue::Layout(Layout::Strided),
            IValue::Device(x.device()),
        ]
    };
    let outside = match lo {
        Some(_) => call(ctx, "aten.zeros.default", options(Vec::new()))?,
        None => {
            let nan = call(ctx, "aten.empty.memory_format", options(Vec::new()))?;
            ctx.rt.elementwise().fill_(&nan, IValue::Float(f64::NAN))?
        }
    };
    let rest = super::double_backward::differentiable::one_minus(ctx, x)?;
    let denom = mul(ctx, x, &rest)?;
    let slope = call(ctx, "aten.div.Tensor", vec![g.into(), (&denom).into()])?;
    let lo = lo.unwrap_or(0.0);
    let (le_op, ge_op) = if ctx.rt.faults().logit_double_backward_open_band {
        ("aten.lt.Scalar", "aten.gt.Scalar")
    } else {
        ("aten.le.Scalar", "aten.ge.Scalar")
    };
    let le = call(ctx, le_op, vec![x.into(), IValue::Float(1.0 - lo)])?;
    let ge = call(ctx, ge_op, vec![x.into(), IValue::Float(lo)])?;
    let inside = call(
        ctx,
        "aten.logical_and.default",
        vec![(&ge).into(), (&le).into()],
    )?;
    ctx.rt.elementwise().where_(&inside, &slope, &outside)
}

/// SpecialEntrBackward0: `grad * -(1 + self.log())`.
pub(crate) fn entr(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    s: Option<&Tensor>,
    _: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let log = unary_call(ctx, "aten.log.default", need(s)?)?;
    let plus = call(ctx, "aten.add.Scalar", vec![(&log).into(), IValue::Int(1)])?;
    let neg = unary_call(ctx, "aten.neg.default", &plus)?;
    mul(ctx, g, &neg)
}

/// SpecialNdtriBackward0: `grad * sqrt(2 pi) * (result.pow(2) / 2).exp()`.
pub(crate) fn ndtri(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    _: Option<&Tensor>,
    r: Option<&Tensor>,
    _: &[IValue],
) -> Result<Tensor> {
    let sq = call(
        ctx,
        "aten.pow.Tensor_Scalar",
        vec![need(r)?.into(), IValue::Int(2)],
    )?;
    let half = mul_scalar(ctx, &sq, 0.5)?;
    let ex = unary_call(ctx, "aten.exp.default", &half)?;
    let scaled = mul_scalar(ctx, g, (2.0 * std::f64::consts::PI).sqrt())?;
    mul(ctx, &scaled, &ex)
}

/// Which two-input formula a [`BinaryBackward`] runs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BinaryKind {
    /// HypotBackward0: `grad * self / result`, `grad * other / result`.
    Hypot,
    /// LogaddexpBackward0: `grad / (1 + exp(other - self))` and mirrored.
    Logaddexp,
    /// Logaddexp2Backward0: `grad / (1 + pow(2, other - self))` and mirrored.
    Logaddexp2,
    /// SpecialXlog1PyBackward0.
    Xlog1py,
    /// IgammaBackward0 / IgammacBackward0 (`complement`): `other`'s
    /// gradient `±grad * exp((self - 1) * log(other) - other -
    /// lgamma(self))`; `self`'s is not implemented, as in PyTorch.
    Igamma { complement: bool },
    /// SpecialZetaBackward0: `other`'s gradient `grad * -self *
    /// special_zeta(self + 1., other)`; `self`'s is not implemented, as
    /// in PyTorch.
    Zeta,
}

/// A two-input special-function node.
pub(crate) struct BinaryBackward {
    pub(crate) kind: BinaryKind,
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
    pub(crate) result: Option<SavedVariable>,
}

/// `grad / (1 + base(a - b))`: `exp` or `pow(2, ·)`.
fn log_add_grad(
    ctx: &mut BackwardCtx<'_>,
    g: &Tensor,
    a: &Tensor,
    b: &Tensor,
    base2: bool,
) -> Result<Tensor> {
    let d = binary_call(ctx, "aten.sub.Tensor", a, b)?;
    let e = if base2 {
        call(ctx, "aten.pow.Scalar", vec![IValue::Int(2), (&d).into()])?
    } else {
        unary_call(ctx, "aten.exp.default", &d)?
    };
    let plus = call(ctx, "aten.add.Scalar", vec![(&e).into(), IValue::Int(1)])?;
    binary_call(ctx, "aten.div.Tensor", g, &plus)
}

impl BinaryBackward {
    /// `other`'s gradient.
    fn other_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        x: &Tensor,
        y: &Tensor,
        result: Option<&Tensor>,
    ) -> Result<Tensor> {
        match self.kind {
            BinaryKind::Hypot => {
                let t = mul(ctx, g, y)?;
                binary_call(ctx, "aten.div.Tensor", &t, need(result)?)
            }
            BinaryKind::Logaddexp => log_add_grad(ctx, g, x, y, false),
            BinaryKind::Logaddexp2 => log_add_grad(ctx, g, x, y, true),
            BinaryKind::Xlog1py => {
                let plus = call(ctx, "aten.add.Scalar", vec![y.into(), IValue::Int(1)])?;
                let t = mul(ctx, g, x)?;
                binary_call(ctx, "aten.div.Tensor", &t, &plus)
            }
            BinaryKind::Igamma { complement } => {
                // PyTorch's order: lgamma(self), log(other), self - 1, the
                // product, the two subtractions, exp, then -grad (for
                // igammac) and the product with the gradient.
                let lg = call(ctx, "aten.lgamma.default", vec![x.into()])?;
                let lo = call(ctx, "aten.log.default", vec![y.into()])?;
                let am1 = call(ctx, "aten.sub.Scalar", vec![x.into(), IValue::Int(1)])?;
                let t = mul(ctx, &am1, &lo)?;
                let t = binary_call(ctx, "aten.sub.Tensor", &t, y)?;
                let t = binary_call(ctx, "aten.sub.Tensor", &t, &lg)?;
                let e = call(ctx, "aten.exp.default", vec![(&t).into()])?;
                if complement {
                    let ng = call(ctx, "aten.neg.default", vec![g.into()])?;
                    mul(ctx, &ng, &e)
                } else {
                    mul(ctx, g, &e)
                }
            }
            BinaryKind::Zeta => bessel::zeta_other_grad(ctx, g, x, y),
        }
    }

    /// `self`'s gradient.
    fn self_grad(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        x: &Tensor,
        y: &Tensor,
        result: Option<&Tensor>,
    ) -> Result<Tensor> {
        match self.kind {
            BinaryKind::Hypot => {
                let t = mul(ctx, g, x)?;
                binary_call(ctx, "aten.div.Tensor", &t, need(result)?)
            }
            BinaryKind::Logaddexp => log_add_grad(ctx, g, y, x, false),
            BinaryKind::Logaddexp2 => log_add_grad(ctx, g, y, x, true),
            BinaryKind::Xlog1py => {
                let v = binary_call(ctx, "aten.special_xlog1py.default", g, y)?;
                let le = call(ctx, "aten.le.Scalar", vec![y.into(), IValue::Float(-1.0)])?;
                let eq = call(ctx, "aten.eq.Scalar", vec![x.into(), IValue::Float(0.0)])?;
                let both = binary_call(ctx, "aten.bitwise_and.Tensor", &eq, &le)?;
                call(
                    ctx,
                    "aten.masked_fill.Scalar",
                    vec![(&v).into(), (&both).into(), IValue::Float(0.0)],
                )
            }
            BinaryKind::Igamma { .. } | BinaryKind::Zeta => {
                unreachable!("refused before any gradient")
            }
        }
    }
}

impl BackwardFn for BinaryBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let x = self.self_.unpack(ctx.node)?;
        let y = self.other.unpack(ctx.node)?;
        let result = match (&self.kind, &self.result) {
            (BinaryKind::Hypot, None) => return Err(freed(ctx)),
            (_, r) => unpack(ctx, r)?,
        };
        // PyTorch raises NotImplementedError before any gradient.
        let unimplemented = match self.kind {
            BinaryKind::Igamma { complement: false } => Some("igamma: input"),
            BinaryKind::Igamma { complement: true } => Some("igammac: input"),
            BinaryKind::Zeta => Some("zeta"),
            _ => None,
        };
        if let Some(name) = unimplemented
            && ctx.needs(0)
        {
            return Err(not_implemented(ctx, name));
        }
        let mut out = vec![None, None];
        if ctx.needs(1) {
            out[1] = Some(self.other_grad(ctx, &g, &x, &y, result.as_ref())?);
        }
        if ctx.needs(0) {
            out[0] = Some(self.self_grad(ctx, &g, &x, &y, result.as_ref())?);
        }
        Ok(out)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if matches!(self.kind, BinaryKind::Hypot) {
            self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
        }
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
        if let Some(r) = &mut self.result {
            r.release();
        }
    }
}
