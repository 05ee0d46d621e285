//! One-dimensional discrete Fourier transforms of any length, in double
//! precision.
//!
//! `X[k] = Σⱼ x[j]·e^{s·2πi·jk/n}` with `s = −1` (forward) or `+1`
//! (inverse, unnormalised). A length whose prime factors are all small is
//! split recursively (decimation in time, one radix per prime factor, each
//! butterfly a direct `p`-point sum); a length with a larger prime factor
//! goes through Bluestein's chirp-z identity `jk = (j² + k² − (k−j)²)/2`,
//! a circular convolution of power-of-two length. Twiddles come from one
//! table of `e^{s·2πi·e/n}` computed with `sin_cos` per entry (exponents
//! reduced modulo `n`), so no error accumulates through recurrences.

use std::f64::consts::PI;

/// A complex number as (real, imaginary).
pub(crate) type C = (f64, f64);

/// Largest prime factor split directly; beyond it, Bluestein.
const MAX_RADIX: usize = 61;

fn mul(a: C, b: C) -> C {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

fn conj(a: C) -> C {
    (a.0, -a.1)
}

/// Prime factors of `n` in increasing order (with multiplicity).
fn factors(mut n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut p = 2;
    while p * p <= n {
        while n.is_multiple_of(p) {
            out.push(p);
            n /= p;
        }
        p += 1;
    }
    if n > 1 {
        out.push(n);
    }
    out
}

/// `e^{s·2πi·e/n}` for `e` in `0..n`. With `flip_twiddle`, entry 1 is
/// conjugated (a test fault: one wrong twiddle).
fn twiddles(n: usize, inverse: bool, flip_twiddle: bool) -> Vec<C> {
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut table: Vec<C> = (0..n)
        .map(|e| {
            let (s, c) = (sign * 2.0 * PI * e as f64 / n as f64).sin_cos();
            (c, s)
        })
        .collect();
    if flip_twiddle && let Some(t) = table.get_mut(1) {
        *t = conj(*t);
    }
    table
}

/// The transform of `x` (any length), forward or inverse (unnormalised).
pub(crate) fn dft(x: &[C], inverse: bool, flip_twiddle: bool) -> Vec<C> {
    let n = x.len();
    if n <= 1 {
        return x.to_vec();
    }
    let radices = factors(n);
    if radices.last().is_some_and(|&p| p > MAX_RADIX) {
        return bluestein(x, inverse, flip_twiddle);
    }
    let table = twiddles(n, inverse, flip_twiddle);
    let mut out = vec![(0.0, 0.0); n];
    split(x, 0, 1, n, &radices, &table, &mut out);
    out
}

/// Decimation in time of the `n` elements `x[offset + stride·j]` into
/// `out` (length `n`), with `radices` the prime factors of `n` and `table`
/// the twiddles of the full length (`table.len() / n` apart at this level).
fn split(
    x: &[C],
    offset: usize,
    stride: usize,
    n: usize,
    radices: &[usize],
    table: &[C],
    out: &mut [C],
) {
    let Some((&p, rest)) = radices.split_first() else {
        out[0] = x[offset];
        return;
    };
    let m = n / p;
    // Sub-transform r holds the elements j ≡ r (mod p).
    let mut subs = vec![(0.0, 0.0); n];
    for (r, sub) in subs.chunks_exact_mut(m).enumerate() {
        split(x, offset + r * stride, stride * p, m, rest, table, sub);
    }
    let step = table.len() / n;
    for k in 0..m {
        for q in 0..p {
            let index = k + q * m;
            // X[index] = Σ_r W_n^{r·index} · sub_r[k]
            let mut acc = (0.0, 0.0);
            for r in 0..p {
                let w = table[(r * index % n) * step];
                let t = mul(w, subs[r * m + k]);
                acc = (acc.0 + t.0, acc.1 + t.1);
            }
            out[index] = acc;
        }
    }
}

/// Bluestein: `X[k] = w[k]·Σⱼ (x[j]·w[j])·w̄[k−j]` with `w[k] = e^{s·πi·k²/n}`,
/// the sum a circular convolution of power-of-two length `≥ 2n − 1`.
fn bluestein(x: &[C], inverse: bool, flip_twiddle: bool) -> Vec<C> {
    let n = x.len();
    let sign = if inverse { 1.0 } else { -1.0 };
    let chirp: Vec<C> = (0..n)
        .map(|k| {
            // k² mod 2n keeps the angle small and exact.
            let e = (k as u128 * k as u128 % (2 * n as u128)) as f64;
            let (s, c) = (sign * PI * e / n as f64).sin_cos();
            (c, s)
        })
        .collect();
    let m = (2 * n - 1).next_power_of_two();
    let mut a = vec![(0.0, 0.0); m];
    for (slot, (&v, &w)) in a.iter_mut().zip(x.iter().zip(&chirp)) {
        *slot = mul(v, w);
    }
    let mut b = vec![(0.0, 0.0); m];
    for (k, &w) in chirp.iter().enumerate() {
        b[k] = conj(w);
        if k > 0 {
            b[m - k] = conj(w);
        }
    }
    let fa = dft(&a, false, flip_twiddle);
    let fb = dft(&b, false, flip_twiddle);
    let product: Vec<C> = fa.iter().zip(&fb).map(|(&u, &v)| mul(u, v)).collect();
    let conv = dft(&product, true, flip_twiddle);
    let scale = 1.0 / m as f64;
    chirp
        .iter()
        .zip(&conv)
        .map(|(&w, &c)| {
            let v = mul(w, c);
            (v.0 * scale, v.1 * scale)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defining sum, term by term.
    fn naive(x: &[C], inverse: bool) -> Vec<C> {
        let n = x.len();
        let sign = if inverse { 1.0 } else { -1.0 };
        (0..n)
            .map(|k| {
                x.iter().enumerate().fold((0.0, 0.0), |acc, (j, &v)| {
                    let e = (j * k % n) as f64;
                    let (s, c) = (sign * 2.0 * PI * e / n as f64).sin_cos();
                    let t = mul(v, (c, s));
                    (acc.0 + t.0, acc.1 + t.1)
                })
            })
            .collect()
    }

    fn signal(n: usize) -> Vec<C> {
        // A deterministic, irregular signal.
        (0..n)
            .map(|j| {
                let t = j as f64;
                ((t * 0.7).sin() + 0.3 * t.cos(), (t * 1.3).cos() - 0.1 * t)
            })
            .collect()
    }

    fn max_err(a: &[C], b: &[C]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(u, v)| (u.0 - v.0).hypot(u.1 - v.1))
            .fold(0.0, f64::max)
    }

    #[test]
    fn every_length_to_257_matches_the_defining_sum() {
        // Lengths with large prime factors (67, 127, 131, 251, 257) take
        // Bluestein's path, the others the mixed-radix one.
        for n in 1..=257 {
            let x = signal(n);
            let scale: f64 = x.iter().map(|v| v.0.abs() + v.1.abs()).sum();
            for inverse in [false, true] {
                let err = max_err(&dft(&x, inverse, false), &naive(&x, inverse));
                assert!(
                    err <= 1e-12 * scale.max(1.0),
                    "n={n} inverse={inverse}: {err}"
                );
            }
        }
    }

    #[test]
    fn inverse_undoes_forward() {
        for n in [1, 2, 7, 12, 97, 128, 210, 509] {
            let x = signal(n);
            let back: Vec<C> = dft(&dft(&x, false, false), true, false)
                .into_iter()
                .map(|v| (v.0 / n as f64, v.1 / n as f64))
                .collect();
            assert!(max_err(&back, &x) < 1e-12, "n={n}");
        }
    }

    #[test]
    fn a_flipped_twiddle_is_wrong() {
        for n in [4, 6, 64, 257] {
            let x = signal(n);
            let err = max_err(&dft(&x, false, true), &naive(&x, false));
            assert!(err > 1e-3, "n={n}: {err}");
        }
    }
}
