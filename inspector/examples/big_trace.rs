//! Writes a large trace for the inspector's scale benchmark:
//! `cargo run --release -p ft-inspect --example big_trace -- OUT.ftr [EVENTS]`
//! (default 10 000 000 events).
//!
//! The stream repeats a training step of a three-layer MLP the way the
//! capture records one (value policy `none`): the step's mark, the batch's
//! tensors, forward dispatches each creating an autograd node, `backward()`
//! with its GraphTask (pushes, pops, the dispatches each node runs,
//! AccumulateGrad into the parameters), then SGD's in-place updates and
//! `zero_grad`. Tensor and node ids grow as they would in a long run.

use std::path::PathBuf;
use std::process::ExitCode;

use ft_trace::event::{
    Accumulate, ApiEvent, AutogradEvent, BackwardCall, DispatchEvent, Edge, GraphTaskBegin,
    GraphTaskEnd, Mark, NodeCreated, OpCall, QueueEntry, SetGrad, TensorIntro,
};
use ft_trace::{
    ACCUMULATE_GRAD_SEQ, Context, EventBody, FileTraceWriter, TensorRef, TraceError, TraceMeta,
    Value,
};

const BATCH: i64 = 8;
const WIDTHS: [i64; 4] = [16, 32, 32, 4];

struct Gen {
    out: FileTraceWriter,
    next_tensor: u64,
    next_node: u64,
    seq_nr: u64,
    written: u64,
    limit: u64,
}

fn tensor(id: u64, shape: &[i64], requires_grad: bool, version: u64) -> TensorRef {
    let mut stride = vec![1i64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        stride[i] = stride[i + 1] * shape[i + 1];
    }
    TensorRef {
        id,
        dtype: "float32".into(),
        shape: shape.to_vec().into(),
        stride: stride.into(),
        offset: 0,
        storage: id,
        device: "cpu".into(),
        requires_grad,
        version,
        value: None,
        sparse: None,
        nested: None,
    }
}

/// A parameter: its tensor id, shape, version and AccumulateGrad node.
struct Param {
    id: u64,
    shape: Vec<i64>,
    version: u64,
    acc: u64,
}

impl Gen {
    fn done(&self) -> bool {
        self.written >= self.limit
    }

    fn emit(&mut self, body: EventBody) -> Result<(), TraceError> {
        if !self.done() {
            self.out.writer().append(&body, 0)?;
            self.written += 1;
        }
        Ok(())
    }

    fn new_tensor(&mut self, shape: &[i64], requires_grad: bool) -> TensorRef {
        let id = self.next_tensor;
        self.next_tensor += 1;
        tensor(id, shape, requires_grad, 0)
    }

    fn op(
        &mut self,
        name: &str,
        args: Vec<(&str, Value)>,
        outputs: Vec<TensorRef>,
        context: Context,
    ) -> Result<(), TraceError> {
        self.emit(EventBody::Dispatch(DispatchEvent::Op(OpCall {
            op: name.into(),
            keyset: vec!["CPU".into(), "AutogradCPU".into()].into(),
            chain: Vec::new().into(),
            args: args.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            outputs: outputs.into_iter().map(Value::from).collect(),
            context,
        })))
    }

    fn node(&mut self, name: &str, next: Vec<Option<u64>>) -> Result<u64, TraceError> {
        let node = self.next_node;
        self.next_node += 1;
        let seq_nr = self.seq_nr;
        self.seq_nr += 1;
        self.emit(EventBody::Autograd(AutogradEvent::Node(NodeCreated {
            node,
            name: name.into(),
            seq_nr,
            next: next
                .into_iter()
                .map(|node| Edge { node, input_nr: 0 })
                .collect(),
            tensors: Vec::new(),
        })))?;
        Ok(node)
    }

    fn queue(&mut self, pop: bool, node: u64, seq_nr: u64) -> Result<(), TraceError> {
        let entry = QueueEntry {
            node,
            depth: 0,
            seq_nr,
            deps: 0,
        };
        self.emit(EventBody::Autograd(if pop {
            AutogradEvent::Pop(entry)
        } else {
            AutogradEvent::Push(entry)
        }))
    }

