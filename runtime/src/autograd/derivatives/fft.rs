//! Derivatives of the spectral transforms.
//!
//! | op | node | saves |
//! |---|---|---|
//! | `_fft_r2c` | FftR2CBackward0 | dim, normalization, onesided, `self.size(dim[-1])` |
//! | `_fft_c2r` | FftC2RBackward0 | dim, normalization |
//! | `_fft_c2c` | FftC2CBackward0 | dim, normalization, forward |
//!
//! `hann_window` has no tensor input, hence no node.

use super::{Derivative, Differentiability, derivative, int, int_list, tensor};
use crate::autograd::functions::fft::{FftC2CBackward0, FftC2RBackward0, FftR2CBackward0};
use crate::error::RuntimeError;
use crate::ivalue::IValue;

fn flag(args: &[IValue], i: usize) -> bool {
    matches!(args.get(i), Some(IValue::Bool(true)))
}

fn dims(args: &[IValue]) -> Result<Vec<i64>, RuntimeError> {
    int_list(args, 1).ok_or_else(|| RuntimeError::autograd("FFT derivative: `dim` is not a list"))
}

pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten._fft_r2c.default" => D(derivative!("FftR2CBackward0", &[0], |a, _| {
            let dim = dims(a)?;
            let this = tensor(a, 0)?;
            let last_dim_size = dim
                .last()
                .and_then(|&d| crate::tensor::strides::wrap_dim(d, this.dim()))
                .map_or(0, |d| this.shape()[d]);
            Ok(Box::new(FftR2CBackward0 {
                dim,
                normalization: int(a, 2),
                onesided: flag(a, 3),
                last_dim_size,
            }))
        })),
        "aten._fft_c2r.default" => D(derivative!("FftC2RBackward0", &[0], |a, _| {
            Ok(Box::new(FftC2RBackward0 {
                dim: dims(a)?,
                normalization: int(a, 2),
            }))
        })),
        "aten._fft_c2c.default" => D(derivative!("FftC2CBackward0", &[0], |a, _| {
            Ok(Box::new(FftC2CBackward0 {
                dim: dims(a)?,
                normalization: int(a, 2),
                forward: flag(a, 3),
            }))
        })),
        _ => return None,
    })
}
