//! Replays the PyTorch golden traces through the runtime and requires the
//! runtime's own recording to be the same, event by event: equal structural
//! hashes (names, keysets, chains, arguments, tensor metadata, ids, graph,
//! schedule) and values within float32 tolerance.
//!
//! The replayer here is deliberately small — what the program did (api
//! events and top-level operators) is re-executed, random operators get
//! PyTorch's recorded values, a gradient produced by backward is found by
//! role (the `.grad` of its leaf). ft-replay is the full version.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ft_runtime::{IValue, Runtime, Tensor};
use ft_trace::event::{ApiEvent, AutogradEvent, Context, DispatchEvent};
use ft_trace::{Digest, Event, EventBody, MemorySink, TraceReader, ValuePolicy};

const RANDOM_OPS: &[&str] = &[
    "aten.randn.default",
    "aten.uniform_.default",
    "aten.normal_.default",
    "aten.rand.default",
];

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

struct Replay {
    reader: TraceReader,
    rt: Runtime,
    sink: Rc<RefCell<MemorySink>>,
    tensors: HashMap<u64, Tensor>,
    storages: HashMap<u64, Tensor>,
}

impl Replay {
    fn blob(&mut self, digest: Option<Digest>) -> (String, Vec<u8>) {
        let digest = digest.expect("recorded value");
        let blob = self
            .reader
            .blob(&digest)
            .expect("read blob")
            .expect("blob present");
        (blob.dtype, blob.data)
    }

    fn bind(&mut self, id: u64, storage: u64, t: Tensor) {
        self.storages.entry(storage).or_insert_with(|| t.clone());
        self.tensors.insert(id, t);
    }

    fn lookup(&self, id: u64) -> Tensor {
        self.tensors
            .get(&id)
            .cloned()
            .unwrap_or_else(|| panic!("tensor T{id} unknown"))
    }

    fn step(&mut self, event: &Event) {
        match &event.body {
            EventBody::Api(api) => self.api(api),
            EventBody::Dispatch(DispatchEvent::Op(op)) if op.context == Context::TopLevel => {
                let tensors = self.tensors.clone();
                let args = op
                    .args
                    .iter()
                    .map(|(_, v)| {
                        IValue::from_trace_value(v, &mut |t| {
                            tensors.get(&t.id).cloned().ok_or_else(|| {
                                ft_runtime::RuntimeError::Unsupported {
                                    op: "replay".into(),
                                    what: format!("unknown T{}", t.id),
                                }
                            })
                        })
                        .expect("argument")
                    })
                    .collect();
                if RANDOM_OPS.contains(&op.op.as_str()) {
                    let digest = op
                        .outputs
                        .iter()
                        .flat_map(|v| v.tensors())
                        .next()
                        .and_then(|t| t.value);
                    let (dtype, data) = self.blob(digest);
                    self.rt
                        .provide_random_values(&dtype, &data)
                        .expect("random values");
                }
                let outputs = self
                    .rt
                    .call(&op.op, args)
                    .unwrap_or_else(|e| panic!("seq {}: {}: {e}", event.seq, op.op));
                let produced: Vec<Tensor> =
                    outputs.into_iter().flat_map(IValue::into_tensors).collect();
                let expected: Vec<_> = op
                    .outputs
                    .iter()
                    .flat_map(|v| v.tensors())
                    .cloned()
                    .collect();
                assert_eq!(produced.len(), expected.len(), "seq {}", event.seq);
                for (r, t) in expected.into_iter().zip(produced) {
                    self.bind(r.id, r.storage, t);
                }
            }
            EventBody::Autograd(AutogradEvent::Accumulate(acc)) => {
                let leaf = self.lookup(acc.tensor);
                let grad = leaf
                    .grad()
                    .unwrap_or_else(|| panic!("seq {}: no gradient in T{}", event.seq, acc.tensor));
                self.bind(acc.grad.id, acc.grad.storage, grad);
            }
            _ => {}
        }
    }

