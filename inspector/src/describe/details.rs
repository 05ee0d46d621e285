//! Every field of one event, a line per screen line, with tensor metadata
//! and the statistics of recorded values.

use ft_trace::event::{
    Accumulate, ApiEvent, AutogradEvent, DeviceEvent, DispatchEvent, NodeCreated, OpCall,
};
use ft_trace::{ACCUMULATE_GRAD_SEQ, Digest, Edge, EventBody, TensorRef, Value};

use super::{Part, SHORT_HASH, TextLine, context_label, push_node, py_bool, seq_nr_label, shape};
use crate::trace::{TraceData, layer_name};
use crate::values::{Stats, ValueCache, ValueSummary, format_number};
use ft_trace::describe::{node_name, tensor_ids};

const LABEL_WIDTH: usize = 10;

fn field(label: &str) -> TextLine {
    TextLine::new().with(Part::Label, format!("{label:<LABEL_WIDTH$} "))
}

fn indent(depth: usize) -> String {
    " ".repeat(depth)
}

/// Every digest whose value the details of event `index` show: the event's
/// own digests, and for arguments the value recorded where that tensor
/// version was produced.
pub fn value_digests(data: &TraceData, index: usize) -> Vec<Digest> {
    let Some(event) = data.events.get(index) else {
        return Vec::new();
    };
    let mut out: Vec<Digest> = Vec::new();
    for t in event.body.tensor_refs() {
        let digest = t
            .value
            .or_else(|| data.value_at(t.id, t.version, event.seq).map(|r| r.digest));
        if let Some(d) = digest
            && !out.contains(&d)
        {
            out.push(d);
        }
    }
    out
}

/// The details of event `index`, one [`TextLine`] per screen line.
pub fn details(data: &TraceData, values: &ValueCache, index: usize) -> Vec<TextLine> {
    let Some(event) = data.events.get(index) else {
        return vec![TextLine::new().with(Part::Dim, "no event selected")];
    };
    let (layer, kind) = event.body.code();
    let mut lines = vec![
        TextLine::new()
            .with(Part::Seq, format!("#{}", event.seq))
            .with(Part::Dim, "  ")
            .with(Part::Layer(layer), layer_name(layer))
            .with(Part::Dim, " · ")
            .with(Part::Kind, event.body.kind_name())
            .with(Part::Dim, format!("  (wire {layer}/{kind})")),
        field("hash")
            .with(Part::Hash, event.body.structural_hash().short(SHORT_HASH))
            .with(Part::Dim, " (structural)"),
    ];
    if event.ts != 0 {
        lines.push(field("ts").with(Part::Plain, format!("{} ns", event.ts)));
    }
    let mut d = Details {
        data,
        values,
        seq: event.seq,
        lines,
    };
    match &event.body {
        EventBody::Api(api) => d.api(api),
        EventBody::Dispatch(DispatchEvent::Op(op)) => d.op(op),
        EventBody::Dispatch(DispatchEvent::OpError(op)) => d.op_error(op),
        EventBody::Autograd(a) => d.autograd(a),
        EventBody::Device(dev) => d.device(dev),
        EventBody::Unknown { .. } => d.lines.push(TextLine::new().with(
            Part::Warn,
            "an event kind this build does not know; payload skipped",
        )),
        _ => d
            .lines
            .push(TextLine::new().with(Part::Warn, "not known to this build")),
    }
    d.lines
}

struct Details<'a> {
    data: &'a TraceData,
    values: &'a ValueCache,
    /// The event shown: arguments show the value in force when it ran.
    seq: u64,
    lines: Vec<TextLine>,
}

