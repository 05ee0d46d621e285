//! How far apart two correct FFTs may leave a discrete Fourier transform.
//!
//! `_fft_r2c`, `_fft_c2r` and `_fft_c2c` compute `y_k = s·Σⱼ x_j·ω^{jk}`
//! (`|ω| = 1`, `s` the normalization) over each signal slice (the
//! transformed dimensions at one batch index). PyTorch's CPU kernel
//! (MKL or pocketfft: mixed radix, Bluestein for large prime factors) and
//! the runtime's (double precision) evaluate it in different orders, and
//! each order rounds differently.
//!
//! The bound: every output of the transform is a sum of `N` products of
//! inputs by roots of unity, so, evaluated in any order with twiddles
//! correct to `u`, it lies within `γ_{N+2}·√2·Σ|x_j|` of the exact sum
//! (Higham §3.1 for the sum; `√2` for a complex product's error relative
//! to the product of the moduli, the `+2` for the twiddle and the scaling
//! roundings). A fast transform reaches `y_k` through `⌈log₂ N⌉` stages of
//! butterflies instead, and the classical FFT analysis (Higham §24.1) gives
//! each stage a relative error `η = u + γ₄(√2 + u)` over values whose
//! moduli are bounded by `Σ|x_j|`; at small `N` that is the larger term.
//! The room of output `k` is twice the sum of both (two correct results
//! each within the bound of the exact one):
//! `2·√2·(γ_{N+2} + ⌈log₂ N⌉·η)·s·Σ_slice|x_j|`. For `_fft_c2r` the
//! slice's full spectrum is the onesided half and its mirror image, so
//! its `Σ|x|` is at most twice the half's.
//!
//! A wrong transform (a conjugated twiddle, a missing scale, a dropped
//! term) errs by a whole term `~|x_j|`, which at any size this check meets
//! is orders of magnitude beyond `~N·u·Σ|x|`; the tests below show it.

use ft_trace::{OpCall, TensorRef, Value};

/// Whether `op` is a transform that gets this room.
pub fn is_transform(op: &str) -> bool {
    matches!(
        op,
        "aten._fft_r2c.default" | "aten._fft_c2r.default" | "aten._fft_c2c.default"
    )
}

