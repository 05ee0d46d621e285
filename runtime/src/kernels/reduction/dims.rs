//! Which dimensions a reduction reduces, the result's shape, and how the
//! input's elements group into the result's elements.
//!
//! PyTorch's rules (observed in torch 2.15): an absent or empty `dim` list
//! reduces every dimension; dimensions wrap like `maybe_wrap_dim` (a 0-dim
//! tensor accepts 0 and -1); a repeated dimension is an error; `keepdim`
//! keeps reduced dimensions with size 1. Results are contiguous.

use crate::error::{Result, RuntimeError};
use crate::tensor::strides::{StridedRuns, contiguous_strides, numel, wrap_dim};

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

    /// The f64 sum of each group of [`Reduction::groups`], each accumulated
    /// in the group's logical order as `groups(values)[g].iter().sum()`
    /// does, without building the groups: the input is walked once in runs
    /// whose elements land on consecutive (or one) result elements.
    pub(crate) fn sums(&self, values: &[f64]) -> Vec<f64> {
        let kept: Vec<i64> = self
            .in_shape
            .iter()
            .zip(&self.reduce)
            .map(|(&s, &r)| if r { 1 } else { s })
            .collect();
        let target: Vec<i64> = contiguous_strides(&kept)
            .iter()
            .zip(&self.reduce)
            .map(|(&s, &r)| if r { 0 } else { s })
            .collect();
        let zero: f64 = std::iter::empty::<f64>().sum();
        let mut acc = vec![zero; numel(&kept)];
        let mut rest = values;
        for run in StridedRuns::new(&self.in_shape, &target, 0) {
            let (head, tail) = rest.split_at(run.len.min(rest.len()));
            rest = tail;
            let Ok(start) = usize::try_from(run.start) else {
                continue;
            };
            if run.step == 0 {
                if let Some(a) = acc.get_mut(start) {
                    *a = head.iter().fold(*a, |s, &v| s + v);
                }
            } else if run.step == 1
                && let Some(dst) = acc.get_mut(start..start + head.len())
            {
                dst.iter_mut().zip(head).for_each(|(a, &v)| *a += v);
            } else {
                for (i, &v) in head.iter().enumerate() {
                    let p = run.start + run.step * i as i64;
                    if let Some(a) = usize::try_from(p).ok().and_then(|p| acc.get_mut(p)) {
                        *a += v;
                    }
                }
            }
        }
        acc
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
    fn sums_are_the_groups_summed_in_order() {
        let cases: &[(&[i64], &[i64])] = &[
            (&[64, 16], &[0]),
            (&[64, 16], &[1]),
            (&[4, 5, 6], &[0, 2]),
            (&[4, 5, 6], &[1]),
            (&[3, 1, 4], &[0]),
            (&[2, 3], &[]),
            (&[], &[]),
        ];
        for &(shape, dims) in cases {
            let r = Reduction::new("sum", shape, Some(dims), false).expect("reduction");
            let n = numel(shape);
            // values whose sums depend on the order (cancellation, ulps)
            let values: Vec<f64> = (0..n)
                .map(|i| (i as f64 * 0.37).sin() * 10f64.powi((i % 7) as i32 - 3))
                .collect();
            let expected: Vec<f64> = r.groups(&values).iter().map(|g| g.iter().sum()).collect();
            let got = r.sums(&values);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{shape:?} {dims:?}"
            );
        }
    }

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