impl Details<'_> {
    fn text(&mut self, label: &str, part: Part, text: impl Into<String>) {
        self.lines.push(field(label).with(part, text));
    }

    fn flag(&mut self, label: &str, value: bool) {
        self.text(label, Part::Plain, py_bool(value));
    }

    fn node(&mut self, label: &str, id: u64) {
        let mut line = field(label);
        push_node(&mut line, &self.data.lookup(), id);
        self.lines.push(line);
    }

    fn edges(&mut self, label: &str, edges: &[Edge]) {
        if edges.is_empty() {
            self.text(label, Part::Dim, "(none)");
        }
        for (i, edge) in edges.iter().enumerate() {
            let mut line = field(if i == 0 { label } else { "" });
            match edge.node {
                Some(n) => {
                    line.push(Part::Node, format!("N{n}"))
                        .push(Part::Dim, format!(" input {}", edge.input_nr));
                    if let Some(name) = node_name(&self.data.lookup(), n) {
                        line.push(Part::Plain, "  ").push(Part::Name, name);
                    }
                }
                None => {
                    line.push(Part::Dim, "∅ (needs no gradient)");
                }
            }
            self.lines.push(line);
        }
    }

    fn api(&mut self, api: &ApiEvent) {
        match api {
            ApiEvent::Tensor(t) => {
                self.tensor("tensor", 0, &t.tensor);
                self.flag("alias", t.alias);
            }
            ApiEvent::SetRequiresGrad(s) => {
                self.text("tensor", Part::Tensor, format!("T{}", s.tensor));
                self.flag("req_grad", s.requires_grad);
            }
            ApiEvent::Backward(b) => {
                for (i, root) in b.roots.iter().enumerate() {
                    let grad = match b.grads.get(i).copied().flatten() {
                        Some(g) => format!("T{g}"),
                        None => "implicit ones_like".to_owned(),
                    };
                    self.lines.push(
                        field(if i == 0 { "roots" } else { "" })
                            .with(Part::Tensor, format!("T{root}"))
                            .with(Part::Dim, "  grad ")
                            .with(Part::Plain, grad),
                    );
                }
                self.flag("retain", b.retain_graph);
                self.flag("create", b.create_graph);
            }
            ApiEvent::GradMode(g) => {
                self.flag("grad", g.grad_enabled);
                self.flag("inference", g.inference_mode);
            }
            ApiEvent::ManualSeed(s) => self.text("seed", Part::Plain, s.seed.to_string()),
            ApiEvent::MarkBegin(m) | ApiEvent::MarkEnd(m) => {
                self.text("name", Part::Name, m.name.clone());
            }
            ApiEvent::SetGrad(s) => {
                self.text("tensor", Part::Tensor, format!("T{}", s.tensor));
                let grad = s
                    .grad
                    .map_or_else(|| "None".to_owned(), |g| format!("T{g}"));
                self.text("grad", Part::Tensor, grad);
            }
            ApiEvent::ProgramError(p) => self.text("error", Part::Warn, p.message.clone()),
            ApiEvent::Release(r) => self.text("tensor", Part::Tensor, format!("T{}", r.tensor)),
            ApiEvent::DefaultDtype(d) => self.text("dtype", Part::Plain, d.dtype.clone()),
            ApiEvent::Autocast(a) => {
                self.text("device type", Part::Plain, a.device_type.clone());
                self.flag("enabled", a.enabled);
                self.text("dtype", Part::Plain, a.dtype.clone());
                self.flag("cache", a.cache_enabled);
            }
            ApiEvent::AnomalyMode(a) => {
                self.flag("enabled", a.enabled);
                self.flag("check nan", a.check_nan);
            }
            ApiEvent::BelowAutograd(b) => self.flag("enabled", b.enabled),
            ApiEvent::Grad(g) => {
                let ids = |ids: &[u64]| {
                    ids.iter()
                        .map(|t| format!("T{t}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                self.text("roots", Part::Tensor, ids(&g.roots));
                self.text("inputs", Part::Tensor, ids(&g.inputs));
                self.flag("retain", g.retain_graph);
                self.flag("create", g.create_graph);
                self.flag("accumulate", g.accumulate);
                self.flag("allow_unused", g.allow_unused);
            }
            ApiEvent::GradResult(r) => {
                for (i, g) in r.grads.iter().enumerate() {
                    let grad = g
                        .as_ref()
                        .map_or_else(|| "None".to_owned(), |t| format!("T{}", t.id));
                    self.text(&format!("input {i}"), Part::Tensor, grad);
                }
            }
            ApiEvent::RegisterHook(h) => {
                self.text("hook", Part::Name, format!("H{}", h.hook));
                self.text("kind", Part::Plain, h.kind.clone());
                self.text("tensor", Part::Tensor, format!("T{}", h.tensor));
            }
            ApiEvent::RegisterNodeHook(h) => {
                self.text("hook", Part::Name, format!("H{}", h.hook));
                self.text("kind", Part::Plain, h.kind.clone());
                self.node("node", h.node);
            }
            ApiEvent::RemoveHook(h) => self.text("hook", Part::Name, format!("H{}", h.hook)),
            ApiEvent::RetainGrad(r) => self.text("tensor", Part::Tensor, format!("T{}", r.tensor)),
            ApiEvent::Function(f) => {
                self.text("function", Part::Name, f.name.clone());
                self.text("inputs", Part::Tensor, tensor_ids(&f.inputs));
                self.text("outputs", Part::Tensor, tensor_ids(&f.outputs));
            }
            ApiEvent::Data(d) => {
                self.text("tensor", Part::Tensor, format!("T{}", d.tensor.id));
                self.text("source", Part::Tensor, format!("T{}", d.source));
                let access = if d.write { "assigned" } else { "read" };
                self.text("access", Part::Plain, access);
            }
            ApiEvent::SavedTensorsHooks(h) => {
                self.text("hook", Part::Name, format!("H{}", h.hook));
                let scope = if h.enter { "entered" } else { "left" };
                self.text("scope", Part::Plain, scope);
            }
            _ => self.text("", Part::Warn, "not known to this build"),
        }
    }

    fn op(&mut self, op: &OpCall) {
        self.text("op", Part::Name, op.op.clone());
        self.text(
            "context",
            Part::Context,
            context_label(&self.data.lookup(), op.context),
        );
        self.text("keyset", Part::Plain, op.keyset.join(", "));
        let mut chain = field("chain");
        for (i, step) in op.chain.iter().enumerate() {
            if i > 0 {
                chain.push(Part::Dim, " → ");
            }
            chain
                .push(Part::Plain, step.key.clone())
                .push(Part::Dim, format!("[{}]", step.handler));
        }
        self.lines.push(chain);
        self.lines.push(TextLine::new().with(Part::Label, "args"));
        if op.args.is_empty() {
            self.lines.push(TextLine::new().with(Part::Dim, "  (none)"));
        }
        for (name, value) in &op.args {
            self.value(name, 2, value);
        }
        self.lines
            .push(TextLine::new().with(Part::Label, "outputs"));
        if op.outputs.is_empty() {
            self.lines.push(TextLine::new().with(Part::Dim, "  (none)"));
        }
        for (i, value) in op.outputs.iter().enumerate() {
            self.value(&format!("[{i}]"), 2, value);
        }
    }

    /// A call that raised: as an op, the exception in place of outputs.
    fn op_error(&mut self, op: &ft_trace::OpError) {
        let call = OpCall {
            op: op.op.clone(),
            keyset: op.keyset.clone(),
            chain: op.chain.clone(),
            args: op.args.clone(),
            outputs: Vec::new(),
            context: op.context,
        };
        self.op(&call);
        self.lines.pop(); // "(none)" under outputs
        self.lines.pop(); // "outputs"
        self.text("raised", Part::Warn, op.error.clone());
    }

    fn autograd(&mut self, event: &AutogradEvent) {
        match event {
            AutogradEvent::Node(n) => self.node_created(n),
            AutogradEvent::GraphTaskBegin(g) => {
                self.edges("roots", &g.roots);
                self.text("depth", Part::Plain, g.depth.to_string());
                self.flag("keep_graph", g.keep_graph);
                self.flag("create", g.create_graph);
            }
            AutogradEvent::Push(q) | AutogradEvent::Pop(q) => {
                self.node("node", q.node);
                self.text(
                    "key",
                    Part::Plain,
                    format!("(depth {}, seq_nr {})", q.depth, seq_nr_label(q.seq_nr)),
                );
                self.text("deps", Part::Plain, q.deps.to_string());
            }
            AutogradEvent::Accumulate(a) => self.accumulate(a),
            AutogradEvent::GraphTaskEnd(g) => {
                self.text("executed", Part::Plain, format!("{} nodes", g.executed));
            }
            AutogradEvent::GraphTaskError(g) => {
                self.text("raised", Part::Warn, g.error.clone());
            }
            AutogradEvent::HookBegin(h) => {
                self.text("hook", Part::Name, format!("H{}", h.hook));
                self.node("node", h.node);
                self.optional_tensors("receives", &h.args);
            }
            AutogradEvent::HookEnd(h) => {
                self.text("hook", Part::Name, format!("H{}", h.hook));
                match &h.result {
                    Some(t) => self.tensor("returns", 0, t),
                    None => self.text("returns", Part::Plain, "None"),
                }
            }
            AutogradEvent::HookResult(h) => {
                self.text("hook", Part::Name, format!("H{}", h.hook));
                match &h.results {
                    Some(results) => self.optional_tensors("returns", results),
                    None => self.text("returns", Part::Plain, "None (the node's results stand)"),
                }
            }
            AutogradEvent::NodeResult(r) => {
                self.node("node", r.node);
                self.optional_tensors("received", &r.grads);
                self.optional_tensors("returned", &r.results);
            }
            _ => self.text("", Part::Warn, "not known to this build"),
        }
    }

    /// One line per entry, `label[i]`; a missing entry (no gradient) is `None`.
    fn optional_tensors(&mut self, label: &str, tensors: &[Option<TensorRef>]) {
        if tensors.is_empty() {
            self.text(label, Part::Dim, "(nothing)");
        }
        for (i, t) in tensors.iter().enumerate() {
            let name = format!("{label}[{i}]");
            match t {
                Some(t) => self.tensor(&name, 0, t),
                None => self.arg_line(&name, 0, "None".to_owned()),
            }
        }
    }

    fn node_created(&mut self, n: &NodeCreated) {
        self.lines.push(
            field("node")
                .with(Part::Node, format!("N{}", n.node))
                .with(Part::Plain, " ")
                .with(Part::Name, n.name.clone()),
        );
        let seq = if n.seq_nr == ACCUMULATE_GRAD_SEQ {
            "2^64-1 (AccumulateGrad: runs last among ties)".to_owned()
        } else {
            n.seq_nr.to_string()
        };
        self.text("seq_nr", Part::Plain, seq);
        self.edges("next", &n.next);
        let tensors: Vec<String> = n.tensors.iter().map(|t| format!("T{t}")).collect();
        self.text("tensors", Part::Tensor, tensors.join(", "));
    }

    fn accumulate(&mut self, a: &Accumulate) {
        self.node("node", a.node);
        self.text("leaf", Part::Tensor, format!("T{}", a.tensor));
        self.tensor("grad", 0, &a.grad);
    }

    fn device(&mut self, event: &DeviceEvent) {
        match event {
            DeviceEvent::GuardEnter(g) | DeviceEvent::GuardExit(g) => {
                self.text("device", Part::Name, g.device.clone());
            }
            DeviceEvent::Transfer(t) => {
                self.lines.push(
                    field("from")
                        .with(Part::Tensor, format!("T{}", t.src))
                        .with(Part::Plain, format!(" on {}", t.from)),
                );
                self.lines.push(
                    field("to")
                        .with(Part::Tensor, format!("T{}", t.dst))
                        .with(Part::Plain, format!(" on {}", t.to)),
                );
            }
            _ => self.text("", Part::Warn, "not known to this build"),
        }
    }

    /// An argument or output: scalars inline, tensors as a block, lists of
    /// tensors one element per block.
    fn value(&mut self, name: &str, depth: usize, value: &Value) {
        match value {
            Value::Tensor(t) => self.tensor(name, depth, t),
            Value::List(items) if !value.tensors().is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    self.value(&format!("{name}[{i}]"), depth, item);
                }
                if items.is_empty() {
                    self.arg_line(name, depth, "[]".to_owned());
                }
            }
            other => self.arg_line(name, depth, other.to_string()),
        }
    }

    fn arg_line(&mut self, name: &str, depth: usize, text: String) {
        let label_width = LABEL_WIDTH.saturating_sub(depth);
        self.lines.push(
            TextLine::new()
                .with(Part::Plain, indent(depth))
                .with(Part::Label, format!("{name:<label_width$} "))
                .with(Part::Plain, text),
        );
    }

    /// A tensor reference: metadata, then its value if recorded.
    fn tensor(&mut self, name: &str, depth: usize, t: &TensorRef) {
        let label_width = LABEL_WIDTH.saturating_sub(depth);
        let pad = indent(depth + label_width + 1);
        let mut head = TextLine::new()
            .with(Part::Plain, indent(depth))
            .with(Part::Label, format!("{name:<label_width$} "))
            .with(Part::Tensor, format!("T{}", t.id))
            .with(
                Part::Plain,
                format!(" {}{} {}", t.dtype, shape(&t.shape, ", "), t.device),
            );
        if t.requires_grad {
            head.push(Part::Plain, " requires_grad");
        }
        self.lines.push(head);
        if let Some(p) = &t.sparse {
            // a sparse tensor (format 2.4): its values are its parts'
            self.lines
                .push(TextLine::new().with(Part::Plain, pad.clone()).with(
                    Part::Dim,
                    format!(
                        "{} sparse_dim {} dense_dim {} nnz {}{} storage S{} version {}",
                        p.layout,
                        p.sparse_dim,
                        p.dense_dim,
                        p.nnz(),
                        if p.coalesced { " coalesced" } else { "" },
                        t.storage,
                        t.version
                    ),
                ));
            self.tensor("indices", depth + 1, &p.indices);
            self.tensor("values", depth + 1, &p.values);
            return;
        }
        if let Some(p) = &t.nested {
            // a nested tensor (format 2.6): its value is its buffer's
            self.lines
                .push(TextLine::new().with(Part::Plain, pad.clone()).with(
                    Part::Dim,
                    format!(
                        "{} n {} sizes {} storage S{} version {}",
                        p.layout,
                        p.components(),
                        nested_sizes(&p.sizes),
                        t.storage,
                        t.version
                    ),
                ));
            self.tensor("buffer", depth + 1, &p.buffer);
            return;
        }
        self.lines
            .push(TextLine::new().with(Part::Plain, pad.clone()).with(
                Part::Dim,
                format!(
                    "stride {} offset {} storage S{} version {}",
                    shape(&t.stride, ", "),
                    t.offset,
                    t.storage,
                    t.version
                ),
            ));
        let (digest, origin) = match t.value {
            Some(d) => (Some(d), None),
            None => match self.data.value_at(t.id, t.version, self.seq) {
                Some(r) => (Some(r.digest), Some(r.seq)),
                None => (None, None),
            },
        };
        let Some(digest) = digest else {
            self.lines.push(
                TextLine::new()
                    .with(Part::Plain, pad)
                    .with(Part::Dim, "value not recorded"),
            );
            return;
        };
        let mut value_line = TextLine::new()
            .with(Part::Plain, pad.clone())
            .with(Part::Dim, "value ")
            .with(Part::Hash, digest.short(SHORT_HASH));
        if let Some(seq) = origin {
            value_line.push(Part::Dim, format!(" (recorded at #{seq})"));
        }
        self.lines.push(value_line);
        match self.values.get(&digest) {
            Some(ValueSummary::Stats(s)) => self.stats(&pad, s),
            Some(ValueSummary::Opaque { dtype, bytes }) => {
                self.lines.push(TextLine::new().with(Part::Plain, pad).with(
                    Part::Dim,
                    format!("{bytes} bytes of {dtype} (not summarised)"),
                ))
            }
            Some(ValueSummary::Missing) => self.lines.push(
                TextLine::new()
                    .with(Part::Plain, pad)
                    .with(Part::Warn, "blob not in this trace"),
            ),
            Some(ValueSummary::Unreadable(e)) => self.lines.push(
                TextLine::new()
                    .with(Part::Plain, pad)
                    .with(Part::Warn, format!("blob unreadable: {e}")),
            ),
            None => self.lines.push(
                TextLine::new()
                    .with(Part::Plain, pad)
                    .with(Part::Dim, "(value not read)"),
            ),
        }
    }

    fn stats(&mut self, pad: &str, s: &Stats) {
        let num = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), format_number);
        let mut line = TextLine::new()
            .with(Part::Plain, pad)
            .with(Part::Dim, "numel ")
            .with(Part::Number, s.numel.to_string())
            .with(Part::Dim, "  min ")
            .with(Part::Number, num(s.min))
            .with(Part::Dim, "  max ")
            .with(Part::Number, num(s.max))
            .with(Part::Dim, "  mean ")
            .with(Part::Number, num(s.mean))
            .with(Part::Dim, "  std ")
            .with(Part::Number, num(s.std));
        if s.nan > 0 || s.inf > 0 {
            line.push(Part::Warn, format!("  nan {} inf {}", s.nan, s.inf));
        }
        self.lines.push(line);
        if s.numel > 1 && !s.histogram.is_empty() {
            self.lines.push(
                TextLine::new()
                    .with(Part::Plain, pad)
                    .with(Part::Dim, "histogram ")
                    .with(Part::Number, crate::values::sparkline(&s.histogram))
                    .with(Part::Dim, format!(" {}…{}", num(s.min), num(s.max))),
            );
        }
        let mut first: Vec<String> = s.first.iter().map(|&x| format_number(x)).collect();
        if s.numel > s.first.len() {
            first.push("…".to_owned());
        }
        self.lines.push(
            TextLine::new()
                .with(Part::Plain, pad)
                .with(Part::Dim, "first ")
                .with(Part::Number, format!("[{}]", first.join(", "))),
        );
    }
}

