//! The strided nested layout (PyTorch's `NestedTensorImpl`): what
//! `nn.TransformerEncoder` packs a padded batch into in `eval()`.
//!
//! A nested tensor is `n` strided components of one rank `k`, whose sizes
//! may differ, laid out in one 1-D buffer of the tensor's dtype: component
//! `i` has sizes `sizes[i]`, strides `strides[i]` and starts at element
//! `offsets[i]` of the buffer. The tensor has no sizes or strides of its
//! own. Its `shape` is PyTorch's `opt_sizes`: `n`, then each component
//! dimension's common size, or -1 where the components differ (an irregular
//! dimension, whose `size(i)` PyTorch refuses). As in PyTorch the tensor's
//! storage is its buffer's, and the buffer is a tensor of its own (what a
//! trace names as the nested tensor's parts, FORMAT §3.1).

use std::sync::Arc;

use parking_lot::Mutex;

use super::{AutogradMeta, Tensor, TensorImpl};
use crate::error::{Result, RuntimeError};
use crate::tensor::strides::contiguous_strides;
use crate::trace::slot::IdSlot;

/// The components of a nested tensor.
#[derive(Debug)]
pub(crate) struct NestedLayout {
    /// Each component's sizes (`_nested_tensor_size()`), one row per component.
    pub(crate) sizes: Vec<Vec<i64>>,
    /// Each component's strides in buffer elements.
    pub(crate) strides: Vec<Vec<i64>>,
    /// Each component's first element in the buffer.
    pub(crate) offsets: Vec<i64>,
    /// The 1-D buffer holding every component.
    pub(crate) buffer: Tensor,
}

impl NestedLayout {
    /// Number of components (`size(0)`).
    pub(crate) fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Rank of every component.
    pub(crate) fn component_dim(&self) -> usize {
        self.sizes.first().map_or(0, Vec::len)
    }

    /// PyTorch's `opt_sizes`: `n`, then each component dimension's common
    /// size or -1; a dimension whose first component's size is 0 answers 0
    /// (torch 2.15's `size(i)`, whatever the other components have).
    pub(crate) fn opt_sizes(&self) -> Vec<i64> {
        let mut shape = vec![self.len() as i64];
        let Some(first) = self.sizes.first() else {
            return shape;
        };
        for (d, &size) in first.iter().enumerate() {
            let regular = size == 0 || self.sizes.iter().all(|row| row[d] == size);
            shape.push(if regular { size } else { -1 });
        }
        shape
    }

    /// Whether the components are contiguous and packed one after another
    /// from the buffer's start (what ATen's `nested_tensor_impl_is_contiguous`
    /// asks).
    pub(crate) fn is_packed(&self) -> bool {
        let (strides, offsets, _) = packed_geometry(&self.sizes);
        strides == self.strides && offsets == self.offsets
    }

    /// Number of elements of all the components.
    pub(crate) fn numel(&self) -> i64 {
        self.sizes
            .iter()
            .map(|row| row.iter().product::<i64>())
            .sum()
    }

    /// The largest size of each component dimension (the padded shape's
    /// trailing dims, as `to_padded_tensor` without an output size pads).
    pub(crate) fn max_sizes(&self) -> Vec<i64> {
        (0..self.component_dim())
            .map(|d| self.sizes.iter().map(|row| row[d]).max().unwrap_or(0))
            .collect()
    }
}

