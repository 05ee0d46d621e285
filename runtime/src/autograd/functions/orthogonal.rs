//! Backward of the matrix exponential and of Householder products, as
//! `torch.nn.utils.parametrizations.orthogonal` and orthogonal RNNs use
//! them (FunctionsManual.cpp's `linalg_matrix_exp_differential` and
//! `householder_product_backward`), each dispatching exactly the calls
//! torch 2.15 records, in its order: in a call `f(a(), b())` the arguments
//! are evaluated last to first, a method's object before its arguments,
//! and `X.mH()` of a real tensor is `transpose(-2, -1)`. `geqrf` has no
//! derivative (GeqrfBackward0 fails when run, as PyTorch's does) and
//! OrmqrBackward0 is recorded but refused when run.

use super::reduction::unpack;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

use super::decomp::{matmul, mh, one};

fn mul(rt: &mut Runtime, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    one(rt, "aten.mul.Tensor", vec![a.into(), b.into()])
}

fn cat(rt: &mut Runtime, ts: Vec<Tensor>, dim: i64) -> Result<Tensor> {
    one(
        rt,
        "aten.cat.default",
        vec![IValue::TensorList(ts), IValue::Int(dim)],
    )
}

/// `t.narrow(dim, start, len)`: `slice(t, dim, start, start + len, 1)`.
fn narrow(rt: &mut Runtime, t: &Tensor, dim: i64, start: i64, len: i64) -> Result<Tensor> {
    one(
        rt,
        "aten.slice.Tensor",
        vec![
            t.into(),
            IValue::Int(dim),
            IValue::Int(start),
            IValue::Int(start + len),
            IValue::Int(1),
        ],
    )
}

fn unsqueeze_last(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.unsqueeze.default",
        vec![t.into(), IValue::Int(-1)],
    )
}

fn squeeze(rt: &mut Runtime, t: &Tensor, dim: i64) -> Result<Tensor> {
    one(rt, "aten.squeeze.dim", vec![t.into(), IValue::Int(dim)])
}

fn neg(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    one(rt, "aten.neg.default", vec![t.into()])
}

fn sub_(rt: &mut Runtime, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.sub_.Tensor",
        vec![a.into(), b.into(), IValue::Int(1)],
    )
}

pub(super) fn zeros_like(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.zeros_like.default",
        vec![
            t.into(),
            IValue::None,
            IValue::None,
            IValue::None,
            IValue::None,
            IValue::None,
        ],
    )
}

/// Size `d` (negative from the end) of `t`.
fn size(t: &Tensor, d: i64) -> i64 {
    let s = t.shape();
    let i = if d < 0 { s.len() as i64 + d } else { d };
    usize::try_from(i)
        .ok()
        .and_then(|i| s.get(i).copied())
        .unwrap_or(0)
}

/// Only first-order backwards are modelled (PyTorch's out-of-place
/// branches under `create_graph=True` are not).
fn first_order_only(ctx: &BackwardCtx<'_>, node: &str) -> Result<()> {
    if ctx.rt.is_grad_enabled() {
        return Err(RuntimeError::unsupported(
            node,
            "a backward recorded for higher-order gradients (create_graph=True)",
        ));
    }
    Ok(())
}

/// LinalgMatrixExpBackward0: `linalg_matrix_exp_differential(self, grad,
/// adjoint=true)`, the top-right block of `exp([[Aᴴ, G], [0, Aᴴ]])`.
pub(crate) struct LinalgMatrixExpBackward0 {
    pub(crate) self_: Option<SavedVariable>,
}

impl BackwardFn for LinalgMatrixExpBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = grads.into_iter().next().flatten() else {
            return Ok(vec![None]);
        };
        if !ctx.needs(0) {
            return Ok(vec![None]);
        }
        let a = unpack(&self.self_, ctx)?;
        let rt = &mut *ctx.rt;
        let n = size(&a, -1);
        let ah = mh(rt, &a)?;
        let top = cat(rt, vec![ah.clone(), grad], -1)?;
        let zeros = zeros_like(rt, &ah)?;
        let bottom = cat(rt, vec![zeros, ah], -1)?;
        let meta = cat(rt, vec![top, bottom], -2)?;
        let e = one(rt, "aten.linalg_matrix_exp.default", vec![meta.into()])?;
        let rows = narrow(rt, &e, -2, 0, n)?;
        Ok(vec![Some(narrow(rt, &rows, -1, n, n)?)])
    }

    fn release_variables(&mut self) {
        self.self_.iter_mut().for_each(SavedVariable::release);
    }
}

