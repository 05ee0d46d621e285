//! The default dtype in the trace (format 1.2, api `default_dtype`): the
//! runtime records `Runtime::set_default_dtype` as PyTorch's capture does (a
//! state change written before the next top-level operator), replay applies
//! it, and without it factories replay with the wrong dtype.

use std::path::{Path, PathBuf};

use ft_replay::executor::{ReplayOptions, replay};
use ft_replay::{Exit, Tolerances, TraceData, diff};
use ft_runtime::{DType, IValue, Runtime};
use ft_trace::{ApiEvent, DispatchEvent, EventBody, MemorySink, TraceMeta, Value, ValuePolicy};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .to_owned()
}

/// A program run on the runtime itself: float64 default, `zeros(3)` and
/// `ones(3)` without a dtype, an add; float32 again, `ones(2)`.
fn recorded_program() -> TraceData {
    let sink = std::rc::Rc::new(std::cell::RefCell::new(MemorySink::new(
        ValuePolicy::All,
        false,
    )));
    let mut rt = Runtime::with_sink(Box::new(std::rc::Rc::clone(&sink)));
    let size = |n: i64| vec![IValue::IntList(vec![n])];
    rt.set_default_dtype(DType::Float64).expect("float64");
    let z = rt.call("aten.zeros.default", size(3)).expect("zeros");
    let o = rt.call("aten.ones.default", size(3)).expect("ones");
    let sum = rt
        .call("aten.add.Tensor", vec![z[0].clone(), o[0].clone()])
        .expect("add");
    assert_eq!(sum[0].as_tensor().expect("tensor").dtype(), DType::Float64);
    // Set and undone before any op: not a change.
    rt.set_default_dtype(DType::Float16).expect("float16");
    rt.set_default_dtype(DType::Float32).expect("float32");
    rt.set_default_dtype(DType::Float64).expect("float64");
    rt.set_default_dtype(DType::Float32).expect("float32");
    rt.call("aten.ones.default", size(2)).expect("ones");
    drop(rt);
    let meta = TraceMeta {
        producer: "test".into(),
        program: "default_dtype".into(),
        value_policy: "all".into(),
        attrs: vec![],
    };
    TraceData::from_sink("runtime program", meta, &sink.borrow())
}

fn default_dtypes(data: &TraceData) -> Vec<(u64, String)> {
    data.events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::DefaultDtype(d)) => Some((e.seq, d.dtype.clone())),
            _ => None,
        })
        .collect()
}

fn output_dtypes(data: &TraceData) -> Vec<String> {
    data.events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => op.outputs.first(),
            _ => None,
        })
        .filter_map(Value::as_tensor)
        .map(|t| t.dtype.to_string())
        .collect()
}

#[test]
fn the_runtime_records_each_net_change_before_the_next_operator() {
    let data = recorded_program();
    // seq 0: float64, then zeros/ones/add (1..=3), then float32 before ones.
    assert_eq!(
        default_dtypes(&data),
        vec![(0, "float64".to_owned()), (4, "float32".to_owned())]
    );
    assert_eq!(
        output_dtypes(&data),
        ["float64", "float64", "float64", "float32"]
    );
}

#[test]
fn replay_applies_the_default_dtype_and_matches() {
    let torch = recorded_program();
    let ours = replay(&torch, &ReplayOptions::default())
        .expect("replay")
        .into_trace_data();
    assert_eq!(default_dtypes(&ours), default_dtypes(&torch));
    let report = diff(&torch, &ours, &Tolerances::new(None, None));
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
}

#[test]
fn without_the_event_factories_replay_as_float32_and_diverge() {
    let mut torch = recorded_program();
    torch
        .events
        .retain(|e| !matches!(e.body, EventBody::Api(ApiEvent::DefaultDtype(_))));
    for (seq, e) in torch.events.iter_mut().enumerate() {
        e.seq = seq as u64;
    }
    let ours = replay(&torch, &ReplayOptions::default())
        .expect("replay")
        .into_trace_data();
    assert_eq!(output_dtypes(&ours)[0], "float32");
    let report = diff(&torch, &ours, &Tolerances::new(None, None));
    assert_ne!(report.exit(), Exit::Match, "{}", report.to_text(false));
}

#[test]
fn the_pytorch_golden_with_a_float64_default_replays_to_an_identical_stream() {
    let path = repo().join("traces/default_dtype.torch.ftr");
    let torch = TraceData::load(&path).expect("golden");
    assert_eq!(
        default_dtypes(&torch)
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>(),
        ["float64", "float32"]
    );
    let ours = replay(&torch, &ReplayOptions::default())
        .expect("replay")
        .into_trace_data();
    assert_eq!(torch.events.len(), ours.events.len());
    for (t, o) in torch.events.iter().zip(&ours.events) {
        assert_eq!(
            t.body.structural_hash(),
            o.body.structural_hash(),
            "event {} differs:\n torch:   {:?}\n runtime: {:?}",
            t.seq,
            t.body,
            o.body
        );
    }
    let report = diff(&torch, &ours, &Tolerances::new(None, None));
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
}

#[test]
fn goldens_say_format_2_0_with_or_without_the_event() {
    // The minor the events need; a file with a VIEW chunk says 2.5 for it.
    let version = |name: &str| {
        let path = repo().join("traces").join(name);
        let mut reader = ft_trace::TraceReader::open(&path).expect("golden");
        let events = reader.read_all().expect("events");
        let needed = events
            .iter()
            .map(|e| ft_trace::format::minor_needed(2, &e.body))
            .max()
            .unwrap_or(0);
        (reader.version().0, needed)
    };
    // 2.0 defines every kind of 1.3, default_dtype (added in 1.2) included.
    assert_eq!(version("default_dtype.torch.ftr"), (2, 0));
    assert_eq!(version("tiny_mlp.torch.ftr"), (2, 0));
}
