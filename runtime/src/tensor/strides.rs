//! Shape and stride arithmetic, with PyTorch's definitions.
//!
//! Pure functions over `&[i64]` sizes and strides (in elements): contiguity,
//! "non-overlapping and dense", broadcasting, `expand` and `view` geometry and
//! the storage span a layout needs. Their corner cases (size-1 dimensions are
//! ignored by contiguity checks, `view` groups dimensions into contiguous
//! chunks, ...) follow PyTorch's so that the strides we record match the
//! strides PyTorch records.

/// Largest number of elements a tensor with data may have (4 GiB of
/// float32). Larger requests fail with a shape error before anything is
/// allocated; `meta` tensors have no limit.
pub const MAX_ELEMENTS: usize = 1 << 30;

/// Number of elements of `shape`, or `None` when a size is negative or the
/// product overflows.
pub fn checked_numel(shape: &[i64]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| {
        let d = usize::try_from(d).ok()?;
        acc.checked_mul(d)
    })
}

/// Number of elements (0 for an invalid shape; validate with [`checked_numel`] first).
pub fn numel(shape: &[i64]) -> usize {
    checked_numel(shape).unwrap_or(0)
}

/// Row-major strides for `shape` (size-0 and size-1 dimensions count as 1).
pub fn contiguous_strides(shape: &[i64]) -> Vec<i64> {
    let mut strides = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1].saturating_mul(shape[d + 1].max(1));
    }
    strides
}

/// PyTorch's `get_channels_last_strides_2d` (4-d, NHWC) and
/// `get_channels_last_strides_3d` (5-d, NDHWC): channels innermost, then the
/// spatial dimensions from the last, then the batch; plain products of the
/// sizes (a size-0 dimension zeroes the strides outside it, unlike
/// [`contiguous_strides`]). `None` for any other rank.
pub fn channels_last_strides(shape: &[i64]) -> Option<Vec<i64>> {
    let order: &[usize] = match shape.len() {
        4 => &[1, 3, 2, 0],
        5 => &[1, 4, 3, 2, 0],
        _ => return None,
    };
    let mut strides = vec![0i64; shape.len()];
    let mut next = 1i64;
    for &d in order {
        strides[d] = next;
        next = next.saturating_mul(shape[d]);
    }
    Some(strides)
}

/// PyTorch's `is_contiguous()`: row-major, ignoring size-1 dimensions; empty
/// tensors are contiguous.
pub fn is_contiguous(shape: &[i64], strides: &[i64]) -> bool {
    if numel(shape) == 0 {
        return true;
    }
    let mut expected = 1i64;
    for (&size, &stride) in shape.iter().zip(strides).rev() {
        if size != 1 {
            if stride != expected {
                return false;
            }
            expected = expected.saturating_mul(size);
        }
    }
    true
}

/// PyTorch's `is_non_overlapping_and_dense()`: some permutation of the
/// dimensions is contiguous.
pub fn is_non_overlapping_and_dense(shape: &[i64], strides: &[i64]) -> bool {
    if shape.len() == 1 {
        return shape[0] < 2 || strides[0] == 1;
    }
    let mut perm: Vec<usize> = (0..shape.len()).collect();
    // Dimensions of size 0 or 1 go last; the rest by increasing stride.
    perm.sort_by_key(|&d| (shape[d] < 2, strides[d]));
    let mut required = 1i64;
    for d in perm {
        if shape[d] < 2 {
            return true;
        }
        if strides[d] != required {
            return false;
        }
        required = required.saturating_mul(shape[d]);
    }
    true
}

/// Elements of storage a tensor with this geometry touches (PyTorch's
/// `computeStorageNbytes` in elements), or `None` for negative strides or
/// overflow.
pub fn storage_span(shape: &[i64], strides: &[i64], offset: i64) -> Option<usize> {
    let offset = usize::try_from(offset).ok()?;
    if checked_numel(shape)? == 0 {
        return Some(offset);
    }
    let mut last = 0usize;
    for (&size, &stride) in shape.iter().zip(strides) {
        let size = usize::try_from(size).ok()?;
        let stride = usize::try_from(stride).ok()?;
        last = last.checked_add((size - 1).checked_mul(stride)?)?;
    }
    offset.checked_add(last)?.checked_add(1)
}

