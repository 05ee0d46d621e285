//! VIEW records (format 2.5): a value stored as a strided view of an
//! earlier BLOB of the same storage instead of its own bytes.
//!
//! A transposed weight, a head split out of a fused projection, a reshaped
//! activation: PyTorch hands these out as views sharing their base's
//! storage, and a trace with every value would otherwise store their
//! elements a second time. Both writers decide by one rule (FORMAT §2.3),
//! from the tensor reference that first names the value: the latest BLOB
//! written for a C-contiguous reference on the same storage is the
//! storage's *base*, and a value whose elements are all elements of that
//! base, read with the reference's offset and strides, is written as a VIEW
//! of it. The writer reads the base back from what it wrote, so it holds no
//! values in memory; readers gather the elements and check the digest.

use std::collections::HashMap;

use crate::format::ViewRecord;
use crate::hash::Digest;
use crate::value::TensorRef;

/// A value of fewer bytes is always stored as a BLOB: its view record
/// would not be much smaller.
pub const VIEW_MIN_BYTES: usize = 128;

/// Element size of the dtypes a VIEW may hold (those FORMAT §2.3 lists).
pub fn element_size(dtype: &str) -> Option<usize> {
    Some(match dtype {
        "float64" | "int64" | "complex64" => 8,
        "float32" | "int32" => 4,
        "float16" | "bfloat16" | "int16" => 2,
        "bool" | "uint8" | "int8" => 1,
        _ => return None,
    })
}

/// Whether strides are those of a C-contiguous tensor of this shape
/// (a dimension of size 1 may have any stride; a tensor without
/// elements is contiguous).
pub fn is_c_contiguous(shape: &[i64], stride: &[i64]) -> bool {
    if shape.len() != stride.len() {
        return false;
    }
    if shape.contains(&0) {
        return true;
    }
    let mut expected: i64 = 1;
    for (&size, &step) in shape.iter().zip(stride).rev() {
        if size != 1 && step != expected {
            return false;
        }
        expected = match expected.checked_mul(size) {
            Some(next) => next,
            None => return false,
        };
    }
    true
}

/// The lowest and highest flat index a view with these sizes, strides and
/// offset reads; `None` without elements, with a negative size, with
/// mismatched lengths or on overflow.
pub fn element_span(shape: &[i64], stride: &[i64], offset: i64) -> Option<(i64, i64)> {
    if shape.len() != stride.len() || shape.iter().any(|&d| d <= 0) {
        return None;
    }
    let (mut low, mut high) = (offset, offset);
    for (&size, &step) in shape.iter().zip(stride) {
        let reach = (size - 1).checked_mul(step)?;
        if reach < 0 {
            low = low.checked_add(reach)?;
        } else {
            high = high.checked_add(reach)?;
        }
    }
    Some((low, high))
}

/// Visits the flat index of every element of the view, in C order, until
/// `visit` returns false.
pub fn for_each_index(
    shape: &[i64],
    stride: &[i64],
    offset: i64,
    mut visit: impl FnMut(i64) -> bool,
) {
    let dims = shape.len();
    let mut index = vec![0i64; dims];
    let mut flat = offset;
    loop {
        if !visit(flat) {
            return;
        }
        let mut dim = dims;
        loop {
            if dim == 0 {
                return;
            }
            dim -= 1;
            index[dim] += 1;
            flat += stride[dim];
            if index[dim] < shape[dim] {
                break;
            }
            flat -= stride[dim] * shape[dim];
            index[dim] = 0;
        }
    }
}

/// The view's elements gathered from `base` (C order, `elem` bytes each);
/// `None` when an element lies outside the base.
pub fn gather(
    base: &[u8],
    elem: usize,
    shape: &[i64],
    stride: &[i64],
    offset: i64,
) -> Option<Vec<u8>> {
    let numel = base.len() / elem.max(1);
    if elem == 0 || shape.len() != stride.len() || shape.iter().any(|&d| d < 0) {
        return None;
    }
    if shape.contains(&0) {
        return Some(Vec::new());
    }
    let (low, high) = element_span(shape, stride, offset)?;
    if low < 0 || usize::try_from(high).ok()? >= numel {
        return None;
    }
    let count = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?))?;
    let mut out = Vec::with_capacity(count.checked_mul(elem)?);
    for_each_index(shape, stride, offset, |flat| {
        let start = flat as usize * elem;
        out.extend_from_slice(&base[start..start + elem]);
        true
    });
    Some(out)
}

