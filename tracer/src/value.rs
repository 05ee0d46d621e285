//! Operator arguments and results as they appear in events: [`Value`] and [`TensorRef`].
//!
//! A tensor is never stored inline. An event names it by id (dense, in order of
//! first appearance in the stream) together with the metadata a parity check
//! needs (dtype, shape, stride, storage offset, storage id, device,
//! requires_grad, version) and, when the value policy keeps it, the digest of
//! its contents, which lives in a blob chunk.
//!
//! On the wire a [`Value`] is a two-element msgpack array `[tag, payload]` so a
//! reader never has to guess whether `"cpu"` is a string or a device, or whether
//! `[2, 3]` is a list or a tensor.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::hash::Digest;
use crate::name::Name;

/// The tensors of a value in wire order. Most values hold none or one, which
/// fit inline: walking a stream's tensors allocates only for long lists.
pub type Tensors<'a> = smallvec::SmallVec<[&'a TensorRef; 2]>;

/// A reference to a tensor, with the metadata both runtimes must agree on.
///
/// Wire form: `[id, dtype, shape, stride, offset, storage, device,
/// requires_grad, version, value]` (10 elements, in this order); a sparse
/// tensor (format 2.4) has an 11th, its [`SparseParts`], and so has a nested
/// tensor (format 2.6), its [`NestedParts`]. The parts' first element, their
/// layout, tells the two apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TensorRefWire")]
pub struct TensorRef {
    /// Tensor id: dense, in order of first appearance in the stream.
    pub id: u64,
    /// PyTorch's dtype name without the `torch.` prefix (`"float32"`).
    pub dtype: Name,
    /// Sizes, outermost first. Shared: a run repeats a few shapes, and a
    /// reader hands out one allocation per distinct list.
    pub shape: Arc<[i64]>,
    /// Strides in elements; shared like `shape`.
    pub stride: Arc<[i64]>,
    /// Storage offset in elements.
    pub offset: i64,
    /// Storage id: dense, in order of first appearance; views share it.
    pub storage: u64,
    /// Device string as PyTorch prints it (`"cpu"`, `"meta"`).
    pub device: Name,
    /// Whether autograd records operations on this tensor.
    pub requires_grad: bool,
    /// The tensor's version counter at the moment of the event.
    pub version: u64,
    /// Digest of the contents (a blob in the same file), when recorded.
    pub value: Option<Digest>,
    /// A sparse tensor's layout and parts (format 2.4), `None` for a strided
    /// tensor, whose reference has 10 elements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse: Option<Box<SparseParts>>,
    /// A nested tensor's component geometry and buffer (format 2.6), `None`
    /// for any other tensor. At most one of `sparse` and `nested` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested: Option<Box<NestedParts>>,
}

/// The wire form of a [`TensorRef`] before a sparse tensor's parts are
/// checked against it.
#[derive(Deserialize)]
struct TensorRefWire {
    id: u64,
    dtype: Name,
    shape: Arc<[i64]>,
    stride: Arc<[i64]>,
    offset: i64,
    storage: u64,
    device: Name,
    requires_grad: bool,
    version: u64,
    value: Option<Digest>,
    #[serde(default)]
    parts: Option<PartsWire>,
}

/// The 11th element of a tensor reference: a sparse tensor's parts or a
/// nested tensor's, told apart by their layout (their first element).
enum PartsWire {
    Sparse(Box<SparseParts>),
    Nested(Box<NestedParts>),
}

