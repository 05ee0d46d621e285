//! Test traces, written with ft-trace's own writer into a temp dir.
//!
//! The program recorded (by hand, following docs/FORMAT.md §3.6):
//!
//! ```python
//! x = torch.tensor([[1., 2., 3.], [4., 5., 6.]])
//! w = torch.full((2, 3), 0.5, requires_grad=True)
//! y = (x * w).sum()          # y = Σ x·w = 10.5
//! y.backward()               # dy/dw = x
//! with torch.no_grad(): w.add_(w.grad, alpha=-0.1)   # inside an SGD.step mark
//! w.to("meta")
//! ```

use std::path::{Path, PathBuf};

use ft_inspect::App;
use ft_inspect::trace::TraceData;
use ft_trace::event::{
    Accumulate, ApiEvent, AutogradEvent, BackwardCall, DeviceEvent, DispatchEvent, GraphTaskBegin,
    GraphTaskEnd, Mark, NodeCreated, OpCall, QueueEntry, TensorIntro, Transfer,
};
use ft_trace::tensor_bytes::f32_to_bytes;
use ft_trace::{
    ACCUMULATE_GRAD_SEQ, ChainStep, Context, Digest, Edge, EventBody, FileTraceWriter, TensorRef,
    TraceMeta, TraceReader, Value,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Meta of every test trace.
pub fn meta() -> TraceMeta {
    TraceMeta {
        producer: "ft-runtime 0.1.0".into(),
        program: "mul_sum.py".into(),
        value_policy: "all".into(),
        attrs: vec![],
    }
}

fn tensor(id: u64, shape: &[i64], requires_grad: bool, value: Option<Digest>) -> TensorRef {
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
        version: 0,
        value,
        sparse: None,
        nested: None,
    }
}

fn op(name: &str, args: Vec<(&str, Value)>, outputs: Vec<Value>, context: Context) -> EventBody {
    let autograd = args
        .iter()
        .any(|(_, v)| v.tensors().iter().any(|t| t.requires_grad));
    let mut keyset = vec![ft_trace::Name::from("CPU")];
    let mut chain = vec![ChainStep {
        key: "CPU".into(),
        handler: "kernel".into(),
    }];
    if autograd {
        keyset.insert(0, "AutogradCPU".into());
        chain.insert(
            0,
            ChainStep {
                key: "AutogradCPU".into(),
                handler: "autograd".into(),
            },
        );
    }
    EventBody::Dispatch(DispatchEvent::Op(OpCall {
        op: name.into(),
        keyset: keyset.into(),
        chain: chain.into(),
        args: args.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        outputs,
        context,
    }))
}

fn node(node: u64, name: &str, seq_nr: u64, next: Vec<Edge>, tensors: Vec<u64>) -> EventBody {
    EventBody::Autograd(AutogradEvent::Node(NodeCreated {
        node,
        name: name.into(),
        seq_nr,
        next,
        tensors,
    }))
}

fn edge(node: Option<u64>) -> Edge {
    Edge { node, input_nr: 0 }
}

fn queue(push: bool, node: u64, seq_nr: u64, deps: u32) -> EventBody {
    let entry = QueueEntry {
        node,
        depth: 0,
        seq_nr,
        deps,
    };
    EventBody::Autograd(if push {
        AutogradEvent::Push(entry)
    } else {
        AutogradEvent::Pop(entry)
    })
}

/// Where to cut the recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `finish()`: footer and trailer written.
    Complete,
    /// Dropped unfinished after event `n`: `NAME.partial` without a footer.
    CrashAfter(usize),
}

