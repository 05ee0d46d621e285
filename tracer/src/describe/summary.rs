//! The one-line summary of an event: the timeline row, `--dump`, and the
//! events a report names.

use crate::event::{ApiEvent, AutogradEvent, DeviceEvent, DispatchEvent, OpCall, OpError};
use crate::event::{Event, EventBody};
use crate::model::Lookup;
use crate::value::Value;

use super::{
    Part, TextLine, compact_tensor, context_label, edge_label, push_node, py_bool, seq_nr_label,
};

/// The compact one-line summary of an event (the timeline's last column).
pub fn summary(lookup: &Lookup<'_>, event: &Event) -> TextLine {
    let mut line = TextLine::new();
    match &event.body {
        EventBody::Api(api) => api_summary(&mut line, api),
        EventBody::Dispatch(DispatchEvent::Op(op)) => op_summary(&mut line, lookup, op),
        EventBody::Dispatch(DispatchEvent::OpError(op)) => op_error_summary(&mut line, lookup, op),
        EventBody::Autograd(a) => autograd_summary(&mut line, lookup, a),
        EventBody::Device(d) => device_summary(&mut line, d),
        EventBody::Unknown { layer, kind, .. } => {
            line.push(
                Part::Warn,
                format!("layer {layer} kind {kind}: not known to this build"),
            );
        }
    }
    line
}

fn api_summary(line: &mut TextLine, api: &ApiEvent) {
    match api {
        ApiEvent::Tensor(t) => {
            line.push(Part::Tensor, compact_tensor(&t.tensor)).push(
                Part::Dim,
                format!(" {} {}", t.tensor.dtype, t.tensor.device),
            );
            if t.tensor.requires_grad {
                line.push(Part::Plain, " requires_grad");
            }
            if t.alias {
                line.push(Part::Dim, format!(" alias of S{}", t.tensor.storage));
            }
        }
        ApiEvent::SetRequiresGrad(s) => {
            line.push(Part::Tensor, format!("T{}", s.tensor)).push(
                Part::Plain,
                format!(" requires_grad={}", py_bool(s.requires_grad)),
            );
        }
        ApiEvent::Backward(b) => {
            let roots: Vec<String> = b.roots.iter().map(|r| format!("T{r}")).collect();
            let grads: Vec<String> = b
                .grads
                .iter()
                .map(|g| g.map_or_else(|| "implicit".to_owned(), |g| format!("T{g}")))
                .collect();
            line.push(Part::Dim, "roots=")
                .push(Part::Tensor, format!("[{}]", roots.join(", ")))
                .push(Part::Dim, " grads=")
                .push(Part::Plain, format!("[{}]", grads.join(", ")))
                .push(
                    Part::Dim,
                    format!(
                        " retain_graph={} create_graph={}",
                        py_bool(b.retain_graph),
                        py_bool(b.create_graph)
                    ),
                );
        }
        ApiEvent::GradMode(g) => {
            line.push(
                Part::Plain,
                format!(
                    "grad_enabled={} inference_mode={}",
                    py_bool(g.grad_enabled),
                    py_bool(g.inference_mode)
                ),
            );
        }
        ApiEvent::ManualSeed(s) => {
            line.push(Part::Plain, format!("seed={}", s.seed));
        }
        ApiEvent::MarkBegin(m) | ApiEvent::MarkEnd(m) => {
            line.push(Part::Name, m.name.clone());
        }
        ApiEvent::SetGrad(s) => {
            let grad = s
                .grad
                .map_or_else(|| "None".to_owned(), |g| format!("T{g}"));
            line.push(Part::Tensor, format!("T{}", s.tensor))
                .push(Part::Plain, ".grad = ")
                .push(Part::Tensor, grad);
        }
        ApiEvent::ProgramError(p) => {
            line.push(Part::Warn, p.message.clone());
        }
        ApiEvent::Release(r) => {
            line.push(Part::Plain, "program drops ")
                .push(Part::Tensor, format!("T{}", r.tensor));
        }
        ApiEvent::DefaultDtype(d) => {
            line.push(Part::Plain, format!("dtype={}", d.dtype));
        }
        ApiEvent::Autocast(a) => {
            line.push(
                Part::Plain,
                format!(
                    "device_type={} enabled={} dtype={} cache_enabled={}",
                    a.device_type,
                    py_bool(a.enabled),
                    a.dtype,
                    py_bool(a.cache_enabled)
                ),
            );
        }
        ApiEvent::AnomalyMode(a) => {
            line.push(
                Part::Plain,
                format!(
                    "enabled={} check_nan={}",
                    py_bool(a.enabled),
                    py_bool(a.check_nan)
                ),
            );
        }
        ApiEvent::BelowAutograd(b) => {
            line.push(Part::Plain, format!("enabled={}", py_bool(b.enabled)));
        }
        ApiEvent::Grad(g) => {
            let ids = |ids: &[u64]| ids.iter().map(|t| format!("T{t}")).collect::<Vec<_>>();
            line.push(Part::Plain, "roots=")
                .push(Part::Tensor, format!("{:?}", ids(&g.roots)))
                .push(Part::Plain, " inputs=")
                .push(Part::Tensor, format!("{:?}", ids(&g.inputs)))
                .push(
                    Part::Plain,
                    format!(
                        " accumulate={} allow_unused={} retain_graph={} create_graph={}",
                        g.accumulate, g.allow_unused, g.retain_graph, g.create_graph
                    ),
                );
        }
        ApiEvent::GradResult(r) => {
            let grads: Vec<String> = r
                .grads
                .iter()
                .map(|g| {
                    g.as_ref()
                        .map_or_else(|| "None".to_owned(), |t| format!("T{}", t.id))
                })
                .collect();
            line.push(Part::Tensor, format!("[{}]", grads.join(", ")));
        }
        ApiEvent::RegisterHook(h) => {
            line.push(Part::Name, format!("H{} ", h.hook))
                .push(Part::Plain, format!("{} hook on ", h.kind))
                .push(Part::Tensor, format!("T{}", h.tensor));
        }
        ApiEvent::RemoveHook(h) => {
            line.push(Part::Name, format!("H{}", h.hook));
        }
        ApiEvent::RegisterNodeHook(h) => {
            line.push(Part::Name, format!("H{} ", h.hook))
                .push(Part::Plain, format!("{} hook on ", h.kind))
                .push(Part::Node, format!("N{}", h.node));
        }
        ApiEvent::RetainGrad(r) => {
            line.push(Part::Tensor, format!("T{}", r.tensor));
        }
        ApiEvent::Function(f) => {
            line.push(Part::Name, format!("{} ", f.name))
                .push(Part::Tensor, format!("({})", super::tensor_ids(&f.inputs)))
                .push(Part::Dim, " → ")
                .push(Part::Tensor, super::tensor_ids(&f.outputs));
        }
        ApiEvent::Data(d) => {
            let (verb, version) = if d.write {
                (" data assigned from ", "")
            } else {
                (" = data of ", " (own version counter)")
            };
            line.push(Part::Tensor, compact_tensor(&d.tensor))
                .push(Part::Dim, format!(" {}", d.tensor.dtype))
                .push(Part::Plain, verb)
                .push(Part::Tensor, format!("T{}", d.source))
                .push(Part::Dim, format!(" on S{}{version}", d.tensor.storage));
        }
        ApiEvent::SavedTensorsHooks(h) => {
            let scope = if h.enter { " entered" } else { " left" };
            line.push(Part::Name, format!("H{}", h.hook))
                .push(Part::Plain, scope);
        }
    }
}

