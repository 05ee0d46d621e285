//! The softmax gradient in PyTorch's own float32/float64 arithmetic.
//!
//! `_softmax_backward_data` is `y * (g - Σ g·y)` along `dim`. The sum is
//! what cancels: where one probability dominates (a confident prediction,
//! a straight-through one-hot as `F.gumbel_softmax(hard=True)` makes) `g`
//! and `Σ g·y` agree in most of their bits, so the rounding of the sum
//! decides the result's low bits and a float64 sum rounded once is off by
//! far more than the dtype's tolerance. PyTorch's CPU kernels (observed in
//! torch 2.15 on AVX-512, bit-exact over thousands of random rows) compute
//! in the tensor's dtype:
//!
//! - over the last dimension (float32), the sum of products is vectorised:
//!   each of `W` lanes (16 with AVX-512, 8 with AVX2:
//!   [`crate::cpu::CpuProfile::float32_lanes`]) starts with the product of its first
//!   element and adds the rounded product of each later one (no fused
//!   multiply-add); the lanes are then added pairwise by halves (lane `i`
//!   with lane `i ^ W/2`, then `i ^ W/4`, ... down to `i ^ 1`). A row
//!   shorter than `W` is summed left to right. Each element is then
//!   `(g - sum) * y`, both steps rounded;
//! - over any other dimension, each position of the inner dimensions sums
//!   its products left to right along `dim` with a fused multiply-add
//!   (`sum = fma(g, y, sum)`), then `y * (g - sum)`.
//!
//! float16 and bfloat16 accumulate in float32 in an order of their own, and
//! float64's last-dimension order is not this lane order (no lane width
//! reproduces it); they keep the float64 form in [`super::softmax`].

/// A dtype the kernel computes in.
pub(super) trait Lane:
    Copy + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    /// `a * b + c` rounded once.
    fn fma(a: Self, b: Self, c: Self) -> Self;
}

impl Lane for f32 {
    const ZERO: Self = 0.0;
    fn fma(a: Self, b: Self, c: Self) -> Self {
        a.mul_add(b, c)
    }
}

impl Lane for f64 {
    const ZERO: Self = 0.0;
    fn fma(a: Self, b: Self, c: Self) -> Self {
        a.mul_add(b, c)
    }
}

/// `Σ term(i)` over `i < n` in the order of ATen's vectorised last-dimension
/// reductions (`vec::reduce_all`, `map_reduce_all`, `map2_reduce_all`):
/// each of `w` lanes starts with its first term and adds each later one
/// (a last partial vector adds into the first lanes), then the lanes are
/// added pairwise by halves (lane `i` with lane `i ^ w/2`, then `i ^ w/4`,
/// ... down to `i ^ 1`). Fewer than `w` terms are summed left to right.
pub(super) fn lane_sum<T: Lane>(n: usize, w: usize, term: impl Fn(usize) -> T) -> T {
    if n == 0 {
        return T::ZERO;
    }
    if n < w {
        return (1..n).fold(term(0), |s, i| s + term(i));
    }
    let mut acc: Vec<T> = (0..w).map(&term).collect();
    let mut d = w;
    while d < n {
        for (l, lane) in acc.iter_mut().enumerate().take(w.min(n - d)) {
            *lane = *lane + term(d + l);
        }
        d += w;
    }
    fold_by_halves(acc)
}

/// `vec_reduce_all`'s horizontal sum of `w` lanes: lane `i` plus lane
/// `i ^ w/2`, then `i ^ w/4`, ... down to `i ^ 1`; lane 0 holds the sum.
pub(super) fn fold_by_halves<T: Lane>(mut acc: Vec<T>) -> T {
    let w = acc.len();
    let mut half = w / 2;
    while half >= 1 {
        acc = (0..w).map(|i| acc[i] + acc[i ^ half]).collect();
        half /= 2;
    }
    acc.first().copied().unwrap_or(T::ZERO)
}

/// `Σ g·y` of one last-dimension row, in the kernel's order of `w` lanes.
fn last_dim_dot<T: Lane>(g: &[T], y: &[T], w: usize) -> T {
    lane_sum(g.len().min(y.len()), w, |i| g[i] * y[i])
}

/// The gradient of one row along `dim`, written over `g`: `last_dim_lanes`
/// is the kernel's lane count when `dim` is the last dimension, `None`
/// for any other dimension.
pub(super) fn row<T: Lane>(g: &mut [T], y: &[T], last_dim_lanes: Option<usize>) {
    let sum = match last_dim_lanes {
        Some(w) => last_dim_dot(g, y, w),
        None => g.iter().zip(y).fold(T::ZERO, |s, (&a, &b)| T::fma(a, b, s)),
    };
    g.iter_mut()
        .zip(y)
        .for_each(|(gi, &yi)| *gi = (*gi - sum) * yi);
}

#[cfg(test)]
mod tests {
    use super::{last_dim_dot, row};

    #[test]
    fn short_rows_sum_left_to_right_and_long_rows_by_lanes() {
        // 1e8 + 1 - 1e8 in float32: left to right loses the 1.
        let g = [1.0e8f32, 1.0, -1.0e8];
        let y = [1.0f32; 3];
        assert_eq!(last_dim_dot(&g, &y, 16), 0.0);
        // 17 elements: lane 0 holds 1e8 + (-1e8) = 0, lane 1 holds 1; the
        // pairwise tree keeps the 1.
        let mut g = [0.0f32; 17];
        g[0] = 1.0e8;
        g[1] = 1.0;
        g[16] = -1.0e8;
        let y = [1.0f32; 17];
        assert_eq!(last_dim_dot(&g, &y, 16), 1.0);
        // 12 elements: under 16 lanes left to right (the 1 is lost), with 8
        // lanes (AVX2) 1e8 and -1e8 cancel in lane 0 first.
        let mut g = [0.0f32; 12];
        g[0] = 1.0e8;
        g[1] = 1.0;
        g[8] = -1.0e8;
        let y = [1.0f32; 12];
        assert_eq!(last_dim_dot(&g, &y, 16), 0.0);
        assert_eq!(last_dim_dot(&g, &y, 8), 1.0);
    }

    #[test]
    fn other_dims_fuse_the_multiply_add() {
        // fma(3, 1/3 rounded, -1) keeps the product's residue, a rounded
        // product would cancel to 0.
        let third = 1.0f32 / 3.0;
        let mut g = [-1.0f32, 3.0];
        let y = [1.0f32, third];
        let residue = 3.0f32.mul_add(third, -1.0);
        assert_ne!(residue, 0.0);
        row(&mut g, &y, None);
        assert_eq!(g[0], -1.0 - residue);
    }
}