impl<'de> Deserialize<'de> for PartsWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PartsWire, D::Error> {
        struct PartsVisitor;
        impl<'de> Visitor<'de> for PartsVisitor {
            type Value = PartsWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sparse or nested tensor's parts")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PartsWire, A::Error> {
                let len = seq.size_hint();
                let layout: Name = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("tensor.sparse: empty parts"))?;
                if &*layout == NESTED || len == Some(5) {
                    if len.is_some_and(|n| n != 5) {
                        return Err(de::Error::custom(format!(
                            "tensor.nested: expected [layout, sizes, strides, offsets, buffer], \
                             found {} elements",
                            len.map_or_else(|| "?".to_owned(), |n| n.to_string())
                        )));
                    }
                    let missing = || de::Error::custom("tensor.nested: parts cut short");
                    let parts = NestedParts {
                        layout,
                        sizes: seq.next_element()?.ok_or_else(missing)?,
                        strides: seq.next_element()?.ok_or_else(missing)?,
                        offsets: seq.next_element()?.ok_or_else(missing)?,
                        buffer: seq.next_element()?.ok_or_else(missing)?,
                    };
                    return match parts.problem_alone() {
                        Some(p) => Err(de::Error::custom(format!("tensor.nested: {p}"))),
                        None => Ok(PartsWire::Nested(Box::new(parts))),
                    };
                }
                if len.is_some_and(|n| n != 6) {
                    return Err(de::Error::custom(format!(
                        "tensor.sparse: expected [layout, sparse_dim, dense_dim, coalesced, \
                         indices, values], found {} elements",
                        len.map_or_else(|| "?".to_owned(), |n| n.to_string())
                    )));
                }
                let missing = || de::Error::custom("tensor.sparse: parts cut short");
                let wire = SparseWire(
                    layout,
                    seq.next_element()?.ok_or_else(missing)?,
                    seq.next_element()?.ok_or_else(missing)?,
                    seq.next_element()?.ok_or_else(missing)?,
                    seq.next_element()?.ok_or_else(missing)?,
                    seq.next_element()?.ok_or_else(missing)?,
                );
                SparseParts::try_from(wire)
                    .map(|p| PartsWire::Sparse(Box::new(p)))
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_seq(PartsVisitor)
    }
}

impl TryFrom<TensorRefWire> for TensorRef {
    type Error = String;
    fn try_from(w: TensorRefWire) -> Result<TensorRef, String> {
        let tensor = TensorRef {
            id: w.id,
            dtype: w.dtype,
            shape: w.shape,
            stride: w.stride,
            offset: w.offset,
            storage: w.storage,
            device: w.device,
            requires_grad: w.requires_grad,
            version: w.version,
            value: w.value,
            sparse: None,
            nested: None,
        };
        match w.parts {
            None => Ok(tensor),
            Some(PartsWire::Sparse(parts)) => match parts.problem(&tensor) {
                Some(problem) => Err(format!("tensor.sparse: {problem}")),
                None => Ok(TensorRef {
                    sparse: Some(parts),
                    ..tensor
                }),
            },
            Some(PartsWire::Nested(parts)) => match parts.problem(&tensor) {
                Some(problem) => Err(format!("tensor.nested: {problem}")),
                None => Ok(TensorRef {
                    nested: Some(parts),
                    ..tensor
                }),
            },
        }
    }
}

/// What makes a reference a sparse tensor's (format 2.4): `[layout,
/// sparse_dim, dense_dim, coalesced, indices, values]`, the 11th element of
/// its reference. `indices` (int64, `[sparse_dim, nnz]`) and `values`
/// (`[nnz, *dense sizes]`, the tensor's dtype) are strided tensors with ids
/// of their own. The only layout is `sparse_coo`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SparseWire")]
pub struct SparseParts {
    /// `"sparse_coo"`.
    pub layout: Name,
    /// Number of sparse dimensions (the leading ones).
    pub sparse_dim: i64,
    /// Number of dense dimensions (the trailing ones).
    pub dense_dim: i64,
    /// `is_coalesced()`: indices sorted and unique.
    pub coalesced: bool,
    /// The indices, int64 `[sparse_dim, nnz]`.
    pub indices: TensorRef,
    /// The values, `[nnz, *shape[sparse_dim..]]`.
    pub values: TensorRef,
}

/// The wire form of [`SparseParts`] before its checks.
#[derive(Deserialize)]
struct SparseWire(Name, i64, i64, bool, TensorRef, TensorRef);

impl TryFrom<SparseWire> for SparseParts {
    type Error = String;
    fn try_from(w: SparseWire) -> Result<SparseParts, String> {
        let parts = SparseParts {
            layout: w.0,
            sparse_dim: w.1,
            dense_dim: w.2,
            coalesced: w.3,
            indices: w.4,
            values: w.5,
        };
        match parts.problem_alone() {
            Some(p) => Err(format!("tensor.sparse: {p}")),
            None => Ok(parts),
        }
    }
}

/// The layout name of a sparse COO tensor.
pub const SPARSE_COO: &str = "sparse_coo";

