//! Borrowing serializers for the structural form of a payload: the payload as
//! written, but with every tensor reference's value digest encoded as nil.
//!
//! Structural hashes are computed for every event written and read, so they
//! must not clone events; these wrappers produce exactly the bytes
//! `EventBody::structural()` would encode, straight from a borrow.

use serde::ser::{SerializeSeq, SerializeTuple};
use serde::{Serialize, Serializer};

use crate::event::{ApiEvent, AutogradEvent, DispatchEvent, EventBody, PayloadRef};
use crate::name::Name;
use crate::value::{TensorRef, Value};

/// The structural payload of a body.
pub(crate) struct StructuralPayload<'a>(pub &'a EventBody);

impl Serialize for StructuralPayload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            EventBody::Api(ApiEvent::Tensor(t)) => {
                (StructuralTensor(&t.tensor), t.alias).serialize(s)
            }
            EventBody::Dispatch(DispatchEvent::Op(op)) => (
                &op.op,
                &op.keyset,
                &op.chain,
                StructuralArgs(&op.args),
                StructuralValues(&op.outputs),
                &op.context,
            )
                .serialize(s),
            EventBody::Dispatch(DispatchEvent::OpError(op)) => (
                &op.op,
                &op.keyset,
                &op.chain,
                StructuralArgs(&op.args),
                &op.error,
                &op.context,
            )
                .serialize(s),
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => {
                (a.node, a.tensor, StructuralTensor(&a.grad)).serialize(s)
            }
            other => PayloadRef(other).serialize(s),
        }
    }
}

impl EventBody {
    /// Whether the body's structural form is its payload as written: no
    /// tensor reference whose value [`StructuralPayload`] would set to nil.
    pub(crate) fn structural_form_is_payload(&self) -> bool {
        let none = |v: &Value| v.tensors().iter().all(|t| !t.has_digest());
        match self {
            EventBody::Api(ApiEvent::Tensor(t)) => !t.tensor.has_digest(),
            EventBody::Dispatch(DispatchEvent::Op(op)) => {
                op.args.iter().all(|(_, v)| none(v)) && op.outputs.iter().all(none)
            }
            EventBody::Dispatch(DispatchEvent::OpError(op)) => op.args.iter().all(|(_, v)| none(v)),
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => !a.grad.has_digest(),
            _ => true,
        }
    }
}

struct StructuralTensor<'a>(&'a TensorRef);

impl Serialize for StructuralTensor<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let parts = t.sparse.is_some() || t.nested.is_some();
        let mut tuple = s.serialize_tuple(if parts { 11 } else { 10 })?;
        tuple.serialize_element(&t.id)?;
        tuple.serialize_element(&t.dtype)?;
        tuple.serialize_element(&t.shape)?;
        tuple.serialize_element(&t.stride)?;
        tuple.serialize_element(&t.offset)?;
        tuple.serialize_element(&t.storage)?;
        tuple.serialize_element(&t.device)?;
        tuple.serialize_element(&t.requires_grad)?;
        tuple.serialize_element(&t.version)?;
        tuple.serialize_element(&())?;
        if let Some(p) = &t.sparse {
            tuple.serialize_element(&(
                &p.layout,
                p.sparse_dim,
                p.dense_dim,
                p.coalesced,
                StructuralTensor(&p.indices),
                StructuralTensor(&p.values),
            ))?;
        }
        if let Some(p) = &t.nested {
            tuple.serialize_element(&(
                &p.layout,
                &p.sizes,
                &p.strides,
                &p.offsets,
                StructuralTensor(&p.buffer),
            ))?;
        }
        tuple.end()
    }
}

struct StructuralValue<'a>(&'a Value);

impl Serialize for StructuralValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Tensor(t) => (5u8, StructuralTensor(t)).serialize(s),
            Value::List(items) => (6u8, StructuralValues(items)).serialize(s),
            other => other.serialize(s),
        }
    }
}

struct StructuralValues<'a>(&'a [Value]);

impl Serialize for StructuralValues<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&StructuralValue(v))?;
        }
        seq.end()
    }
}

struct StructuralArgs<'a>(&'a [(Name, Value)]);

impl Serialize for StructuralArgs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (name, v) in self.0 {
            seq.serialize_element(&(name, StructuralValue(v)))?;
        }
        seq.end()
    }
}