/// For every index of the broadcast batch `to`, the flat index into the
/// batch `from` it reads (size-1 and missing leading dimensions repeat).
pub(crate) fn broadcast_index(from: &[i64], to: &[i64]) -> Vec<usize> {
    let size = |d: i64| usize::try_from(d).unwrap_or(0);
    let total: usize = to.iter().map(|&d| size(d)).product();
    let lead = to.len() - from.len().min(to.len());
    (0..total)
        .map(|mut flat| {
            let (mut src, mut stride) = (0usize, 1usize);
            for k in (0..to.len()).rev() {
                let idx = flat % size(to[k]).max(1);
                flat /= size(to[k]).max(1);
                if k >= lead {
                    let d = size(from[k - lead]);
                    if d > 1 {
                        src += idx * stride;
                    }
                    stride *= d.max(1);
                }
            }
            src
        })
        .collect()
}

/// The broadcast of two shapes, or `None` when they do not broadcast.
pub fn broadcast_shapes(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let n = a.len().max(b.len());
    let mut out = vec![0i64; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// Strides that make `(shape, strides)` read as `target` (PyTorch's
/// `inferExpandGeometry`): expanded size-1 dimensions and new leading
/// dimensions get stride 0, except a new leading dimension of size 1, which
/// gets the size times the stride of the dimension after it (every stride of
/// an expanded 0-dim tensor is 0); `-1` keeps an existing size.
pub fn expand_geometry(
    shape: &[i64],
    strides: &[i64],
    target: &[i64],
) -> Result<(Vec<i64>, Vec<i64>), String> {
    if target.len() < shape.len() {
        return Err(format!(
            "the number of sizes provided ({}) must be greater or equal to the number of \
             dimensions in the tensor ({})",
            target.len(),
            shape.len()
        ));
    }
    let lead = target.len() - shape.len();
    let mut out_shape = vec![0i64; target.len()];
    let mut out_strides = vec![0i64; target.len()];
    for i in (0..target.len()).rev() {
        let want = target[i];
        if i < lead {
            if want < 0 {
                return Err(format!(
                    "the expanded size of the tensor ({want}) isn't allowed in a leading, \
                     non-existing dimension {i}"
                ));
            }
            out_shape[i] = want;
            // A new dimension of size 1 strides over everything after it,
            // as unsqueeze's would; one that broadcasts, and every
            // dimension of an expanded 0-dim tensor, gets stride 0.
            out_strides[i] = if want == 1 && !shape.is_empty() {
                out_shape[i + 1] * out_strides[i + 1]
            } else {
                0
            };
            continue;
        }
        let have = shape[i - lead];
        let size = if want == -1 { have } else { want };
        if have == size {
            out_shape[i] = size;
            out_strides[i] = strides[i - lead];
        } else if have == 1 && size >= 0 {
            out_shape[i] = size;
            out_strides[i] = 0;
        } else {
            return Err(format!(
                "The expanded size of the tensor ({size}) must match the existing size ({have}) \
                 at non-singleton dimension {i}.  Target sizes: {target:?}.  Tensor sizes: \
                 {shape:?}"
            ));
        }
    }
    Ok((out_shape, out_strides))
}

/// Replaces a single `-1` in `requested` so that the element count is `numel`
/// (PyTorch's `infer_size`).
pub fn infer_size(requested: &[i64], numel: usize) -> Result<Vec<i64>, String> {
    let mut out = requested.to_vec();
    let mut infer_at = None;
    let mut known: usize = 1;
    for (i, &d) in requested.iter().enumerate() {
        if d == -1 {
            if infer_at.replace(i).is_some() {
                return Err("only one dimension can be inferred".into());
            }
        } else {
            let d = usize::try_from(d).map_err(|_| format!("invalid shape dimension {d}"))?;
            known = known
                .checked_mul(d)
                .ok_or_else(|| format!("shape {requested:?} overflows"))?;
        }
    }
    match infer_at {
        Some(i) if known != 0 && numel.is_multiple_of(known) => {
            out[i] = i64::try_from(numel / known).map_err(|_| "size overflow".to_string())?;
            Ok(out)
        }
        None if known == numel => Ok(out),
        _ => Err(format!(
            "shape '{requested:?}' is invalid for input of size {numel}"
        )),
    }
}

/// Strides for viewing `(old_shape, old_strides)` as `new_shape` without
/// copying, or `None` when the memory layout does not allow it (PyTorch's
/// `computeStride`: dimensions are matched chunk by contiguous chunk).
pub fn view_strides(old_shape: &[i64], old_strides: &[i64], new_shape: &[i64]) -> Option<Vec<i64>> {
    if old_shape.is_empty() {
        return Some(vec![1; new_shape.len()]);
    }
    let total = numel(old_shape);
    if total == 0 && old_shape == new_shape {
        return Some(old_strides.to_vec());
    }
    let mut new_strides = vec![0i64; new_shape.len()];
    if total == 0 {
        for d in (0..new_shape.len()).rev() {
            new_strides[d] = if d + 1 == new_shape.len() {
                1
            } else {
                new_shape[d + 1].max(1).saturating_mul(new_strides[d + 1])
            };
        }
        return Some(new_strides);
    }
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *old_strides.last()?;
    let mut tensor_numel: i64 = 1;
    let mut view_numel: i64 = 1;
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel = tensor_numel.saturating_mul(old_shape[tensor_d]);
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1
                && old_strides[tensor_d - 1] != tensor_numel.saturating_mul(chunk_base_stride));
        if chunk_ends {
            while view_d >= 0 {
                let vd = view_d as usize;
                if !(view_numel < tensor_numel || new_shape[vd] == 1) {
                    break;
                }
                new_strides[vd] = view_numel.saturating_mul(chunk_base_stride);
                view_numel = view_numel.saturating_mul(new_shape[vd]);
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

/// Wraps a possibly negative dimension index (PyTorch's `maybe_wrap_dim`).
pub fn wrap_dim(dim: i64, ndim: usize) -> Option<usize> {
    let n = i64::try_from(ndim.max(1)).ok()?;
    let d = if dim < 0 { dim + n } else { dim };
    (0..n).contains(&d).then_some(d as usize)
}

/// Storage offsets of every element of a strided tensor, in logical C order.
#[derive(Clone, Debug)]
pub struct StridedOffsets<'a> {
    shape: &'a [i64],
    strides: &'a [i64],
    index: Vec<i64>,
    next: Option<i64>,
}

impl<'a> StridedOffsets<'a> {
    /// Iterates `(shape, strides)` starting at storage offset `offset`.
    pub fn new(shape: &'a [i64], strides: &'a [i64], offset: i64) -> StridedOffsets<'a> {
        let empty = shape.iter().any(|&d| d <= 0);
        StridedOffsets {
            shape,
            strides,
            index: vec![0; shape.len()],
            next: (!empty).then_some(offset),
        }
    }
}

impl Iterator for StridedOffsets<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let current = self.next?;
        // Advance the odometer, innermost dimension first.
        let mut pos = Some(current);
        let mut d = self.shape.len();
        loop {
            if d == 0 {
                pos = None;
                break;
            }
            d -= 1;
            self.index[d] += 1;
            if self.index[d] < self.shape[d] {
                pos = pos.map(|p| p + self.strides[d]);
                break;
            }
            pos = pos.map(|p| p - (self.shape[d] - 1) * self.strides[d]);
            self.index[d] = 0;
        }
        self.next = pos;
        usize::try_from(current).ok()
    }
}