impl SparseParts {
    /// Number of specified elements (`_nnz()`): the indices' columns.
    pub fn nnz(&self) -> i64 {
        self.indices.shape.get(1).copied().unwrap_or(0)
    }

    /// What is wrong with the parts on their own (layout, dims, the indices'
    /// dtype and rank, parts that are sparse themselves), or `None`.
    pub fn problem_alone(&self) -> Option<String> {
        if &*self.layout != SPARSE_COO {
            return Some(format!("layout {:?} is not sparse_coo", &*self.layout));
        }
        if self.sparse_dim < 0 || self.dense_dim < 0 {
            return Some(format!(
                "sparse_dim {} and dense_dim {} must not be negative",
                self.sparse_dim, self.dense_dim
            ));
        }
        if self.indices.sparse.is_some() || self.values.sparse.is_some() {
            return Some("indices and values must be strided tensors".into());
        }
        if &*self.indices.dtype != "int64" {
            return Some(format!("indices are {}, not int64", &*self.indices.dtype));
        }
        if self.indices.shape.len() != 2 || self.indices.shape[0] != self.sparse_dim {
            return Some(format!(
                "indices of shape {:?} are not [sparse_dim={}, nnz]",
                self.indices.shape, self.sparse_dim
            ));
        }
        let nnz = self.indices.shape[1];
        if self.values.shape.first() != Some(&nnz)
            || self.values.shape.len() as i64 != 1 + self.dense_dim
        {
            return Some(format!(
                "values of shape {:?} are not [nnz={nnz}] and dense_dim={} sizes",
                self.values.shape, self.dense_dim
            ));
        }
        None
    }

    /// What is wrong with the parts of `outer`'s reference, or `None`: the
    /// parts alone, and against the sparse tensor (its rank is sparse_dim +
    /// dense_dim, its dense sizes and dtype the values', no strides, offset
    /// 0, no digest of its own).
    pub fn problem(&self, outer: &TensorRef) -> Option<String> {
        if let Some(p) = self.problem_alone() {
            return Some(p);
        }
        let rank = self.sparse_dim + self.dense_dim;
        if outer.shape.len() as i64 != rank {
            return Some(format!(
                "a tensor of shape {:?} has not sparse_dim + dense_dim = {rank} dimensions",
                outer.shape
            ));
        }
        if outer.shape[self.sparse_dim as usize..] != self.values.shape[1..] {
            return Some(format!(
                "values of shape {:?} do not have the dense sizes of {:?}",
                self.values.shape, outer.shape
            ));
        }
        if self.values.dtype != outer.dtype {
            return Some(format!(
                "values are {}, the tensor {}",
                &*self.values.dtype, &*outer.dtype
            ));
        }
        if !outer.stride.is_empty() || outer.offset != 0 || outer.value.is_some() {
            return Some("a sparse tensor has no strides, offset 0 and no value of its own".into());
        }
        None
    }
}

/// The layout name of a nested tensor (format 2.6).
pub const NESTED: &str = "nested";

/// What makes a reference a strided nested tensor's (format 2.6, PyTorch's
/// `NestedTensorImpl`): `[layout, sizes, strides, offsets, buffer]`, the
/// 11th element of its reference. Component `i` is the strided tensor of
/// sizes `sizes[i]` and strides `strides[i]` (in elements) starting at
/// element `offsets[i]` of `buffer`, a 1-D contiguous tensor of the nested
/// tensor's dtype with an id of its own. Every component has the same rank
/// `k`; the nested tensor's shape is `[n, d1, ..., dk]`, `di` the common
/// size of dim `i` or -1 where the components differ (PyTorch's
/// `opt_sizes`: the first component's size when it is 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NestedWire")]
pub struct NestedParts {
    /// `"nested"`.
    pub layout: Name,
    /// Each component's sizes (`_nested_tensor_size()`, n rows of k).
    pub sizes: Vec<Vec<i64>>,
    /// Each component's strides in buffer elements
    /// (`_nested_tensor_strides()`, n rows of k).
    pub strides: Vec<Vec<i64>>,
    /// Each component's first element in the buffer
    /// (`_nested_tensor_storage_offsets()`, n entries).
    pub offsets: Vec<i64>,
    /// The contiguous 1-D buffer holding every component's elements.
    pub buffer: TensorRef,
}

