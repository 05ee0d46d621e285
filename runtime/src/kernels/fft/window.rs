//! The window functions `torch.stft` front ends and filter designs pass:
//! `hann_window`, `hamming_window`, `blackman_window`, `bartlett_window`
//! and `kaiser_window`, every overload (`periodic`, `alpha`, `beta`).
//!
//! PyTorch builds each from `arange` with in-place operators in the
//! window's dtype (float32, float64, float16, bfloat16; the reduced ones
//! through float opmath, rounded after each operator), for `N =
//! window_length + 1` when periodic (the last point dropped), else `N =
//! window_length`; a window of length 1 is `[1]`, of length 0 empty:
//!
//! * Hamming (`α = 0.54, β = 0.46`; Hann is `α = β = ½`): `arange`,
//!   `mul_(2π/(N − 1))`, `cos_`, `mul_(−β)`, `add_(α)`.
//! * Blackman: `x = arange · π/(N − 1)`, then
//!   `cos(4x)·0.08 − cos(2x)·0.5 + 0.42`, one operator at a time.
//! * Bartlett: `arange · 2/(N − 1)`, the points from `(N − 1)/2 + 1` on
//!   mapped to `2 − x` (`mul_(−1)`, `add_(2)`).
//! * Kaiser (`β = 12` by default): in opmath,
//!   `I0(β·sqrt(|1 − ((j − a)/a)²|)) / I0(β)` with `a = (N − 1)/2` and
//!   Cephes' `I0` of that precision.

use super::{KernelCtx, RuntimeError};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::elementwise::special::cephes;
use crate::kernels::factory::options_dtype;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;

/// A window's formula with its parameters.
#[derive(Clone, Copy)]
enum Window {
    /// `α − β·cos(2πj/(N − 1))`.
    Hamming {
        alpha: f64,
        beta: f64,
    },
    Blackman,
    Bartlett,
    Kaiser {
        beta: f64,
    },
}

/// Arithmetic in a window dtype's opmath: float64 in double, the others
/// in float with the number first rounded to the dtype (TensorIterator
/// casts a wrapped number to the common dtype), each result rounded to the
/// dtype.
#[derive(Clone, Copy)]
struct Opmath(DType);

impl Opmath {
    fn round(self, v: f64) -> f64 {
        cast_value(self.0, v)
    }

    fn apply(self, x: f64, f64_op: impl Fn(f64) -> f64, f32_op: impl Fn(f32) -> f32) -> f64 {
        if self.0 == DType::Float64 {
            f64_op(x)
        } else {
            self.round(f64::from(f32_op(x as f32)))
        }
    }

    fn mul(self, x: f64, s: f64) -> f64 {
        let sr = self.round(s) as f32;
        self.apply(x, |v| v * s, |v| v * sr)
    }

    fn add(self, x: f64, s: f64) -> f64 {
        let sr = self.round(s) as f32;
        self.apply(x, |v| v + s, |v| v + sr)
    }

    fn sub(self, x: f64, y: f64) -> f64 {
        self.apply(x, |v| v - y, |v| v - y as f32)
    }

    fn cos(self, x: f64) -> f64 {
        self.apply(x, f64::cos, f32::cos)
    }
}

impl Window {
    /// Element `j` of the window of `n` points (`N` above).
    fn value(self, m: Opmath, j: usize, n: usize) -> f64 {
        let x = m.round(j as f64);
        let span = (n - 1) as f64;
        match self {
            Window::Hamming { alpha, beta } => {
                let c = m.cos(m.mul(x, std::f64::consts::PI * 2.0 / span));
                m.add(m.mul(c, -beta), alpha)
            }
            Window::Blackman => {
                let x = m.mul(x, std::f64::consts::PI / span);
                let a = m.mul(m.cos(m.mul(x, 4.0)), 0.08);
                let b = m.mul(m.cos(m.mul(x, 2.0)), 0.5);
                m.add(m.sub(a, b), 0.42)
            }
            Window::Bartlett => {
                let x = m.mul(x, 2.0 / span);
                if j > (n - 1) >> 1 { m.add(-x, 2.0) } else { x }
            }
            Window::Kaiser { beta } => {
                if m.0 == DType::Float64 {
                    let a = span / 2.0;
                    let t = (x - a) / a;
                    cephes::i0(beta * (1.0 - t * t).abs().sqrt()) / cephes::i0(beta)
                } else {
                    let a = (span / 2.0) as f32;
                    let beta = beta as f32;
                    let t = (x as f32 - a) / a;
                    let v =
                        cephes::i0_f32(beta * (1.0 - t * t).abs().sqrt()) / cephes::i0_f32(beta);
                    m.round(f64::from(v))
                }
            }
        }
    }