/// Whether the view's elements gathered from `base` are exactly `data`
/// (compared element by element, stopping at the first difference).
fn gathers_to(
    base: &[u8],
    elem: usize,
    shape: &[i64],
    stride: &[i64],
    offset: i64,
    data: &[u8],
) -> bool {
    let mut at = 0usize;
    let mut equal = true;
    for_each_index(shape, stride, offset, |flat| {
        let start = flat as usize * elem;
        equal = base.get(start..start + elem) == data.get(at..at + elem);
        at += elem;
        equal
    });
    equal && at == data.len()
}

/// The latest BLOB written for a C-contiguous reference on a storage.
#[derive(Clone, Debug)]
struct StorageBase {
    digest: Digest,
    dtype: String,
    /// The reference's storage offset, in elements.
    offset: i64,
    shape: Vec<i64>,
    numel: i64,
    /// File offset of the BLOB's first data byte.
    data_at: u64,
}

/// The writer's side of the rule: each storage's base, and the decision.
#[derive(Debug, Default)]
pub(crate) struct ViewPlanner {
    bases: HashMap<u64, StorageBase>,
}

/// What a value could be stored as a view of: the base's bytes to read
/// back (`len` bytes from file offset `at`) and the record if they match.
pub(crate) struct ViewCandidate {
    pub at: u64,
    pub len: usize,
    record: ViewRecord,
    elem: usize,
    /// The view's offset from the first element read back.
    span_offset: i64,
}

impl ViewCandidate {
    /// The record, when the base's elements (the `len` bytes read back)
    /// gather to `data`.
    pub fn confirm(self, span: &[u8], data: &[u8]) -> Option<ViewRecord> {
        let r = &self.record;
        gathers_to(span, self.elem, &r.shape, &r.stride, self.span_offset, data)
            .then_some(self.record)
    }
}

impl ViewPlanner {
    /// Whether the value `(digest, dtype, data)` first named by `tensor`
    /// may be a view of its storage's base: the candidate to confirm
    /// against the base's bytes, or `None` (then it is a BLOB).
    pub fn candidate(
        &self,
        tensor: &TensorRef,
        digest: Digest,
        dtype: &str,
        shape: &[i64],
        data_len: usize,
    ) -> Option<ViewCandidate> {
        if data_len < VIEW_MIN_BYTES
            || tensor.sparse.is_some()
            || tensor.nested.is_some()
            || *tensor.shape != *shape
        {
            return None;
        }
        let base = self.bases.get(&tensor.storage)?;
        let elem = element_size(dtype)?;
        if base.dtype != dtype || tensor.dtype.as_str() != dtype {
            return None;
        }
        let offset = tensor.offset.checked_sub(base.offset)?;
        if offset == 0 && base.shape == shape && is_c_contiguous(shape, &tensor.stride) {
            // The base's own place and shape: its elements would give the
            // base's digest, which this value (not yet stored) does not have.
            return None;
        }
        let (low, high) = element_span(shape, &tensor.stride, offset)?;
        if low < 0 || high >= base.numel {
            return None;
        }
        let low_u = u64::try_from(low).ok()?;
        let span = usize::try_from(high - low + 1).ok()?.checked_mul(elem)?;
        Some(ViewCandidate {
            at: base.data_at + low_u * elem as u64,
            len: span,
            elem,
            span_offset: offset - low,
            record: ViewRecord {
                digest,
                dtype: dtype.to_owned(),
                shape: shape.to_vec(),
                base: base.digest,
                offset,
                stride: tensor.stride.to_vec(),
            },
        })
    }

