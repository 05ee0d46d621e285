//! Chrome trace JSON (opens in Perfetto UI and chrome://tracing) with both
//! runs side by side and the divergences marked.
//!
//! Each run is a process (PyTorch first, the runtime second) with one thread
//! per layer. Every event is an instant on its layer's thread; each node the
//! engine ran is also a span on the autograd thread, from its ReadyQueue pop
//! to the next pop (or the end of its graph task), so the ops it dispatched
//! sit inside it. Recordings made with timestamps are placed by time; without
//! (the deterministic default of the goldens) an event's sequence number is
//! its time in microseconds, which lines the two runs up event for event.
//! Divergences are global instants at the expected run's sequence number.

use serde_json::{Value as Json, json};

use ft_trace::{AutogradEvent, Event, EventBody};

use crate::describe::describe;
use crate::report::{Report, divergence_line};
use crate::trace_data::{TraceData, TraceView};

/// Microseconds for an event: its timestamp, or its seq when timestamps are off.
fn clock(data: &TraceData) -> impl Fn(&Event) -> f64 {
    let timed = data.events.iter().any(|e| e.ts != 0);
    move |e: &Event| {
        if timed {
            e.ts as f64 / 1000.0
        } else {
            e.seq as f64
        }
    }
}

fn run_events(data: &TraceData, pid: u32, name: &str, out: &mut Vec<Json>) {
    let view = TraceView::new(data);
    let time = clock(data);
    out.push(json!({"name": "process_name", "ph": "M", "pid": pid,
        "args": {"name": format!("{name}: {}", data.label)}}));
    for (tid, layer) in ["api", "dispatch", "autograd", "device"].iter().enumerate() {
        out.push(
            json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
            "args": {"name": layer}}),
        );
    }
    let mut open: Option<(f64, String)> = None;
    for event in &data.events {
        let t = time(event);
        let (layer, _) = event.body.code();
        let closes_span = matches!(
            event.body,
            EventBody::Autograd(AutogradEvent::Pop(_) | AutogradEvent::GraphTaskEnd(_))
        );
        if closes_span && let Some((start, node)) = open.take() {
            out.push(json!({"name": node, "ph": "X", "pid": pid, "tid": 2,
                "ts": start, "dur": (t - start).max(0.0), "cat": "node"}));
        }
        if let EventBody::Autograd(AutogradEvent::Pop(q)) = &event.body {
            open = Some((t, view.node_label(q.node)));
        }
        out.push(json!({
            "name": event.body.kind_name(),
            "ph": "i", "s": "t", "pid": pid, "tid": layer, "ts": t,
            "args": {"seq": event.seq, "what": describe(event, &view)},
        }));
    }
}

/// The whole Chrome trace document.
pub fn to_chrome_trace(expected: &TraceData, actual: &TraceData, report: &Report) -> Json {
    let mut events = Vec::with_capacity(expected.events.len() + actual.events.len() + 16);
    run_events(expected, 1, "expected", &mut events);
    run_events(actual, 2, "actual", &mut events);
    let exp_time = clock(expected);
    let divergences = [
        &report.dispatch,
        &report.graph,
        &report.schedule,
        &report.dataflow,
        &report.stream,
    ];
    for d in divergences.iter().flat_map(|c| c.divergences.iter()) {
        let t = d
            .expected_seq
            .and_then(|s| expected.events.get(s as usize))
            .map(&exp_time)
            .unwrap_or(0.0);
        events.push(
            json!({"name": format!("{} {}", d.check, d.kind), "ph": "i", "s": "g",
            "pid": 1, "tid": 1, "ts": t, "cat": "divergence",
            "args": {"detail": divergence_line(d)}}),
        );
    }
    for f in &report.values.failures {
        let t = expected
            .events
            .get(f.expected_seq as usize)
            .map(&exp_time)
            .unwrap_or(0.0);
        events.push(
            json!({"name": format!("values {} drift", f.drift), "ph": "i", "s": "g",
            "pid": 1, "tid": 1, "ts": t, "cat": "divergence",
            "args": {"op": f.op, "max_abs": f.max_abs, "max_rel": f.max_rel}}),
        );
    }
    json!({"traceEvents": events, "displayTimeUnit": "ns",
        "otherData": {"verdict": format!("{:?}", report.exit())}})
}
