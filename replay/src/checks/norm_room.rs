//! How far apart two correct kernels may leave batch normalisation and
//! SiLU's gradient, where their results cancel.
//!
//! Batch norm's backward is `(dy − Σdy/N − (x − m)·k)·s·w` per element with
//! `k = Σ((x − m)·dy)·s²/N` per channel (`m` the mean, `s` the inverse
//! standard deviation, `N` the elements per channel). PyTorch's CPU kernel
//! adds the two channel sums in float (per thread buffers, vector lanes)
//! and evaluates the chain in float with fused multiply-adds; the runtime
//! in double. When the three terms cancel (two samples per channel, a 1×1
//! map: `x̂ = ±1` and the gradient is `~eps/var` of its terms) the result is
//! far below the rounding of its terms, so `assert_close`'s tolerance,
//! relative to the result, does not cover two correct orders.
//!
//! The bound, by Higham's analysis (§3.1, §3.3) of each step: the sums lie
//! within `γ_{N+1}·Σ|dy|` and `γ_{N+3}·Σ|x − m|·|dy|` of the exact ones;
//! the scalars `Σdy/N` and `k` add a few roundings; the chain's four
//! roundings are relative to its terms `|dy| + Σ|dy|/N + |x − m|·s²·Σ|x − m||dy|/N`.
//! With `γ_{N+8}` covering all of them, an element's error is within
//! `γ_{N+8}·s·|w|·(|dy| + Σ|dy|/N + |x − m|·s²·Σ|x − m||dy|/N)` of the exact
//! value, and two correct kernels within twice that. `grad_weight = Σ(x −
//! m)·dy·s` gets `2·γ_{N+4}·s·Σ|x − m||dy|`, `grad_bias = Σdy`
//! `2·γ_{N+1}·Σ|dy|`. In evaluation the gradient is `dy·s·w` (`s` from the
//! running variance): `2·γ₄·|dy|·s·|w|`.
//!
//! The forward `(x − m)·s·w + b`, computed by PyTorch as `x·α + β` with
//! `α = s·w`, `β = b − m·α`, cancels where `y ≈ 0`; in training `m` and `s`
//! are themselves sums over the channel. With the exact statistics `m`,
//! `v`: `|Δm| ≤ γ_{N+1}·Σ|x|/N`, `|Δv| ≤ γ_{N+4}·(v + Δm²) + Δm²`,
//! `|Δs| ≤ s̄³·|Δv|/2 + γ₃·s̄` (`s̄` the inverse deviation at `v − |Δv|`),
//! and the element within `|w|·(|x − m|·|Δs| + s̄·|Δm|) + γ₄·(|x|·s̄·|w| +
//! |m|·s̄·|w| + |b|)`; twice that for two kernels.
//!
//! `silu_backward = g·σ·(1 + x·(1 − σ))` cancels near `x ≈ −1.28`. PyTorch
//! evaluates it in float with a vectorised `exp` within one ulp (`2u`): `σ`
//! is within `γ₄·σ`, `1 − σ` within `γ₄·σ + u·|1 − σ|`, and the element
//! within `γ₆·|g|·σ·(2·|c| + |x|·(σ + 2·|1 − σ|))` (`c = 1 + x·(1 − σ)`),
//! twice that for two kernels.
//!
//! Each bound is rigorous, so it never excuses more than a correct kernel
//! may differ: a wrong kernel (a missing mean term, a wrong `k`, a wrong
//! sign) errs by a whole term, orders of magnitude beyond `γ` of the terms
//! (the tests below show it).

use ft_trace::{OpCall, TensorRef, Value};

/// Whether `op` gets a room from this module.
pub fn is_normalisation(op: &str) -> bool {
    matches!(
        op,
        "aten.native_batch_norm.default"
            | "aten.native_batch_norm_backward.default"
            | "aten.silu_backward.default"
    )
}