fn op_summary(line: &mut TextLine, lookup: &Lookup<'_>, op: &OpCall) {
    let args: Vec<String> = op
        .args
        .iter()
        .flat_map(|(_, v)| v.tensors())
        .map(compact_tensor)
        .collect();
    let outputs: Vec<String> = op
        .outputs
        .iter()
        .flat_map(Value::tensors)
        .map(compact_tensor)
        .collect();
    line.push(Part::Name, op.op.clone())
        .push(Part::Dim, "(")
        .push(Part::Tensor, args.join(", "))
        .push(Part::Dim, ")");
    if !outputs.is_empty() {
        line.push(Part::Dim, " → ")
            .push(Part::Tensor, outputs.join(", "));
    }
    line.push(Part::Dim, " · ")
        .push(Part::Context, context_label(lookup, op.context));
}

/// `aten.mm.default(T0[2,3], T1[4,5]) raised RuntimeError: ... · top`.
fn op_error_summary(line: &mut TextLine, lookup: &Lookup<'_>, op: &OpError) {
    let args: Vec<String> = op
        .args
        .iter()
        .flat_map(|(_, v)| v.tensors())
        .map(compact_tensor)
        .collect();
    line.push(Part::Name, op.op.clone())
        .push(Part::Dim, "(")
        .push(Part::Tensor, args.join(", "))
        .push(Part::Dim, ") raised ")
        .push(Part::Warn, op.error.clone())
        .push(Part::Dim, " · ")
        .push(Part::Context, context_label(lookup, op.context));
}