/// LinalgHouseholderProductBackward0 (`householder_product_backward(grad,
/// result, input, tau)`, first order: `K = result·gradᴴ` updated in place
/// through narrowed views, one `(v_i, tau_i)` gradient pair per reflector,
/// concatenated, the input's gradient made strictly lower-triangular).
pub(crate) struct LinalgHouseholderProductBackward0 {
    pub(crate) input: Option<SavedVariable>,
    pub(crate) tau: Option<SavedVariable>,
    pub(crate) result: Option<SavedVariable>,
}

/// `K ← (I − t·v·vᴴ)·K` (`left`) or `K ← K·(I − t·v·vᴴ)` in place, using
/// that `v` (a column of the unit-lower reflectors) is zero above row `k`.
fn apply_reflector(
    rt: &mut Runtime,
    m: i64,
    k: i64,
    v_full: &Tensor,
    t: &Tensor,
    kmat: &Tensor,
    left: bool,
) -> Result<()> {
    let v = narrow(rt, v_full, -2, k, m - k)?;
    if left {
        let vs = narrow(rt, v_full, -2, k, m - k)?;
        let vh = mh(rt, &vs)?;
        let rows = narrow(rt, kmat, -2, k, m - k)?;
        let u = matmul(rt, &vh, &rows)?;
        let target = narrow(rt, kmat, -2, k, m - k)?;
        let tu = unsqueeze_last(rt, t)?;
        let tv = mul(rt, &tu, &v)?;
        let upd = mul(rt, &tv, &u)?;
        sub_(rt, &target, &upd)?;
    } else {
        let cols = narrow(rt, kmat, -1, k, m - k)?;
        let vs = narrow(rt, v_full, -2, k, m - k)?;
        let tu = unsqueeze_last(rt, t)?;
        let tv = mul(rt, &tu, &vs)?;
        let u = matmul(rt, &cols, &tv)?;
        let target = narrow(rt, kmat, -1, k, m - k)?;
        let vh = mh(rt, &v)?;
        let upd = mul(rt, &u, &vh)?;
        sub_(rt, &target, &upd)?;
    }
    Ok(())
}

/// One reflector's `(v_grad.unsqueeze(-1), tau_grad.squeeze(-1))`.
fn update_grad(
    rt: &mut Runtime,
    m: i64,
    i: i64,
    v_full: &Tensor,
    t: &Tensor,
    kmat: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let v = narrow(rt, v_full, -2, i, m - i)?;
    let vh = mh(rt, &v)?;
    let rows = narrow(rt, kmat, -2, i, m - i)?;
    let vhk = matmul(rt, &vh, &rows)?;
    let cols = narrow(rt, kmat, -1, i, m - i)?;
    let kv = matmul(rt, &cols, &v)?;
    let tu = unsqueeze_last(rt, t)?;
    // (-t·vHK)ᴴ.squeeze(-2) − (t·Kv).squeeze(-1), the right term first.
    let right = mul(rt, &tu, &kv)?;
    let right = squeeze(rt, &right, -1)?;
    let nt = neg(rt, &tu)?;
    let left = mul(rt, &nt, &vhk)?;
    let left = squeeze(rt, &left, -2)?;
    let v_grad = one(
        rt,
        "aten.sub.Tensor",
        vec![left.into(), right.into(), IValue::Int(1)],
    )?;
    let tail = narrow(rt, &vhk, -1, i, m - i)?;
    let p = matmul(rt, &tail, &v)?;
    let tau_grad = neg(rt, &p)?;
    let tau_grad = squeeze(rt, &tau_grad, -1)?;
    let v_grad = unsqueeze_last(rt, &v_grad)?;
    Ok((v_grad, tau_grad))
}