/// The per-element room of output `k` of `call`, in row-major order of
/// the output; `None` when `call` is not one of [`is_normalisation`]'s, the
/// output is not a room-bearing one (batch norm's saved statistics) or an
/// input's value is not known (`value` gives a tensor's elements,
/// row-major).
pub fn room(
    call: &OpCall,
    k: usize,
    value: impl Fn(&TensorRef) -> Option<Vec<f64>>,
) -> Option<Vec<f64>> {
    let out = call.outputs.iter().flat_map(Value::tensors).nth(k)?;
    let u = match out.dtype.as_str() {
        "float64" => f64::EPSILON / 2.0,
        "float32" | "float16" | "bfloat16" => f64::from(f32::EPSILON) / 2.0,
        _ => return None,
    };
    let arg = |name: &str| {
        call.args
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    };
    let tensor_arg = |name: &str| match arg(name)? {
        Value::Tensor(t) => Some(t),
        _ => None,
    };
    // An optional per-channel tensor's values (`None` when absent, a failed
    // read aborts the room).
    let optional = |name: &str, channels: usize| -> Option<Option<Vec<f64>>> {
        match arg(name) {
            None | Some(Value::None) => Some(None),
            Some(Value::Tensor(t)) => {
                let v = value(t)?;
                (v.len() == channels).then_some(Some(v))
            }
            Some(_) => None,
        }
    };
    let float = |name: &str| match arg(name)? {
        Value::Float(x) => Some(*x),
        Value::Int(x) => Some(*x as f64),
        _ => None,
    };
    let flag = |name: &str| match arg(name)? {
        Value::Bool(b) => Some(*b),
        _ => None,
    };
    match call.op.as_str() {
        "aten.silu_backward.default" => {
            let (g, x) = (tensor_arg("grad_output")?, tensor_arg("self")?);
            if k != 0 || g.shape != x.shape || out.shape != x.shape {
                return None;
            }
            let (g, x) = (value(g)?, value(x)?);
            (g.len() == x.len()).then(|| silu_backward_room(&g, &x, u))
        }
        "aten.native_batch_norm.default" => {
            if k != 0 {
                return None;
            }
            let x = tensor_arg("input")?;
            let plane = Plane::of(x)?;
            let xs = value(x)?;
            if xs.len() != plane.numel() || out.shape != x.shape {
                return None;
            }
            let c = plane.channels;
            let stats = if flag("training")? {
                None
            } else {
                Some((optional("running_mean", c)??, optional("running_var", c)??))
            };
            let params = (optional("weight", c)?, optional("bias", c)?);
            Some(forward_room(&plane, &xs, stats, params, float("eps")?, u))
        }
        "aten.native_batch_norm_backward.default" => {
            let (g, x) = (tensor_arg("grad_out")?, tensor_arg("input")?);
            let plane = Plane::of(x)?;
            let (gs, xs) = (value(g)?, value(x)?);
            if g.shape != x.shape || xs.len() != plane.numel() || gs.len() != xs.len() {
                return None;
            }
            let c = plane.channels;
            let (mean, invstd) = if flag("train")? {
                (optional("save_mean", c)??, optional("save_invstd", c)??)
            } else {
                let eps = float("eps")?;
                let var = optional("running_var", c)??;
                (
                    optional("running_mean", c)??,
                    var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect(),
                )
            };
            let weight = optional("weight", c)?;
            let stats = BackwardStats {
                mean: &mean,
                invstd: &invstd,
                weight: weight.as_deref(),
                train: flag("train")?,
            };
            backward_room(&plane, &gs, &xs, &stats, k, u)
        }
        _ => None,
    }
}

/// A batch norm input `(N, C, *)`: channels and elements per channel.
struct Plane {
    channels: usize,
    /// Elements of one channel within one sample (the product of `*`).
    inner: usize,
    batch: usize,
}

impl Plane {
    fn of(x: &TensorRef) -> Option<Plane> {
        let dims: Vec<usize> = x
            .shape
            .iter()
            .map(|&d| usize::try_from(d).ok())
            .collect::<Option<_>>()?;
        match dims.as_slice() {
            [batch, channels, rest @ ..] if *channels > 0 => Some(Plane {
                channels: *channels,
                inner: rest.iter().product(),
                batch: *batch,
            }),
            _ => None,
        }
    }

    fn numel(&self) -> usize {
        self.batch * self.channels * self.inner
    }

    /// Elements per channel.
    fn count(&self) -> usize {
        self.batch * self.inner
    }

    fn channel(&self, i: usize) -> usize {
        (i / self.inner.max(1)) % self.channels
    }
}

/// `γ_n = n·u / (1 − n·u)`, infinite once `n·u` reaches 1.
fn gamma(n: usize, u: f64) -> f64 {
    let nu = n as f64 * u;
    if nu < 1.0 {
        nu / (1.0 - nu)
    } else {
        f64::INFINITY
    }
}

/// The room of `silu_backward(g, x)` per element (module docs).
fn silu_backward_room(g: &[f64], x: &[f64], u: f64) -> Vec<f64> {
    let factor = 2.0 * gamma(6, u);
    g.iter()
        .zip(x)
        .map(|(&g, &x)| {
            let sigma = 1.0 / (1.0 + (-x).exp());
            let c = 1.0 + x * (1.0 - sigma);
            factor * g.abs() * sigma * (2.0 * c.abs() + x.abs() * (sigma + 2.0 * (1.0 - sigma)))
        })
        .collect()
}

