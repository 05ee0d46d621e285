//! PyTorch's latest recorded value of every tensor version, as an anchored
//! replay walks the stream.
//!
//! Anchoring puts PyTorch's recorded value of an argument into the
//! runtime's tensor before an operator runs. The value must be the one the
//! tensor holds at that moment, and a tensor's `(id, version)` does not
//! always say so: some writes leave no new recorded value behind.
//!
//! * `t.data = x` replaces a tensor's contents without a new version;
//! * an operator that writes an argument and does not return it
//!   (`_foreach_mul_` in `clip_grad_norm_`, any `Tensor(a!)` argument of a
//!   schema that returns something else) records no value for what it wrote;
//! * batch norm in training (and instance norm with `use_input_stats`)
//!   updates its running statistics without saying so in its schema and
//!   without bumping their versions.
//!
//! After such a write the values recorded for what it wrote (the tensor
//! and every view of the storage that shares an element with it, see
//! [`Region`]) are forgotten until PyTorch records a new one, so an anchor
//! is never a stale value: the runtime's own value is used instead. Views
//! of the same storage that share no element with the write (the chunks of
//! an LSTM's gate matrix, each written in place by its own activation) keep
//! theirs.

use std::collections::{HashMap, HashSet};

use ft_trace::{ApiEvent, Digest, DispatchEvent, Event, EventBody, OpCall, TensorRef, Value};

use crate::storage_region::Region;
use crate::trace_data::recorded_refs;

/// The values an anchor may use at the current point of a stream.
#[derive(Default)]
pub struct AnchorBook {
    /// PyTorch's value of each tensor version, with the storage it lives
    /// on and the bytes it covers there.
    latest: HashMap<(u64, u64), Recorded>,
    /// PyTorch's storage of every tensor the stream has shown.
    storage_of: HashMap<u64, u64>,
    /// Per storage, the tensor versions whose values in `latest` live on it
    /// (a write visits these, not every value).
    on_storage: HashMap<u64, HashSet<(u64, u64)>>,
}

struct Recorded {
    digest: Digest,
    storage: u64,
    region: Region,
}

impl AnchorBook {
    /// PyTorch's value of tensor `id` at `version`, if it is known and
    /// current.
    pub fn get(&self, id: u64, version: u64) -> Option<Digest> {
        self.latest.get(&(id, version)).map(|r| r.digest)
    }

    /// Forgets the values on `storage` that share a byte with `written`.
    fn forget(&mut self, storage: u64, written: &Region) {
        let Some(keys) = self.on_storage.get_mut(&storage) else {
            return;
        };
        let latest = &mut self.latest;
        keys.retain(|key| {
            let Some(recorded) = latest.get(key) else {
                return false;
            };
            if recorded.storage != storage {
                return false;
            }
            if written.overlaps(&recorded.region) {
                latest.remove(key);
                return false;
            }
            true
        });
    }

    /// Takes in what `event` wrote and recorded (call it after the event).
    pub fn observe(&mut self, event: &Event) {
        for t in event.body.tensor_refs() {
            self.storage_of.insert(t.id, t.storage);
        }
        let written: Vec<(u64, Region)> = match &event.body {
            EventBody::Api(ApiEvent::Data(d)) if d.write => {
                // `.data` may swap the storage: forget by id as well.
                self.latest.retain(|&(id, _), _| id != d.tensor.id);
                self.storage_of
                    .get(&d.tensor.id)
                    .map(|&s| (s, Region::Anywhere))
                    .into_iter()
                    .collect()
            }
            EventBody::Dispatch(DispatchEvent::Op(op)) => written_arguments(op)
                .into_iter()
                .map(|t| (t.storage, Region::of(t)))
                .collect(),
            _ => Vec::new(),
        };
        for (storage, region) in written {
            self.forget(storage, &region);
        }
        for t in recorded_refs(event) {
            let Some(digest) = t.value else {
                continue;
            };
            let key = (t.id, t.version);
            self.latest.insert(
                key,
                Recorded {
                    digest,
                    storage: t.storage,
                    region: Region::of(t),
                },
            );
            self.on_storage.entry(t.storage).or_default().insert(key);
        }
    }
}

/// Operators that update `running_mean` / `running_var` in training (or
/// with `use_input_stats`) although their schemas do not mark them written.
const UPDATES_RUNNING_STATS: &[&str] = &[
    "aten.native_batch_norm.default",
    "aten.batch_norm.default",
    "aten._batch_norm_impl_index.default",
    "aten.instance_norm.default",
];

