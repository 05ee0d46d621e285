//! Backward of `native_group_norm`: NativeGroupNormBackward0.
//!
//! Without grad mode the node calls `native_group_norm_backward(grad, input,
//! mean, rstd, weight, N, C, HxW, group, output_mask)` with the gradient and
//! the input in whatever layout they have (observed in torch 2.15: an
//! expanded or channels-last gradient is passed as it is, no `clone`); edges
//! input, weight, bias, the mask naming those that need a gradient. All three forward results require grad
//! (observed in torch 2.15: `mean`/`rstd` carry the node too).
//!
//! With grad mode on (`create_graph=True`) the node computes the gradients
//! with differentiable operators instead, so a second backward (a gradient
//! penalty through a GroupNorm) runs through them. With `D = C / group`,
//! `s = 1 / (D·HxW)` and `X`, `dY` viewed as `(N, G, D, HxW)`, `mean`,
//! `rstd` as `(N, G, 1, 1)`, `γ` as `(1, G, D, 1)` (observed in torch 2.15,
//! in this dispatch order):
//!
//! * `ds = sum(dY·X, 3, keepdim)`, `db = sum(dY, 3, keepdim)`;
//! * the input's: `rstd³ = rstd·rstd·rstd`, `a = rstd·γ`,
//!   `b = sum(ds·γ, 2, keepdim)`, `c = sum(db·γ, 2, keepdim)` (without γ
//!   `a = rstd` and the sums of `ds`, `db`), then
//!   `b' = (c·mean − b)·rstd³·s`, `c' = (−b')·mean − c·rstd·s` (its right
//!   operand first), `dX = (a·dY + b'·X) + c'` (`b'·X` first), viewed back as
//!   the input;
//! * the weight's `sum((ds − db·mean)·rstd, 0)` and the bias's `sum(db, 0)`,
//!   each viewed as the weight.
//!
//! A gradient flowing into `mean` or `rstd` (a second backward through the
//! graph the first one built, which uses both) adds a term to the input's
//! gradient, after the gradients above — or after the kernel's, which
//! computes them when grad mode is off — with `X` viewed as `(N, G, D·HxW)`:
//! `dvar = −0.5·rstd·rstd·rstd·drstd`, `(2/(D·HxW))·dvar·(X − mean(X, 2))`
//! plus `dmean` expanded and divided by `D·HxW`, viewed back as the input and
//! added to it (each part only when its gradient is defined).

use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::ops_reduction::ReductionOps;
use crate::tensor::Tensor;

/// NativeGroupNormBackward0.
pub(crate) struct NativeGroupNormBackward0 {
    pub(crate) input: SavedVariable,
    pub(crate) weight: Option<SavedVariable>,
    /// `N, C, HxW, group` as the forward received them.
    pub(crate) sizes: [IValue; 4],
    /// `mean` and `rstd` (forward results 1 and 2).
    pub(crate) stats: [Option<SavedVariable>; 2],
}

impl BackwardFn for NativeGroupNormBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut grads = grads.into_iter();
        let (dy, dmean, drstd) = (
            grads.next().flatten(),
            grads.next().flatten(),
            grads.next().flatten(),
        );
        let mut out = match dy {
            None => vec![None, None, None],
            Some(dy) if ctx.rt.is_grad_enabled() => self.differentiable(ctx, &dy)?,
            Some(dy) => self.kernel(ctx, dy)?,
        };
        out.resize(3, None);
        if ctx.needs(0) && (dmean.is_some() || drstd.is_some()) {
            let term = self.stats_term(ctx, dmean.as_ref(), drstd.as_ref())?;
            out[0] = Some(match out[0].take() {
                Some(dx) => ctx.rt.add(&dx, &term)?,
                None => term,
            });
        }
        Ok(out)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.stats = [1, 2].map(|i| outputs.get(i).map(SavedVariable::input));
    }

    fn release_variables(&mut self) {
        self.input.release();
        self.weight.iter_mut().for_each(SavedVariable::release);
        self.stats
            .iter_mut()
            .flatten()
            .for_each(SavedVariable::release);
    }
}

