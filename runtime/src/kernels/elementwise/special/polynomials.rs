//! The classical orthogonal polynomials of `torch.special`, evaluated at
//! `x` for an integer degree `n`: Chebyshev `T`, `U`, `V`, `W` and their
//! shifted forms on `[0, 1]`, the physicists' and probabilists' Hermite
//! `H` / `He`, Laguerre `L` and Legendre `P`.
//!
//! The degree arrives as a value of the input's floating dtype and is
//! truncated to a 64-bit integer the way x86-64 converts (NaN, `±∞` and
//! out-of-range values become the most negative integer); a negative
//! degree gives 0. Each polynomial is its three-term recurrence in the
//! input's precision, with ATen's special cases: the closed values at the
//! interval's ends, and for Chebyshev polynomials of high degree inside
//! the interval the trigonometric forms (`cos(n·acos x)`, ...). The
//! recurrences (each step's first product fused with the rest, see
//! [`super::real`]) stop early once a value is NaN; Hermite polynomials beyond
//! degree 128 (float32) or 512 (float64) are NaN.

use super::real::Real;

/// The degree of a polynomial, truncated as x86-64's `cvttsd2si` does.
pub(crate) fn degree(n: f64) -> i64 {
    // 2⁶³, the first value that does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// `n + 1` and `2n + 1` as the kernels compute them (two's complement).
fn succ(n: i64) -> i64 {
    n.wrapping_add(1)
}

fn odd(n: i64) -> i64 {
    n.wrapping_add(n).wrapping_add(1)
}

/// `±v` with the sign of `(−1)ⁿ`.
fn alternate<T: Real>(n: i64, v: T) -> T {
    if n % 2 == 0 { v } else { -v }
}

/// A three-term recurrence from `r_0 = 1`, `r_1 = first` up to degree
/// `n`: `r_{k+1} = step(k, r_{k−1}, r_k)` for `k = 1 … n − 1`, stopping
/// early at a NaN `r_k` when `stop_at_nan`.
fn recurrence<T: Real>(first: T, n: i64, stop_at_nan: bool, step: impl Fn(i64, T, T) -> T) -> T {
    let (mut p, mut q) = (T::c(1.0), first);
    let mut r = first;
    let mut k = 1;
    while k < n && !(stop_at_nan && q.is_nan()) {
        r = step(k, p, q);
        p = q;
        q = r;
        k += 1;
    }
    r
}

/// `r_{k+1} = 2y r_k − r_{k−1}` from `r_1 = first` up to degree `n`,
/// stopping at a NaN; `two_y` is `2y` as each polynomial rounds it.
fn chebyshev_recurrence<T: Real>(two_y: T, first: T, n: i64) -> T {
    recurrence(first, n, true, |_, p, q| two_y.fma(q, -p))
}

/// The Chebyshev polynomials' value at a point of degree `n ≥ 0`, once
/// the end-point and trigonometric cases are handled: 1 at degree 0, `first`
/// at degree 1, the recurrence beyond.
fn chebyshev_tail<T: Real>(two_y: T, first: T, n: i64) -> T {
    match n {
        0 => T::c(1.0),
        1 => first,
        _ => chebyshev_recurrence(two_y, first, n),
    }
}

/// The Chebyshev polynomial of the first kind `Tₙ(x)`.
pub(crate) fn chebyshev_t<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x.abs() == T::c(1.0) {
        return if x > T::c(0.0) {
            T::c(1.0)
        } else {
            alternate(n, T::c(1.0))
        };
    }
    if n > 6 && x.abs() < T::c(1.0) {
        return (T::int(n) * x.acos()).cos();
    }
    chebyshev_tail(x + x, x, n)
}

/// `Tₙ(x)` by its recurrence alone (the `chebyshev-plain-recurrence`
/// fault's deliberately different branch).
pub(crate) fn chebyshev_t_by_recurrence<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    chebyshev_tail(x + x, x, n)
}

/// The Chebyshev polynomial of the second kind `Uₙ(x)`.
pub(crate) fn chebyshev_u<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x.abs() == T::c(1.0) {
        let v = T::int(succ(n));
        return if x > T::c(0.0) { v } else { alternate(n, v) };
    }
    if n > 8 && x.abs() < T::c(1.0) {
        return u_trig(x, n);
    }
    chebyshev_tail(x + x, x + x, n)
}

/// `Uₙ(y) = sin((n+1)θ)/sin θ`, `θ = acos y`; where `sin θ` is 0,
/// `(n+1) cos((n+1)θ)/y`.
fn u_trig<T: Real>(y: T, n: i64) -> T {
    let theta = y.acos();
    let m = T::int(succ(n));
    if theta.sin() != T::c(0.0) {
        return (m * theta).sin() / theta.sin();
    }
    m * (m * theta).cos() / y
}