/// The components' sizes of a nested tensor, `[3, 8] [5, 8] …`: the first
/// [`NESTED_SIZES_SHOWN`], then how many more.
fn nested_sizes(sizes: &[Vec<i64>]) -> String {
    let mut text: Vec<String> = sizes
        .iter()
        .take(NESTED_SIZES_SHOWN)
        .map(|s| shape(s, ", "))
        .collect();
    if sizes.len() > NESTED_SIZES_SHOWN {
        text.push(format!("… {} more", sizes.len() - NESTED_SIZES_SHOWN));
    }
    if text.is_empty() {
        "none".to_owned()
    } else {
        text.join(" ")
    }
}

/// How many components' sizes a nested tensor's details list.
const NESTED_SIZES_SHOWN: usize = 8;

#[cfg(test)]
mod nested_tests {
    use std::path::Path;

    use crate::trace::TraceData;
    use crate::values::ValueCache;

    /// A nested tensor's details: layout, components and their sizes, then
    /// its buffer as a tensor of its own; long size lists are cut.
    #[test]
    fn a_nested_tensor_shows_its_components_and_buffer() {
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tracer/tests/fixtures/nested.ftr");
        let (data, _) = TraceData::open(&fixture).expect("open the nested fixture");
        let index = (0..data.events.len())
            .find(|&i| {
                matches!(&data.events[i].body,
                    ft_trace::EventBody::Dispatch(ft_trace::DispatchEvent::Op(op))
                        if &*op.op == "aten._nested_tensor_from_mask.default")
            })
            .expect("the _nested_tensor_from_mask event");
        let text: Vec<String> = super::details(&data, &ValueCache::default(), index)
            .iter()
            .map(|l| l.plain())
            .collect();
        let text = text.join("\n");
        assert!(
            text.contains("nested n 3 sizes [3, 8] [5, 8] [0, 8] storage S2 version 0"),
            "{text}"
        );
        assert!(
            text.contains("buffer") && text.contains("T3 float32[64] cpu"),
            "{text}"
        );
        assert!(!text.contains("stride [] offset"), "{text}");
        let many: Vec<Vec<i64>> = (0..10).map(|i| vec![i, 8]).collect();
        assert_eq!(
            super::nested_sizes(&many),
            "[0, 8] [1, 8] [2, 8] [3, 8] [4, 8] [5, 8] [6, 8] [7, 8] … 2 more"
        );
        assert_eq!(super::nested_sizes(&[]), "none");
    }
}

#[cfg(test)]
mod sparse_tests {
    use std::path::Path;

    use crate::trace::TraceData;
    use crate::values::ValueCache;

    /// A sparse tensor's details: layout, dims, nnz and coalesced flag,
    /// then its indices and values as tensors of their own.
    #[test]
    fn a_sparse_gradient_shows_its_parts() {
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tracer/tests/fixtures/sparse_coo.ftr");
        let (data, _) = TraceData::open(&fixture).expect("open the sparse fixture");
        let index = (0..data.events.len())
            .find(|&i| data.events[i].body.kind_name() == "accumulate")
            .expect("the accumulate event");
        let text: Vec<String> = super::details(&data, &ValueCache::default(), index)
            .iter()
            .map(|l| l.plain())
            .collect();
        let text = text.join("\n");
        assert!(
            text.contains("sparse_coo sparse_dim 1 dense_dim 1 nnz 6 storage S2 version 0"),
            "{text}"
        );
        assert!(
            text.contains("indices") && text.contains("T1 int64[1, 6]"),
            "{text}"
        );
        assert!(
            text.contains("values") && text.contains("T2 float32[6, 3]"),
            "{text}"
        );
        assert!(!text.contains("stride [] offset"), "{text}");
    }
}