impl NativeGroupNormBackward0 {
    /// `native_group_norm_backward` on the incoming gradient (grad mode off).
    fn kernel(&self, ctx: &mut BackwardCtx<'_>, g: Tensor) -> Result<Vec<Option<Tensor>>> {
        let input = self.input.unpack(ctx.node)?;
        let opt = |s: &Option<SavedVariable>, ctx: &BackwardCtx<'_>| -> Result<IValue> {
            Ok(match s {
                Some(s) => IValue::Tensor(s.unpack(ctx.node)?),
                None => IValue::None,
            })
        };
        let mut args = vec![
            g.into(),
            input.into(),
            opt(&self.stats[0], ctx)?,
            opt(&self.stats[1], ctx)?,
            opt(&self.weight, ctx)?,
        ];
        args.extend(self.sizes.iter().cloned());
        args.push(IValue::BoolList((0..3).map(|i| ctx.needs(i)).collect()));
        ctx.rt
            .norm_backward("aten.native_group_norm_backward.default", args)
    }

    /// `N, C, HxW, group` as integers, and `D = C / group`.
    fn dims(&self) -> Result<[i64; 5]> {
        let mut out = [0; 5];
        for (o, v) in out.iter_mut().zip(&self.sizes) {
            *o = match v {
                IValue::Int(i) => *i,
                other => {
                    return Err(RuntimeError::autograd(format!(
                        "NativeGroupNormBackward0: a size argument is {}, not an int",
                        other.kind()
                    )));
                }
            };
        }
        let [_, c, hxw, group, _] = out;
        if group <= 0 || c % group != 0 || hxw <= 0 {
            return Err(RuntimeError::autograd(format!(
                "NativeGroupNormBackward0: C={c} in {group} groups over HxW={hxw}"
            )));
        }
        out[4] = c / group;
        Ok(out)
    }

    /// The gradients with differentiable operators (grad mode on).
    fn differentiable(
        &self,
        ctx: &mut BackwardCtx<'_>,
        dy: &Tensor,
    ) -> Result<Vec<Option<Tensor>>> {
        let needs = [ctx.needs(0), ctx.needs(1), ctx.needs(2)];
        let [n, _, hxw, g, d] = self.dims()?;
        let s = IValue::Float(1.0 / (d * hxw) as f64);
        let input = self.input.unpack(ctx.node)?;
        let (mean, rstd) = (self.stat(ctx, 0)?, self.stat(ctx, 1)?);
        let gamma = match &self.weight {
            Some(w) => Some(w.unpack(ctx.node)?),
            None => None,
        };
        let rt = &mut *ctx.rt;
        let x = rt.reshape(&input, &[n, g, d, hxw])?;
        let mean = rt.reshape(&mean, &[n, g, 1, 1])?;
        let rstd = rt.reshape(&rstd, &[n, g, 1, 1])?;
        let dy = rt.reshape(dy, &[n, g, d, hxw])?;
        let dyx = rt.mul(&dy, (&x).into())?;
        let ds = rt.sum_dim(&dyx, vec![3], true)?;
        let db = rt.sum_dim(&dy, vec![3], true)?;
        let mut out = vec![None, None, None];
        if needs[0] {
            let gamma = match &gamma {
                Some(w) => Some(rt.reshape(w, &[1, g, d, 1])?),
                None => None,
            };
            let square = rt.mul(&rstd, (&rstd).into())?;
            let cube = rt.mul(&square, (&rstd).into())?;
            let (a, b, c) = match &gamma {
                Some(w) => {
                    let a = rt.mul(&rstd, w.into())?;
                    let dsw = rt.mul(&ds, w.into())?;
                    let b = rt.sum_dim(&dsw, vec![2], true)?;
                    let dbw = rt.mul(&db, w.into())?;
                    (a, b, rt.sum_dim(&dbw, vec![2], true)?)
                }
                None => {
                    let b = rt.sum_dim(&ds, vec![2], true)?;
                    (rstd.clone(), b, rt.sum_dim(&db, vec![2], true)?)
                }
            };
            let cm = rt.mul(&c, (&mean).into())?;
            let diff = rt.elementwise().sub(&cm, &b)?;
            let scaled = rt.mul(&diff, (&cube).into())?;
            let b = rt.mul_scalar(&scaled, s.clone())?;
            let cr = rt.mul(&c, (&rstd).into())?;
            let crs = rt.mul_scalar(&cr, s)?;
            let neg_b = rt.neg(&b)?;
            let bm = rt.mul(&neg_b, (&mean).into())?;
            let c = if rt.faults().group_norm_grad_mode_drops_mean_term {
                rt.neg(&crs)?
            } else {
                rt.elementwise().sub(&bm, &crs)?
            };
            let bx = rt.mul(&b, (&x).into())?;
            let ady = rt.mul(&a, (&dy).into())?;
            let sum = rt.add(&ady, &bx)?;
            let dx = rt.add(&sum, &c)?;
            out[0] = Some(rt.reshape(&dx, input.shape())?);
        }
        if needs[1] || needs[2] {
            let Some(w) = &gamma else {
                return Err(RuntimeError::autograd(
                    "NativeGroupNormBackward0: a bias gradient without a weight",
                ));
            };
            if needs[1] {
                let dbm = rt.mul(&db, (&mean).into())?;
                let diff = rt.elementwise().sub(&ds, &dbm)?;
                let scaled = rt.mul(&diff, (&rstd).into())?;
                let total = rt.sum_dim(&scaled, vec![0], false)?;
                out[1] = Some(rt.reshape(&total, w.shape())?);
            }
            if needs[2] {
                let total = rt.sum_dim(&db, vec![0], false)?;
                out[2] = Some(rt.reshape(&total, w.shape())?);
            }
        }
        Ok(out)
    }

    /// The saved `mean` (0) or `rstd` (1).
    fn stat(&self, ctx: &BackwardCtx<'_>, i: usize) -> Result<Tensor> {
        self.stats[i]
            .as_ref()
            .ok_or_else(|| {
                RuntimeError::autograd("NativeGroupNormBackward0: mean or rstd not saved")
            })?
            .unpack(ctx.node)
    }

    /// The input gradient's term for gradients flowing into `mean` and
    /// `rstd`, with `X` viewed as `(N, G, D·HxW)` and `n = D·HxW`:
    /// `dvar = −0.5·rstd·rstd·rstd·drstd`, then `(2/n)·dvar·(X − mean(X))`
    /// plus `dmean` expanded and divided by `n`, viewed back as the input.
    fn stats_term(
        &self,
        ctx: &mut BackwardCtx<'_>,
        dmean: Option<&Tensor>,
        drstd: Option<&Tensor>,
    ) -> Result<Tensor> {
        let [n, _, hxw, g, d] = self.dims()?;
        let count = d * hxw;
        let input = self.input.unpack(ctx.node)?;
        let rstd = self.stat(ctx, 1)?;
        let mut ops = ReductionOps(&mut *ctx.rt);
        let dvar = match drstd {
            Some(drstd) => {
                let rstd = ops.view(&rstd, &[n, g, 1])?;
                let drstd = ops.view(drstd, &[n, g, 1])?;
                let half = ops.mul_scalar(&rstd, IValue::Float(-0.5))?;
                let square = ops.mul(&half, &rstd)?;
                let cube = ops.mul(&square, &rstd)?;
                Some(ops.mul(&cube, &drstd)?)
            }
            None => None,
        };
        let x = ops.view(&input, &[n, g, count])?;
        let dmean = match dmean {
            Some(dmean) => Some(ops.view(dmean, &[n, g, 1])?),
            None => None,
        };
        let var_term = match &dvar {
            Some(dvar) => {
                let mean = ops.mean_dim(&x, &[2], true)?;
                let centred = ops.sub(&x, &mean)?;
                let scaled = ops.mul_scalar(dvar, IValue::Float(2.0 / count as f64))?;
                Some(ops.mul(&scaled, &centred)?)
            }
            None => None,
        };
        let mean_term = match &dmean {
            Some(dmean) => {
                let expanded = ops.expand(dmean, &[n, g, count])?;
                Some(ops.div_scalar(&expanded, IValue::Int(count))?)
            }
            None => None,
        };
        let term = match (var_term, mean_term) {
            (Some(v), Some(m)) => ops.add(&v, &m)?,
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => {
                return Err(RuntimeError::autograd(
                    "NativeGroupNormBackward0: no gradient for mean or rstd",
                ));
            }
        };
        ops.view(&term, input.shape())
    }
}
