//! Backward of the spectral transforms: FftR2CBackward0, FftC2RBackward0,
//! FftC2CBackward0, each dispatching what PyTorch's formula
//! (`derivatives.yaml`, `fft_r2c_backward` / `fft_c2r_backward` in
//! FunctionsManual.cpp) dispatches, in its order.
//!
//! * `_fft_c2c(self, dim, norm, forward)`: `_fft_c2c(grad, dim, norm, !forward)`
//!   (the adjoint of a DFT is the opposite-direction DFT, same scale).
//! * `_fft_r2c(self, dim, norm, onesided)`: not onesided,
//!   `real(_fft_c2c(grad, dim, norm, false))`; onesided, the dropped half of
//!   the last dimension is zero-filled first (`new_zeros` of the full
//!   shape, `slice` of the kept half, `copy_` of the gradient), then the
//!   same; `real` is `view_as_real` then `select(-1, 0)`.
//! * `_fft_c2r(self, dim, norm, last_dim_size)`:
//!   `gI = _fft_r2c(grad, dim, norm, true)`, and the entries whose mirror
//!   image lies outside the onesided half (`1 .. n − (n/2 + 1)`, via
//!   `narrow` = `slice`) are doubled in place (`mul_(2)`).

use super::single;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    rt.dispatch(op, args)?
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

fn fft_c2c(rt: &mut Runtime, x: &Tensor, dim: &[i64], norm: i64, forward: bool) -> Result<Tensor> {
    call1(
        rt,
        "aten._fft_c2c.default",
        vec![
            x.into(),
            dim.into(),
            IValue::Int(norm),
            IValue::Bool(forward),
        ],
    )
}

fn slice(rt: &mut Runtime, x: &Tensor, dim: i64, start: i64, end: i64) -> Result<Tensor> {
    call1(
        rt,
        "aten.slice.Tensor",
        vec![
            x.into(),
            IValue::Int(dim),
            IValue::Int(start),
            IValue::Int(end),
            IValue::Int(1),
        ],
    )
}

/// `at::real(t)` of a complex tensor: `view_as_real(t).select(-1, 0)`,
/// the dimension recorded wrapped (as PyTorch's `select` receives it). A
/// conjugate view (the gradient of a real tensor cast to complex and
/// conjugated, as `fft.hfft` does) is resolved by `_conj` first, its real
/// part being the same; the `real-of-conj-unresolved` fault hands it to
/// `view_as_real` as is, which refuses it.
pub(crate) fn real(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    if t.is_conj() && !rt.faults().real_of_conj_unresolved {
        return super::complex::part(rt, t, 0);
    }
    let parts = call1(rt, "aten.view_as_real.default", vec![t.into()])?;
    let last = parts.dim() as i64 - 1;
    call1(
        rt,
        "aten.select.int",
        vec![(&parts).into(), IValue::Int(last), IValue::Int(0)],
    )
}

/// The last of `dim`, wrapped for a tensor of `rank` dimensions.
fn last_dim(dim: &[i64], rank: usize) -> Result<usize> {
    dim.last()
        .and_then(|&d| crate::tensor::strides::wrap_dim(d, rank))
        .ok_or_else(|| RuntimeError::autograd(format!("FFT backward: bad dims {dim:?}")))
}

/// `_fft_c2c(self, dim, normalization, forward)`.
pub(crate) struct FftC2CBackward0 {
    pub(crate) dim: Vec<i64>,
    pub(crate) normalization: i64,
    pub(crate) forward: bool,
}

impl BackwardFn for FftC2CBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let gi = fft_c2c(ctx.rt, &g, &self.dim, self.normalization, !self.forward)?;
        Ok(vec![Some(gi)])
    }
}

/// `_fft_r2c(self, dim, normalization, onesided)`; `last_dim_size` is
/// `self.size(dim[-1])`.
pub(crate) struct FftR2CBackward0 {
    pub(crate) dim: Vec<i64>,
    pub(crate) normalization: i64,
    pub(crate) onesided: bool,
    pub(crate) last_dim_size: i64,
}

impl BackwardFn for FftR2CBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let rt = &mut *ctx.rt;
        if !self.onesided {
            let full = fft_c2c(rt, &g, &self.dim, self.normalization, false)?;
            return Ok(vec![Some(real(rt, &full)?)]);
        }
        if rt.faults().fft_r2c_backward_no_onesided_fix {
            let gi = call1(
                rt,
                "aten._fft_c2r.default",
                vec![
                    (&g).into(),
                    self.dim.as_slice().into(),
                    IValue::Int(self.normalization),
                    IValue::Int(self.last_dim_size),
                ],
            )?;
            return Ok(vec![Some(gi)]);
        }
        let last = last_dim(&self.dim, g.dim())?;
        let half = g.shape()[last];
        let full = if self.last_dim_size - half > 0 {
            let mut shape = g.shape().to_vec();
            shape[last] = self.last_dim_size;
            let zeros = call1(
                rt,
                "aten.new_zeros.default",
                vec![(&g).into(), shape.into()],
            )?;
            let kept = slice(rt, &zeros, last as i64, 0, half)?;
            call1(rt, "aten.copy_.default", vec![kept.into(), (&g).into()])?;
            zeros
        } else {
            g
        };
        let transformed = fft_c2c(rt, &full, &self.dim, self.normalization, false)?;
        Ok(vec![Some(real(rt, &transformed)?)])
    }
}

/// `_fft_c2r(self, dim, normalization, last_dim_size)`.
pub(crate) struct FftC2RBackward0 {
    pub(crate) dim: Vec<i64>,
    pub(crate) normalization: i64,
}

impl BackwardFn for FftC2RBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let rt = &mut *ctx.rt;
        let gi = call1(
            rt,
            "aten._fft_r2c.default",
            vec![
                (&g).into(),
                self.dim.as_slice().into(),
                IValue::Int(self.normalization),
                IValue::Bool(true),
            ],
        )?;
        let last = last_dim(&self.dim, g.dim())?;
        let double_length = g.shape()[last] - gi.shape()[last];
        if double_length > 0 {
            let back = *self.dim.last().unwrap_or(&(last as i64));
            let inner = slice(rt, &gi, back, 1, 1 + double_length)?;
            call1(rt, "aten.mul_.Scalar", vec![inner.into(), IValue::Int(2)])?;
        }
        Ok(vec![Some(gi)])
    }
}
