//! Events as text: the one-line timeline summary and the full details.
//!
//! Everything here is plain text tagged with a semantic [`Part`] (a tensor, a
//! node, a layer, a label...). The terminal views map parts to colours through
//! [`crate::theme`]; `--dump` joins the same text without colour. Keeping the
//! wording in one place means the TUI, the dump and the tests always agree, and
//! the application state can measure the details (for scrolling) without
//! knowing anything about drawing.
//!
//! Notation: `T3` is tensor 3, `N5` node 5, `S2` storage 2, `#12` event 12 —
//! the ids of the trace, dense in order of first appearance.

use ft_trace::event::{
    Accumulate, ApiEvent, AutogradEvent, DeviceEvent, DispatchEvent, NodeCreated, OpCall,
};
use ft_trace::{ACCUMULATE_GRAD_SEQ, Context, Digest, Edge, Event, EventBody, TensorRef, Value};

use crate::trace::{TraceData, layer_name};
use crate::values::{Stats, ValueCache, ValueSummary, format_number};

/// What a piece of text is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Ordinary text.
    Plain,
    /// Punctuation and secondary information.
    Dim,
    /// The sequence number column.
    Seq,
    /// A layer name (wire number).
    Layer(u8),
    /// An event kind.
    Kind,
    /// An op, node or mark name.
    Name,
    /// A tensor id with its shape.
    Tensor,
    /// A node id.
    Node,
    /// Where an op ran (top / backward / node).
    Context,
    /// A field label in the details pane.
    Label,
    /// A short hex digest.
    Hash,
    /// A number read from a tensor value.
    Number,
    /// Something the reader should notice (missing value, program error).
    Warn,
}

/// One line of tagged text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextLine {
    /// The pieces, in order.
    pub parts: Vec<(Part, String)>,
}

impl TextLine {
    /// An empty line.
    pub fn new() -> TextLine {
        TextLine::default()
    }

    /// Appends a piece; returns the line for chaining.
    pub fn push(&mut self, part: Part, text: impl Into<String>) -> &mut TextLine {
        let text = text.into();
        if !text.is_empty() {
            self.parts.push((part, text));
        }
        self
    }

    /// Appends a piece (by value, for building).
    pub fn with(mut self, part: Part, text: impl Into<String>) -> TextLine {
        self.push(part, text);
        self
    }

    /// The text without tags.
    pub fn plain(&self) -> String {
        self.parts.iter().map(|(_, t)| t.as_str()).collect()
    }
}

/// Digits of short hashes shown anywhere.
pub const SHORT_HASH: usize = 12;

/// Column widths shared by every timeline row of one trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Columns {
    /// Width of the sequence number.
    pub seq: usize,
    /// Width of the kind name.
    pub kind: usize,
}

impl Columns {
    /// Widths that fit every event of `data`.
    pub fn for_trace(data: &TraceData) -> Columns {
        let last = data.events.len().saturating_sub(1);
        Columns {
            seq: last.to_string().len().max(3),
            kind: data
                .events
                .iter()
                .map(|e| e.body.kind_name().len())
                .max()
                .unwrap_or(4)
                .clamp(4, 17),
        }
    }
}

/// Width of the layer column (`autograd`).
pub const LAYER_WIDTH: usize = 8;

/// The timeline row of event `index`: seq, layer, kind, summary.
pub fn timeline_row(data: &TraceData, index: usize, columns: Columns) -> TextLine {
    let Some(event) = data.events.get(index) else {
        return TextLine::new();
    };
    let (layer, _) = event.body.code();
    let mut line = TextLine::new();
    line.push(Part::Seq, format!("{:>w$} ", event.seq, w = columns.seq))
        .push(
            Part::Layer(layer),
            format!("{:<w$} ", layer_name(layer), w = LAYER_WIDTH),
        )
        .push(
            Part::Kind,
            format!("{:<w$} ", event.body.kind_name(), w = columns.kind),
        );
    line.parts.extend(summary(data, event).parts);
    line
}

/// The compact one-line summary of an event (the timeline's last column).
pub fn summary(data: &TraceData, event: &Event) -> TextLine {
    let mut line = TextLine::new();
    match &event.body {
        EventBody::Api(api) => api_summary(&mut line, api),
        EventBody::Dispatch(DispatchEvent::Op(op)) => op_summary(&mut line, data, op),
        EventBody::Autograd(a) => autograd_summary(&mut line, data, a),
        EventBody::Device(d) => device_summary(&mut line, d),
        EventBody::Unknown { layer, kind } => {
            line.push(
                Part::Warn,
                format!("layer {layer} kind {kind}: not known to this build"),
            );
        }
        _ => {
            line.push(Part::Warn, "not known to this build");
        }
    }
    line
}