/// Writes the test program's trace to `dir/name` and returns the path of the
/// file (`.partial` for a crashed recording). Events chunks are closed after
/// seq 6 and seq 12 so that a cut trace keeps whole chunks.
pub fn write_trace(dir: &Path, name: &str, ending: Ending) -> PathBuf {
    let path = dir.join(name);
    let mut file = FileTraceWriter::create(&path, &meta()).expect("create trace");
    let w = file.writer();
    let blob = |w: &mut ft_trace::TraceWriter<_>, shape: &[i64], v: &[f32]| {
        w.put_blob("float32", shape, &f32_to_bytes(v))
            .expect("blob")
    };
    let x_val = blob(w, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let w_val = blob(w, &[2, 3], &[0.5; 6]);
    let xw_val = blob(w, &[2, 3], &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    let y_val = blob(w, &[], &[10.5]);
    let x = tensor(0, &[2, 3], false, None);
    let wt = tensor(1, &[2, 3], true, None);
    let mut events: Vec<EventBody> = vec![
        EventBody::Api(ApiEvent::Tensor(TensorIntro {
            tensor: Box::new(tensor(0, &[2, 3], false, Some(x_val))),
            alias: false,
        })),
        EventBody::Api(ApiEvent::Tensor(TensorIntro {
            tensor: Box::new(tensor(1, &[2, 3], true, Some(w_val))),
            alias: false,
        })),
        op(
            "aten.mul.Tensor",
            vec![
                ("self", Value::Tensor(Box::new(x.clone()))),
                ("other", Value::Tensor(Box::new(wt.clone()))),
            ],
            vec![Value::Tensor(Box::new(tensor(
                2,
                &[2, 3],
                true,
                Some(xw_val),
            )))],
            Context::TopLevel,
        ),
        node(0, "AccumulateGrad", ACCUMULATE_GRAD_SEQ, vec![], vec![1]),
        node(
            1,
            "MulBackward0",
            0,
            vec![edge(None), edge(Some(0))],
            vec![2],
        ),
        op(
            "aten.sum.default",
            vec![
                (
                    "self",
                    Value::Tensor(Box::new(tensor(2, &[2, 3], true, None))),
                ),
                ("dtype", Value::None),
            ],
            vec![Value::Tensor(Box::new(tensor(3, &[], true, Some(y_val))))],
            Context::TopLevel,
        ),
        node(2, "SumBackward0", 1, vec![edge(Some(1))], vec![3]),
    ];
    let ones = blob(w, &[], &[1.0]);
    let expanded = blob(w, &[2, 3], &[1.0; 6]);
    let grad = blob(w, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let mut updated = tensor(1, &[2, 3], true, None);
    updated.version = 1;
    let updated_val = blob(w, &[2, 3], &[0.4, 0.3, 0.2, 0.1, 0.0, -0.1]);
    let mut moved = tensor(7, &[2, 3], false, None);
    moved.device = "meta".into();
    events.extend([
        EventBody::Api(ApiEvent::Backward(BackwardCall {
            roots: vec![3],
            grads: vec![None],
            retain_graph: false,
            create_graph: false,
        })),
        op(
            "aten.ones_like.default",
            vec![("self", Value::Tensor(Box::new(tensor(3, &[], true, None))))],
            vec![Value::Tensor(Box::new(tensor(4, &[], false, Some(ones))))],
            Context::Backward,
        ),
        EventBody::Autograd(AutogradEvent::GraphTaskBegin(GraphTaskBegin {
            roots: vec![edge(Some(2))],
            depth: 0,
            keep_graph: false,
            create_graph: false,
        })),
        queue(true, 2, 1, 0),
        queue(false, 2, 1, 0),
        op(
            "aten.expand.default",
            vec![
                ("self", Value::Tensor(Box::new(tensor(4, &[], false, None)))),
                ("size", Value::List(vec![Value::Int(2), Value::Int(3)])),
                ("implicit", Value::Bool(false)),
            ],
            vec![Value::Tensor(Box::new(tensor(
                5,
                &[2, 3],
                false,
                Some(expanded),
            )))],
            Context::Node(2),
        ),
        queue(true, 1, 0, 1),
        queue(false, 1, 0, 1),
        op(
            "aten.mul.Tensor",
            vec![
                (
                    "self",
                    Value::Tensor(Box::new(tensor(5, &[2, 3], false, None))),
                ),
                ("other", Value::Tensor(Box::new(x.clone()))),
            ],
            vec![Value::Tensor(Box::new(tensor(
                6,
                &[2, 3],
                false,
                Some(grad),
            )))],
            Context::Node(1),
        ),
        queue(true, 0, ACCUMULATE_GRAD_SEQ, 1),
        queue(false, 0, ACCUMULATE_GRAD_SEQ, 1),
        EventBody::Autograd(AutogradEvent::Accumulate(Accumulate {
            node: 0,
            tensor: 1,
            grad: Box::new(tensor(6, &[2, 3], false, Some(grad))),
        })),
        EventBody::Autograd(AutogradEvent::GraphTaskEnd(GraphTaskEnd { executed: 3 })),
        EventBody::Api(ApiEvent::MarkBegin(Mark {
            name: "Optimizer.step#SGD.step".into(),
        })),
        op(
            "aten.add_.Tensor",
            vec![
                ("self", Value::Tensor(Box::new(wt.clone()))),
                (
                    "other",
                    Value::Tensor(Box::new(tensor(6, &[2, 3], false, None))),
                ),
                ("alpha", Value::Float(-0.1)),
            ],
            vec![Value::Tensor({
                let mut t = updated.clone();
                t.value = Some(updated_val);
                Box::new(t)
            })],
            Context::TopLevel,
        ),
        EventBody::Api(ApiEvent::MarkEnd(Mark {
            name: "Optimizer.step#SGD.step".into(),
        })),
        op(
            "aten._to_copy.default",
            vec![
                ("self", Value::Tensor(Box::new(updated))),
                ("device", Value::Device("meta".into())),
            ],
            vec![Value::Tensor(Box::new(moved))],
            Context::TopLevel,
        ),
        EventBody::Device(DeviceEvent::Transfer(Transfer {
            src: 1,
            dst: 7,
            from: "cpu".into(),
            to: "meta".into(),
        })),
    ]);
    for (seq, body) in events.iter().enumerate() {
        w.append(body, 0).expect("append");
        if seq == 6 || seq == 12 {
            w.flush_events().expect("flush");
        }
        if ending == Ending::CrashAfter(seq) {
            drop(file);
            return ft_trace::partial_path(&path);
        }
    }
    file.finish().expect("finish");
    path
}

/// Number of events [`write_trace`] writes.
pub const EVENT_COUNT: usize = 25;

/// Opens a trace as the inspector does.
pub fn open(path: &Path) -> (App, TraceReader) {
    let (data, reader) = TraceData::open(path).expect("open trace");
    (App::new(data), reader)
}

/// Presses keys; a `&str` of plain characters, one key each.
pub fn type_keys(app: &mut App, reader: &mut TraceReader, keys: &str) {
    for c in keys.chars() {
        press(app, reader, KeyCode::Char(c));
    }
}

/// Presses one key and reads values as the event loop does.
pub fn press(app: &mut App, reader: &mut TraceReader, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    app.fetch_values(reader);
}

/// Draws the app on a test terminal of `width`×`height`.
pub fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    app.resize(width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| frame.render_widget(&*app, frame.area()))
        .expect("draw");
    terminal
}