/// One run of a strided tensor's elements: `len` storage positions from
/// `start`, `step` apart (a step of 0 repeats one element, as broadcasting
/// does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// Storage position of the first element.
    pub start: i64,
    /// Distance between consecutive elements.
    pub step: i64,
    /// Number of elements.
    pub len: usize,
}

/// The storage positions of every element of a strided tensor in logical C
/// order, as runs along its innermost dimension after merging dimensions
/// that are contiguous with each other (size-1 dimensions are dropped): a
/// contiguous tensor is one run with step 1, a transposed matrix one run per
/// row. Kernels read and write a run as a slice, without per-element index
/// arithmetic.
#[derive(Clone, Debug)]
pub struct StridedRuns {
    /// Outer dimensions (sizes and strides), outermost first.
    outer: Vec<(i64, i64)>,
    index: Vec<i64>,
    next: Option<i64>,
    step: i64,
    len: usize,
    numel: usize,
}

impl StridedRuns {
    /// The runs of `(shape, strides)` starting at storage offset `offset`.
    pub fn new(shape: &[i64], strides: &[i64], offset: i64) -> StridedRuns {
        let numel = numel(shape);
        let mut dims: Vec<(i64, i64)> = Vec::with_capacity(shape.len());
        for (&size, &stride) in shape.iter().zip(strides) {
            if size == 1 {
                continue;
            }
            match dims.last_mut() {
                Some(last) if last.1 == stride.saturating_mul(size) => {
                    *last = (last.0.saturating_mul(size), stride);
                }
                _ => dims.push((size, stride)),
            }
        }
        let (len, step) = dims.pop().unwrap_or((1, 0));
        StridedRuns {
            index: vec![0; dims.len()],
            outer: dims,
            next: (numel > 0).then_some(offset),
            step,
            len: usize::try_from(len).unwrap_or(0),
            numel,
        }
    }

