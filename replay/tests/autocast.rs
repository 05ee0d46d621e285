//! CPU autocast in the trace (format 2.1, api `autocast`): the runtime
//! records `Runtime::set_autocast` as PyTorch's capture does (a state change
//! written before the next top-level operator), its keysets carry
//! `AutocastCPU` exactly while CPU autocast is enabled, replay applies the
//! event, and the PyTorch golden replays with PyTorch's keysets and walks.

use std::path::{Path, PathBuf};

use ft_replay::executor::{ReplayOptions, replay};
use ft_replay::{Exit, Tolerances, TraceData, diff};
use ft_runtime::dispatch::autocast::AutocastState;
use ft_runtime::{DType, IValue, Runtime};
use ft_trace::{ApiEvent, DispatchEvent, EventBody, MemorySink, TraceMeta, ValuePolicy};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .to_owned()
}

fn bf16(enabled: bool) -> AutocastState {
    AutocastState {
        enabled,
        dtype: DType::BFloat16,
        cache_enabled: true,
    }
}

/// A program run on the runtime itself: `mm` outside, inside a bfloat16
/// region (an addmm, a cat), inside a nested disabled region, and after.
fn recorded_program() -> TraceData {
    let sink = std::rc::Rc::new(std::cell::RefCell::new(MemorySink::new(
        ValuePolicy::All,
        false,
    )));
    let mut rt = Runtime::with_sink(Box::new(std::rc::Rc::clone(&sink)));
    let size = |r: i64, c: i64| vec![IValue::IntList(vec![r, c])];
    let a = rt.call("aten.ones.default", size(2, 2)).expect("ones")[0].clone();
    let t = a.as_tensor().expect("a tensor").clone();
    let mm = |rt: &mut Runtime| {
        rt.call("aten.mm.default", vec![a.clone(), a.clone()])
            .expect("mm");
    };
    mm(&mut rt);
    rt.set_autocast("cpu", bf16(true)).expect("enter");
    mm(&mut rt);
    rt.call(
        "aten.cat.default",
        vec![IValue::TensorList(vec![t.clone(), t]), IValue::Int(0)],
    )
    .expect("cat");
    rt.set_autocast("cpu", bf16(false))
        .expect("nested disabled");
    mm(&mut rt);
    rt.set_autocast("cpu", bf16(true)).expect("back");
    // Left and entered again before any op: not a change.
    rt.set_autocast("cpu", bf16(false)).expect("leave");
    rt.set_autocast("cpu", bf16(true)).expect("enter");
    mm(&mut rt);
    rt.set_autocast("cpu", bf16(false)).expect("leave");
    mm(&mut rt);
    drop(rt);
    let meta = TraceMeta {
        producer: "test".into(),
        program: "autocast".into(),
        value_policy: "all".into(),
        attrs: vec![],
    };
    TraceData::from_sink("runtime program", meta, &sink.borrow())
}

fn autocast_events(data: &TraceData) -> Vec<(u64, bool)> {
    data.events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::Autocast(a)) => Some((e.seq, a.enabled)),
            _ => None,
        })
        .collect()
}

/// `(op, first key, AutocastCPU's handler)` of each op event.
fn walks(data: &TraceData) -> Vec<(String, String, Option<String>)> {
    data.events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => Some((
                op.op.to_string(),
                op.keyset.first().map(|k| k.to_string()).unwrap_or_default(),
                op.chain
                    .iter()
                    .find(|s| s.key == "AutocastCPU")
                    .map(|s| s.handler.to_string()),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn the_runtime_records_each_net_change_and_keys_follow_it() {
    let data = recorded_program();
    let ops = walks(&data);
    let first_keys: Vec<&str> = ops.iter().map(|(_, k, _)| k.as_str()).collect();
    // ones (no tensor argument: no autocast key ever), mm outside, mm and
    // cat inside, mm in the nested disabled region, mm inside, mm after.
    assert_eq!(
        first_keys,
        [
            "BackendSelect",
            "AutogradCPU",
            "AutocastCPU",
            "AutocastCPU",
            "AutogradCPU",
            "AutocastCPU",
            "AutogradCPU"
        ]
    );
    let handlers: Vec<Option<&str>> = ops.iter().map(|(_, _, h)| h.as_deref()).collect();
    assert_eq!(
        handlers[2],
        Some("kernel"),
        "mm is on the lower-precision list"
    );
    assert_eq!(handlers[3], Some("kernel"), "cat is on the promote list");
    let states: Vec<bool> = autocast_events(&data).iter().map(|&(_, e)| e).collect();
    assert_eq!(states, [true, false, true, false]);
}

#[test]
fn replay_applies_the_autocast_state_and_matches() {
    let torch = recorded_program();
    let ours = replay(&torch, &ReplayOptions::default())
        .expect("replay")
        .into_trace_data();
    assert_eq!(autocast_events(&ours), autocast_events(&torch));
    let report = diff(&torch, &ours, &Tolerances::new(None, None));
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
}

#[test]
fn without_the_event_the_region_diverges_in_its_keys() {
    let mut torch = recorded_program();
    torch
        .events
        .retain(|e| !matches!(e.body, EventBody::Api(ApiEvent::Autocast(_))));
    for (seq, e) in torch.events.iter_mut().enumerate() {
        e.seq = seq as u64;
    }
    let ours = replay(&torch, &ReplayOptions::default())
        .expect("replay")
        .into_trace_data();
    let report = diff(&torch, &ours, &Tolerances::new(None, None));
    assert_eq!(report.exit(), Exit::Structural, "{}", report.to_text(false));
}

#[test]
fn only_cpu_autocast_is_modelled() {
    let mut rt = Runtime::new();
    let err = rt.set_autocast("cuda", bf16(true)).expect_err("cuda");
    assert!(err.to_string().contains("\"cuda\""), "{err}");
    assert_eq!(rt.autocast("cpu").expect("cpu"), AutocastState::default());
    assert!(rt.autocast("xpu").is_err());
}

#[test]
fn the_pytorch_golden_replays_with_its_keysets_and_walks() {
    let path = repo().join("traces/autocast_cpu.torch.ftr");
    let torch = TraceData::load(&path).expect("golden");
    assert!(autocast_events(&torch).len() > 4);
    let ours = replay(&torch, &ReplayOptions::default())
        .expect("replay")
        .into_trace_data();
    assert_eq!(autocast_events(&ours), autocast_events(&torch));
    // Every event the same kind in the same place, and every operator with
    // PyTorch's keyset and walk (values are the value check's business:
    // bfloat16 matmuls round differently in their last bits).
    assert_eq!(torch.events.len(), ours.events.len());
    for (t, o) in torch.events.iter().zip(&ours.events) {
        assert_eq!(t.body.code(), o.body.code(), "event {}", t.seq);
        if let (
            EventBody::Dispatch(DispatchEvent::Op(a)),
            EventBody::Dispatch(DispatchEvent::Op(b)),
        ) = (&t.body, &o.body)
        {
            assert_eq!(
                (&a.op, &a.keyset, &a.chain),
                (&b.op, &b.keyset, &b.chain),
                "event {}",
                t.seq
            );
        }
    }
    let report = diff(&torch, &ours, &Tolerances::new(None, None));
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
}
