//! The steps of the spectral backward formulas that meet complex tensors
//! outside the transforms themselves, for the dispatcher's complex guard
//! ([`crate::kernels::handles_complex`]):
//!
//! * `new_zeros` (FftR2CBackward0's zero-filled full spectrum) and
//!   `transpose_` (`torch.stft`'s `[.., frames, freq]` → `[.., freq,
//!   frames]`, in place) move or fill whole elements, so the real kernels
//!   are right as they are;
//! * `mul_.Scalar` (FftC2RBackward0 doubles the mirrored entries in place)
//!   scales both parts of each complex element by the real scalar here
//!   ([`mul_scalar_`]); with a real `self` it is the real kernel;
//! * `fft_fftfreq`/`fft_rfftfreq` take a complex `dtype=` only to refuse it
//!   with PyTorch's message (its `arange` has no complex kernel).

use super::{KernelCtx, RuntimeError};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;

/// Operators whose real kernel is right for complex operands.
const WHOLE_ELEMENT: &[&str] = &[
    "aten.new_zeros.default",
    "aten.transpose_.default",
    "aten.fft_fftfreq.default",
    "aten.fft_rfftfreq.default",
];

/// Whether the FFT formulas' step `op` handles complex operands.
pub(crate) fn handles(op: &str) -> bool {
    WHOLE_ELEMENT.contains(&op) || lookup(op).is_some()
}

/// The complex kernels of the steps (before the real tables).
pub(crate) fn lookup(op: &str) -> Option<super::Kernel> {
    Some(match op {
        "aten.mul_.Scalar" => mul_scalar_,
        _ => return None,
    })
}

/// `mul_.Scalar(self, other)`: a complex `self` has both parts of every
/// element scaled by the real `other`.
fn mul_scalar_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    if !this.dtype().is_complex() {
        let kernel = crate::kernels::lookup_real(ctx.op)
            .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a CPU kernel"))?;
        return kernel(ctx, a);
    }
    ctx.check(this, "self")?;
    let factor = a.scalar(1)?;
    ctx.write(this, || {
        Ok(this
            .read_f64(ctx.op)?
            .into_iter()
            .map(|v| v * factor)
            .collect())
    })?;
    Ok(vec![this.clone().into()])
}
