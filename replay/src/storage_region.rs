//! Which bytes of its storage a recorded tensor covers, and whether a write
//! through one tensor can have changed another's value.
//!
//! An anchored replay keeps PyTorch's latest value of every tensor version;
//! a write that leaves no value behind for a tensor makes the values of the
//! tensors it touches stale. LSTM and GRU cells write the chunks of one
//! gate matrix in place one after another (`sigmoid_`, `tanh_`): the chunks
//! share a storage but no element, so a write to one must not forget the
//! others. The test is exact for strided views of up to [`EXACT_ELEMENTS`]
//! elements; beyond that, or for sparse and nested tensors, two regions
//! whose byte spans meet are taken to overlap (a value forgotten too early
//! only makes the runtime use its own value, never a stale one).

use ft_trace::TensorRef;
use ft_trace::tensor_bytes::element_size;
use ft_trace::view::{element_span, for_each_index};

/// Views with at most this many elements are compared element by element.
pub const EXACT_ELEMENTS: usize = 1 << 15;

/// The bytes of a storage a tensor covers.
#[derive(Clone, Debug, PartialEq)]
pub enum Region {
    /// A strided view.
    Strided {
        /// Bytes per element.
        elem: i64,
        /// Sizes.
        shape: Box<[i64]>,
        /// Strides, in elements.
        stride: Box<[i64]>,
        /// Offset of the first element, in elements.
        offset: i64,
    },
    /// No element at all.
    Empty,
    /// Sparse, nested, an unknown dtype or sizes that overflow: anywhere.
    Anywhere,
}

impl Region {
    /// The region of a recorded tensor reference.
    pub fn of(t: &TensorRef) -> Region {
        if t.sparse.is_some() || t.nested.is_some() {
            return Region::Anywhere;
        }
        let Some(elem) = element_size(&t.dtype).and_then(|e| i64::try_from(e).ok()) else {
            return Region::Anywhere;
        };
        if t.shape.contains(&0) {
            return Region::Empty;
        }
        if element_span(&t.shape, &t.stride, t.offset).is_none() {
            return Region::Anywhere;
        }
        Region::Strided {
            elem,
            shape: t.shape.iter().copied().collect(),
            stride: t.stride.iter().copied().collect(),
            offset: t.offset,
        }
    }

    /// Element size, sizes, strides and offset of a strided view.
    fn strided(&self) -> Option<(i64, &[i64], &[i64], i64)> {
        match self {
            Region::Strided {
                elem,
                shape,
                stride,
                offset,
            } => Some((*elem, shape, stride, *offset)),
            Region::Empty | Region::Anywhere => None,
        }
    }

    /// The first and one past the last byte, `None` for no or any bytes.
    fn byte_span(&self) -> Option<(i64, i64)> {
        let (elem, shape, stride, offset) = self.strided()?;
        let (low, high) = element_span(shape, stride, offset)?;
        Some((
            low.checked_mul(elem)?,
            high.checked_add(1)?.checked_mul(elem)?,
        ))
    }

    fn numel(&self) -> Option<usize> {
        match self {
            Region::Strided { shape, .. } => shape
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?)),
            Region::Empty => Some(0),
            Region::Anywhere => None,
        }
    }

    /// The sorted byte offsets of the elements, for small strided views.
    fn element_bytes(&self) -> Option<Vec<i64>> {
        let (elem, shape, stride, offset) = self.strided()?;
        if self.numel()? > EXACT_ELEMENTS {
            return None;
        }
        let mut out = Vec::new();
        for_each_index(shape, stride, offset, |flat| {
            out.push(flat.saturating_mul(elem));
            true
        });
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// Whether the two regions of one storage may share a byte.
    pub fn overlaps(&self, other: &Region) -> bool {
        match (self, other) {
            (Region::Empty, _) | (_, Region::Empty) => false,
            (Region::Anywhere, _) | (_, Region::Anywhere) => true,
            (Region::Strided { elem: a, .. }, Region::Strided { elem: b, .. }) => {
                let (Some((a_low, a_high)), Some((b_low, b_high))) =
                    (self.byte_span(), other.byte_span())
                else {
                    return true;
                };
                if a_high <= b_low || b_high <= a_low {
                    return false;
                }
                if a != b {
                    return true;
                }
                match (self.element_bytes(), other.element_bytes()) {
                    (Some(x), Some(y)) => sorted_share_one(&x, &y),
                    _ => true,
                }
            }
        }
    }
}

/// Whether two sorted lists have an element in common.
fn sorted_share_one(x: &[i64], y: &[i64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(a), Some(b)) = (x.get(i), y.get(j)) {
        match a.cmp(b) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strided(shape: &[i64], stride: &[i64], offset: i64) -> Region {
        Region::Strided {
            elem: 4,
            shape: shape.into(),
            stride: stride.into(),
            offset,
        }
    }

    #[test]
    fn chunks_of_a_gate_matrix_share_no_element() {
        // (3, 20) gates split into four (3, 5) chunks along the last dim.
        let chunk = |k: i64| strided(&[3, 5], &[20, 1], 5 * k);
        for a in 0..4 {
            for b in 0..4 {
                assert_eq!(chunk(a).overlaps(&chunk(b)), a == b, "chunks {a} and {b}");
            }
        }
        // The whole matrix overlaps each chunk.
        assert!(strided(&[3, 20], &[20, 1], 0).overlaps(&chunk(2)));
    }

    #[test]
    fn interleaved_views_are_told_apart_by_their_elements() {
        let even = strided(&[4], &[2], 0);
        let odd = strided(&[4], &[2], 1);
        assert!(!even.overlaps(&odd));
        assert!(even.overlaps(&strided(&[2], &[4], 4)));
    }

    #[test]
    fn large_views_whose_spans_meet_are_taken_to_overlap() {
        let n = EXACT_ELEMENTS as i64;
        let even = strided(&[n + 1], &[2], 0);
        let odd = strided(&[n + 1], &[2], 1);
        assert!(even.overlaps(&odd), "conservative beyond the exact limit");
        assert!(!strided(&[n + 1], &[1], 0).overlaps(&strided(&[4], &[1], n + 1)));
    }

    #[test]
    fn other_element_sizes_compare_by_bytes() {
        let floats = strided(&[4], &[1], 0);
        let bytes_after = Region::Strided {
            elem: 1,
            shape: [4].into(),
            stride: [1].into(),
            offset: 16,
        };
        assert!(!floats.overlaps(&bytes_after));
        let bytes_inside = Region::Strided {
            elem: 1,
            shape: [4].into(),
            stride: [1].into(),
            offset: 12,
        };
        assert!(floats.overlaps(&bytes_inside));
    }

    #[test]
    fn nothing_overlaps_an_empty_region_and_everything_overlaps_anywhere() {
        assert!(!Region::Empty.overlaps(&Region::Anywhere));
        assert!(Region::Anywhere.overlaps(&strided(&[1], &[1], 0)));
    }
}
