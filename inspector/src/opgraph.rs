//! The Op graph view's model: from one event, where each input tensor came
//! from and where each output goes.
//!
//! A tensor is followed by `(id, version)`, so an in-place op is a new
//! version with its own producer and consumers. Producers are the op that
//! returned the version or the program's introduction of the tensor;
//! consumers are the ops that took that version as an argument (see
//! [`ft_trace::model::DataflowIndex`]).

use ft_trace::{AutogradEvent, DispatchEvent, EventBody, TensorRef};

use crate::describe::{Part, TextLine, summary};
use crate::trace::TraceData;

/// Which way a link points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// To the event that produced an input.
    Producer,
    /// To an event that used an output.
    Consumer,
}

/// One navigable line of the view.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// Producer or consumer.
    pub direction: Direction,
    /// The tensor followed, `T3 v1` style, with the argument name for inputs.
    pub tensor: String,
    /// The event it leads to, when the trace holds one.
    pub target: Option<usize>,
}

/// The links of event `index`: every tensor input's producer, then every
/// output's consumers.
pub fn links(data: &TraceData, index: usize) -> Vec<Link> {
    let Some(event) = data.events.get(index) else {
        return Vec::new();
    };
    let (inputs, outputs) = tensors_of(&event.body);
    let mut out = Vec::new();
    for (name, t) in inputs {
        let label = format!("{name}{}", tensor_version(t));
        out.push(Link {
            direction: Direction::Producer,
            tensor: label,
            target: data.dataflow().producer(t.id, t.version),
        });
    }
    for t in outputs {
        let consumers = data.dataflow().consumers(t.id, t.version);
        if consumers.is_empty() {
            out.push(Link {
                direction: Direction::Consumer,
                tensor: tensor_version(t),
                target: None,
            });
        }
        for &c in consumers {
            out.push(Link {
                direction: Direction::Consumer,
                tensor: tensor_version(t),
                target: Some(c),
            });
        }
    }
    out
}

/// `T3[2,3] v1`.
fn tensor_version(t: &TensorRef) -> String {
    format!("{} v{}", ft_trace::describe::compact_tensor(t), t.version)
}

/// `(argument name = , tensor)` inputs and the output tensors of an event.
fn tensors_of(body: &EventBody) -> (Vec<(String, &TensorRef)>, Vec<&TensorRef>) {
    match body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => (
            named(&op.args),
            op.outputs.iter().flat_map(|v| v.tensors()).collect(),
        ),
        EventBody::Dispatch(DispatchEvent::OpError(op)) => (named(&op.args), Vec::new()),
        EventBody::Autograd(AutogradEvent::Accumulate(a)) => {
            (vec![("grad=".to_owned(), &a.grad)], Vec::new())
        }
        other => (Vec::new(), other.tensor_refs().into_iter().collect()),
    }
}

/// `(argument name = , tensor)` for every tensor among `args`.
fn named(args: &[(ft_trace::Name, ft_trace::Value)]) -> Vec<(String, &TensorRef)> {
    args.iter()
        .flat_map(|(name, v)| {
            v.tensors()
                .into_iter()
                .map(move |t| (format!("{name}="), t))
        })
        .collect()
}

/// The text of one link: direction, tensor, and the event it leads to.
pub fn link_line(data: &TraceData, link: &Link) -> TextLine {
    let arrow = match link.direction {
        Direction::Producer => "← from ",
        Direction::Consumer => "→ to   ",
    };
    let mut line = TextLine::new()
        .with(Part::Tensor, format!("{:<18} ", link.tensor))
        .with(Part::Dim, arrow);
    match link.target.and_then(|t| data.events.get(t)) {
        Some(event) => {
            line.push(Part::Seq, format!("#{} ", event.seq))
                .push(Part::Kind, format!("{} ", event.body.kind_name()));
            line.parts.extend(summary(data, event).parts);
        }
        None => {
            let why = match link.direction {
                Direction::Producer => "made before the recording, or by a view not recorded",
                Direction::Consumer => "no later op uses it",
            };
            line.push(Part::Dim, why);
        }
    }
    line
}