/// The wire form of [`NestedParts`] before its checks.
#[derive(Deserialize)]
struct NestedWire(Name, Vec<Vec<i64>>, Vec<Vec<i64>>, Vec<i64>, TensorRef);

impl TryFrom<NestedWire> for NestedParts {
    type Error = String;
    fn try_from(w: NestedWire) -> Result<NestedParts, String> {
        let parts = NestedParts {
            layout: w.0,
            sizes: w.1,
            strides: w.2,
            offsets: w.3,
            buffer: w.4,
        };
        match parts.problem_alone() {
            Some(p) => Err(format!("tensor.nested: {p}")),
            None => Ok(parts),
        }
    }
}

impl NestedParts {
    /// The parts of `n = sizes.len()` components laid out in `buffer`.
    pub fn new(
        sizes: Vec<Vec<i64>>,
        strides: Vec<Vec<i64>>,
        offsets: Vec<i64>,
        buffer: TensorRef,
    ) -> NestedParts {
        NestedParts {
            layout: NESTED.into(),
            sizes,
            strides,
            offsets,
            buffer,
        }
    }

    /// Number of components (`nt.size(0)`).
    pub fn components(&self) -> usize {
        self.sizes.len()
    }

    /// Number of elements of component `i` (0 for an empty one).
    ///
    /// # Panics
    /// When `i` is not below [`NestedParts::components`].
    pub fn component_numel(&self, i: usize) -> u64 {
        self.sizes[i].iter().map(|&d| d.max(0) as u64).product()
    }

    /// The rank `k` every component has (`None` without components).
    pub fn component_rank(&self) -> Option<usize> {
        self.sizes.first().map(Vec::len)
    }

    /// The shape of the nested tensor these parts describe, PyTorch's
    /// `opt_sizes`: `[n, d1, ..., dk]`, `di` the first component's size of
    /// dim `i` when it is 0 or every component has it, else -1; `None`
    /// without components (then `k` is the reference's to say).
    pub fn opt_sizes(&self) -> Option<Vec<i64>> {
        let first = self.sizes.first()?;
        let mut shape = Vec::with_capacity(first.len() + 1);
        shape.push(self.sizes.len() as i64);
        for (i, &d) in first.iter().enumerate() {
            let regular = d == 0 || self.sizes.iter().all(|s| s.get(i) == Some(&d));
            shape.push(if regular { d } else { -1 });
        }
        Some(shape)
    }

    /// What is wrong with the parts on their own (layout, the entries'
    /// counts and ranks, negative sizes or offsets, the buffer's form, a
    /// component reaching outside the buffer), or `None`.
    pub fn problem_alone(&self) -> Option<String> {
        if &*self.layout != NESTED {
            return Some(format!("layout {:?} is not nested", &*self.layout));
        }
        let n = self.sizes.len();
        if self.strides.len() != n || self.offsets.len() != n {
            return Some(format!(
                "sizes, strides and offsets have {n}, {} and {} entries, not one per component",
                self.strides.len(),
                self.offsets.len()
            ));
        }
        let k = self.sizes.first().map_or(0, Vec::len);
        for (i, (sizes, strides)) in self.sizes.iter().zip(&self.strides).enumerate() {
            if sizes.len() != k || strides.len() != k {
                return Some(format!(
                    "component {i} has sizes {sizes:?} and strides {strides:?}, not k={k} of each"
                ));
            }
        }
        for (i, (sizes, &offset)) in self.sizes.iter().zip(&self.offsets).enumerate() {
            if offset < 0 || sizes.iter().any(|&d| d < 0) {
                return Some(format!(
                    "component {i} has sizes {sizes:?} and offset {offset}: negative"
                ));
            }
        }
        if self.buffer.sparse.is_some() || self.buffer.nested.is_some() {
            return Some("the buffer must be a strided tensor".into());
        }
        if self.buffer.shape.len() != 1 || *self.buffer.stride != [1] {
            return Some(format!(
                "a buffer of shape {:?} and stride {:?} is not 1-D contiguous (stride [1])",
                self.buffer.shape, self.buffer.stride
            ));
        }
        let len = self.buffer.shape[0];
        for (i, ((sizes, strides), &offset)) in self
            .sizes
            .iter()
            .zip(&self.strides)
            .zip(&self.offsets)
            .enumerate()
        {
            if sizes.contains(&0) {
                continue;
            }
            let reach = match crate::view::element_span(sizes, strides, offset) {
                Some((low, high)) if low >= 0 && high < len => continue,
                Some((low, high)) => format!("elements {low}..={high}"),
                None => "past the int64 range".to_owned(),
            };
            return Some(format!(
                "component {i} (sizes {sizes:?}, strides {strides:?}, offset {offset}) \
                 reaches {reach} of a buffer of {len}"
            ));
        }
        None
    }

