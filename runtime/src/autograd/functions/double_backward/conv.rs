//! `ConvolutionBackwardBackward0`, the node of `convolution_backward(grad_output,
//! input, weight, bias_sizes, stride, padding, dilation, transposed,
//! output_padding, groups, output_mask)`, edges `[grad_output, input, weight]`.
//!
//! PyTorch's `_convolution_double_backward` takes the gradients of the three
//! results (`ggI`, `ggW`, `ggb`, any may be missing) and computes, whatever
//! the node's edges need (observed in torch 2.15: `ggO` is dispatched when
//! `grad_output` needs no gradient, `gI` when `input` needs none):
//!
//! 1. `ggO = conv(ggI, weight) + conv(input, ggW) + ggb` viewed as
//!    `(1, C, 1, ...)` and expanded to `grad_output`'s shape (`ggb` made
//!    contiguous first), each term only when its gradient exists;
//! 2. `gW` from `ggI`: `grad_output` and `ggI` transposed (dims 0 and 1), a
//!    convolution with stride and dilation swapped and no groups (one per
//!    group over `narrow`ed channels, then `cat` on dim 1), transposed back
//!    and narrowed to the weight's spatial sizes;
//! 3. `gI` from `ggW`: the transposed convolution of `grad_output` with
//!    `ggW` (the output padding that recovers the input's size), or for a
//!    transposed forward the plain convolution narrowed to the input's size.

