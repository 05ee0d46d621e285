//! The precision a value was computed in, which decides its tolerance.
//!
//! `torch.testing.assert_close` picks its tolerance by the dtype of the
//! tensors it compares, which suits two results of the same computation.
//! A free-running replay compares two independent runs instead, and a value
//! carries the rounding of everything it was computed from: a float64 tensor
//! that PyTorch made from a float32 one (`logits.double()` before a loss) is
//! only as close as float32 arithmetic allows, and float64's tolerance would
//! fail ordinary float32 drift at the conversion.
//!
//! So a free-running replay judges each floating value with the tolerance of
//! the loosest floating dtype it was computed from: its own, or that of a
//! floating tensor argument of the operator that produced it, transitively
//! through the PyTorch trace's dataflow. Integer and bool values stay exact
//! (an integer that differs is a discontinuity, reported as such). An
//! anchored replay runs every operator on PyTorch's recorded arguments, so
//! its values are judged by their own dtype: [`Precision::exact`].

use std::collections::HashMap;

use ft_trace::{DispatchEvent, Event, EventBody, TensorRef};

use crate::executor::ReplayMode;
use crate::trace_data::TraceData;

/// How loose a floating dtype's rounding is; `None` for non-floating dtypes.
fn looseness(dtype: &str) -> Option<u8> {
    match dtype {
        "float64" | "complex128" => Some(0),
        "float32" | "complex64" => Some(1),
        "float16" => Some(2),
        "bfloat16" => Some(3),
        _ => None,
    }
}

/// The real dtype whose tolerance stands for a looseness rank.
fn dtype_of_rank(rank: u8) -> &'static str {
    match rank {
        0 => "float64",
        1 => "float32",
        2 => "float16",
        _ => "bfloat16",
    }
}

/// The tolerance dtype of each tensor version that was computed from a
/// lower-precision value than its own dtype.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Precision {
    /// `(tensor id, version)` → looseness rank, only where it is looser
    /// than the tensor's own dtype.
    inherited: HashMap<(u64, u64), u8>,
}

impl Precision {
    /// Every value judged by its own dtype (anchored replay).
    pub fn exact() -> Precision {
        Precision::default()
    }

    /// The precision rule of a diff of `actual` against PyTorch's
    /// `expected`: by dataflow unless `actual` is an anchored replay.
    pub fn for_diff(expected: &TraceData, actual: &TraceData) -> Precision {
        match ReplayMode::of_trace(&actual.meta) {
            ReplayMode::Anchored => Precision::exact(),
            ReplayMode::FreeRunning => Precision::from_events(&expected.events),
        }
    }

    /// Follows PyTorch's dataflow in stream order: an operator's floating
    /// outputs inherit the loosest precision of its floating tensor arguments.
    pub fn from_events(events: &[Event]) -> Precision {
        let mut precision = Precision::default();
        for event in events {
            let EventBody::Dispatch(DispatchEvent::Op(call)) = &event.body else {
                continue;
            };
            let inputs = call
                .args
                .iter()
                .flat_map(|(_, v)| v.tensors())
                .filter_map(|t| precision.rank(t))
                .max();
            let Some(inputs) = inputs else { continue };
            for out in call.outputs.iter().flat_map(|v| v.tensors()) {
                if let Some(own) = looseness(&out.dtype)
                    && inputs > own
                {
                    precision.inherited.insert((out.id, out.version), inputs);
                }
            }
        }
        precision
    }

    fn rank(&self, t: &TensorRef) -> Option<u8> {
        let own = looseness(&t.dtype)?;
        Some(
            self.inherited
                .get(&(t.id, t.version))
                .copied()
                .unwrap_or(own),
        )
    }

    /// The dtype whose tolerance judges tensor `id` at `version`, whose own
    /// dtype is `own`.
    pub fn tolerance_dtype<'a>(&self, id: u64, version: u64, own: &'a str) -> &'a str {
        match self.inherited.get(&(id, version)) {
            Some(&rank) => dtype_of_rank(rank),
            None => own,
        }
    }

    /// Tensor versions whose tolerance is looser than their dtype's.
    pub fn inherited_count(&self) -> usize {
        self.inherited.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ft_trace::{Context, OpCall, Value};

    fn tensor(id: u64, dtype: &str) -> TensorRef {
        TensorRef {
            id,
            dtype: dtype.into(),
            shape: vec![4].into(),
            stride: vec![1].into(),
            offset: 0,
            storage: id,
            device: "cpu".into(),
            requires_grad: false,
            version: 0,
            value: None,
            sparse: None,
            nested: None,
        }
    }

    fn op(seq: u64, name: &str, args: Vec<TensorRef>, outputs: Vec<TensorRef>) -> Event {
        Event {
            seq,
            ts: 0,
            body: EventBody::Dispatch(DispatchEvent::Op(OpCall {
                op: name.into(),
                keyset: vec![].into(),
                chain: vec![].into(),
                args: args
                    .into_iter()
                    .map(|t| ("self".into(), Value::Tensor(Box::new(t))))
                    .collect(),
                outputs: outputs.into_iter().map(Value::from).collect(),
                context: Context::TopLevel,
            })),
        }
    }

    #[test]
    fn a_float64_value_made_from_float32_is_judged_as_float32_downstream() {
        let events = vec![
            op(
                0,
                "aten._to_copy.default",
                vec![tensor(1, "float32")],
                vec![tensor(2, "float64")],
            ),
            op(
                1,
                "aten.exp.default",
                vec![tensor(2, "float64")],
                vec![tensor(3, "float64")],
            ),
            op(
                2,
                "aten.argmax.default",
                vec![tensor(3, "float64")],
                vec![tensor(4, "int64")],
            ),
            op(
                3,
                "aten.exp.default",
                vec![tensor(5, "float64")],
                vec![tensor(6, "float64")],
            ),
        ];
        let p = Precision::from_events(&events);
        assert_eq!(p.tolerance_dtype(2, 0, "float64"), "float32");
        assert_eq!(p.tolerance_dtype(3, 0, "float64"), "float32");
        // integers stay exact, and a float64 value from float64 stays float64
        assert_eq!(p.tolerance_dtype(4, 0, "int64"), "int64");
        assert_eq!(p.tolerance_dtype(6, 0, "float64"), "float64");
        // another version of the same tensor is judged on its own history
        assert_eq!(p.tolerance_dtype(2, 1, "float64"), "float64");
        assert_eq!(
            Precision::exact().tolerance_dtype(2, 0, "float64"),
            "float64"
        );
    }

    #[test]
    fn the_loosest_floating_argument_wins() {
        let events = vec![op(
            0,
            "aten.add.Tensor",
            vec![
                tensor(1, "float64"),
                tensor(2, "bfloat16"),
                tensor(3, "int64"),
            ],
            vec![tensor(4, "float32")],
        )];
        let p = Precision::from_events(&events);
        assert_eq!(p.tolerance_dtype(4, 0, "float32"), "bfloat16");
        assert_eq!(p.inherited_count(), 1);
    }
}