/// The room of batch norm's output (module docs); `stats` holds the
/// running statistics in evaluation, `None` in training.
fn forward_room(
    plane: &Plane,
    xs: &[f64],
    stats: Option<(Vec<f64>, Vec<f64>)>,
    (weight, bias): (Option<Vec<f64>>, Option<Vec<f64>>),
    eps: f64,
    u: f64,
) -> Vec<f64> {
    let channels = plane.channels;
    let n = plane.count();
    // Per channel: the mean, its error, the inverse deviation's upper
    // bound and its error.
    let (mean, dmean, invstd, dinvstd): (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) = match stats {
        Some((running_mean, running_var)) => {
            let s: Vec<f64> = running_var
                .iter()
                .map(|v| 1.0 / (v + eps).max(0.0).sqrt())
                .collect();
            let ds = s.iter().map(|s| gamma(3, u) * s).collect();
            (running_mean, vec![0.0; channels], s, ds)
        }
        None => {
            let mut sum = vec![0.0; channels];
            let mut abs = vec![0.0; channels];
            for (i, x) in xs.iter().enumerate() {
                sum[plane.channel(i)] += x;
                abs[plane.channel(i)] += x.abs();
            }
            let count = n.max(1) as f64;
            let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
            let mut sq = vec![0.0; channels];
            for (i, x) in xs.iter().enumerate() {
                let d = x - mean[plane.channel(i)];
                sq[plane.channel(i)] += d * d;
            }
            let dmean: Vec<f64> = abs.iter().map(|a| gamma(n + 1, u) * a / count).collect();
            let mut s = Vec::with_capacity(channels);
            let mut ds = Vec::with_capacity(channels);
            for c in 0..channels {
                let var = sq[c] / count;
                let dvar = gamma(n + 4, u) * (var + dmean[c] * dmean[c]) + dmean[c] * dmean[c];
                let upper = 1.0 / ((var - dvar).max(0.0) + eps).sqrt();
                s.push(upper);
                ds.push(upper.powi(3) * dvar / 2.0 + gamma(3, u) * upper);
            }
            (mean, dmean, s, ds)
        }
    };
    let g4 = gamma(4, u);
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let c = plane.channel(i);
            let w = weight.as_ref().map_or(1.0, |w| w[c]).abs();
            let b = bias.as_ref().map_or(0.0, |b| b[c]).abs();
            let (m, s) = (mean[c], invstd[c]);
            let own = w * ((x - m).abs() * dinvstd[c] + s * dmean[c])
                + g4 * (x.abs() * s * w + m.abs() * s * w + b);
            2.0 * own
        })
        .collect()
}

/// The per-channel statistics a batch norm backward is given.
struct BackwardStats<'a> {
    mean: &'a [f64],
    invstd: &'a [f64],
    weight: Option<&'a [f64]>,
    train: bool,
}

