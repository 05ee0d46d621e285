//! The floating-point operations the special-function kernels share, for
//! both precisions: each kernel is written once over [`Real`] and runs in
//! `f32` for float32 inputs and `f64` for float64, with every constant and
//! table entry rounded to that precision first, as PyTorch's templated
//! kernels do.
//!
//! PyTorch's CPU kernels are compiled with floating-point contraction on
//! CPUs with FMA: a product whose only use is a sum or difference is fused
//! with it (`a·b + c` rounded once). Where a sum has two products, the
//! first one evaluated is fused and the other rounded. The kernels here
//! spell those fusions out with [`Real::fma`].

use std::ops::{Add, Div, Mul, Neg, Sub};

/// `f32` or `f64`.
pub(crate) trait Real:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    const EPSILON: Self;
    const INFINITY: Self;
    const NAN: Self;
    /// A constant, rounded to this precision.
    fn c(v: f64) -> Self;
    /// An integer, rounded to this precision.
    fn int(n: i64) -> Self;
    fn f64(self) -> f64;
    /// `self · b + c`, rounded once.
    fn fma(self, b: Self, c: Self) -> Self;
    fn abs(self) -> Self;
    fn sqrt(self) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn acos(self) -> Self;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
}

macro_rules! real {
    ($t:ident) => {
        impl Real for $t {
            const EPSILON: Self = $t::EPSILON;
            const INFINITY: Self = $t::INFINITY;
            const NAN: Self = $t::NAN;
            #[allow(clippy::cast_possible_truncation)]
            fn c(v: f64) -> Self {
                v as $t
            }
            #[allow(clippy::cast_precision_loss)]
            fn int(n: i64) -> Self {
                n as $t
            }
            fn f64(self) -> f64 {
                f64::from(self)
            }
            fn fma(self, b: Self, c: Self) -> Self {
                self.mul_add(b, c)
            }
            fn abs(self) -> Self {
                $t::abs(self)
            }
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            fn exp(self) -> Self {
                $t::exp(self)
            }
            fn ln(self) -> Self {
                $t::ln(self)
            }
            fn sin(self) -> Self {
                $t::sin(self)
            }
            fn cos(self) -> Self {
                $t::cos(self)
            }
            fn acos(self) -> Self {
                $t::acos(self)
            }
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            fn is_infinite(self) -> bool {
                $t::is_infinite(self)
            }
        }
    };
}

real!(f32);
real!(f64);

/// Horner's rule from an accumulator of 0, coefficients highest order
/// first (so an infinite `z` gives NaN, `0 · ∞`, as the kernels' loops
/// do), each step fused.
pub(crate) fn horner<T: Real>(coefficients: &[f64], z: T) -> T {
    coefficients
        .iter()
        .fold(T::c(0.0), |acc, &c| acc.fma(z, T::c(c)))
}

/// Clenshaw's recurrence for the Chebyshev series `table` at `y`
/// (`b_k = y·b_{k+1} − b_{k+2} + c_k`, the product fused with the
/// difference): the last `b₀ − b₂`, which the series' value halves.
pub(crate) fn clenshaw_diff<T: Real>(table: &[f64], y: T) -> T {
    let (mut p, mut q) = (T::c(0.0), T::c(0.0));
    let mut a = T::c(table[0]);
    for &c in &table[1..] {
        p = q;
        q = a;
        a = y.fma(q, -p) + T::c(c);
    }
    a - p
}

/// The Chebyshev series `table` at `y`: `0.5 · (b₀ − b₂)`.
pub(crate) fn clenshaw<T: Real>(table: &[f64], y: T) -> T {
    T::c(0.5) * clenshaw_diff(table, y)
}