impl Tensor {
    /// A nested tensor of contiguous components with `sizes` packed one
    /// after another in `buffer` (a 1-D contiguous tensor of exactly their
    /// elements): what `_nested_from_padded` and the nested kernels build.
    pub(crate) fn nested_packed(op: &str, buffer: Tensor, sizes: Vec<Vec<i64>>) -> Result<Tensor> {
        let rank = sizes.first().map_or(0, Vec::len);
        if sizes
            .iter()
            .any(|row| row.len() != rank || row.iter().any(|&s| s < 0))
        {
            return Err(RuntimeError::shape(
                op,
                format!("nested components of sizes {sizes:?} are not of one rank"),
            ));
        }
        let (strides, offsets, total) = packed_geometry(&sizes);
        if buffer.shape() != [total] {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "a buffer of shape {:?} for nested components of {total} elements",
                    buffer.shape()
                ),
            ));
        }
        Ok(Tensor::nested(NestedLayout {
            sizes,
            strides,
            offsets,
            buffer,
        }))
    }

    /// The nested tensor over `layout`, with a version counter and trace
    /// identity of its own; its storage is its buffer's.
    pub(crate) fn nested(layout: NestedLayout) -> Tensor {
        let buffer = layout.buffer.clone();
        let t = Tensor(Arc::new(TensorImpl {
            storage: Arc::clone(&buffer.0.storage),
            shape: layout.opt_sizes(),
            strides: Vec::new(),
            offset: 0,
            dtype: buffer.dtype(),
            device: buffer.device(),
            conj: false,
            neg: false,
            version: super::VersionCounter::new(),
            autograd: Mutex::new(AutogradMeta::default()),
            trace: Arc::new(IdSlot::new()),
            sparse: None,
            nested: Some(Arc::new(layout)),
        }));
        t.0.autograd.lock().inference = buffer.is_inference();
        t
    }

    /// Whether this tensor has the nested layout.
    pub fn is_nested(&self) -> bool {
        self.0.nested.is_some()
    }

    /// A nested tensor's buffer (the tensor holding every component's
    /// elements), `None` for another tensor.
    pub fn nested_buffer(&self) -> Option<Tensor> {
        self.0.nested.as_ref().map(|layout| layout.buffer.clone())
    }

    /// A nested tensor's component sizes (`_nested_tensor_size()`), `None`
    /// for another tensor.
    pub fn nested_sizes(&self) -> Option<Vec<Vec<i64>>> {
        self.0.nested.as_ref().map(|layout| layout.sizes.clone())
    }

    /// The nested components, or an error naming `op` for another tensor.
    pub(crate) fn nested_layout(&self, op: &str) -> Result<&Arc<NestedLayout>> {
        self.0.nested.as_ref().ok_or_else(|| {
            RuntimeError::unsupported(op, "a strided tensor where a nested one is expected")
        })
    }

    /// Each component's elements in logical order, as f64 (read as a
    /// view of the buffer through the component's geometry).
    pub(crate) fn nested_components_f64(&self, op: &str) -> Result<Vec<Vec<f64>>> {
        let layout = self.nested_layout(op)?;
        let base = layout.buffer.storage_offset();
        (0..layout.len())
            .map(|i| {
                let component = layout.buffer.alias_with(
                    layout.sizes[i].clone(),
                    layout.strides[i].clone(),
                    base + layout.offsets[i],
                );
                component.read_f64(op)
            })
            .collect()
    }
}

/// Contiguous strides and packed offsets of components of `sizes` laid out
/// one after another, and their total number of elements.
fn packed_geometry(sizes: &[Vec<i64>]) -> (Vec<Vec<i64>>, Vec<i64>, i64) {
    let mut next = 0i64;
    let offsets = sizes
        .iter()
        .map(|row| {
            let at = next;
            next += row.iter().product::<i64>();
            at
        })
        .collect();
    let strides = sizes.iter().map(|row| contiguous_strides(row)).collect();
    (strides, offsets, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::dtype::DType;

    fn buffer(n: i64) -> Tensor {
        let values: Vec<f64> = (0..n).map(|v| v as f64).collect();
        Tensor::from_f64("test", &[n], &[1], DType::Float32, &values).expect("buffer")
    }

    #[test]
    fn opt_sizes_mark_irregular_dims() {
        let t = Tensor::nested_packed("test", buffer(10), vec![vec![1, 2], vec![4, 2]])
            .expect("nested");
        assert_eq!(t.shape(), [2, -1, 2]);
        let empty_first =
            Tensor::nested_packed("test", buffer(6), vec![vec![0, 2], vec![3, 2]]).expect("nested");
        assert_eq!(empty_first.shape(), [2, 0, 2]);
        let layout = t.nested_layout("test").expect("layout");
        assert_eq!(layout.offsets, [0, 2]);
        assert_eq!(layout.max_sizes(), [4, 2]);
        assert!(t.stride().is_empty());
    }

    #[test]
    fn packed_components_must_fill_the_buffer() {
        let err = Tensor::nested_packed("test", buffer(5), vec![vec![1, 2], vec![1, 2]])
            .expect_err("refused");
        assert!(err.to_string().contains("4 elements"), "{err}");
    }

    #[test]
    fn components_read_through_their_strides() {
        let t = Tensor::nested(NestedLayout {
            sizes: vec![vec![2, 2], vec![1, 2]],
            // the first component transposed
            strides: vec![vec![1, 2], vec![2, 1]],
            offsets: vec![0, 4],
            buffer: buffer(6),
        });
        let parts = t.nested_components_f64("test").expect("read");
        assert_eq!(parts, vec![vec![0.0, 2.0, 1.0, 3.0], vec![4.0, 5.0]]);
    }
}
