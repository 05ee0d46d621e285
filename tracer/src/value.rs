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
/// tensor (format 2.4) has an 11th, its [`SparseParts`].
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
    sparse: Option<Box<SparseParts>>,
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
            sparse: w.sparse,
        };
        if let Some(problem) = tensor.sparse.as_ref().and_then(|p| p.problem(&tensor)) {
            return Err(format!("tensor.sparse: {problem}"));
        }
        Ok(tensor)
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
            ..self.clone()
        }
    }

    /// Whether the reference or a sparse tensor's parts carry a value digest.
    pub fn has_digest(&self) -> bool {
        self.value.is_some()
            || self
                .sparse
                .as_ref()
                .is_some_and(|p| p.indices.value.is_some() || p.values.value.is_some())
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
            Value::Tensor(t) => match &t.sparse {
                Some(p) => write!(f, "T{}{:?} {}(nnz={})", t.id, t.shape, p.layout, p.nnz()),
                None => write!(f, "T{}{:?}", t.id, t.shape),
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