    /// What is wrong with the parts of `outer`'s reference, or `None`: the
    /// parts alone, and against the nested tensor (its shape `[n, ...]` of
    /// rank k+1 with the components' regular sizes and -1 at irregular
    /// dims, its dtype the buffer's, no strides, offset 0, no digest of its
    /// own, not sparse too).
    pub fn problem(&self, outer: &TensorRef) -> Option<String> {
        if let Some(p) = self.problem_alone() {
            return Some(p);
        }
        let n = self.sizes.len() as i64;
        let k = self.component_rank();
        let rank_ok = k.is_none_or(|k| outer.shape.len() == k + 1);
        if outer.shape.first() != Some(&n) || !rank_ok {
            return Some(format!(
                "a tensor of shape {:?} is not [n={n}] and k={} sizes",
                outer.shape,
                k.map_or_else(|| "?".to_owned(), |k| k.to_string())
            ));
        }
        match self.opt_sizes() {
            Some(expected) if *outer.shape != *expected => {
                return Some(format!(
                    "shape {:?} disagrees with the components' sizes, which give {expected:?} \
                     (-1: irregular)",
                    outer.shape
                ));
            }
            None if outer.shape[1..].iter().any(|&d| d < -1) => {
                return Some(format!("shape {:?} has a size below -1", outer.shape));
            }
            _ => {}
        }
        if self.buffer.dtype != outer.dtype {
            return Some(format!(
                "the buffer is {}, the tensor {}",
                &*self.buffer.dtype, &*outer.dtype
            ));
        }
        if !outer.stride.is_empty() || outer.offset != 0 || outer.value.is_some() {
            return Some("a nested tensor has no strides, offset 0 and no value of its own".into());
        }
        if outer.sparse.is_some() {
            return Some("a tensor is not both sparse and nested".into());
        }
        None
    }
}

impl TensorRef {
    /// Number of elements.
    pub fn numel(&self) -> u64 {
        self.shape.iter().map(|&d| d.max(0) as u64).product()
    }

    /// The same reference with the value digest removed (structural form).
    pub fn structural(&self) -> TensorRef {
        TensorRef {
            value: None,
            sparse: self.sparse.as_ref().map(|p| {
                Box::new(SparseParts {
                    indices: p.indices.structural(),
                    values: p.values.structural(),
                    ..(**p).clone()
                })
            }),
            nested: self.nested.as_ref().map(|p| {
                Box::new(NestedParts {
                    buffer: p.buffer.structural(),
                    ..(**p).clone()
                })
            }),
            ..self.clone()
        }
    }

    /// Whether the reference, a sparse tensor's parts or a nested tensor's
    /// buffer carry a value digest.
    pub fn has_digest(&self) -> bool {
        self.value.is_some()
            || self
                .sparse
                .as_ref()
                .is_some_and(|p| p.indices.value.is_some() || p.values.value.is_some())
            || self
                .nested
                .as_ref()
                .is_some_and(|p| p.buffer.value.is_some())
    }
}