    /// Number of elements over all runs.
    pub fn numel(&self) -> usize {
        self.numel
    }
}

impl Iterator for StridedRuns {
    type Item = Run;

    fn next(&mut self) -> Option<Run> {
        let start = self.next?;
        let mut pos = Some(start);
        let mut d = self.outer.len();
        loop {
            if d == 0 {
                pos = None;
                break;
            }
            d -= 1;
            let (size, stride) = self.outer[d];
            self.index[d] += 1;
            if self.index[d] < size {
                pos = pos.map(|p| p + stride);
                break;
            }
            pos = pos.map(|p| p - (size - 1) * stride);
            self.index[d] = 0;
        }
        self.next = pos;
        Some(Run {
            start,
            step: self.step,
            len: self.len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguity_ignores_size_one_dims() {
        // (16, 1) with strides (1, 1) is what PyTorch gives addmm's output.
        assert!(is_contiguous(&[16, 1], &[1, 1]));
        assert!(is_contiguous(&[1, 8], &[8, 1]));
        assert!(!is_contiguous(&[4, 8], &[1, 4]));
        assert!(is_non_overlapping_and_dense(&[4, 8], &[1, 4]));
        assert!(!is_non_overlapping_and_dense(&[3], &[0]));
        assert!(is_contiguous(&[], &[]));
    }

    #[test]
    fn contiguous_strides_match_pytorch() {
        assert_eq!(contiguous_strides(&[16, 4]), vec![4, 1]);
        assert_eq!(contiguous_strides(&[2, 0, 3]), vec![3, 3, 1]);
        assert_eq!(contiguous_strides(&[]), Vec::<i64>::new());
    }

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[16, 8], &[8]), Some(vec![16, 8]));
        assert_eq!(broadcast_shapes(&[3, 1], &[1, 4]), Some(vec![3, 4]));
        assert_eq!(broadcast_shapes(&[], &[2]), Some(vec![2]));
        assert_eq!(broadcast_shapes(&[3], &[4]), None);
    }

    #[test]
    fn expand_gives_zero_strides() {
        let (shape, strides) = expand_geometry(&[], &[], &[3]).expect("expand");
        assert_eq!((shape, strides), (vec![3], vec![0]));
        let (shape, strides) = expand_geometry(&[1, 4], &[4, 1], &[5, -1]).expect("expand");
        assert_eq!((shape, strides), (vec![5, 4], vec![0, 1]));
        assert!(expand_geometry(&[2], &[1], &[3]).is_err());
        // torch.arange(32).expand(1, -1).stride() == (32, 1); (1, 2, -1) -> (0, 0, 1)
        let (_, strides) = expand_geometry(&[32], &[1], &[1, 1, -1]).expect("expand");
        assert_eq!(strides, vec![32, 32, 1]);
        let (_, strides) = expand_geometry(&[32], &[1], &[1, 2, -1]).expect("expand");
        assert_eq!(strides, vec![0, 0, 1]);
        let (_, strides) = expand_geometry(&[3, 2], &[1, 3], &[1, 3, 2]).expect("expand");
        assert_eq!(strides, vec![3, 1, 3]);
        let (_, strides) = expand_geometry(&[], &[], &[1, 1]).expect("expand");
        assert_eq!(strides, vec![0, 0]);
    }