    fn params(&mut self) -> Result<Vec<Param>, TraceError> {
        let mut params = Vec::new();
        for layer in 0..3 {
            for shape in [
                vec![WIDTHS[layer + 1], WIDTHS[layer]],
                vec![WIDTHS[layer + 1]],
            ] {
                let t = self.new_tensor(&shape, true);
                self.emit(EventBody::Api(ApiEvent::Tensor(TensorIntro {
                    tensor: Box::new(t.clone()),
                    alias: false,
                })))?;
                let acc = self.next_node;
                self.next_node += 1;
                self.emit(EventBody::Autograd(AutogradEvent::Node(NodeCreated {
                    node: acc,
                    name: "AccumulateGrad".into(),
                    seq_nr: ACCUMULATE_GRAD_SEQ,
                    next: Vec::new(),
                    tensors: vec![t.id],
                })))?;
                params.push(Param {
                    id: t.id,
                    shape,
                    version: 0,
                    acc,
                });
            }
        }
        Ok(params)
    }

    fn step(&mut self, params: &mut [Param]) -> Result<(), TraceError> {
        let mark = || Mark {
            name: "train_step".into(),
        };
        self.emit(EventBody::Api(ApiEvent::MarkBegin(mark())))?;
        let x = self.new_tensor(&[BATCH, WIDTHS[0]], false);
        let y = self.new_tensor(&[BATCH, WIDTHS[3]], false);
        for t in [&x, &y] {
            self.emit(EventBody::Api(ApiEvent::Tensor(TensorIntro {
                tensor: Box::new(t.clone()),
                alias: false,
            })))?;
        }
        // Forward: (node, seq_nr) in creation order, with what each runs backward.
        let mut nodes: Vec<(u64, u64, Vec<&'static str>, Vec<u64>)> = Vec::new();
        let mut h = x;
        let mut prev: Option<u64> = None;
        for layer in 0..3 {
            let (w, b) = (&params[2 * layer], &params[2 * layer + 1]);
            let out = self.new_tensor(&[BATCH, WIDTHS[layer + 1]], true);
            let args = vec![
                ("input", Value::Tensor(Box::new(h.clone()))),
                (
                    "weight",
                    Value::Tensor(Box::new(tensor(w.id, &w.shape, true, w.version))),
                ),
                (
                    "bias",
                    Value::Tensor(Box::new(tensor(b.id, &b.shape, true, b.version))),
                ),
            ];
            self.op(
                "aten.linear.default",
                args,
                vec![out.clone()],
                Context::TopLevel,
            )?;
            let seq_nr = self.seq_nr;
            let node = self.node("AddmmBackward0", vec![prev, Some(w.acc), Some(b.acc)])?;
            let mut pushes = vec![w.acc, b.acc];
            pushes.extend(prev);
            nodes.push((
                node,
                seq_nr,
                vec!["aten.mm.default", "aten.mm.default", "aten.sum.dim_IntList"],
                pushes,
            ));
            h = out;
            prev = Some(node);
            if layer < 2 {
                let out = self.new_tensor(&h.shape, true);
                let args = vec![("self", Value::Tensor(Box::new(h.clone())))];
                self.op(
                    "aten.relu.default",
                    args,
                    vec![out.clone()],
                    Context::TopLevel,
                )?;
                let seq_nr = self.seq_nr;
                let node = self.node("ReluBackward0", vec![prev])?;
                nodes.push((
                    node,
                    seq_nr,
                    vec!["aten.threshold_backward.default"],
                    prev.into_iter().collect(),
                ));
                h = out;
                prev = Some(node);
            }
        }
        let loss = self.new_tensor(&[], true);
        let args = vec![
            ("self", Value::Tensor(Box::new(h.clone()))),
            ("target", Value::Tensor(Box::new(y))),
            ("reduction", Value::Int(1)),
        ];
        self.op(
            "aten.mse_loss.default",
            args,
            vec![loss.clone()],
            Context::TopLevel,
        )?;
        let seq_nr = self.seq_nr;
        let mse = self.node("MseLossBackward0", vec![prev])?;
        nodes.push((
            mse,
            seq_nr,
            vec!["aten.mse_loss_backward.default"],
            prev.into_iter().collect(),
        ));
        // Backward.
        self.emit(EventBody::Api(ApiEvent::Backward(BackwardCall {
            roots: vec![loss.id],
            grads: vec![None],
            retain_graph: false,
            create_graph: false,
        })))?;
        let ones = self.new_tensor(&[], false);
        let args = vec![("self", Value::Tensor(Box::new(loss)))];
        self.op(
            "aten.ones_like.default",
            args,
            vec![ones],
            Context::Backward,
        )?;
        self.emit(EventBody::Autograd(AutogradEvent::GraphTaskBegin(
            GraphTaskBegin {
                roots: vec![Edge {
                    node: Some(mse),
                    input_nr: 0,
                }],
                depth: 0,
                keep_graph: false,
                create_graph: false,
            },
        )))?;
        self.queue(false, mse, seq_nr)?;
        let mut executed = 0;
        for (node, seq_nr, ops, pushes) in nodes.iter().rev() {
            self.queue(true, *node, *seq_nr)?;
            executed += 1;
            for op in ops {
                let g = self.new_tensor(&[BATCH, WIDTHS[1]], false);
                self.op(op, Vec::new(), vec![g], Context::Node(*node))?;
            }
            for &next in pushes {
                match params.iter().find(|p| p.acc == next) {
                    Some(p) => {
                        self.queue(false, next, ACCUMULATE_GRAD_SEQ)?;
                        self.queue(true, next, ACCUMULATE_GRAD_SEQ)?;
                        executed += 1;
                        let grad = self.new_tensor(&p.shape, false);
                        self.emit(EventBody::Autograd(AutogradEvent::Accumulate(Accumulate {
                            node: next,
                            tensor: p.id,
                            grad: Box::new(grad),
                        })))?;
                    }
                    None => {
                        let seq_nr = nodes.iter().find(|n| n.0 == next).map_or(0, |n| n.1);
                        self.queue(false, next, seq_nr)?;
                    }
                }
            }
        }
        self.emit(EventBody::Autograd(AutogradEvent::GraphTaskEnd(
            GraphTaskEnd { executed },
        )))?;
        // SGD step and zero_grad(set_to_none=True).
        for p in params.iter_mut() {
            let grad = self.new_tensor(&p.shape, false);
            let before = tensor(p.id, &p.shape, true, p.version);
            p.version += 1;
            let after = tensor(p.id, &p.shape, true, p.version);
            let args = vec![
                ("self", Value::Tensor(Box::new(before))),
                ("other", Value::Tensor(Box::new(grad))),
                ("alpha", Value::Float(-0.01)),
            ];
            self.op("aten.add_.Tensor", args, vec![after], Context::TopLevel)?;
        }
        for p in params.iter() {
            self.emit(EventBody::Api(ApiEvent::SetGrad(SetGrad {
                tensor: p.id,
                grad: None,
            })))?;
        }
        self.emit(EventBody::Api(ApiEvent::MarkEnd(mark())))
    }
}

fn run(path: PathBuf, limit: u64) -> Result<u64, TraceError> {
    let meta = TraceMeta {
        producer: "ft-inspect big_trace example".into(),
        program: "a three-layer MLP trained with SGD, repeated".into(),
        value_policy: "none".into(),
        attrs: Vec::new(),
    };
    let out = FileTraceWriter::create(&path, &meta)?;
    let mut g = Gen {
        out,
        next_tensor: 0,
        next_node: 0,
        seq_nr: 0,
        written: 0,
        limit,
    };
    let mut params = g.params()?;
    while !g.done() {
        g.step(&mut params)?;
    }
    let summary = g.out.finish()?;
    Ok(summary.index.event_count)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: big_trace OUT.ftr [EVENTS]");
        return ExitCode::from(2);
    };
    let limit = match args.next().map(|n| n.replace('_', "").parse::<u64>()) {
        None => 10_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("big_trace: EVENTS: {e}");
            return ExitCode::from(2);
        }
    };
    match run(PathBuf::from(path), limit) {
        Ok(count) => {
            println!("{count} events");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("big_trace: {e}");
            ExitCode::FAILURE
        }
    }
}
