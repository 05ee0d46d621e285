//! One-line descriptions of events for reports: short enough to read in a
//! terminal, precise enough to find the event (names, contexts, shapes).

use ft_trace::{ApiEvent, AutogradEvent, DeviceEvent, DispatchEvent, Event, EventBody, Value};

use crate::keys::{context_key, seq_text};
use crate::trace_data::TraceView;

/// `aten.mm.default in AddmmBackward0 (T12[16, 1], T14[1, 8]) -> T15[16, 8]`.
pub fn describe(event: &Event, view: &TraceView<'_>) -> String {
    match &event.body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            let args: Vec<String> = op
                .args
                .iter()
                .filter(|(_, v)| !v.tensors().is_empty())
                .map(|(name, v)| format!("{name}={}", short_value(v)))
                .collect();
            let outs: Vec<String> = op.outputs.iter().map(short_value).collect();
            format!(
                "{} in {} ({}) -> {}",
                op.op,
                context_key(op.context, view),
                args.join(", "),
                outs.join(", ")
            )
        }
        EventBody::Dispatch(DispatchEvent::OpError(op)) => {
            let args: Vec<String> = op
                .args
                .iter()
                .filter(|(_, v)| !v.tensors().is_empty())
                .map(|(name, v)| format!("{name}={}", short_value(v)))
                .collect();
            format!(
                "{} in {} ({}) raising {}",
                op.op,
                context_key(op.context, view),
                args.join(", "),
                op.error
            )
        }
        EventBody::Autograd(a) => match a {
            AutogradEvent::Node(n) => {
                let next: Vec<String> = n
                    .next
                    .iter()
                    .map(|e| match e.node {
                        Some(id) => format!("{}#{}", view.node_name(id), id),
                        None => "None".into(),
                    })
                    .collect();
                format!(
                    "node {}#{} seq_nr {} -> [{}]",
                    n.name,
                    n.node,
                    seq_text(n.seq_nr),
                    next.join(", ")
                )
            }
            AutogradEvent::Push(q) | AutogradEvent::Pop(q) => format!(
                "{} {}#{} key ({}, {}) deps {}",
                if matches!(a, AutogradEvent::Push(_)) {
                    "ReadyQueue push"
                } else {
                    "ReadyQueue pop"
                },
                view.node_label(q.node),
                q.node,
                q.depth,
                seq_text(q.seq_nr),
                q.deps
            ),
            AutogradEvent::Accumulate(acc) => format!(
                "accumulate into T{} via {}#{}: grad T{}{:?}",
                acc.tensor,
                view.node_name(acc.node),
                acc.node,
                acc.grad.id,
                acc.grad.shape
            ),
            AutogradEvent::GraphTaskBegin(g) => format!("graph task begins (depth {})", g.depth),
            AutogradEvent::GraphTaskEnd(e) => format!("graph task ends ({} nodes ran)", e.executed),
            AutogradEvent::GraphTaskError(e) => format!("backward() raises {}", e.error),
            AutogradEvent::HookBegin(h) => format!(
                "hook H{} runs in {} with {:?}",
                h.hook,
                view.node_label(h.node),
                h.args
                    .iter()
                    .map(|a| a.as_ref().map(|t| t.id))
                    .collect::<Vec<_>>()
            ),
            AutogradEvent::HookResult(h) => format!(
                "hook H{} returns {}",
                h.hook,
                h.results.as_ref().map_or_else(
                    || "None".to_owned(),
                    |rs| format!(
                        "{:?}",
                        rs.iter()
                            .map(|r| r.as_ref().map(|t| t.id))
                            .collect::<Vec<_>>()
                    )
                )
            ),
            AutogradEvent::HookEnd(h) => format!(
                "hook H{} returns {}",
                h.hook,
                h.result
                    .as_ref()
                    .map_or_else(|| "None".to_owned(), |t| format!("T{}", t.id))
            ),
            _ => "autograd event".into(),
        },
        EventBody::Api(api) => match api {
            ApiEvent::Tensor(t) => format!(
                "tensor T{}{:?} {}{}",
                t.tensor.id,
                t.tensor.shape,
                t.tensor.dtype,
                if t.alias { " (alias)" } else { "" }
            ),
            ApiEvent::Backward(b) => format!("backward() from {:?}", b.roots),
            ApiEvent::GradMode(g) => {
                format!("grad mode {}", if g.grad_enabled { "on" } else { "off" })
            }
            ApiEvent::ManualSeed(s) => format!("manual_seed({})", s.seed),
            ApiEvent::MarkBegin(m) => format!("begin {}", m.name),
            ApiEvent::MarkEnd(m) => format!("end {}", m.name),
            ApiEvent::SetGrad(s) => format!("T{}.grad = {:?}", s.tensor, s.grad),
            ApiEvent::SetRequiresGrad(s) => {
                format!("T{}.requires_grad_({})", s.tensor, s.requires_grad)
            }
            ApiEvent::ProgramError(e) => format!("program raised: {}", e.message),
            ApiEvent::Release(r) => format!("program drops T{}", r.tensor),
            ApiEvent::DefaultDtype(d) => format!("torch.set_default_dtype({})", d.dtype),
            ApiEvent::Grad(g) if g.accumulate => {
                format!("backward() from {:?} for inputs {:?}", g.roots, g.inputs)
            }
            ApiEvent::Grad(g) => {
                format!("torch.autograd.grad({:?}, {:?})", g.roots, g.inputs)
            }
            ApiEvent::GradResult(r) => format!(
                "torch.autograd.grad returned {:?}",
                r.grads
                    .iter()
                    .map(|g| g.as_ref().map(|t| t.id))
                    .collect::<Vec<_>>()
            ),
            ApiEvent::RegisterHook(h) => {
                format!("T{}: register {} hook H{}", h.tensor, h.kind, h.hook)
            }
            ApiEvent::RemoveHook(h) => format!("hook H{} removed", h.hook),
            ApiEvent::RegisterNodeHook(h) => format!(
                "register {} hook H{} on {}",
                h.kind,
                h.hook,
                view.node_label(h.node)
            ),
            ApiEvent::RetainGrad(r) => format!("T{}.retain_grad()", r.tensor),
            ApiEvent::Data(d) if d.write => format!("T{}.data = T{}", d.tensor.id, d.source),
            ApiEvent::Data(d) => format!("T{} = T{}.data", d.tensor.id, d.source),
            _ => "api event".into(),
        },
        EventBody::Device(d) => match d {
            DeviceEvent::GuardEnter(g) => format!("device guard enters {}", g.device),
            DeviceEvent::GuardExit(g) => format!("device guard leaves {}", g.device),
            DeviceEvent::Transfer(t) => {
                format!("transfer T{} {} -> T{} {}", t.src, t.from, t.dst, t.to)
            }
            _ => "device event".into(),
        },
        EventBody::Unknown { layer, kind, .. } => format!("unknown event {layer}/{kind}"),
        _ => "dispatch event".into(),
    }
}

fn short_value(v: &Value) -> String {
    match v {
        Value::Tensor(t) => format!("T{}{:?}", t.id, t.shape),
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(short_value).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}