    #[test]
    fn view_follows_compute_stride() {
        // sum_to's view: (1, 8) -> (8,)
        assert_eq!(view_strides(&[1, 8], &[8, 1], &[8]), Some(vec![1]));
        assert_eq!(view_strides(&[1, 1], &[1, 1], &[1]), Some(vec![1]));
        // A transposed matrix cannot be flattened without a copy.
        assert_eq!(view_strides(&[4, 8], &[1, 4], &[32]), None);
        assert_eq!(view_strides(&[4, 8], &[8, 1], &[2, 16]), Some(vec![16, 1]));
        assert_eq!(view_strides(&[], &[], &[1, 1]), Some(vec![1, 1]));
    }

    #[test]
    fn infer_size_fills_minus_one() {
        assert_eq!(infer_size(&[-1, 4], 16), Ok(vec![4, 4]));
        assert!(infer_size(&[-1, -1], 16).is_err());
        assert!(infer_size(&[3, 5], 16).is_err());
    }

    #[test]
    fn offsets_walk_logical_order() {
        let offs: Vec<usize> = StridedOffsets::new(&[2, 3], &[1, 2], 1).collect();
        assert_eq!(offs, vec![1, 3, 5, 2, 4, 6]);
        let offs: Vec<usize> = StridedOffsets::new(&[], &[], 4).collect();
        assert_eq!(offs, vec![4]);
        assert_eq!(StridedOffsets::new(&[0, 3], &[3, 1], 0).count(), 0);
        assert_eq!(
            StridedOffsets::new(&[3], &[0], 0).collect::<Vec<_>>(),
            vec![0, 0, 0]
        );
    }

    #[test]
    fn runs_cover_the_offsets_in_order() {
        let cases: &[(&[i64], &[i64], i64)] = &[
            (&[2, 3], &[3, 1], 0),
            (&[2, 3], &[1, 2], 1),
            (&[4, 1, 5], &[5, 5, 1], 2),
            (&[2, 3, 4], &[12, 1, 3], 0),
            (&[3, 4], &[0, 1], 0),
            (&[3, 4], &[1, 0], 0),
            (&[], &[], 4),
            (&[1, 1], &[7, 9], 3),
            (&[0, 3], &[3, 1], 0),
            (&[2, 2, 2], &[8, 4, 1], 1),
        ];
        for &(shape, strides, offset) in cases {
            let runs = StridedRuns::new(shape, strides, offset);
            assert_eq!(runs.numel(), numel(shape));
            let from_runs: Vec<usize> = runs
                .flat_map(|r| (0..r.len as i64).map(move |i| (r.start + i * r.step) as usize))
                .collect();
            let expected: Vec<usize> = StridedOffsets::new(shape, strides, offset).collect();
            assert_eq!(from_runs, expected, "{shape:?} {strides:?} {offset}");
        }
        // contiguous: one run; transposed: one run per row
        assert_eq!(StridedRuns::new(&[4, 8], &[8, 1], 0).count(), 1);
        assert_eq!(StridedRuns::new(&[4, 8], &[1, 4], 0).count(), 4);
    }

    #[test]
    fn storage_span_counts_last_element() {
        assert_eq!(storage_span(&[2, 3], &[3, 1], 0), Some(6));
        assert_eq!(storage_span(&[3], &[0], 2), Some(3));
        assert_eq!(storage_span(&[0], &[1], 5), Some(5));
        assert_eq!(storage_span(&[2], &[-1], 0), None);
    }
}
