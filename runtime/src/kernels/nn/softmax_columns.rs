//! float32 `_softmax` (and `_safe_softmax`) over a dimension that is not
//! the last, as ATen's CPU kernel computes it (measured bit for bit on
//! torch 2.15, AVX-512).
//!
//! The input is seen as `[outer, size, inner]`; every position of the
//! `outer × inner` plane owns one column of `size` elements along the
//! dimension. `at::parallel_for` cuts the plane's positions (in order,
//! `outer` major) into one part per thread whenever there are two or more
//! (measured: a `[3, 8, 16]` input already computes its middle row in the
//! scalar loop with two threads). Each part walks its positions: where `lanes`
//! further positions stay inside the same `inner` row and the part, they
//! are computed together in vector lanes; otherwise the positions up to the
//! end of the row (or of the part) go through the scalar loop. So a
//! dimension followed only by size-1 dimensions (`inner = 1`) is always
//! scalar, and an `inner` of 20 with 16 lanes has 16 vector columns and 4
//! scalar ones per row.
//!
//! A column, in either loop: the maximum from its first element, the sum of
//! `exp(x − max)` from 0 in order, then each exponential divided by the
//! sum. The vector loop takes SLEEF's `exp` ([`super::sleef_f32`]) and a
//! maximum that any NaN makes NaN; the scalar loop the C library's `expf`
//! and `max < x ? x : max` (a NaN after the first element is passed over).

use super::sleef_f32;

/// Positions per task at least: the kernel's parallel loop splits from two
/// positions on.
const GRAIN: usize = 1;

/// The `[begin, end)` parts `at::parallel_for` hands to its threads for
/// `n` iterations with `grain` iterations per task at least.
fn thread_parts(n: usize, grain: usize, threads: usize) -> Vec<(usize, usize)> {
    if n <= grain || threads <= 1 {
        return vec![(0, n)];
    }
    let parts = threads.min(n.div_ceil(grain.max(1)));
    let chunk = n.div_ceil(parts);
    (0..parts)
        .map(|t| (t * chunk, ((t + 1) * chunk).min(n)))
        .filter(|(b, e)| b < e)
        .collect()
}

/// Calls `f(position, vector)` for every position of the `outer × inner`
/// plane in the order ATen's kernel reaches it, `vector` saying whether
/// it is computed in vector lanes.
fn for_each_position(
    [outer, _, inner]: [usize; 3],
    lanes: usize,
    threads: usize,
    mut f: impl FnMut(usize, bool),
) {
    let n = outer * inner;
    for (begin, end) in thread_parts(n, GRAIN, threads) {
        let mut idx = begin;
        while idx < end {
            let inner_idx = idx % inner;
            if inner_idx + lanes <= inner && idx + lanes <= end {
                (idx..idx + lanes).for_each(|p| f(p, true));
                idx += lanes;
            } else {
                let tail = if idx + lanes > end {
                    end - idx
                } else {
                    inner - inner_idx
                };
                (idx..idx + tail).for_each(|p| f(p, false));
                idx += tail;
            }
        }
    }
}

/// One column (float32 values) normalised in place, in the vector or the
/// scalar loop's arithmetic.
fn column(values: &mut [f32], vector: bool) {
    let Some(&first) = values.first() else {
        return;
    };
    let max = values[1..].iter().fold(first, |m, &x| {
        if vector {
            if m.is_nan() || x.is_nan() {
                f32::NAN
            } else {
                m.max(x)
            }
        } else if m < x {
            x
        } else {
            m
        }
    });
    let exp: fn(f32) -> f32 = if vector { sleef_f32::exp } else { f32::exp };
    let mut sum = 0.0f32;
    for v in values.iter_mut() {
        *v = exp(*v - max);
        sum += *v;
    }
    values.iter_mut().for_each(|v| *v /= sum);
}

/// float32 softmax of the contiguous `[outer, size, inner]` buffer over its
/// middle dimension, written over `values`; `safe` makes columns that are
/// entirely `-inf` 0 (`_safe_softmax`).
pub(super) fn softmax(
    values: &mut [f64],
    geometry: [usize; 3],
    lanes: usize,
    threads: usize,
    safe: bool,
) {
    let [_, size, inner] = geometry;
    let mut col = vec![0f32; size];
    for_each_position(geometry, lanes, threads, |p, vector| {
        let base = (p / inner) * size * inner + p % inner;
        for (d, c) in col.iter_mut().enumerate() {
            *c = values[base + d * inner] as f32;
        }
        let masked = safe && col.iter().all(|&v| v == f32::NEG_INFINITY);
        column(&mut col, vector);
        for (d, &c) in col.iter().enumerate() {
            values[base + d * inner] = if masked { 0.0 } else { f64::from(c) };
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_split_into_vector_and_scalar_loops() {
        let mut seen = Vec::new();
        for_each_position([2, 3, 20], 16, 1, |p, v| seen.push((p, v)));
        let vector: Vec<usize> = seen.iter().filter(|s| s.1).map(|s| s.0).collect();
        let expected: Vec<usize> = (0..16).chain(20..36).collect();
        assert_eq!(vector, expected);
        assert_eq!(seen.len(), 40);
        // inner = 1: every column in the scalar loop
        let mut any_vector = false;
        for_each_position([40, 5, 1], 16, 2, |_, v| any_vector |= v);
        assert!(!any_vector);
    }

    #[test]
    fn threads_cut_the_plane_past_the_grain() {
        assert_eq!(thread_parts(100, 200, 2), vec![(0, 100)]);
        assert_eq!(thread_parts(300, 200, 2), vec![(0, 150), (150, 300)]);
        assert_eq!(thread_parts(300, 200, 1), vec![(0, 300)]);
        // 300 positions over two threads: the first part ends mid-row, so
        // its last 2 positions (148, 149: row 1's vectors start at 100)
        // fall short of a vector and are scalar; the second part starts
        // vectors at 150
        let mut vector = Vec::new();
        for_each_position([3, 2048, 100], 16, 2, |p, v| {
            if v {
                vector.push(p);
            }
        });
        assert!(vector.contains(&147) && !vector.contains(&148));
        assert!(vector.contains(&150) && vector.contains(&165));
        assert!(!vector.contains(&96) && !vector.contains(&198));
        // [3, 8, 16] over two threads: parts [0, 24) and [24, 48) leave the
        // middle row (16..32) entirely to the scalar loop
        let mut scalar = Vec::new();
        for_each_position([3, 8, 16], 16, 2, |p, v| {
            if !v {
                scalar.push(p);
            }
        });
        assert_eq!(scalar, (16..32).collect::<Vec<_>>());
    }

    #[test]
    fn scalar_max_passes_over_a_later_nan() {
        let mut col = [1.0f32, f32::NAN, 0.0];
        column(&mut col, false);
        assert!(col[1].is_nan() && col[0].is_nan());
        let mut col = [1.0f32, 2.0];
        column(&mut col, true);
        assert!((col[0] + col[1] - 1.0).abs() < 1e-6);
    }
}