/// An operator argument or result.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `None`, or an absent optional argument. Tag 0.
    None,
    /// Tag 1.
    Bool(bool),
    /// Tag 2. Python ints and `SymInt`s.
    Int(i64),
    /// Tag 3. Always f64 on the wire, as Python writes floats.
    Float(f64),
    /// Tag 4. A string argument (`reduce="mean"`).
    Str(Name),
    /// Tag 5.
    Tensor(Box<TensorRef>),
    /// Tag 6. Lists and tuples (`int[]`, `Tensor[]`, multiple results).
    List(Vec<Value>),
    /// Tag 7. A dtype name (`"float32"`).
    Dtype(Name),
    /// Tag 8. A device (`"cpu"`, `"meta"`).
    Device(Name),
    /// Tag 9. A layout (`"strided"`).
    Layout(Name),
    /// Tag 10. A memory format (`"preserve_format"`, `"contiguous_format"`).
    MemoryFormat(Name),
    /// Tag 11 (format 2.2). A Python complex number (`1j` in a backward
    /// formula, `x * (0.5 - 0.25j)`): `[re, im]`, both float64 on the wire.
    Complex {
        /// Real part.
        re: f64,
        /// Imaginary part.
        im: f64,
    },
}

impl From<TensorRef> for Value {
    fn from(tensor: TensorRef) -> Value {
        Value::Tensor(Box::new(tensor))
    }
}

impl Value {
    fn tag(&self) -> u8 {
        match self {
            Value::None => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Str(_) => 4,
            Value::Tensor(_) => 5,
            Value::List(_) => 6,
            Value::Dtype(_) => 7,
            Value::Device(_) => 8,
            Value::Layout(_) => 9,
            Value::MemoryFormat(_) => 10,
            Value::Complex { .. } => 11,
        }
    }

    /// Every tensor reference inside this value, depth first.
    pub fn tensors(&self) -> Tensors<'_> {
        let mut out = Tensors::new();
        self.collect_tensors(&mut out);
        out
    }

    fn collect_tensors<'a>(&'a self, out: &mut Tensors<'a>) {
        match self {
            Value::Tensor(t) => out.push(t),
            Value::List(items) => items.iter().for_each(|v| v.collect_tensors(out)),
            _ => {}
        }
    }

    /// The same value with every tensor's value digest removed.
    pub fn structural(&self) -> Value {
        match self {
            Value::Tensor(t) => Value::Tensor(Box::new(t.structural())),
            Value::List(items) => Value::List(items.iter().map(Value::structural).collect()),
            other => other.clone(),
        }
    }

    /// The tensor, when this value is one.
    pub fn as_tensor(&self) -> Option<&TensorRef> {
        match self {
            Value::Tensor(t) => Some(t),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Tensor(t) => match (&t.sparse, &t.nested) {
                (Some(p), _) => write!(f, "T{}{:?} {}(nnz={})", t.id, t.shape, p.layout, p.nnz()),
                (None, Some(p)) => write!(f, "T{}{:?} nested(n={})", t.id, t.shape, p.components()),
                (None, None) => write!(f, "T{}{:?}", t.id, t.shape),
            },
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Dtype(s) => write!(f, "torch.{s}"),
            Value::Device(s) => write!(f, "device({s})"),
            Value::Layout(s) => write!(f, "torch.{s}"),
            Value::MemoryFormat(s) => write!(f, "torch.{s}"),
            // as Python prints a complex: `1j`, `(0.5-0.25j)`
            Value::Complex { re, im } if *re == 0.0 && re.is_sign_positive() => {
                write!(f, "{}j", PyFloat(*im))
            }
            Value::Complex { re, im } => {
                let sign = if im.is_sign_negative() { "" } else { "+" };
                write!(f, "({}{sign}{}j)", PyFloat(*re), PyFloat(*im))
            }
        }
    }
}

/// A complex number's part as Python prints it inside a complex (`1`, not
/// `1.0`; `0.25`, `nan`, `inf`).
struct PyFloat(f64);