/// The tensors `op` writes through a mutable argument (`Tensor(a!)`,
/// `Tensor(a!)[]`) by its schema, and the running statistics a batch or
/// instance norm updates; none for an operator the runtime does not know.
fn written_arguments(op: &OpCall) -> Vec<&TensorRef> {
    let Ok(entry) = ft_runtime::dispatch::Registry::builtin().and_then(|r| r.get(&op.op)) else {
        return Vec::new();
    };
    let updates_running_stats = UPDATES_RUNNING_STATS.contains(&op.op.as_str())
        && op.args.iter().any(|(n, v)| {
            matches!(n.as_str(), "training" | "use_input_stats") && matches!(v, Value::Bool(true))
        });
    let mut ids = Vec::new();
    for (name, value) in &op.args {
        let written = entry
            .schema
            .arguments
            .iter()
            .any(|a| a.name == name.as_str() && a.alias.as_ref().is_some_and(|x| x.is_write))
            || (updates_running_stats && matches!(name.as_str(), "running_mean" | "running_var"));
        if written {
            ids.extend(value.tensors());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use ft_trace::{ChainStep, Context, DataAccess, Name, TensorRef};

    fn tref(id: u64, storage: u64, version: u64, value: Option<u8>) -> TensorRef {
        TensorRef {
            id,
            dtype: Name::from("float32"),
            shape: vec![2].into(),
            stride: vec![1].into(),
            offset: 0,
            storage,
            device: Name::from("cpu"),
            requires_grad: false,
            version,
            value: value.map(|b| Digest([b; 32])),
            sparse: None,
            nested: None,
        }
    }

    fn op(name: &str, args: Vec<(&str, Value)>, outputs: Vec<Value>) -> Event {
        Event {
            seq: 0,
            ts: 0,
            body: EventBody::Dispatch(DispatchEvent::Op(OpCall {
                op: Name::from(name),
                keyset: Vec::new().into(),
                chain: Vec::<ChainStep>::new().into(),
                args: args.into_iter().map(|(n, v)| (Name::from(n), v)).collect(),
                outputs,
                context: Context::TopLevel,
            })),
        }
    }

    #[test]
    fn an_output_value_is_an_anchor() {
        let mut book = AnchorBook::default();
        book.observe(&op(
            "aten.relu.default",
            vec![("self", Value::from(tref(1, 1, 0, None)))],
            vec![Value::from(tref(2, 2, 0, Some(7)))],
        ));
        assert_eq!(book.get(2, 0), Some(Digest([7; 32])));
    }

    #[test]
    fn a_write_the_trace_holds_no_value_for_forgets_the_storage() {
        let mut book = AnchorBook::default();
        // T1 and its view T2 share storage 1.
        book.observe(&op(
            "aten.relu.default",
            vec![],
            vec![Value::from(tref(1, 1, 0, Some(1)))],
        ));
        book.observe(&op(
            "aten.view.default",
            vec![("self", Value::from(tref(1, 1, 0, None)))],
            vec![Value::from(tref(2, 1, 0, Some(1)))],
        ));
        let grads = Value::List(vec![Value::from(tref(1, 1, 0, None))]);
        book.observe(&op(
            "aten._foreach_mul_.Scalar",
            vec![("self", grads), ("scalar", Value::Float(0.5))],
            vec![],
        ));
        assert_eq!(book.get(1, 0), None);
        assert_eq!(book.get(2, 0), None);
        // An in-place op records the value it wrote: that one is current.
        book.observe(&op(
            "aten.add_.Tensor",
            vec![
                ("self", Value::from(tref(1, 1, 0, None))),
                ("other", Value::from(tref(3, 3, 0, None))),
            ],
            vec![Value::from(tref(1, 1, 1, Some(9)))],
        ));
        assert_eq!(book.get(1, 1), Some(Digest([9; 32])));
        assert_eq!(book.get(2, 0), None);
    }

    #[test]
    fn a_write_to_one_chunk_keeps_the_values_of_the_others() {
        // Two chunks of a (3, 20) gate matrix on storage 1, columns 0..5
        // and 10..15, each written in place by its activation.
        let chunk = |id: u64, version: u64, offset: i64, value: Option<u8>| {
            let mut t = tref(id, 1, version, value);
            t.shape = vec![3, 5].into();
            t.stride = vec![20, 1].into();
            t.offset = offset;
            Value::from(t)
        };
        let mut book = AnchorBook::default();
        book.observe(&op(
            "aten.sigmoid_.default",
            vec![("self", chunk(5, 0, 0, None))],
            vec![chunk(5, 1, 0, Some(5))],
        ));
        book.observe(&op(
            "aten.tanh_.default",
            vec![("self", chunk(6, 0, 10, None))],
            vec![chunk(6, 1, 10, Some(6))],
        ));
        assert_eq!(
            book.get(5, 1),
            Some(Digest([5; 32])),
            "another chunk's write"
        );
        assert_eq!(book.get(6, 1), Some(Digest([6; 32])));
        // A write over the whole matrix forgets both.
        let mut whole = tref(7, 1, 0, None);
        whole.shape = vec![3, 20].into();
        whole.stride = vec![20, 1].into();
        book.observe(&op(
            "aten._foreach_mul_.Scalar",
            vec![("self", Value::List(vec![Value::from(whole)]))],
            vec![],
        ));
        assert_eq!(book.get(5, 1), None);
        assert_eq!(book.get(6, 1), None);
    }

    #[test]
    fn batch_norm_in_training_writes_its_running_statistics() {
        let mut book = AnchorBook::default();
        book.observe(&op(
            "aten.zeros.default",
            vec![],
            vec![Value::from(tref(4, 3, 0, Some(4)))],
        ));
        let call = |training: bool| {
            op(
                "aten.native_batch_norm.default",
                vec![
                    ("input", Value::from(tref(9, 9, 0, None))),
                    ("weight", Value::None),
                    ("bias", Value::None),
                    ("running_mean", Value::from(tref(4, 3, 0, None))),
                    ("running_var", Value::None),
                    ("training", Value::Bool(training)),
                    ("momentum", Value::Float(0.1)),
                    ("eps", Value::Float(1e-5)),
                ],
                vec![],
            )
        };
        book.observe(&call(false));
        assert_eq!(
            book.get(4, 0),
            Some(Digest([4; 32])),
            "eval reads the statistics"
        );
        book.observe(&call(true));
        assert_eq!(book.get(4, 0), None, "training updates them");
    }

    #[test]
    fn a_data_write_forgets_the_tensor() {
        let mut book = AnchorBook::default();
        book.observe(&op(
            "aten.relu.default",
            vec![],
            vec![Value::from(tref(1, 1, 0, Some(1)))],
        ));
        book.observe(&Event {
            seq: 1,
            ts: 0,
            body: EventBody::Api(ApiEvent::Data(DataAccess {
                tensor: Box::new(tref(1, 1, 0, None)),
                source: 5,
                write: true,
            })),
        });
        assert_eq!(book.get(1, 0), None);
    }
}