fn shape(dims: &[i64], sep: &str) -> String {
    let inner: Vec<String> = dims.iter().map(i64::to_string).collect();
    format!("[{}]", inner.join(sep))
}

fn compact_tensor(t: &TensorRef) -> String {
    format!("T{}{}", t.id, shape(&t.shape, ","))
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn node_label(data: &TraceData, id: u64) -> String {
    match data.node_name(id) {
        Some(name) => format!("N{id} {name}"),
        None => format!("N{id}"),
    }
}

fn edge_label(edge: &Edge) -> String {
    match edge.node {
        Some(n) => format!("N{n}:{}", edge.input_nr),
        None => "∅".to_owned(),
    }
}

fn seq_nr_label(seq_nr: u64) -> String {
    if seq_nr == ACCUMULATE_GRAD_SEQ {
        "MAX".to_owned()
    } else {
        seq_nr.to_string()
    }
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
        _ => {
            line.push(Part::Warn, "not known to this build");
        }
    }
}

fn op_summary(line: &mut TextLine, data: &TraceData, op: &OpCall) {
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
        .push(Part::Context, context_label(data, op.context));
}

/// `top`, `backward` or `node N3 MulBackward0`.
pub fn context_label(data: &TraceData, context: Context) -> String {
    match context {
        Context::TopLevel => "top".to_owned(),
        Context::Backward => "backward".to_owned(),
        Context::Node(n) => format!("node {}", node_label(data, n)),
    }
}

fn autograd_summary(line: &mut TextLine, data: &TraceData, event: &AutogradEvent) {
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
            push_node(line, data, q.node);
            line.push(
                Part::Plain,
                format!(" key=({}, {})", q.depth, seq_nr_label(q.seq_nr)),
            )
            .push(Part::Dim, format!(" deps={}", q.deps));
        }
        AutogradEvent::Accumulate(a) => {
            push_node(line, data, a.node);
            line.push(Part::Plain, " ")
                .push(Part::Tensor, format!("T{}", a.tensor))
                .push(Part::Plain, " ← ")
                .push(Part::Tensor, compact_tensor(&a.grad));
        }
        AutogradEvent::GraphTaskEnd(g) => {
            line.push(Part::Plain, format!("executed={}", g.executed));
        }
        _ => {
            line.push(Part::Warn, "not known to this build");
        }
    }
}

fn push_node(line: &mut TextLine, data: &TraceData, id: u64) {
    line.push(Part::Node, format!("N{id}"));
    if let Some(name) = data.node_name(id) {
        line.push(Part::Plain, " ").push(Part::Name, name);
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
        _ => {
            line.push(Part::Warn, "not known to this build");
        }
    }
}

// ---------------------------------------------------------------------------
// Details.

const LABEL_WIDTH: usize = 10;

fn field(label: &str) -> TextLine {
    TextLine::new().with(Part::Label, format!("{label:<LABEL_WIDTH$} "))
}

fn indent(depth: usize) -> String {
    " ".repeat(depth)
}

/// The structural hash, or `None` for an event of a kind this build does not
/// know: its payload was skipped while reading, so there is nothing to hash
/// (and `EventBody::structural_hash` must not be asked).
pub fn structural_hash(body: &EventBody) -> Option<Digest> {
    (!matches!(body, EventBody::Unknown { .. })).then(|| body.structural_hash())
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
            .or_else(|| data.recorded_value(t.id, t.version).map(|r| r.digest));
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
        match structural_hash(&event.body) {
            Some(hash) => field("hash")
                .with(Part::Hash, hash.short(SHORT_HASH))
                .with(Part::Dim, " (structural)"),
            None => field("hash").with(Part::Dim, "- (payload of an unknown kind is not kept)"),
        },
    ];
    if event.ts != 0 {
        lines.push(field("ts").with(Part::Plain, format!("{} ns", event.ts)));
    }
    let mut d = Details {
        data,
        values,
        lines,
    };
    match &event.body {
        EventBody::Api(api) => d.api(api),
        EventBody::Dispatch(DispatchEvent::Op(op)) => d.op(op),
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
        push_node(&mut line, self.data, id);
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
                    if let Some(name) = self.data.node_name(n) {
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
            _ => self.text("", Part::Warn, "not known to this build"),
        }
    }

    fn op(&mut self, op: &OpCall) {
        self.text("op", Part::Name, op.op.clone());
        self.text(
            "context",
            Part::Context,
            context_label(self.data, op.context),
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
            _ => self.text("", Part::Warn, "not known to this build"),
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
            None => match self.data.recorded_value(t.id, t.version) {
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
            .with(Part::Number, num(s.mean));
        if s.nan > 0 || s.inf > 0 {
            line.push(Part::Warn, format!("  nan {} inf {}", s.nan, s.inf));
        }
        self.lines.push(line);
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