/// The Chebyshev polynomial of the third kind `Vₙ(x)`.
pub(crate) fn chebyshev_v<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x.abs() == T::c(1.0) {
        return if x > T::c(0.0) {
            T::c(1.0)
        } else {
            alternate(n, T::int(odd(n)))
        };
    }
    if n > 8 && x.abs() < T::c(1.0) {
        return v_trig(x, n);
    }
    chebyshev_tail(x + x, x + x - T::c(1.0), n)
}

/// `Vₙ(y) = cos((n+½)θ)/cos(θ/2)`; where `sin(θ/2)` is 1, `±(2n+1)`.
fn v_trig<T: Real>(y: T, n: i64) -> T {
    let theta = y.acos();
    if (theta / T::c(2.0)).sin() != T::c(1.0) {
        return ((T::int(n) + T::c(0.5)) * theta).cos() / (theta / T::c(2.0)).cos();
    }
    alternate(n, T::int(odd(n)))
}

/// The Chebyshev polynomial of the fourth kind `Wₙ(x)`.
pub(crate) fn chebyshev_w<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x.abs() == T::c(1.0) {
        return if x > T::c(0.0) {
            T::int(odd(n))
        } else {
            alternate(n, T::c(1.0))
        };
    }
    if n > 8 && x.abs() < T::c(1.0) {
        return w_trig(x, n);
    }
    chebyshev_tail(x + x, x + x + T::c(1.0), n)
}

/// `Wₙ(y) = sin((n+½)θ)/sin(θ/2)`; where `cos(θ/2)` is 1, `2n+1` for
/// positive `y`, else `(−1)ⁿ`.
fn w_trig<T: Real>(y: T, n: i64) -> T {
    let theta = y.acos();
    if (theta / T::c(2.0)).cos() != T::c(1.0) {
        return ((T::int(n) + T::c(0.5)) * theta).sin() / (theta / T::c(2.0)).sin();
    }
    if y > T::c(0.0) {
        T::int(odd(n))
    } else {
        alternate(n, T::c(1.0))
    }
}

/// The shifted Chebyshev polynomial `T*ₙ(x) = Tₙ(2x − 1)`.
pub(crate) fn shifted_chebyshev_t<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x == T::c(1.0) {
        return T::c(1.0);
    }
    if x == T::c(0.0) {
        return alternate(n, T::c(1.0));
    }
    let y = x + x - T::c(1.0);
    if n > 6 && y.abs() < T::c(1.0) {
        return (T::int(n) * y.acos()).cos();
    }
    chebyshev_tail(y + y, y, n)
}

/// `U*ₙ(x) = Uₙ(2x − 1)`.
pub(crate) fn shifted_chebyshev_u<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x == T::c(1.0) {
        return T::int(succ(n));
    }
    if x == T::c(0.0) {
        return alternate(n, T::int(succ(n)));
    }
    let y = x + x - T::c(1.0);
    if n > 6 && y.abs() < T::c(1.0) {
        return u_trig(y, n);
    }
    chebyshev_tail(y + y, y + y, n)
}

/// `V*ₙ(x) = Vₙ(2x − 1)`.
pub(crate) fn shifted_chebyshev_v<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x == T::c(1.0) {
        return T::c(1.0);
    }
    if x == T::c(0.0) {
        return alternate(n, T::int(odd(n)));
    }
    let y = x + x - T::c(1.0);
    if n > 6 && y.abs() < T::c(1.0) {
        return v_trig(y, n);
    }
    chebyshev_tail(y + y, y + y - T::c(1.0), n)
}

/// `W*ₙ(x) = Wₙ(2x − 1)`; its trigonometric form starts above degree 4.
pub(crate) fn shifted_chebyshev_w<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x == T::c(1.0) {
        return T::int(odd(n));
    }
    if x == T::c(0.0) {
        return alternate(n, T::c(1.0));
    }
    let y = x + x - T::c(1.0);
    if n > 4 && y.abs() < T::c(1.0) {
        let theta = y.acos();
        if (theta / T::c(2.0)).cos() != T::c(1.0) {
            return ((T::int(n) + T::c(0.5)) * theta).sin() / (theta / T::c(2.0)).sin();
        }
        return alternate(n, T::c(1.0));
    }
    chebyshev_tail(y + y, y + y + T::c(1.0), n)
}

/// The highest degree of a Hermite polynomial: 128 in float32, 512 in
/// float64 (NaN beyond).
fn hermite_limit<T: Real>() -> i64 {
    if T::EPSILON.f64() > f64::from(f32::EPSILON) / 2.0 {
        128
    } else {
        512
    }
}