    /// The function's name in PyTorch's messages.
    fn name(self) -> &'static str {
        match self {
            Window::Hamming { .. } => "hamming_window",
            Window::Blackman => "blackman_window",
            Window::Bartlett => "bartlett_window",
            Window::Kaiser { .. } => "kaiser_window",
        }
    }
}

/// The window an overload asks for, whether it is periodic, and where its
/// dtype argument is.
fn parse(op: &str, a: &Args<'_>) -> Result<(Window, bool, usize)> {
    let base = op.strip_prefix("aten.").unwrap_or(op);
    let (name, overload) = base.split_once('.').unwrap_or((base, "default"));
    let (periodic, mut at) = match overload {
        "default" => (true, 1),
        _ => (a.bool(1)?, 2),
    };
    let window = match name {
        "hann_window" => Window::Hamming {
            alpha: 0.5,
            beta: 0.5,
        },
        "hamming_window" => {
            let mut alpha = 0.54;
            let mut beta = 0.46;
            if matches!(overload, "periodic_alpha" | "periodic_alpha_beta") {
                alpha = a.scalar(at)?;
                at += 1;
            }
            if overload == "periodic_alpha_beta" {
                beta = a.scalar(at)?;
                at += 1;
            }
            Window::Hamming { alpha, beta }
        }
        "blackman_window" => Window::Blackman,
        "bartlett_window" => Window::Bartlett,
        "kaiser_window" => {
            let mut beta = 12.0;
            if overload == "beta" {
                beta = a.scalar(at)?;
                at += 1;
            }
            Window::Kaiser { beta }
        }
        _ => return Err(RuntimeError::unsupported(op, "window function")),
    };
    Ok((window, periodic, at))
}

/// Every overload of the five window functions.
pub(crate) fn window(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let length = a.int(0)?;
    let (window, periodic, options_at) = parse(ctx.op, &a)?;
    let periodic = periodic && !ctx.faults.symmetric_windows;
    let name = if ctx.op.starts_with("aten.hann_window") {
        "hann_window"
    } else {
        window.name()
    };
    let dtype = options_dtype(ctx, &a, options_at, options_at + 1, ctx.default_dtype)?;
    if !dtype.is_floating() {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "{name} expects floating point dtypes, got: {}",
                dtype.name()
            ),
        });
    }
    if length < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{name} requires non-negative window_length, got window_length={length}"),
        ));
    }
    let len = length as usize;
    let m = Opmath(dtype);
    let out = ctx.output(&[length], &[1], dtype, || {
        crate::tensor::check_alloc(ctx.op, len)?;
        if len == 1 {
            return Ok(vec![1.0]);
        }
        let n = if periodic { len + 1 } else { len };
        Ok((0..len).map(|j| window.value(m, j, n)).collect())
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::{Opmath, Window};
    use crate::tensor::dtype::DType;

    fn values(w: Window, dtype: DType, len: usize, periodic: bool) -> Vec<f64> {
        let n = if periodic { len + 1 } else { len };
        (0..len).map(|j| w.value(Opmath(dtype), j, n)).collect()
    }

    fn close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= tol, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn windows_match_torch() {
        // torch 2.15, float64.
        let hamming = Window::Hamming {
            alpha: 0.54,
            beta: 0.46,
        };
        close(
            &values(hamming, DType::Float64, 5, true),
            &[
                0.08000000000000002,
                0.3978521825875242,
                0.9121478174124757,
                0.912147817412476,
                0.3978521825875243,
            ],
            1e-15,
        );
        close(
            &values(Window::Blackman, DType::Float64, 5, false),
            &[0.0, 0.33999999999999997, 1.0, 0.3400000000000001, 0.0],
            1e-15,
        );
        close(
            &values(Window::Bartlett, DType::Float64, 6, true),
            &[
                0.0,
                0.3333333333333333,
                0.6666666666666666,
                1.0,
                0.6666666666666667,
                0.3333333333333335,
            ],
            1e-15,
        );
        close(
            &values(Window::Kaiser { beta: 12.0 }, DType::Float64, 5, true),
            &[
                5.2773441320097665e-05,
                0.10171968770956323,
                0.7929398341014605,
                0.7929398341014605,
                0.10171968770956323,
            ],
            1e-15,
        );
        // bfloat16 rounds after every operator: torch.hamming_window(4, dtype=torch.bfloat16).
        close(
            &values(hamming, DType::BFloat16, 4, true),
            &[0.078125, 0.5390625, 1.0, 0.53515625],
            0.0,
        );
        // float32 Kaiser through float opmath: kaiser_window(6, False, 5.0).
        close(
            &values(Window::Kaiser { beta: 5.0 }, DType::Float32, 6, false),
            &[
                0.036710888147354126,
                0.41490358114242554,
                0.9138122797012329,
                0.9138122797012329,
                0.41490358114242554,
                0.036710888147354126,
            ],
            1e-7,
        );
    }
}