/// The per-element room of output `k` of a transform, in row-major order
/// of the output; `None` when `call` is not one or its input's value is
/// not known (`value` gives a tensor's elements row-major, complex ones as
/// interleaved parts).
pub fn room(
    call: &OpCall,
    k: usize,
    value: impl Fn(&TensorRef) -> Option<Vec<f64>>,
) -> Option<Vec<f64>> {
    if k != 0 || !is_transform(&call.op) {
        return None;
    }
    let arg = |name: &str| {
        call.args
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    };
    let input = match arg("self")? {
        Value::Tensor(t) => t,
        _ => return None,
    };
    let out = call.outputs.iter().flat_map(Value::tensors).next()?;
    let u = match out.dtype.as_str() {
        "float64" | "complex128" => f64::EPSILON / 2.0,
        "float32" | "complex64" => f64::from(f32::EPSILON) / 2.0,
        _ => return None,
    };
    let rank = input.shape.len();
    let dims: Vec<usize> = match arg("dim")? {
        Value::List(items) => items
            .iter()
            .map(|v| match v {
                Value::Int(d) => {
                    let d = if *d < 0 { d + rank as i64 } else { *d };
                    usize::try_from(d).ok().filter(|&d| d < rank)
                }
                _ => None,
            })
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let normalization = match arg("normalization")? {
        Value::Int(n) => *n,
        _ => return None,
    };
    let c2r = call.op.as_str() == "aten._fft_c2r.default";
    let in_shape = usizes(&input.shape)?;
    let out_shape = usizes(&out.shape)?;
    if out_shape.len() != rank {
        return None;
    }
    // The signal's length: the output's for c2r (its last_dim_size), the
    // input's otherwise.
    let signal = if c2r { &out_shape } else { &in_shape };
    let n: usize = dims.iter().map(|&d| signal[d]).product();
    let values = value(input)?;
    let moduli: Vec<f64> = if input.dtype.starts_with("complex") {
        values.chunks_exact(2).map(|p| p[0].hypot(p[1])).collect()
    } else {
        values.iter().map(|v| v.abs()).collect()
    };
    if moduli.len() != in_shape.iter().product::<usize>() {
        return None;
    }
    let mut sums = slice_sums(&in_shape, &dims, &moduli);
    if c2r {
        sums.iter_mut().for_each(|s| *s *= 2.0);
    }
    let scale = match normalization {
        0 => 1.0,
        1 => 1.0 / (n.max(1) as f64).sqrt(),
        2 => 1.0 / n.max(1) as f64,
        _ => return None,
    };
    let factor = bound(n, u) * scale;
    Some(
        batch_indices(&out_shape, &dims)
            .map(|b| sums.get(b).map_or(f64::INFINITY, |s| factor * s))
            .collect(),
    )
}

/// `2·√2·(γ_{N+2} + ⌈log₂ N⌉·η)`, `η = u + γ₄(√2 + u)` (module docs).
fn bound(n: usize, u: f64) -> f64 {
    let stages = f64::from(usize::BITS - n.max(1).saturating_sub(1).leading_zeros());
    let eta = u + gamma(4, u) * (std::f64::consts::SQRT_2 + u);
    2.0 * std::f64::consts::SQRT_2 * (gamma(n + 2, u) + stages * eta)
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

fn usizes(shape: &[i64]) -> Option<Vec<usize>> {
    shape.iter().map(|&d| usize::try_from(d).ok()).collect()
}

/// The row-major batch index (over the dimensions not in `dims`) of every
/// element of `shape`, in row-major order.
fn batch_indices<'a>(shape: &'a [usize], dims: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    let rank = shape.len();
    let mut batch_strides = vec![0usize; rank];
    let mut size = 1;
    for d in (0..rank).rev() {
        if !dims.contains(&d) {
            batch_strides[d] = size;
            size *= shape[d];
        }
    }
    let count: usize = shape.iter().product();
    let mut index = vec![0usize; rank];
    (0..count).map(move |i| {
        if i > 0 {
            for d in (0..rank).rev() {
                index[d] += 1;
                if index[d] < shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        index.iter().zip(&batch_strides).map(|(i, s)| i * s).sum()
    })
}

/// `Σ|x|` over each signal slice, by batch index.
fn slice_sums(shape: &[usize], dims: &[usize], moduli: &[f64]) -> Vec<f64> {
    let batches: usize = (0..shape.len())
        .filter(|d| !dims.contains(d))
        .map(|d| shape[d])
        .product();
    let mut sums = vec![0.0; batches];
    for (b, m) in batch_indices(shape, dims).zip(moduli) {
        if let Some(s) = sums.get_mut(b) {
            *s += m;
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DFT of `x` in the arithmetic `round` gives (f32 or f64), by the
    /// defining sum, with one twiddle (`ω^{n/4}`, or `ω` for `n < 4`)
    /// conjugated when `flip`.
    fn dft(x: &[(f64, f64)], round: impl Fn(f64) -> f64, flip: bool) -> Vec<(f64, f64)> {
        let n = x.len();
        (0..n)
            .map(|k| {
                let mut acc = (0.0, 0.0);
                for (j, &(re, im)) in x.iter().enumerate() {
                    let e = j * k % n;
                    let angle = -2.0 * std::f64::consts::PI * e as f64 / n as f64;
                    let (mut s, c) = angle.sin_cos();
                    if flip && e == (n / 4).max(1) {
                        s = -s;
                    }
                    let (c, s) = (round(c), round(s));
                    let t = (round(re * c - im * s), round(re * s + im * c));
                    acc = (round(acc.0 + t.0), round(acc.1 + t.1));
                }
                acc
            })
            .collect()
    }

    fn signal(n: usize) -> Vec<(f64, f64)> {
        (0..n)
            .map(|j| {
                let t = j as f64;
                (
                    f64::from(((t * 0.37).sin() * 3.0) as f32),
                    f64::from(((t * 1.1).cos() - 0.5) as f32),
                )
            })
            .collect()
    }

    fn worst(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p.0 - q.0).hypot(p.1 - q.1))
            .fold(0.0, f64::max)
    }

    #[test]
    fn single_precision_sums_fit_and_a_flipped_twiddle_does_not() {
        let u = f64::from(f32::EPSILON) / 2.0;
        let to_f32 = |v: f64| f64::from(v as f32);
        for n in [2, 3, 5, 8, 16, 31, 64, 97, 128, 257] {
            let x = signal(n);
            let sum: f64 = x.iter().map(|v| v.0.hypot(v.1)).sum();
            let room = bound(n, u) * sum;
            let exact = dft(&x, |v| v, false);
            // A float32 evaluation (every operation rounded) is a correct
            // order: within the room of the exact one.
            let single = dft(&x, to_f32, false);
            assert!(worst(&single, &exact) <= room, "n={n}");
            // One conjugated twiddle is far outside it (for n = 2 the
            // only twiddle, −1, is its own conjugate).
            if n > 2 {
                let wrong = dft(&x, |v| v, true);
                let err = worst(&wrong, &exact);
                assert!(err > 20.0 * room, "n={n}: {err} vs {room}");
            }
        }
    }

    #[test]
    fn slices_are_summed_per_batch_index() {
        // [2, 3] transformed along dim 1: one sum per row; along dim 0:
        // one per column.
        let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(slice_sums(&[2, 3], &[1], &m), [6.0, 15.0]);
        assert_eq!(slice_sums(&[2, 3], &[0], &m), [5.0, 7.0, 9.0]);
        assert_eq!(slice_sums(&[2, 3], &[0, 1], &m), [21.0]);
        let rows: Vec<usize> = batch_indices(&[2, 2], &[1]).collect();
        assert_eq!(rows, [0, 0, 1, 1]);
    }

    #[test]
    fn the_bound_grows_with_the_length() {
        let u = f64::from(f32::EPSILON) / 2.0;
        assert!(bound(2, u) < bound(64, u));
        assert!(bound(64, u) < bound(4096, u));
        assert!(bound(1, u) > 0.0);
    }
}