/// The physicists' Hermite polynomial `Hₙ(x)`:
/// `H_{k+1} = 2x H_k − 2k H_{k−1}`.
pub(crate) fn hermite_h<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    match n {
        0 => return T::c(1.0),
        1 => return x + x,
        _ if n > hermite_limit::<T>() => return T::NAN,
        _ => {}
    }
    // The kernel's even counter 2k, k = 1 … n − 1.
    recurrence(x + x, n, false, |k, p, q| {
        (x + x).fma(q, -(T::int(k + k) * p))
    })
}

/// The probabilists' Hermite polynomial `Heₙ(x)`:
/// `He_{k+1} = x He_k − k He_{k−1}`.
pub(crate) fn hermite_he<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    match n {
        0 => return T::c(1.0),
        1 => return x,
        _ if n > hermite_limit::<T>() => return T::NAN,
        _ => {}
    }
    recurrence(x, n, false, |k, p, q| x.fma(q, -(T::int(k) * p)))
}

/// The Laguerre polynomial `Lₙ(x)`: 1 at `x = 0`;
/// `L_{k+1} = ((2k + 1 − x) L_k − k L_{k−1}) / (k + 1)`.
pub(crate) fn laguerre_l<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x.abs() == T::c(0.0) || n == 0 {
        return T::c(1.0);
    }
    recurrence(T::c(1.0) - x, n, true, |k, p, q| {
        let a = T::int(k + k) + (T::c(1.0) - x);
        a.fma(q, -(T::int(k) * p)) / T::int(k + 1)
    })
}