    /// Records a BLOB just written for `tensor` (data starting at file
    /// offset `data_at`): it becomes its storage's base when the reference
    /// is C-contiguous. Returns whether it did.
    pub fn blob_written(
        &mut self,
        tensor: &TensorRef,
        digest: Digest,
        dtype: &str,
        data_at: u64,
    ) -> bool {
        if tensor.sparse.is_some()
            || tensor.nested.is_some()
            || !is_c_contiguous(&tensor.shape, &tensor.stride)
        {
            return false;
        }
        let Some(numel) = tensor.shape.iter().try_fold(1i64, |n, &d| n.checked_mul(d)) else {
            return false;
        };
        self.bases.insert(
            tensor.storage,
            StorageBase {
                digest,
                dtype: dtype.to_owned(),
                offset: tensor.offset,
                shape: tensor.shape.to_vec(),
                numel,
                data_at,
            },
        );
        true
    }
}

/// The tensor references that may carry a value digest, in wire order
/// (FORMAT §3.1): an introduced tensor, an operator call's arguments then
/// results, an accumulated gradient; a sparse tensor's indices and values
/// right after it, a nested tensor's buffer right after it.
pub fn value_refs(body: &crate::event::EventBody) -> Vec<&TensorRef> {
    use crate::event::{ApiEvent, AutogradEvent, DispatchEvent, EventBody};
    fn with_parts<'a>(t: &'a TensorRef, out: &mut Vec<&'a TensorRef>) {
        out.push(t);
        if let Some(parts) = &t.sparse {
            out.push(&parts.indices);
            out.push(&parts.values);
        }
        if let Some(parts) = &t.nested {
            out.push(&parts.buffer);
        }
    }
    fn of_value<'a>(v: &'a crate::value::Value, out: &mut Vec<&'a TensorRef>) {
        for t in v.tensors() {
            with_parts(t, out);
        }
    }
    let mut out = Vec::new();
    match body {
        EventBody::Api(ApiEvent::Tensor(t)) => with_parts(&t.tensor, &mut out),
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            op.args.iter().for_each(|(_, v)| of_value(v, &mut out));
            op.outputs.iter().for_each(|v| of_value(v, &mut out));
        }
        EventBody::Dispatch(DispatchEvent::OpError(op)) => {
            op.args.iter().for_each(|(_, v)| of_value(v, &mut out));
        }
        EventBody::Autograd(AutogradEvent::Accumulate(a)) => with_parts(&a.grad, &mut out),
        _ => {}
    }
    out
}

/// A VIEW's value gathered from its base BLOB (already checked), or why
/// the pair is corrupt: a dtype a view may not hold, a shape and strides
/// that do not describe a tensor, a base of another dtype, an element
/// outside the base, elements that do not hash to the view's digest.
pub fn resolve(view: &ViewRecord, base: &crate::format::BlobRecord) -> Result<Vec<u8>, String> {
    let Some(elem) = element_size(&view.dtype) else {
        return Err(format!(
            "view of dtype {} (not one a view may hold)",
            view.dtype
        ));
    };
    if view.shape.len() != view.stride.len() || view.shape.iter().any(|&d| d < 0) {
        return Err(format!(
            "view shape {:?} and strides {:?} do not describe a tensor",
            view.shape, view.stride
        ));
    }
    if base.dtype != view.dtype {
        return Err(format!(
            "view of dtype {} over a {} base",
            view.dtype, base.dtype
        ));
    }
    let Some(data) = gather(&base.data, elem, &view.shape, &view.stride, view.offset) else {
        return Err(format!(
            "view (offset {}, strides {:?}, shape {:?}) reads outside its base's {} elements",
            view.offset,
            view.stride,
            view.shape,
            base.data.len() / elem
        ));
    };
    let content = crate::hash::blob_digest(&view.dtype, &view.shape, &data);
    if content != view.digest {
        return Err(format!(
            "view gathers to {}, not to its digest {}",
            content.short(16),
            view.digest.short(16)
        ));
    }
    Ok(data)
}
