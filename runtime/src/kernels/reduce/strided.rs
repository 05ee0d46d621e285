//! PyTorch's float sum of a non-contiguous input (a slice of a wider
//! matrix, a transpose, a step), or of a contiguous one reduced on both
//! sides of a kept dimension (`x.sum((0, 2))`), in the order its CPU kernel
//! walks memory.
//!
//! TensorIterator puts the reduced dimensions innermost, ordered by the
//! input's strides, and the kept ones after them in the result's (logical)
//! order, then merges neighbours that are one run in both tensors. The two
//! innermost dimensions are the sum kernel's 2-d block (`cascade_sum`,
//! torch 2.15), which takes one of four paths:
//!
//! * the first (reduced) run is contiguous and at least a vector long: each
//!   of the second dimension's rows is a vectorised row sum
//!   (`vectorized_inner_sum`);
//! * else the second dimension is contiguous and at least a vector wide:
//!   columns of vectors summed over the rows (`vectorized_outer_sum`);
//! * else, with the first stride the smaller: scalar row sums
//!   (`scalar_inner_sum`);
//! * else four columns at a time, then one (`scalar_outer_sum`).
//!
//! Every path cascades its partial sums as the contiguous ones do
//! ([`super::cascade`]) and adds each into its result, which starts at
//! zero; the dimensions outside the block loop around it, so a reduced one
//! among them (two reduced dimensions that do not merge) adds block after
//! block into the same results.
//!
//! From [`super::cascade::GRAIN`] elements on, several threads share the
//! loop: a single result is summed by each thread over its consecutive part
//! of the loop positions, called in pieces that may start or end inside a
//! row, and the threads' partials summed last; several results are shared
//! out by columns of one kept dimension. Broadcast (stride-0) inputs are
//! not modelled.

use super::cascade::{self, Float};

/// Which of the kernel's four loops sums a 2-d block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    VectorInner,
    VectorOuter,
    ScalarInner,
    ScalarOuter,
}

/// One loop dimension: its size and its strides (elements) in the input and
/// in the (contiguous) result, 0 along a reduced dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dim {
    size: usize,
    input: usize,
    output: usize,
}

/// TensorIterator's loop over one strided sum: the dimensions innermost
/// first, merged where they are one run in both tensors; the first two are
/// the kernel's 2-d block, the rest loop around it, every block adding its
/// sums into the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Walk {
    dims: Vec<Dim>,
    shape: Vec<usize>,
    strides: Vec<usize>,
    outputs: usize,
    /// Whether every thread count runs the one loop of a single thread (the
    /// `strided-sum-one-loop` fault).
    one_loop: bool,
}

impl Walk {
    /// The walk of summing a tensor of `shape` and `strides` (elements) over
    /// the dimensions flagged in `reduce`;
    /// `None` for broadcast (stride-0) or empty inputs and where no
    /// reduced dimension has more than one element.
    pub(super) fn new(shape: &[i64], strides: &[i64], reduce: &[bool]) -> Option<Walk> {
        let sizes: Vec<usize> = shape
            .iter()
            .map(|&s| usize::try_from(s).ok())
            .collect::<Option<_>>()?;
        let steps: Vec<usize> = strides
            .iter()
            .map(|&s| usize::try_from(s).ok())
            .collect::<Option<_>>()?;
        if sizes.contains(&0) {
            return None;
        }
        let mut reduced = Vec::new();
        let mut kept = Vec::new();
        let mut out_stride = 1usize;
        for d in (0..sizes.len()).rev() {
            if sizes[d] == 1 {
                continue;
            }
            if steps[d] == 0 {
                return None;
            }
            if reduce[d] {
                reduced.push(Dim {
                    size: sizes[d],
                    input: steps[d],
                    output: 0,
                });
            } else {
                kept.push(Dim {
                    size: sizes[d],
                    input: steps[d],
                    output: out_stride,
                });
                out_stride = out_stride.checked_mul(sizes[d])?;
            }
        }
        if reduced.is_empty() {
            return None;
        }
        // reduced dimensions innermost, by the input's strides; kept ones
        // after them, the result's last dimension first
        reduced.sort_by_key(|d| (d.input, d.size));
        let dims = merged(reduced.into_iter().chain(kept).collect())?;
        Some(Walk {
            dims,
            shape: sizes,
            strides: steps,
            outputs: out_stride,
            one_loop: false,
        })
    }

    /// The same walk run as one loop under any thread count (the
    /// `strided-sum-one-loop` fault).
    pub(super) fn in_one_loop(self) -> Walk {
        Walk {
            one_loop: true,
            ..self
        }
    }