impl fmt::Display for PyFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            f.write_str("nan")
        } else if x.is_infinite() {
            f.write_str(if x > 0.0 { "inf" } else { "-inf" })
        } else if x.fract() == 0.0 && x.abs() < 1e16 {
            write!(f, "{x:.0}")
        } else {
            write!(f, "{x:?}")
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(2)?;
        tuple.serialize_element(&self.tag())?;
        match self {
            Value::None => tuple.serialize_element(&())?,
            Value::Bool(b) => tuple.serialize_element(b)?,
            Value::Int(i) => tuple.serialize_element(i)?,
            Value::Float(x) => tuple.serialize_element(x)?,
            Value::Tensor(t) => tuple.serialize_element(t)?,
            Value::List(items) => tuple.serialize_element(items)?,
            Value::Complex { re, im } => tuple.serialize_element(&[re, im])?,
            Value::Str(s)
            | Value::Dtype(s)
            | Value::Device(s)
            | Value::Layout(s)
            | Value::MemoryFormat(s) => tuple.serialize_element(s)?,
        }
        tuple.end()
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [tag, payload] value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let tag: u8 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let missing = || de::Error::invalid_length(1, &"a [tag, payload] value");
                let value = match tag {
                    0 => {
                        seq.next_element::<()>()?.ok_or_else(missing)?;
                        Value::None
                    }
                    1 => Value::Bool(seq.next_element()?.ok_or_else(missing)?),
                    2 => Value::Int(seq.next_element()?.ok_or_else(missing)?),
                    3 => Value::Float(seq.next_element()?.ok_or_else(missing)?),
                    4 => Value::Str(seq.next_element()?.ok_or_else(missing)?),
                    5 => Value::Tensor(seq.next_element()?.ok_or_else(missing)?),
                    6 => Value::List(seq.next_element()?.ok_or_else(missing)?),
                    7 => Value::Dtype(seq.next_element()?.ok_or_else(missing)?),
                    8 => Value::Device(seq.next_element()?.ok_or_else(missing)?),
                    9 => Value::Layout(seq.next_element()?.ok_or_else(missing)?),
                    10 => Value::MemoryFormat(seq.next_element()?.ok_or_else(missing)?),
                    11 => {
                        let [re, im]: [f64; 2] = seq.next_element()?.ok_or_else(missing)?;
                        Value::Complex { re, im }
                    }
                    other => {
                        return Err(de::Error::custom(format_args!("unknown value tag {other}")));
                    }
                };
                Ok(value)
            }
        }
        deserializer.deserialize_tuple(2, ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(id: u64) -> TensorRef {
        TensorRef {
            id,
            dtype: "float32".into(),
            shape: vec![2, 3].into(),
            stride: vec![3, 1].into(),
            offset: 0,
            storage: id,
            device: "cpu".into(),
            requires_grad: true,
            version: 0,
            value: Some(Digest::of(b"v")),
            sparse: None,
            nested: None,
        }
    }

    #[test]
    fn every_variant_round_trips() {
        let values = vec![
            Value::None,
            Value::Bool(true),
            Value::Int(-7),
            Value::Int(i64::MAX),
            Value::Float(-0.1),
            Value::Str("mean".into()),
            Value::Tensor(Box::new(tensor(3))),
            Value::List(vec![Value::Int(2), Value::Tensor(Box::new(tensor(4)))]),
            Value::Dtype("float32".into()),
            Value::Device("meta".into()),
            Value::Layout("strided".into()),
            Value::MemoryFormat("preserve_format".into()),
            Value::Complex { re: 0.0, im: 1.0 },
            Value::Complex {
                re: -0.5,
                im: f64::INFINITY,
            },
        ];
        for v in values {
            let bytes = rmp_serde::to_vec(&v).expect("encode");
            let back: Value = rmp_serde::from_slice(&bytes).expect("decode");
            assert_eq!(back, v);
        }
    }

    #[test]
    fn wire_form_is_tag_payload_pair() {
        // [2, 5] : fixarray(2), fixint 2, fixint 5
        assert_eq!(
            rmp_serde::to_vec(&Value::Int(5)).expect("encode"),
            [0x92, 2, 5]
        );
        // [0, nil]
        assert_eq!(
            rmp_serde::to_vec(&Value::None).expect("encode"),
            [0x92, 0, 0xc0]
        );
        // floats are float64 (0xcb)
        assert_eq!(
            rmp_serde::to_vec(&Value::Float(1.5)).expect("encode")[2],
            0xcb
        );
    }

    #[test]
    fn unknown_tag_is_an_error() {
        let bytes = [0x92, 42, 0xc0];
        assert!(rmp_serde::from_slice::<Value>(&bytes).is_err());
    }

    #[test]
    fn structural_drops_digests_deep() {
        let v = Value::List(vec![Value::Tensor(Box::new(tensor(1)))]);
        let s = v.structural();
        assert!(s.tensors().iter().all(|t| t.value.is_none()));
        assert_eq!(v.tensors().len(), 1);
    }
}