impl BackwardFn for LinalgHouseholderProductBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = grads.into_iter().next().flatten() else {
            return Ok(vec![None, None]);
        };
        if !ctx.needs(0) && !ctx.needs(1) {
            return Ok(vec![None, None]);
        }
        first_order_only(ctx, "LinalgHouseholderProductBackward0")?;
        let input_ = unpack(&self.input, ctx)?;
        let tau = unpack(&self.tau, ctx)?;
        let result = unpack(&self.result, ctx)?;
        if input_.numel() == 0 || tau.numel() == 0 {
            return Ok(vec![None, None]);
        }
        let rt = &mut *ctx.rt;
        let m = size(&input_, -2);
        let ncols = size(&input_, -1);
        let k = size(&tau, -1);
        let input = one(
            rt,
            "aten.tril.default",
            vec![(&input_).into(), IValue::Int(-1)],
        )?;
        let diag = one(
            rt,
            "aten.diagonal.default",
            vec![
                (&input).into(),
                IValue::Int(0),
                IValue::Int(-2),
                IValue::Int(-1),
            ],
        )?;
        one(
            rt,
            "aten.fill_.Scalar",
            vec![diag.into(), IValue::Float(1.0)],
        )?;
        let first = narrow(rt, &input, -1, 0, k)?;
        let sq = mul(rt, &first, &first)?;
        let norms = one(
            rt,
            "aten.sum.dim_IntList",
            vec![
                sq.into(),
                IValue::IntList(vec![-2]),
                IValue::Bool(false),
                IValue::None,
            ],
        )?;
        let tn = mul(rt, &tau, &norms)?;
        let den = one(
            rt,
            "aten.sub.Scalar",
            vec![tn.into(), IValue::Float(1.0), IValue::Int(1)],
        )?;
        let sigma = one(rt, "aten.div.Tensor", vec![(&tau).into(), den.into()])?;
        let gh = mh(rt, &grad)?;
        let kmat = matmul(rt, &result, &gh)?;
        // K ← H_0⁻¹·K; the call's arguments are made last to first.
        let s0 = narrow(rt, &sigma, -1, 0, 1)?;
        let v0 = narrow(rt, &input, -1, 0, 1)?;
        apply_reflector(rt, m, 0, &v0, &s0, &kmat, true)?;
        let mut input_grads = Vec::new();
        let mut tau_grads = Vec::new();
        for i in 0..k {
            let v_i = narrow(rt, &input, -1, i, 1)?;
            let t_i = narrow(rt, &tau, -1, i, 1)?;
            let (vg, tg) = update_grad(rt, m, i, &v_i, &t_i, &kmat)?;
            input_grads.push(vg);
            tau_grads.push(tg);
            if i != k - 1 {
                let v_next = narrow(rt, &input, -1, i + 1, 1)?;
                let s_next = narrow(rt, &sigma, -1, i + 1, 1)?;
                apply_reflector(rt, m, i + 1, &v_next, &s_next, &kmat, true)?;
                apply_reflector(rt, m, i, &v_i, &t_i, &kmat, false)?;
            }
        }
        if k < ncols {
            let mut shape = input_.shape()[..input_.dim() - 1].to_vec();
            shape.push(ncols - k);
            input_grads.push(one(
                rt,
                "aten.zeros.default",
                vec![
                    IValue::IntList(shape),
                    IValue::Dtype(input_.dtype()),
                    IValue::Layout(crate::tensor::options::Layout::Strided),
                    IValue::Device(input_.device()),
                    // `input.options()` carries no pinned-memory choice
                    IValue::None,
                ],
            )?);
        }
        let input_grad = cat(rt, input_grads, -1)?;
        let tau_grad = cat(rt, tau_grads, -1)?;
        one(
            rt,
            "aten.tril_.default",
            vec![(&input_grad).into(), IValue::Int(-1)],
        )?;
        Ok(vec![Some(input_grad), Some(tau_grad)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|t| SavedVariable::output(t, 0));
    }

    fn release_variables(&mut self) {
        for s in [&mut self.input, &mut self.tau, &mut self.result] {
            s.iter_mut().for_each(SavedVariable::release);
        }
    }
}

/// GeqrfBackward0: PyTorch declares `geqrf` not differentiable
/// (`not_implemented("geqrf")`); the node is recorded and fails when run.
pub(crate) struct GeqrfBackward0;

impl BackwardFn for GeqrfBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        _: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        // PyTorch raises NotImplementedError: an error of the program.
        Err(RuntimeError::KernelDtype {
            op: ctx.node.name().to_owned(),
            message: "the derivative for 'geqrf' is not implemented.".to_owned(),
        })
    }
}

/// OrmqrBackward0: recorded as PyTorch records it; running it
/// (`ormqr_backward`) is not supported.
pub(crate) struct OrmqrBackward0;

impl BackwardFn for OrmqrBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None, None, None]);
        }
        Err(RuntimeError::unsupported(
            ctx.node.name(),
            "ormqr_backward (the gradient of torch.ormqr)",
        ))
    }
}