    fn api(&mut self, api: &ApiEvent) {
        match api {
            ApiEvent::Tensor(intro) => {
                let t = &intro.tensor;
                let tensor = if intro.alias {
                    let base = self.storages.get(&t.storage).cloned().expect("alias base");
                    self.rt
                        .introduce_alias(&base, &t.shape, &t.stride, t.offset, t.requires_grad)
                } else {
                    let (dtype, data) = self.blob(t.value);
                    self.rt.introduce_tensor(
                        &dtype,
                        &t.shape,
                        &t.stride,
                        t.offset,
                        &data,
                        t.requires_grad,
                    )
                }
                .expect("introduce");
                self.bind(t.id, t.storage, tensor);
            }
            ApiEvent::SetRequiresGrad(s) => {
                let t = self.lookup(s.tensor);
                self.rt
                    .set_requires_grad(&t, s.requires_grad)
                    .expect("requires_grad_");
            }
            ApiEvent::Backward(b) => {
                let roots: Vec<Tensor> = b.roots.iter().map(|&r| self.lookup(r)).collect();
                let grads: Vec<Option<Tensor>> =
                    b.grads.iter().map(|g| g.map(|g| self.lookup(g))).collect();
                self.rt
                    .backward(&roots, &grads, b.retain_graph, b.create_graph)
                    .expect("backward");
            }
            ApiEvent::GradMode(g) => self.rt.set_grad_mode(g.grad_enabled, g.inference_mode),
            ApiEvent::ManualSeed(s) => self.rt.manual_seed(s.seed),
            ApiEvent::MarkBegin(m) => self.rt.mark_begin(&m.name),
            ApiEvent::MarkEnd(m) => self.rt.mark_end(&m.name),
            ApiEvent::SetGrad(s) => {
                let t = self.lookup(s.tensor);
                let g = s.grad.map(|g| self.lookup(g));
                self.rt.set_grad(&t, g).expect("set_grad");
            }
            other => panic!("unexpected api event {other:?}"),
        }
    }
}

/// Replays `name` and returns (PyTorch events, runtime events, both blob tables).
fn replay(name: &str) -> (Vec<Event>, Vec<Event>, TraceReader, MemorySink) {
    let mut reader = TraceReader::open(golden(name)).expect("golden trace");
    let events = reader.read_all().expect("events");
    let sink = Rc::new(RefCell::new(MemorySink::new(ValuePolicy::All, false)));
    let mut rt = Runtime::with_sink(Box::new(Rc::clone(&sink)));
    // The capture runs PyTorch under a TorchDispatchMode (see Runtime docs).
    rt.set_dispatch_mode_active(true);
    let mut replay = Replay {
        reader,
        rt,
        sink: Rc::clone(&sink),
        tensors: HashMap::new(),
        storages: HashMap::new(),
    };
    for e in &events {
        replay.step(e);
    }
    let Replay {
        reader,
        rt,
        sink: s,
        ..
    } = replay;
    drop(rt);
    drop(sink);
    let ours = Rc::try_unwrap(s)
        .map(RefCell::into_inner)
        .unwrap_or_else(|rc| rc.borrow().clone());
    (events, ours.events().to_vec(), reader, ours)
}

fn assert_same_stream(name: &str) {
    let (torch, ours, mut reader, sink) = replay(name);
    let n = torch.len().min(ours.len());
    for i in 0..n {
        if torch[i].body.structural_hash() != ours[i].body.structural_hash() {
            let from = i.saturating_sub(3);
            let context: Vec<String> = (from..(i + 3).min(n))
                .map(|j| {
                    format!(
                        "  {j}\n    torch: {:?}\n    ours:  {:?}",
                        torch[j].body, ours[j].body
                    )
                })
                .collect();
            panic!(
                "{name}: first divergence at event {i}\n{}",
                context.join("\n")
            );
        }
    }
    assert_eq!(torch.len(), ours.len(), "{name}: event counts differ");

    // Values: every digest on both sides decodes to the same numbers within
    // float32 tolerance.
    let mut compared = 0;
    for (t, o) in torch.iter().zip(&ours) {
        let (tr, or) = (t.body.tensor_refs(), o.body.tensor_refs());
        for (a, b) in tr.iter().zip(or.iter()) {
            if let (Some(da), Some(db)) = (a.value, b.value) {
                let want = reader.blob(&da).expect("blob").expect("present");
                let got = sink.blob(&db).expect("our blob");
                let want = ft_trace::tensor_bytes::to_f64(&want.dtype, &want.data).expect("decode");
                let got = ft_trace::tensor_bytes::to_f64(&got.dtype, &got.data).expect("decode");
                let want: Vec<f32> = want.iter().map(|&v| v as f32).collect();
                let got: Vec<f32> = got.iter().map(|&v| v as f32).collect();
                crate::common::assert_close(&got, &want);
                compared += 1;
            }
        }
    }
    assert!(compared > 0, "{name}: no values compared");
}

#[test]
fn tiny_mlp_matches_pytorch_event_by_event() {
    assert_same_stream("tiny_mlp.torch.ftr");
}

#[test]
fn mlp_train_matches_pytorch_event_by_event() {
    assert_same_stream("mlp_train.torch.ftr");
}