    /// The loop the kernel takes over the whole first block, with `lanes`
    /// elements a vector.
    #[cfg(test)]
    fn path(&self, lanes: usize) -> Path {
        let (d0, d1) = block(&self.dims);
        path(d0, d1, lanes)
    }

    /// The sums of `values` (the input in logical order) in `F`, one per
    /// result in logical order, as the kernel runs them on `threads`
    /// intra-op threads: one loop over the whole input below
    /// [`cascade::GRAIN`] elements or on one thread; else a single result
    /// is summed per thread over consecutive parts of the loop and the
    /// threads' partials summed after (`two_pass_reduction`), and several
    /// results are shared out by a kept dimension (`parallel_dim_reduction`).
    pub(super) fn sums<F: Float>(&self, values: &[F], threads: usize) -> Vec<F> {
        let memory = self.memory(values);
        let mut out = vec![F::zero(); self.outputs];
        let numel: usize = self.dims.iter().map(|d| d.size).product();
        if numel < cascade::GRAIN || threads <= 1 || self.one_loop {
            add_range(&memory, &self.dims, Base::default(), 0..numel, &mut out);
        } else if self.outputs == 1 {
            let mut partials = vec![F::zero(); threads];
            for (t, part) in cascade::chunks(numel, cascade::GRAIN, threads)
                .into_iter()
                .enumerate()
            {
                add_range(
                    &memory,
                    &self.dims,
                    Base::default(),
                    part,
                    &mut partials[t..=t],
                );
            }
            out[0] = out[0] + cascade::inner(&partials);
        } else {
            let split = split_dim(&self.dims, threads);
            let cols = self.dims[split].size;
            // columns in runs of 128 bytes where they are neighbours in memory
            let per = if self.dims[split].input == 1 {
                128 / F::BYTES
            } else {
                1
            };
            for part in cascade::chunks(cols, 1, threads) {
                let begin = part.start - part.start % per;
                let end = if part.end == cols {
                    part.end
                } else {
                    part.end - part.end % per
                };
                if begin >= end {
                    continue;
                }
                let mut dims = self.dims.clone();
                dims[split].size = end - begin;
                let base = Base {
                    input: begin * dims[split].input,
                    output: begin * dims[split].output,
                };
                let n: usize = dims.iter().map(|d| d.size).product();
                add_range(&memory, &dims, base, 0..n, &mut out);
            }
        }
        out
    }

