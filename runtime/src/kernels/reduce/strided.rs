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
//! block into the same results. Broadcast (stride-0) inputs and inputs of
//! [`super::cascade::GRAIN`] elements or more under several threads (which
//! split the loop between threads) are not modelled.

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
        })
    }

    /// The loop the kernel takes over the block, with `lanes` elements a
    /// vector.
    fn path(&self, lanes: usize) -> Path {
        let (d0, d1) = block(&self.dims);
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

    /// The sums of `values` (the input in logical order) in `F`, one per
    /// result in logical order.
    pub(super) fn sums<F: Float>(&self, values: &[F]) -> Vec<F> {
        let path = self.path(F::LANES);
        let memory = self.memory(values);
        let mut out = vec![F::zero(); self.outputs];
        let (d0, d1) = block(&self.dims);
        let outer = &self.dims[self.dims.len().min(2)..];
        let mut index = vec![0usize; outer.len()];
        let blocks: usize = outer.iter().map(|d| d.size).product();
        let inner = matches!(path, Path::VectorInner | Path::ScalarInner);
        let mut matrix = vec![F::zero(); d0.size * d1.size];
        for _ in 0..blocks {
            let (mut at_in, mut at_out) = (0usize, 0usize);
            for (d, &i) in outer.iter().zip(&index) {
                at_in += i * d.input;
                at_out += i * d.output;
            }
            for j in 0..d1.size {
                for i in 0..d0.size {
                    let v = memory[at_in + i * d0.input + j * d1.input];
                    let slot = if inner {
                        j * d0.size + i
                    } else {
                        i * d1.size + j
                    };
                    matrix[slot] = v;
                }
            }
            let sums: Vec<F> = match path {
                Path::VectorInner => matrix.chunks(d0.size).map(cascade::inner).collect(),
                Path::ScalarInner => matrix.chunks(d0.size).map(cascade::scalar_row).collect(),
                Path::VectorOuter | Path::ScalarOuter => {
                    let mut sums = vec![F::zero(); d1.size];
                    let vector = path == Path::VectorOuter;
                    cascade::outer_block(&matrix, d0.size, d1.size, 0..d1.size, &mut sums, vector);
                    sums
                }
            };
            for (j, s) in sums.into_iter().enumerate() {
                let o = &mut out[at_out + j * d1.output];
                *o = *o + s;
            }
            for (i, d) in index.iter_mut().zip(outer) {
                *i += 1;
                if *i < d.size {
                    break;
                }
                *i = 0;
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
        assert_eq!(walk.sums(&logical), [0.0, 0.0, 0.0, 0.0, 1.0]);
    }
}