use super::super::any_defined;
use super::{release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

/// The convolution's parameters, as `convolution_backward` received them.
#[derive(Clone, Debug)]
pub(crate) struct ConvParams {
    pub(crate) stride: Vec<i64>,
    pub(crate) padding: Vec<i64>,
    pub(crate) dilation: Vec<i64>,
    pub(crate) transposed: bool,
    pub(crate) output_padding: Vec<i64>,
    pub(crate) groups: i64,
}

impl ConvParams {
    /// `at::convolution(input, weight, None, params...)`.
    fn convolution(
        &self,
        ctx: &mut BackwardCtx<'_>,
        input: &Tensor,
        weight: &Tensor,
    ) -> Result<Tensor> {
        let args = vec![
            input.into(),
            weight.into(),
            IValue::None,
            IValue::IntList(self.stride.clone()),
            IValue::IntList(self.padding.clone()),
            IValue::IntList(self.dilation.clone()),
            IValue::Bool(self.transposed),
            IValue::IntList(self.output_padding.clone()),
            IValue::Int(self.groups),
        ];
        super::call(ctx, "aten.convolution.default", args)
    }
}

/// `convolution_backward`'s node.
pub(crate) struct ConvolutionBackwardBackward0 {
    pub(crate) params: ConvParams,
    pub(crate) grad_output: Option<SavedVariable>,
    pub(crate) input: Option<SavedVariable>,
    pub(crate) weight: Option<SavedVariable>,
}

/// The three saved tensors.
struct Saved {
    grad_output: Tensor,
    input: Tensor,
    weight: Tensor,
}

impl ConvolutionBackwardBackward0 {
    /// `ggO = conv(ggI, w) + conv(i, ggW) + ggb`.
    fn grad_grad_output(
        &self,
        ctx: &mut BackwardCtx<'_>,
        s: &Saved,
        params: &ConvParams,
        gg: &[Option<Tensor>; 3],
    ) -> Result<Option<Tensor>> {
        let mut ggo: Option<Tensor> = None;
        if s.input.numel() != 0 {
            if let Some(ggi) = &gg[0] {
                ggo = Some(params.convolution(ctx, ggi, &s.weight)?);
            }
            if let Some(ggw) = &gg[1] {
                let term = params.convolution(ctx, &s.input, ggw)?;
                ggo = Some(match ggo {
                    Some(o) => ctx.rt.add(&o, &term)?,
                    None => term,
                });
            }
        }
        if let Some(ggb) = &gg[2] {
            let mut shape = vec![1; s.grad_output.dim()];
            if let (Some(slot), Some(&c)) = (shape.get_mut(1), ggb.shape().first()) {
                *slot = c;
            }
            let contiguous = if ggb.is_contiguous() {
                ggb.clone()
            } else {
                ctx.rt.clone_tensor(ggb, MemoryFormat::Contiguous)?
            };
            let viewed = ctx.rt.view(&contiguous, &shape)?;
            let expanded = ctx.rt.expand(&viewed, s.grad_output.shape())?;
            ggo = Some(match ggo {
                Some(o) => ctx.rt.add(&o, &expanded)?,
                None => expanded,
            });
        }
        Ok(ggo)
    }

    /// `gW` from `ggI` and `grad_output`.
    fn grad_weight(
        &self,
        ctx: &mut BackwardCtx<'_>,
        s: &Saved,
        params: &ConvParams,
        ggi: &Tensor,
    ) -> Result<Option<Tensor>> {
        let mut p = params.clone();
        let groups = p.groups;
        p.groups = 1;
        std::mem::swap(&mut p.stride, &mut p.dilation);
        let got = ctx.rt.transpose(&s.grad_output, 0, 1)?;
        let ggit = ctx.rt.transpose(ggi, 0, 1)?;
        if s.input.numel() == 0 {
            return Ok(None);
        }
        let transposed = p.transposed;
        p.transposed = false;
        let gwt = if groups == 1 {
            if transposed {
                p.convolution(ctx, &got, &ggit)?
            } else {
                p.convolution(ctx, &ggit, &got)?
            }
        } else {
            let mut parts = Vec::new();
            for g in 0..groups {
                let ggit_g = group_slice(ctx, &ggit, groups, g)?;
                let got_g = group_slice(ctx, &got, groups, g)?;
                parts.push(if transposed {
                    p.convolution(ctx, &got_g, &ggit_g)?
                } else {
                    p.convolution(ctx, &ggit_g, &got_g)?
                });
            }
            ctx.rt.cat(parts, 1)?
        };
        let gw = ctx.rt.transpose(&gwt, 0, 1)?;
        Ok(Some(narrow_to(ctx, gw, s.weight.shape())?))
    }

    /// `gI` from `ggW` and `grad_output`.
    fn grad_input(
        &self,
        ctx: &mut BackwardCtx<'_>,
        s: &Saved,
        params: &ConvParams,
        ggw: &Tensor,
    ) -> Result<Tensor> {
        let mut p = params.clone();
        p.transposed = !params.transposed;
        if params.transposed {
            let gi = p.convolution(ctx, &s.grad_output, ggw)?;
            return narrow_to(ctx, gi, s.input.shape());
        }
        let kernel = s.weight.shape().get(2..).unwrap_or(&[]);
        let input = s.input.shape().get(2..).unwrap_or(&[]);
        let output = s.grad_output.shape().get(2..).unwrap_or(&[]);
        for (i, &k) in kernel.iter().enumerate() {
            let at = |v: &[i64]| v.get(i).copied().unwrap_or(0);
            let expected = (k - 1) * at(&p.dilation) - 2 * at(&p.padding)
                + (at(&p.stride) * (at(output) - 1) + 1);
            if expected != at(input)
                && let Some(slot) = p.output_padding.get_mut(i)
            {
                *slot = at(input) - expected;
            }
        }
        p.convolution(ctx, &s.grad_output, ggw)
    }
}

/// PyTorch's `subvariable(t, 0, groups, g)`: the `g`-th of `groups` equal
/// slices of dim 0 (`narrow`, dispatched as `slice.Tensor`).
fn group_slice(ctx: &mut BackwardCtx<'_>, t: &Tensor, groups: i64, g: i64) -> Result<Tensor> {
    let n = t.shape().first().copied().unwrap_or(0) / groups;
    ctx.rt.narrow(t, 0, n * g, n)
}

/// Narrows every spatial dim (2..) of `t` larger than `sizes` to it.
fn narrow_to(ctx: &mut BackwardCtx<'_>, mut t: Tensor, sizes: &[i64]) -> Result<Tensor> {
    for i in 2..t.dim() {
        let (have, want) = (t.shape()[i], sizes.get(i).copied().unwrap_or(t.shape()[i]));
        if have > want {
            t = ctx.rt.narrow(&t, i as i64, 0, want)?;
        }
    }
    Ok(t)
}

impl BackwardFn for ConvolutionBackwardBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        if !any_defined(&grads) {
            return Ok(vec![None, None, None]);
        }
        let mut it = grads.into_iter();
        let gg = [
            it.next().flatten(),
            it.next().flatten(),
            it.next().flatten(),
        ];
        let s = Saved {
            grad_output: unpack(ctx, &self.grad_output)?,
            input: unpack(ctx, &self.input)?,
            weight: unpack(ctx, &self.weight)?,
        };
        let mut params = self.params.clone();
        // PyTorch infers the groups of a 3-d convolution from the channels.
        if !params.transposed && s.input.dim() > 4 {
            let per_group = s.weight.shape().get(1).copied().unwrap_or(0);
            params.groups = if per_group > 0 {
                s.input.shape().get(1).copied().unwrap_or(0) / per_group
            } else {
                -1
            };
        }
        if params.groups < 1 {
            return Err(RuntimeError::unsupported(
                ctx.node.name(),
                "a convolution without channels",
            ));
        }
        let ggo = self.grad_grad_output(ctx, &s, &params, &gg)?;
        let gw = match &gg[0] {
            Some(ggi) => self.grad_weight(ctx, &s, &params, ggi)?,
            None => None,
        };
        let gi = match &gg[1] {
            Some(ggw) if s.input.numel() != 0 => Some(self.grad_input(ctx, &s, &params, ggw)?),
            _ => None,
        };
        Ok(vec![
            ggo.filter(|_| ctx.needs(0)),
            gi.filter(|_| ctx.needs(1)),
            gw.filter(|_| ctx.needs(2)),
        ])
    }

    fn release_variables(&mut self) {
        release(&mut self.grad_output);
        release(&mut self.input);
        release(&mut self.weight);
    }
}