    /// The input's elements at their offsets from its first one.
    fn memory<F: Float>(&self, values: &[F]) -> Vec<F> {
        let span = 1 + self
            .shape
            .iter()
            .zip(&self.strides)
            .map(|(&n, &s)| (n - 1) * s)
            .sum::<usize>();
        let mut memory = vec![F::zero(); span];
        let mut index = vec![0usize; self.shape.len()];
        for &v in values {
            let offset: usize = index.iter().zip(&self.strides).map(|(&i, &s)| i * s).sum();
            memory[offset] = v;
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < self.shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        memory
    }
}

/// Which loop the kernel takes over a 2-d block of `d0` by `d1` (sizes of
/// this call, strides of the walk), with `lanes` elements a vector.
fn path(d0: Dim, d1: Dim, lanes: usize) -> Path {
    if d0.input == 1 && d0.size >= lanes {
        Path::VectorInner
    } else if d1.input == 1 && d1.size >= lanes {
        Path::VectorOuter
    } else if d0.input < d1.input {
        Path::ScalarInner
    } else {
        Path::ScalarOuter
    }
}

/// Where a (narrowed) walk starts in the input's memory and in the result.
#[derive(Debug, Clone, Copy, Default)]
struct Base {
    input: usize,
    output: usize,
}

/// Adds the sums of the loop positions `range` (linear over `dims`,
/// innermost first) into `out`, in the steps the kernel is called with
/// (`serial_for_each`): from a position inside a row, the rest of that
/// row; then as many whole rows as the second dimension has left; a last
/// part of a row where the range ends inside one. Each call picks its loop
/// by its own sizes.
fn add_range<F: Float>(
    memory: &[F],
    dims: &[Dim],
    base: Base,
    range: std::ops::Range<usize>,
    out: &mut [F],
) {
    let (d0, d1) = block(dims);
    // position along every dimension (`DimCounter`)
    let mut index = vec![0usize; dims.len()];
    let mut rest = range.start;
    for (i, d) in index.iter_mut().zip(dims) {
        *i = rest % d.size;
        rest /= d.size;
    }
    let mut offset = range.start;
    let mut matrix = Vec::new();
    while offset < range.end {
        let at = index.first().copied().unwrap_or(0);
        let step0 = (d0.size - at).min(range.end - offset);
        let step1 = if step0 == d0.size {
            let row = index.get(1).copied().unwrap_or(0);
            (d1.size - row).min((range.end - offset) / d0.size)
        } else {
            1
        };
        let (mut at_in, mut at_out) = (base.input, base.output);
        for (d, &i) in dims.iter().zip(&index) {
            at_in += i * d.input;
            at_out += i * d.output;
        }
        let b0 = Dim { size: step0, ..d0 };
        let b1 = Dim { size: step1, ..d1 };
        let sums = block_sums(memory, at_in, b0, b1, &mut matrix);
        for (j, s) in sums.into_iter().enumerate() {
            let o = &mut out[at_out + j * b1.output];
            *o = *o + s;
        }
        offset += step0 * step1;
        advance(&mut index, dims, step0, step1);
    }
}

/// Moves the position on by one call's `step0` by `step1` elements.
fn advance(index: &mut [usize], dims: &[Dim], step0: usize, step1: usize) {
    let (first, mut carry) = if step1 != 1 { (1, step1) } else { (0, step0) };
    for (i, d) in index.iter_mut().zip(dims).skip(first) {
        if carry == 0 {
            break;
        }
        let value = *i + carry;
        if value >= d.size {
            *i = value - d.size;
            carry = 1;
        } else {
            *i = value;
            carry = 0;
        }
    }
}

/// The sums of one call's block (`b0` reduced, `b1` one sum each) from
/// `at` in memory, by the loop its sizes and strides select.
fn block_sums<F: Float>(memory: &[F], at: usize, b0: Dim, b1: Dim, matrix: &mut Vec<F>) -> Vec<F> {
    let path = path(b0, b1, F::LANES);
    let inner = matches!(path, Path::VectorInner | Path::ScalarInner);
    matrix.clear();
    matrix.resize(b0.size * b1.size, F::zero());
    for j in 0..b1.size {
        for i in 0..b0.size {
            let slot = if inner {
                j * b0.size + i
            } else {
                i * b1.size + j
            };
            matrix[slot] = memory[at + i * b0.input + j * b1.input];
        }
    }
    match path {
        Path::VectorInner => matrix.chunks(b0.size).map(cascade::inner).collect(),
        Path::ScalarInner => matrix.chunks(b0.size).map(cascade::scalar_row).collect(),
        Path::VectorOuter | Path::ScalarOuter => {
            let mut sums = vec![F::zero(); b1.size];
            let vector = path == Path::VectorOuter;
            cascade::outer_block(matrix, b0.size, b1.size, 0..b1.size, &mut sums, vector);
            sums
        }
    }
}

/// The kept dimension the results are shared out by between threads
/// (`find_split_dim`): from the outermost inwards over the kept ones, the
/// first with at least one column per thread, else the largest (the
/// outermost of equals).
fn split_dim(dims: &[Dim], threads: usize) -> usize {
    let mut best = dims.len() - 1;
    for (k, d) in dims.iter().enumerate().rev() {
        if d.output == 0 {
            break;
        }
        if d.size >= threads {
            return k;
        }
        if d.size > dims[best].size {
            best = k;
        }
    }
    best
}

/// The kernel's 2-d block: the two innermost loop dimensions (a missing
/// second one has size 1 and strides 0).
fn block(dims: &[Dim]) -> (Dim, Dim) {
    let none = Dim {
        size: 1,
        input: 0,
        output: 0,
    };
    (
        dims.first().copied().unwrap_or(none),
        dims.get(1).copied().unwrap_or(none),
    )
}

/// Neighbouring dimensions merged where the outer one continues the inner
/// one in both tensors.
fn merged(dims: Vec<Dim>) -> Option<Vec<Dim>> {
    let mut out: Vec<Dim> = Vec::with_capacity(dims.len());
    for d in dims {
        if let Some(last) = out.last_mut()
            && d.input == last.input.checked_mul(last.size)?
            && d.output == last.output.checked_mul(last.size)?
        {
            last.size = last.size.checked_mul(d.size)?;
            continue;
        }
        out.push(d);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: f32 = 33_554_432.0; // 2^25

    #[test]
    fn paths_follow_the_strides() {
        // [8, 20] slice of a [8, 43] matrix
        let w = |shape: &[i64], strides: &[i64], reduce: &[bool]| {
            Walk::new(shape, strides, reduce).map(|w| w.path(8))
        };
        assert_eq!(
            w(&[8, 20], &[43, 1], &[false, true]),
            Some(Path::VectorInner)
        );
        assert_eq!(
            w(&[8, 5], &[43, 1], &[false, true]),
            Some(Path::ScalarInner)
        );
        assert_eq!(
            w(&[8, 20], &[43, 1], &[true, false]),
            Some(Path::VectorOuter)
        );
        assert_eq!(
            w(&[8, 5], &[43, 1], &[true, false]),
            Some(Path::ScalarOuter)
        );
        // a step of 2 along the rows, a transpose
        assert_eq!(
            w(&[8, 20], &[43, 2], &[false, true]),
            Some(Path::ScalarInner)
        );
        assert_eq!(
            w(&[8, 20], &[43, 2], &[true, false]),
            Some(Path::ScalarOuter)
        );
        assert_eq!(
            w(&[20, 8], &[1, 43], &[true, false]),
            Some(Path::VectorInner)
        );
        // kept dimensions that are not one run loop around the block
        assert_eq!(
            w(&[3, 4, 5], &[1, 3, 12], &[true, false, false]),
            Some(Path::ScalarInner)
        );
        // one element per result
        assert_eq!(w(&[1, 5], &[43, 2], &[true, false]), None);
    }

    /// Columns 0..4 of rows that skip: `2^25, 1, ..., -2^25` down a column
    /// summed four rows at a time keeps the 1 only where row 4 meets row 0
    /// first (the scalar outer loop's four-way split).
    #[test]
    fn scalar_outer_columns_split_their_rows_four_ways() {
        let (rows, cols, pitch) = (6usize, 5usize, 11usize);
        let mut base = vec![0.0f32; rows * pitch];
        for c in 0..cols {
            base[c * 2] = BIG;
            base[pitch + c * 2] = 1.0;
            base[4 * pitch + c * 2] = -BIG;
        }
        let walk = Walk::new(
            &[rows as i64, cols as i64],
            &[pitch as i64, 2],
            &[true, false],
        )
        .expect("a 2-d walk");
        let logical: Vec<f32> = (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .map(|(r, c)| base[r * pitch + c * 2])
            .collect();
        // four columns through `multi_row_sum` (rows in order: the 1 is
        // lost), the fifth through `row_sum` (row 4 meets row 0: kept)
        assert_eq!(walk.sums(&logical, 1), [0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    /// The total of a `[3, 15000]` slice of a wider matrix: one loop adds
    /// the rows in order (`1 + 2^25` loses the 1); two threads take 22 500
    /// positions each, so the second starts inside row 1 and its partial
    /// `2^25 - 2^25` leaves the first thread's 1 standing.
    #[test]
    fn threads_split_a_total_inside_a_row() {
        let (rows, cols) = (3usize, 15_000usize);
        let mut logical = vec![0.0f32; rows * cols];
        logical[0] = 1.0;
        logical[cols + 7_500] = BIG;
        logical[2 * cols] = -BIG;
        let walk = Walk::new(&[3, 15_000], &[15_001, 1], &[true, true]).expect("a walk");
        assert_eq!(walk.sums(&logical, 1), [0.0]);
        assert_eq!(walk.sums(&logical, 2), [1.0]);
        assert_eq!(walk.clone().in_one_loop().sums(&logical, 2), [0.0]);
    }

    /// Several results are shared out by columns: 50 stepped columns split
    /// 25/25 between two threads put column 24 in a scalar sum of its own
    /// (the split rule of the four-column loop), where one thread sums it
    /// with columns 25-27.
    #[test]
    fn threads_share_out_stepped_columns() {
        let (rows, cols) = (1_000usize, 50usize);
        let mut logical = vec![0.0f32; rows * cols];
        // column 24: 2^25, 1, 1, 1, then -2^25 four rows on
        logical[24] = BIG;
        for r in 1..4 {
            logical[r * cols + 24] = 1.0;
        }
        logical[4 * cols + 24] = -BIG;
        let walk = Walk::new(&[1_000, 50], &[100, 2], &[true, false]).expect("a walk");
        let one = walk.sums(&logical, 1);
        let two = walk.sums(&logical, 2);
        // four columns at a time add the rows in order: the ones are lost
        assert_eq!(one[24], 0.0);
        // alone, the column is split four ways (row 4k + j into partial j):
        // rows 0 and 4 cancel in partial 0, the ones stay in partials 1-3
        assert_eq!(two[24], 3.0);
        assert_eq!(one[..24], two[..24]);
    }
}