/// The Legendre polynomial `Pₙ(x)`: `±1` at `|x| = 1`;
/// `P_{k+1} = ((2k + 1) x P_k − k P_{k−1}) / (k + 1)`.
pub(crate) fn legendre_p<T: Real>(x: T, n: i64) -> T {
    if n < 0 {
        return T::c(0.0);
    }
    if x.abs() == T::c(1.0) {
        return if x > T::c(0.0) {
            T::c(1.0)
        } else {
            alternate(n, T::c(1.0))
        };
    }
    if n == 0 {
        return T::c(1.0);
    }
    recurrence(x, n, true, |k, p, q| {
        (T::int(k + k + 1) * x).fma(q, -(T::int(k) * p)) / T::int(k + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f` at each `(x, n)` is bitwise `want` (values torch 2.15 computes
    /// on CPU; NaN matches NaN).
    fn check<T: Real>(f: fn(T, i64) -> T, args: &[(T, i64)], want: &[T]) {
        for (&(x, n), &w) in args.iter().zip(want) {
            let got = f(x, n).f64();
            let w = w.f64();
            assert!(
                got.to_bits() == w.to_bits() || (got.is_nan() && w.is_nan()),
                "at ({}, {n}): {got} != {w}",
                x.f64()
            );
        }
    }

    #[test]
    fn torch_values_bitwise() {
        check::<f64>(
            chebyshev_t,
            &[
                (0.3, 3),
                (0.3, 7),
                (0.3, 30),
                (-1.0, 5),
                (1.2, 10),
                (0.5, -1),
                (f64::NAN, 2),
            ],
            &[
                -0.792,
                -0.8461632000000004,
                0.9599427952716781,
                -1.0,
                252.26541946879996,
                0.0,
                f64::NAN,
            ],
        );
        check::<f32>(
            chebyshev_t,
            &[
                (0.3, 3),
                (0.3, 7),
                (0.3, 30),
                (-1.0, 5),
                (1.2, 10),
                (0.5, -1),
                (f32::NAN, 2),
            ],
            &[
                -0.79200006,
                -0.846163,
                0.95994323,
                -1.0,
                252.26562,
                0.0,
                f32::NAN,
            ],
        );
        check::<f64>(
            chebyshev_u,
            &[(0.3, 8), (0.3, 9), (-1.0, 4), (0.999, 40)],
            &[-0.96579584, 0.09908889600000047, 5.0, 21.597588026127085],
        );
        check::<f32>(
            chebyshev_u,
            &[(0.3, 8), (0.3, 9), (-1.0, 4), (0.999, 40)],
            &[-0.9657959, 0.09908865, 5.0, 21.597795],
        );
        check::<f64>(
            chebyshev_v,
            &[(0.3, 8), (0.3, 9), (-1.0, 3), (1.0, 3)],
            &[-0.28722943999999995, 1.064884736000001, -7.0, 1.0],
        );
        check::<f32>(
            chebyshev_v,
            &[(0.3, 8), (0.3, 9), (-1.0, 3), (1.0, 3)],
            &[-0.2872296, 1.0648845, -7.0, 1.0],
        );
        check::<f64>(
            chebyshev_w,
            &[(0.3, 8), (0.3, 9), (1.0, 3), (-1.0, 3)],
            &[-1.6443622400000002, -0.866706943999998, 7.0, -1.0],
        );
        check::<f32>(
            chebyshev_w,
            &[(0.3, 8), (0.3, 9), (1.0, 3), (-1.0, 3)],
            &[-1.6443622, -0.8667073, 7.0, -1.0],
        );
        check::<f64>(
            shifted_chebyshev_t,
            &[(0.2, 6), (0.2, 7), (0.0, 3), (1.0, 9)],
            &[0.7521920000000001, -0.9784703999999997, -1.0, 1.0],
        );
        check::<f32>(
            shifted_chebyshev_t,
            &[(0.2, 6), (0.2, 7), (0.0, 3), (1.0, 9)],
            &[0.7521919, -0.97847056, -1.0, 1.0],
        );
        check::<f64>(
            shifted_chebyshev_u,
            &[(0.2, 6), (0.2, 7), (0.0, 3)],
            &[0.25798400000000027, -1.1332608000000006, -4.0],
        );
        check::<f32>(
            shifted_chebyshev_u,
            &[(0.2, 6), (0.2, 7), (0.0, 3)],
            &[0.25798377, -1.1332604, -4.0],
        );
        check::<f64>(
            shifted_chebyshev_v,
            &[(0.2, 6), (0.2, 7), (0.0, 3)],
            &[-0.565696, -1.3912448000000006, -7.0],
        );
        check::<f32>(
            shifted_chebyshev_v,
            &[(0.2, 6), (0.2, 7), (0.0, 3)],
            &[-0.5656965, -1.3912443, -7.0],
        );
        check::<f64>(
            shifted_chebyshev_w,
            &[(0.2, 4), (0.2, 5), (1.0, 2)],
            &[-0.5743999999999998, -0.42272000000000015, 5.0],
        );
        check::<f32>(
            shifted_chebyshev_w,
            &[(0.2, 4), (0.2, 5), (1.0, 2)],
            &[-0.5744001, -0.4227193, 5.0],
        );
        check::<f64>(
            hermite_h,
            &[(0.7, 5), (-1.3, 20), (0.5, 128), (0.5, 129), (0.5, 513)],
            &[
                34.49824,
                -634265763221.8657,
                -5.50003559626969e+125,
                5.421148316043319e+127,
                f64::NAN,
            ],
        );
        check::<f32>(
            hermite_h,
            &[(0.7, 5), (-1.3, 20), (0.5, 128), (0.5, 129), (0.5, 513)],
            &[34.49824, -6.3426534e11, f32::NAN, f32::NAN, f32::NAN],
        );
        check::<f64>(
            hermite_he,
            &[(0.7, 5), (3.0, 12), (0.5, 600)],
            &[7.23807, -67608.0, f64::NAN],
        );
        check::<f32>(
            hermite_he,
            &[(0.7, 5), (3.0, 12), (0.5, 600)],
            &[7.23807, -67608.0, f32::NAN],
        );
        check::<f64>(
            laguerre_l,
            &[(0.0, 7), (0.7, 5), (4.0, 20)],
            &[1.0, -0.5730464166666667, -0.150791428102111],
        );
        check::<f32>(
            laguerre_l,
            &[(0.0, 7), (0.7, 5), (4.0, 20)],
            &[1.0, -0.5730465, -0.15079142],
        );
        check::<f64>(
            legendre_p,
            &[(0.7, 5), (-1.0, 3), (-0.3, 40)],
            &[-0.3651987499999999, -1.0, 0.12511584585570795],
        );
        check::<f32>(
            legendre_p,
            &[(0.7, 5), (-1.0, 3), (-0.3, 40)],
            &[-0.36519873, -1.0, 0.12511587],
        );
    }

    #[test]
    fn degree_truncates_as_x86() {
        assert_eq!(degree(3.9), 3);
        assert_eq!(degree(-2.5), -2);
        assert_eq!(degree(f64::NAN), i64::MIN);
        assert_eq!(degree(f64::INFINITY), i64::MIN);
        assert_eq!(degree(1e19), i64::MIN);
    }

    #[test]
    fn plain_recurrence_differs_from_the_trigonometric_form() {
        // T₃₀(0.3) by the recurrence is not bitwise PyTorch's cos(30 acos 0.3).
        let trig = chebyshev_t(0.3f64, 30);
        let plain = chebyshev_t_by_recurrence(0.3f64, 30);
        assert_ne!(trig.to_bits(), plain.to_bits());
        assert!((trig - plain).abs() < 1e-12);
    }
}
