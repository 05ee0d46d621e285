//! Which dimensions a reduction reduces, the result's shape, and how the
//! input's elements group into the result's elements.
//!
//! PyTorch's rules (observed in torch 2.15): an absent or empty `dim` list
//! reduces every dimension; dimensions wrap like `maybe_wrap_dim` (a 0-dim
//! tensor accepts 0 and -1); a repeated dimension is an error; `keepdim`
//! keeps reduced dimensions with size 1. Results are contiguous.

use crate::error::{Result, RuntimeError};
use crate::tensor::strides::{contiguous_strides, numel, wrap_dim};

/// The geometry of one reduction.
#[derive(Clone, Debug)]
pub(crate) struct Reduction {
    /// The input's shape.
    pub(crate) in_shape: Vec<i64>,
    /// Per input dimension: whether it is reduced.
    pub(crate) reduce: Vec<bool>,
    /// The result's shape (reduced dimensions dropped unless `keepdim`).
    pub(crate) out_shape: Vec<i64>,
}

/// PyTorch's "Dimension out of range" error.
pub(crate) fn dim_error(op: &str, dim: i64, ndim: usize) -> RuntimeError {
    let n = ndim.max(1) as i64;
    RuntimeError::shape(
        op,
        format!(
            "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
            -n,
            n - 1
        ),
    )
}

/// Wraps `dim` for a tensor of `ndim` dimensions, with PyTorch's error.
pub(crate) fn wrap(op: &str, dim: i64, ndim: usize) -> Result<usize> {
    wrap_dim(dim, ndim).ok_or_else(|| dim_error(op, dim, ndim))
}

impl Reduction {
    /// A reduction of `shape` over `dims` (`None` or empty: every dimension).
    pub(crate) fn new(
        op: &str,
        shape: &[i64],
        dims: Option<&[i64]>,
        keepdim: bool,
    ) -> Result<Self> {
        let ndim = shape.len();
        let mut reduce = vec![false; ndim];
        match dims {
            Some(dims) if !dims.is_empty() => {
                let mut seen = vec![false; ndim.max(1)];
                for &d in dims {
                    let w = wrap(op, d, ndim)?;
                    if std::mem::replace(&mut seen[w], true) {
                        return Err(RuntimeError::shape(
                            op,
                            format!("dim {w} appears multiple times in the list of dims"),
                        ));
                    }
                    if ndim > 0 {
                        reduce[w] = true;
                    }
                }
            }
            _ => reduce.iter_mut().for_each(|r| *r = true),
        }
        Ok(Reduction::from_mask(shape, reduce, keepdim))
    }

    /// A reduction over the single dimension `dim`.
    pub(crate) fn single(op: &str, shape: &[i64], dim: i64, keepdim: bool) -> Result<Self> {
        Reduction::new(op, shape, Some(&[dim]), keepdim)
    }

    fn from_mask(shape: &[i64], reduce: Vec<bool>, keepdim: bool) -> Self {
        let out_shape = shape
            .iter()
            .zip(&reduce)
            .filter_map(|(&s, &r)| match (r, keepdim) {
                (false, _) => Some(s),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        Reduction {
            in_shape: shape.to_vec(),
            reduce,
            out_shape,
        }
    }

    /// The result's (contiguous) strides.
    pub(crate) fn out_strides(&self) -> Vec<i64> {
        contiguous_strides(&self.out_shape)
    }

    /// Number of result elements.
    pub(crate) fn out_numel(&self) -> usize {
        numel(&self.out_shape)
    }

    /// Number of input elements reduced into each result element.
    pub(crate) fn group_size(&self) -> usize {
        self.in_shape
            .iter()
            .zip(&self.reduce)
            .filter(|(_, r)| **r)
            .map(|(&s, _)| s.max(0) as usize)
            .product()
    }

    /// The input's elements (logical order) grouped by result element; within
    /// a group, elements keep their logical order (the order PyTorch's
    /// index-returning reductions break ties by).
    pub(crate) fn groups<T: Copy>(&self, values: &[T]) -> Vec<Vec<T>> {
        let kept: Vec<i64> = self
            .in_shape
            .iter()
            .zip(&self.reduce)
            .map(|(&s, &r)| if r { 1 } else { s })
            .collect();
        let kept_strides = contiguous_strides(&kept);
        let mut groups: Vec<Vec<T>> = (0..numel(&kept))
            .map(|_| Vec::with_capacity(self.group_size()))
            .collect();
        let ndim = self.in_shape.len();
        let mut index = vec![0i64; ndim];
        for &v in values {
            let pos: i64 = index
                .iter()
                .zip(&self.reduce)
                .zip(&kept_strides)
                .map(|((&i, &r), &s)| if r { 0 } else { i * s })
                .sum();
            if let Some(g) = usize::try_from(pos).ok().and_then(|p| groups.get_mut(p)) {
                g.push(v);
            }
            for d in (0..ndim).rev() {
                index[d] += 1;
                if index[d] < self.in_shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_groups() {
        let r = Reduction::new("t", &[2, 3], Some(&[-1]), false).expect("r");
        assert_eq!(r.out_shape, vec![2]);
        assert_eq!(
            r.groups(&[1, 2, 3, 4, 5, 6]),
            vec![vec![1, 2, 3], vec![4, 5, 6]]
        );
        let r = Reduction::new("t", &[2, 3], Some(&[0]), true).expect("r");
        assert_eq!(r.out_shape, vec![1, 3]);
        assert_eq!(r.groups(&[1, 2, 3, 4, 5, 6])[1], vec![2, 5]);
        let r = Reduction::new("t", &[2, 3], Some(&[]), false).expect("r");
        assert!(r.out_shape.is_empty());
        assert_eq!(r.group_size(), 6);
    }

    #[test]
    fn zero_dim_and_errors() {
        let r = Reduction::new("t", &[], Some(&[-1]), true).expect("r");
        assert!(r.out_shape.is_empty());
        let e = Reduction::new("t", &[2, 2], Some(&[5]), false).expect_err("oob");
        assert!(e.to_string().contains("[-2, 1], but got 5"));
        let e = Reduction::new("t", &[2, 2], Some(&[0, 0]), false).expect_err("dup");
        assert!(e.to_string().contains("dim 0 appears multiple times"));
    }
}