/// The room of output `k` of batch norm's backward (module docs).
fn backward_room(
    plane: &Plane,
    gs: &[f64],
    xs: &[f64],
    stats: &BackwardStats<'_>,
    k: usize,
    u: f64,
) -> Option<Vec<f64>> {
    let channels = plane.channels;
    if stats.mean.len() != channels || stats.invstd.len() != channels {
        return None;
    }
    let n = plane.count();
    let mut abs_g = vec![0.0; channels];
    let mut abs_gx = vec![0.0; channels];
    for (i, (g, x)) in gs.iter().zip(xs).enumerate() {
        let c = plane.channel(i);
        abs_g[c] += g.abs();
        abs_gx[c] += g.abs() * (x - stats.mean[c]).abs();
    }
    let s = |c: usize| stats.invstd[c].abs();
    match k {
        0 => {
            let count = n.max(1) as f64;
            let factor = 2.0 * gamma(n + 8, u);
            let eval = 2.0 * gamma(4, u);
            Some(
                gs.iter()
                    .zip(xs)
                    .enumerate()
                    .map(|(i, (g, x))| {
                        let c = plane.channel(i);
                        let w = stats.weight.map_or(1.0, |w| w[c]).abs();
                        if stats.train {
                            let terms = g.abs()
                                + abs_g[c] / count
                                + (x - stats.mean[c]).abs() * s(c) * s(c) * abs_gx[c] / count;
                            factor * s(c) * w * terms
                        } else {
                            eval * g.abs() * s(c) * w
                        }
                    })
                    .collect(),
            )
        }
        1 => Some(
            (0..channels)
                .map(|c| 2.0 * gamma(n + 4, u) * s(c) * abs_gx[c])
                .collect(),
        ),
        2 => Some(abs_g.iter().map(|a| 2.0 * gamma(n + 1, u) * a).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32r(x: f64) -> f64 {
        f64::from(x as f32)
    }

    /// Two samples of one channel on a 1×1 map: PyTorch's float chain
    /// (fused as its kernel is) against the exact gradient, within the
    /// room; the gradient without its mean term is far outside it.
    #[test]
    fn cancelling_batch_norm_gradient_is_within_the_room_and_a_wrong_one_is_not() {
        let plane = Plane {
            channels: 1,
            inner: 1,
            batch: 2,
        };
        let xs = [0.731_f64, -0.244];
        let gs = [1.5e5_f64, -2.25e5];
        let eps = 1e-5;
        let m = (xs[0] + xs[1]) / 2.0;
        let var = ((xs[0] - m).powi(2) + (xs[1] - m).powi(2)) / 2.0;
        let s = 1.0 / (var + eps).sqrt();
        let n = 2.0;
        let sum = gs[0] + gs[1];
        let dot = (xs[0] - m) * gs[0] + (xs[1] - m) * gs[1];
        let exact: Vec<f64> = (0..2)
            .map(|i| (gs[i] - sum / n - (xs[i] - m) * dot * s * s / n) * s)
            .collect();
        let (mf, sf) = (f32r(m), f32r(s));
        let kf = f32r(f32r(f32r(f32r(dot) * sf) * sf) / n);
        let gm = f32r(f32r(sum) / n);
        let torch: Vec<f64> = (0..2)
            .map(|i| {
                let t1 = f32r(gs[i] - gm);
                f32r(t1 - f32r(xs[i] - mf) * kf) * sf
            })
            .map(f32r)
            .collect();
        let stats = BackwardStats {
            mean: &[mf],
            invstd: &[sf],
            weight: None,
            train: true,
        };
        let u = f64::from(f32::EPSILON) / 2.0;
        let room =
            backward_room(&plane, &gs, &xs, &stats, 0, u).expect("one channel of statistics");
        for i in 0..2 {
            let diff = (torch[i] - exact[i]).abs();
            // The float result differs from the exact one by far more than
            // assert_close's float32 tolerance allows…
            assert!(diff > 1e-5 + 1.3e-6 * exact[i].abs(), "{diff}");
            // …but within the room.
            assert!(diff <= room[i], "{diff} > {}", room[i]);
            let wrong = exact[i] + sum / n * s;
            assert!((wrong - torch[i]).abs() > 100.0 * room[i]);
        }
    }

    #[test]
    fn silu_backward_room_covers_float_near_its_root_but_not_a_wrong_sign() {
        let u = f64::from(f32::EPSILON) / 2.0;
        let xs: Vec<f64> = (0..200).map(|i| -1.30 + 0.0002 * f64::from(i)).collect();
        let gs = vec![3.0e4; xs.len()];
        let room = silu_backward_room(&gs, &xs, u);
        for ((&x, &g), r) in xs.iter().zip(&gs).zip(room) {
            let x32 = x as f32;
            let sig = 1.0 / (1.0 + (-x32).exp());
            let torch = f64::from(g as f32 * sig * (1.0 + x32 * (1.0 - sig)));
            let sigma = 1.0 / (1.0 + (-f64::from(x32)).exp());
            let exact = g * sigma * (1.0 + f64::from(x32) * (1.0 - sigma));
            assert!(
                (torch - exact).abs() <= r,
                "x {x}: {torch} vs {exact}, room {r}"
            );
            let wrong = g * sigma * (1.0 - f64::from(x32) * (1.0 - sigma));
            assert!((wrong - torch).abs() > 100.0 * r);
        }
    }

    #[test]
    fn batch_norm_forward_room_covers_float_statistics() {
        let plane = Plane {
            channels: 1,
            inner: 1,
            batch: 2,
        };
        let xs = [0.3_f64, 0.3 + 3e-3];
        let u = f64::from(f32::EPSILON) / 2.0;
        let room = forward_room(&plane, &xs, None, (None, None), 1e-5, u);
        let m = f32r((xs[0] + xs[1]) / 2.0);
        let var = f32r(((xs[0] - m).powi(2) + (xs[1] - m).powi(2)) / 2.0);
        let s = f32r(1.0 / (var + 1e-5).sqrt());
        let exact_m = (xs[0] + xs[1]) / 2.0;
        let exact_s = 1.0 / ((xs[0] - exact_m).powi(2) + 1e-5).sqrt();
        for i in 0..2 {
            let torch = f32r(xs[i] * s + f32r(-m * s));
            let exact = (xs[i] - exact_m) * exact_s;
            assert!((torch - exact).abs() <= room[i]);
            // Without the mean the output is off by a whole term.
            assert!((xs[i] * exact_s - torch).abs() > 100.0 * room[i]);
        }
    }
}
