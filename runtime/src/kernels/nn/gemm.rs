//! A small dense matrix product on f64 slices, the inner step of the
//! convolution (im2col) and attention kernels.
//!
//! Row-major operands with an explicit row stride; either operand may be
//! read transposed. The loops are ordered so that the innermost one runs over
//! contiguous memory of both the output row and one operand row, which the
//! compiler vectorizes; operands are packed into contiguous row-major
//! buffers first when they are read transposed, so that every product takes
//! that path.

/// A read-only matrix: `rows x cols`, element `(i, j)` at
/// `data[i * row_stride + j]`, or at `data[j * row_stride + i]` when
/// `transposed` (the stored matrix is then `cols x rows`).
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub(crate) data: &'a [f64],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) row_stride: usize,
    pub(crate) transposed: bool,
}

impl<'a> Mat<'a> {
    /// A contiguous row-major `rows x cols` matrix.
    pub(crate) fn new(data: &'a [f64], rows: usize, cols: usize) -> Mat<'a> {
        Mat {
            data,
            rows,
            cols,
            row_stride: cols,
            transposed: false,
        }
    }

    /// The transpose of a contiguous row-major `cols x rows` matrix, seen as
    /// `rows x cols`.
    pub(crate) fn t(data: &'a [f64], rows: usize, cols: usize) -> Mat<'a> {
        Mat {
            data,
            rows,
            cols,
            row_stride: rows,
            transposed: true,
        }
    }

    fn get(&self, i: usize, j: usize) -> f64 {
        let at = if self.transposed {
            j * self.row_stride + i
        } else {
            i * self.row_stride + j
        };
        self.data.get(at).copied().unwrap_or(0.0)
    }

    /// The matrix as a contiguous row-major buffer (borrowed when it already is).
    fn packed(&self) -> std::borrow::Cow<'a, [f64]> {
        if !self.transposed && self.row_stride == self.cols {
            let end = (self.rows * self.cols).min(self.data.len());
            return std::borrow::Cow::Borrowed(&self.data[..end]);
        }
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for i in 0..self.rows {
            for j in 0..self.cols {
                out.push(self.get(i, j));
            }
        }
        std::borrow::Cow::Owned(out)
    }
}

/// `c += a @ b`, `c` contiguous row-major `a.rows x b.cols`.
/// Mismatched or short operands contribute nothing beyond their extent.
/// A zero element of `a` is skipped, so it does not turn a NaN or infinity
/// of `b` into NaN.
pub(crate) fn gemm_acc(a: Mat<'_>, b: Mat<'_>, c: &mut [f64]) {
    gemm_acc_with(a, b, c, true);
}

/// [`gemm_acc`] with every product taken, as a BLAS `gemm` does: a zero of
/// `a` times a NaN or infinity of `b` adds NaN.
pub(crate) fn gemm_acc_ieee(a: Mat<'_>, b: Mat<'_>, c: &mut [f64]) {
    gemm_acc_with(a, b, c, false);
}

fn gemm_acc_with(a: Mat<'_>, b: Mat<'_>, c: &mut [f64], skip_zeros: bool) {
    let (m, k, n) = (a.rows, a.cols.min(b.rows), b.cols);
    if m == 0 || k == 0 || n == 0 {
        return;
    }
    let a_cols = a.cols;
    let a = a.packed();
    let b = b.packed();
    for (i, c_row) in c.chunks_exact_mut(n).take(m).enumerate() {
        let Some(a_row) = a.get(i * a_cols..(i + 1) * a_cols) else {
            continue;
        };
        for (p, &x) in a_row.iter().take(k).enumerate() {
            if skip_zeros && x == 0.0 {
                continue;
            }
            let Some(b_row) = b.get(p * n..(p + 1) * n) else {
                continue;
            };
            for (out, &y) in c_row.iter_mut().zip(b_row) {
                *out += x * y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_with_transposed_operands() {
        // a = [[1, 2, 3], [4, 5, 6]], b = [[1, 0], [0, 1], [1, 1]]
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let mut c = vec![0.0; 4];
        gemm_acc(Mat::new(&a, 2, 3), Mat::new(&b, 3, 2), &mut c);
        assert_eq!(c, vec![4.0, 5.0, 10.0, 11.0]);
        // aᵀ @ a (3x3)
        let mut c = vec![0.0; 9];
        gemm_acc(Mat::t(&a, 3, 2), Mat::new(&a, 2, 3), &mut c);
        assert_eq!(
            c,
            vec![17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]
        );
        // a @ aᵀ (2x2), accumulating into existing values
        let mut c = vec![1.0; 4];
        gemm_acc(Mat::new(&a, 2, 3), Mat::t(&a, 3, 2), &mut c);
        assert_eq!(c, vec![15.0, 33.0, 33.0, 78.0]);
    }
}