fn autograd_summary(line: &mut TextLine, lookup: &Lookup<'_>, event: &AutogradEvent) {
    match event {
        AutogradEvent::Node(n) => {
            let edges: Vec<String> = n.next.iter().map(edge_label).collect();
            let tensors: Vec<String> = n.tensors.iter().map(|t| format!("T{t}")).collect();
            line.push(Part::Node, format!("N{} ", n.node))
                .push(Part::Name, n.name.clone())
                .push(Part::Dim, format!(" seq_nr={}", seq_nr_label(n.seq_nr)))
                .push(Part::Dim, " next=[")
                .push(Part::Node, edges.join(", "))
                .push(Part::Dim, "]");
            if !tensors.is_empty() {
                line.push(Part::Dim, " of ")
                    .push(Part::Tensor, tensors.join(", "));
            }
        }
        AutogradEvent::GraphTaskBegin(g) => {
            let roots: Vec<String> = g.roots.iter().map(edge_label).collect();
            line.push(Part::Dim, "roots=[")
                .push(Part::Node, roots.join(", "))
                .push(Part::Dim, "]")
                .push(
                    Part::Dim,
                    format!(
                        " depth={} keep_graph={} create_graph={}",
                        g.depth,
                        py_bool(g.keep_graph),
                        py_bool(g.create_graph)
                    ),
                );
        }
        AutogradEvent::Push(q) | AutogradEvent::Pop(q) => {
            push_node(line, lookup, q.node);
            line.push(
                Part::Plain,
                format!(" key=({}, {})", q.depth, seq_nr_label(q.seq_nr)),
            )
            .push(Part::Dim, format!(" deps={}", q.deps));
        }
        AutogradEvent::Accumulate(a) => {
            push_node(line, lookup, a.node);
            line.push(Part::Plain, " ")
                .push(Part::Tensor, format!("T{}", a.tensor))
                .push(Part::Plain, " ← ")
                .push(Part::Tensor, compact_tensor(&a.grad));
        }
        AutogradEvent::GraphTaskEnd(g) => {
            line.push(Part::Plain, format!("executed={}", g.executed));
        }
        AutogradEvent::GraphTaskError(g) => {
            line.push(Part::Warn, g.error.clone());
        }
        AutogradEvent::HookBegin(h) => {
            let args: Vec<String> = h
                .args
                .iter()
                .map(|a| a.as_ref().map_or_else(|| "None".to_owned(), compact_tensor))
                .collect();
            line.push(Part::Name, format!("H{} ", h.hook));
            push_node(line, lookup, h.node);
            if args.is_empty() {
                line.push(Part::Dim, " receives nothing");
            } else {
                line.push(Part::Dim, " receives ")
                    .push(Part::Tensor, args.join(", "));
            }
        }
        AutogradEvent::HookResult(h) => {
            let results = h.results.as_ref().map_or_else(
                || "None".to_owned(),
                |rs| {
                    let parts: Vec<String> = rs
                        .iter()
                        .map(|a| a.as_ref().map_or_else(|| "None".to_owned(), compact_tensor))
                        .collect();
                    format!("({})", parts.join(", "))
                },
            );
            line.push(Part::Name, format!("H{}", h.hook))
                .push(Part::Dim, " returns ")
                .push(Part::Tensor, results);
        }
        AutogradEvent::HookEnd(h) => {
            let result = h
                .result
                .as_deref()
                .map_or_else(|| "None".to_owned(), compact_tensor);
            line.push(Part::Name, format!("H{}", h.hook))
                .push(Part::Dim, " returns ")
                .push(Part::Tensor, result);
        }
        AutogradEvent::NodeResult(r) => {
            let refs = |refs: &[Option<crate::value::TensorRef>]| {
                refs.iter()
                    .map(|a| a.as_ref().map_or_else(|| "None".to_owned(), compact_tensor))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            push_node(line, lookup, r.node);
            line.push(Part::Dim, " received ")
                .push(Part::Tensor, refs(&r.grads))
                .push(Part::Dim, " returned ")
                .push(Part::Tensor, refs(&r.results));
        }
    }
}

fn device_summary(line: &mut TextLine, event: &DeviceEvent) {
    match event {
        DeviceEvent::GuardEnter(g) | DeviceEvent::GuardExit(g) => {
            line.push(Part::Name, g.device.clone());
        }
        DeviceEvent::Transfer(t) => {
            line.push(Part::Tensor, format!("T{}", t.src))
                .push(Part::Plain, format!(" {} → ", t.from))
                .push(Part::Tensor, format!("T{}", t.dst))
                .push(Part::Plain, format!(" {}", t.to));
        }
    }
}
