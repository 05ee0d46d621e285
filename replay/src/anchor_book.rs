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
//! After such a write the values recorded for the written storage (the
//! tensor and every view of it) are forgotten until PyTorch records a new
//! one, so an anchor is never a stale value: the runtime's own value is
//! used instead.

use std::collections::{HashMap, HashSet};

use ft_trace::{ApiEvent, Digest, DispatchEvent, Event, EventBody, OpCall, Value};

use crate::trace_data::recorded_values;

/// The values an anchor may use at the current point of a stream.
#[derive(Default)]
pub struct AnchorBook {
    /// PyTorch's value of each tensor version, with the storage it lives
    /// on and that storage's write generation when it was recorded.
    latest: HashMap<(u64, u64), Recorded>,
    /// PyTorch's storage of every tensor the stream has shown.
    storage_of: HashMap<u64, u64>,
    /// Per storage, how many unrecorded writes it has had: a value recorded
    /// under an older generation is stale (one counter bump per write, not
    /// a scan of every value).
    generation: HashMap<u64, u64>,
}

#[derive(Clone, Copy)]
struct Recorded {
    digest: Digest,
    storage: Option<u64>,
    generation: u64,
}

impl AnchorBook {
    /// PyTorch's value of tensor `id` at `version`, if it is known and
    /// current.
    pub fn get(&self, id: u64, version: u64) -> Option<Digest> {
        let recorded = self.latest.get(&(id, version))?;
        let current = recorded.storage.map_or(0, |s| self.generation_of(s));
        (current == recorded.generation).then_some(recorded.digest)
    }

    fn generation_of(&self, storage: u64) -> u64 {
        self.generation.get(&storage).copied().unwrap_or(0)
    }

    /// Takes in what `event` wrote and recorded (call it after the event).
    pub fn observe(&mut self, event: &Event) {
        for t in event.body.tensor_refs() {
            self.storage_of.insert(t.id, t.storage);
        }
        let written: HashSet<u64> = match &event.body {
            EventBody::Api(ApiEvent::Data(d)) if d.write => {
                // `.data` may swap the storage: forget by id as well.
                self.latest.retain(|&(id, _), _| id != d.tensor.id);
                self.storage_of
                    .get(&d.tensor.id)
                    .copied()
                    .into_iter()
                    .collect()
            }
            EventBody::Dispatch(DispatchEvent::Op(op)) => written_arguments(op)
                .into_iter()
                .filter_map(|id| self.storage_of.get(&id).copied())
                .collect(),
            _ => HashSet::new(),
        };
        for storage in written {
            *self.generation.entry(storage).or_default() += 1;
        }
        for (id, version, digest) in recorded_values(event) {
            let storage = self.storage_of.get(&id).copied();
            let generation = storage.map_or(0, |s| self.generation_of(s));
            self.latest.insert(
                (id, version),
                Recorded {
                    digest,
                    storage,
                    generation,
                },
            );
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

/// The ids of the tensors `op` writes through a mutable argument
/// (`Tensor(a!)`, `Tensor(a!)[]`) by its schema, and the running statistics
/// a batch or instance norm updates; none for an operator the runtime does
/// not know.
fn written_arguments(op: &OpCall) -> Vec<u64> {
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
            ids.extend(value.tensors().iter().map(|t| t.id));
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
