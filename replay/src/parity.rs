//! Strict and hardened parity modes: which Phase-2C packet each deviation
//! belongs to, the hardened-mode allowlist, and how it changes a verdict.
//!
//! Every divergence and value failure of a [`Report`] is a [`Deviation`]
//! charged to one packet (`docs`: `artifacts/README.md`, "Deviations and
//! packets"):
//!
//! | what the diff found | packet |
//! |---|---|
//! | dataflow (tensor identity, storage, version), api tensor events | FT-P2C-001 tensor metadata |
//! | dispatch: a call whose DispatchKeySet or key chain differs | FT-P2C-002 dispatch keys |
//! | dispatch: other missing, extra, changed or reordered calls; op errors | FT-P2C-003 op schemas |
//! | graph, schedule, graph-task bookkeeping, hooks, backward/grad calls | FT-P2C-004 autograd engine |
//! | values out of tolerance (forward and backward kernels, gradients) | FT-P2C-005 CPU kernels |
//! | device-layer events (guards, transfers) | FT-P2C-007 device guard |
//!
//! Serialization (006) and nn modules (008) have no check of their own in
//! the diff: a module's work reaches the trace as operators (003/004/005).
//!
//! `--mode strict` (the default) fails on any deviation. `--mode hardened`
//! reads an [`Allowlist`] (`HARDENED_DEVIATION_ALLOWLIST_V1.json`): an entry
//! names a packet, an op or a node, a field and a bound; a deviation an
//! entry covers within its bound is *allowed* — listed as such in every
//! report, never dropped — and no longer fails the run. One over its bound
//! is reported with the entry it exceeded. The critical packets 001–004
//! allow nothing in either mode: an entry naming one is refused when the
//! allowlist is read.

use std::collections::BTreeSet;
use std::path::Path;

use ft_trace::{ApiEvent, AutogradEvent, DispatchEvent, Event, EventBody};
use serde::Serialize;

use crate::error::ReplayError;
use crate::report::{Divergence, Report, divergence_line};
use crate::trace_data::TraceView;

/// The Phase-2C packets: id, subject, critical.
pub const PACKETS: [(&str, &str, bool); 8] = [
    ("FT-P2C-001", "tensor metadata", true),
    ("FT-P2C-002", "dispatch keys", true),
    ("FT-P2C-003", "op schemas", true),
    ("FT-P2C-004", "autograd engine", true),
    ("FT-P2C-005", "CPU kernels", false),
    ("FT-P2C-006", "serialization", false),
    ("FT-P2C-007", "device guard", false),
    ("FT-P2C-008", "nn modules", false),
];

/// Schema id of the allowlist file.
pub const ALLOWLIST_SCHEMA: &str = "ft-hardened-deviation-allowlist/v1";

/// Where `--mode hardened` looks for its allowlist without `--allowlist`.
pub const DEFAULT_ALLOWLIST: &str = "artifacts/phase2c/HARDENED_DEVIATION_ALLOWLIST_V1.json";

/// Whether a packet allows no deviation in either mode.
pub fn is_critical(packet: &str) -> bool {
    PACKETS
        .iter()
        .any(|&(id, _, critical)| id == packet && critical)
}

/// The fields an allowlist entry of `packet` may bound.
pub fn fields_of(packet: &str) -> &'static [&'static str] {
    match packet {
        "FT-P2C-005" | "FT-P2C-006" | "FT-P2C-008" => &["max_abs", "max_rel"],
        "FT-P2C-007" => &["count"],
        _ => &[],
    }
}

/// One thing the two runs disagree on, charged to a packet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deviation {
    /// The packet (`FT-P2C-005`).
    pub packet: &'static str,
    /// The check that found it (`values`, `dispatch`, `stream`, ...).
    pub check: &'static str,
    /// Its position in that check's divergences (or value failures).
    pub index: usize,
    /// The operator (or device event kind, `device.guard_enter`) involved.
    pub op: Option<String>,
    /// The autograd node it ran in or concerns.
    pub node: Option<String>,
    /// What an allowlist entry would bound: `max_abs`, `max_rel`, `count`,
    /// or `structure` (never allowable).
    pub field: &'static str,
    /// The measure of that field (an error, or 1 per event).
    pub measure: f64,
    /// The deviation as the report prints it.
    pub line: String,
}

/// The event with sequence number `seq`.
fn event_at<'a>(view: &TraceView<'a>, seq: Option<u64>) -> Option<&'a Event> {
    let seq = seq?;
    let events = &view.data.events;
    match usize::try_from(seq).ok().and_then(|i| events.get(i)) {
        Some(e) if e.seq == seq => Some(e),
        _ => events.iter().find(|e| e.seq == seq),
    }
}

/// The packet of an event met by the stream check, and the op it names.
fn stream_packet(event: &Event) -> (&'static str, Option<String>) {
    match &event.body {
        EventBody::Device(d) => {
            let kind = match d {
                ft_trace::DeviceEvent::GuardEnter(_) => "device.guard_enter",
                ft_trace::DeviceEvent::GuardExit(_) => "device.guard_exit",
                _ => "device.transfer",
            };
            ("FT-P2C-007", Some(kind.to_owned()))
        }
        EventBody::Autograd(_) => ("FT-P2C-004", None),
        EventBody::Api(
            ApiEvent::Backward(_)
            | ApiEvent::Grad(_)
            | ApiEvent::GradResult(_)
            | ApiEvent::GradMode(_)
            | ApiEvent::RegisterHook(_)
            | ApiEvent::RemoveHook(_)
            | ApiEvent::RegisterNodeHook(_)
            | ApiEvent::Function(_)
            | ApiEvent::SavedTensorsHooks(_)
            | ApiEvent::RetainGrad(_),
        ) => ("FT-P2C-004", None),
        EventBody::Api(ApiEvent::ProgramError(_)) | EventBody::Dispatch(_) => ("FT-P2C-003", None),
        _ => ("FT-P2C-001", None),
    }
}

fn op_of(event: &Event) -> Option<(&str, &[ft_trace::Name], &[ft_trace::ChainStep])> {
    match &event.body {
        EventBody::Dispatch(DispatchEvent::Op(o)) => Some((&o.op, &o.keyset, &o.chain)),
        EventBody::Dispatch(DispatchEvent::OpError(o)) => Some((&o.op, &o.keyset, &o.chain)),
        _ => None,
    }
}

/// The node an event ran in (`Context::Node`), or that it names.
fn node_of(event: &Event, view: &TraceView<'_>) -> Option<String> {
    let id = match &event.body {
        EventBody::Dispatch(DispatchEvent::Op(o)) => match o.context {
            ft_trace::Context::Node(id) => id,
            _ => return None,
        },
        EventBody::Autograd(AutogradEvent::Node(n)) => return Some(n.name.clone()),
        EventBody::Autograd(AutogradEvent::Push(q) | AutogradEvent::Pop(q)) => q.node,
        EventBody::Autograd(AutogradEvent::Accumulate(a)) => a.node,
        _ => return None,
    };
    Some(view.node_name(id))
}

fn structural(d: &Divergence, index: usize, expected: &TraceView, actual: &TraceView) -> Deviation {
    let exp = event_at(expected, d.expected_seq);
    let act = event_at(actual, d.actual_seq);
    let (event, view) = match (exp, act) {
        (Some(e), _) if d.kind != "extra" => (Some(e), expected),
        (_, Some(a)) => (Some(a), actual),
        (e, None) => (e, expected),
    };
    let mut op = event.and_then(op_of).map(|(name, _, _)| name.to_owned());
    let packet = match d.check {
        "dataflow" => "FT-P2C-001",
        "graph" | "schedule" => "FT-P2C-004",
        "dispatch" => match (exp.and_then(op_of), act.and_then(op_of)) {
            (Some((a, ka, ca)), Some((b, kb, cb))) if a == b && (ka != kb || ca != cb) => {
                "FT-P2C-002"
            }
            _ => "FT-P2C-003",
        },
        _ => {
            let (packet, named) = event.map_or(("FT-P2C-003", None), stream_packet);
            op = named.or(op);
            packet
        }
    };
    Deviation {
        packet,
        check: d.check,
        index,
        op,
        node: event.and_then(|e| node_of(e, view)),
        field: if packet == "FT-P2C-007" {
            "count"
        } else {
            "structure"
        },
        measure: 1.0,
        line: divergence_line(d),
    }
}

/// Every deviation of `report` (made from these two runs), in report order:
/// the checks' divergences, then the value failures (one per bounded field).
pub fn classify(report: &Report, expected: &TraceView, actual: &TraceView) -> Vec<Deviation> {
    let mut out = Vec::new();
    for check in [
        &report.dispatch,
        &report.graph,
        &report.schedule,
        &report.dataflow,
        &report.stream,
    ] {
        for (i, d) in check.divergences.iter().enumerate() {
            out.push(structural(d, i, expected, actual));
        }
    }
    for (i, f) in report.values.failures.iter().enumerate() {
        let node = event_at(expected, Some(f.expected_seq)).and_then(|e| node_of(e, expected));
        let line = format!(
            "[values] {} output {} (expected seq {}, actual seq {}): max abs {:.3e}, max rel {:.3e}",
            ft_trace::text::escape_control(&f.op),
            f.output,
            f.expected_seq,
            f.actual_seq,
            f.max_abs,
            f.max_rel
        );
        for (field, measure) in [("max_abs", f.max_abs), ("max_rel", f.max_rel)] {
            out.push(Deviation {
                packet: "FT-P2C-005",
                check: "values",
                index: i,
                op: Some(f.op.clone()),
                node: node.clone(),
                field,
                measure,
                line: line.clone(),
            });
        }
    }
    out
}

/// One allowlist entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AllowEntry {
    /// Unique id, for reports.
    pub id: String,
    /// The packet (never a critical one).
    pub packet: String,
    /// The operator it covers (exactly one of `op` and `node`).
    pub op: Option<String>,
    /// The autograd node it covers.
    pub node: Option<String>,
    /// The field it bounds (`max_abs`, `max_rel`, `count`).
    pub field: String,
    /// The largest measure allowed (count: events of that kind).
    pub bound: f64,
    /// Why the deviation is acceptable.
    pub reason: String,
}

impl AllowEntry {
    fn covers(&self, d: &Deviation) -> bool {
        self.packet == d.packet
            && self.field == d.field
            && match (&self.op, &self.node) {
                (Some(op), _) => d.op.as_deref() == Some(op.as_str()),
                (None, Some(node)) => d.node.as_deref() == Some(node.as_str()),
                (None, None) => false,
            }
    }
}

/// A parsed, schema-checked allowlist.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Allowlist {
    /// Where it was read from.
    pub path: String,
    /// Its entries, in file order.
    pub entries: Vec<AllowEntry>,
}

const ENTRY_KEYS: [&str; 7] = ["id", "packet", "op", "node", "field", "bound", "reason"];

impl Allowlist {
    /// Reads and checks the allowlist at `path`.
    pub fn load(path: &Path) -> Result<Allowlist, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ReplayError::Usage(format!(
                "cannot read the hardened allowlist {}: {e}",
                path.display()
            ))
        })?;
        Allowlist::parse(&path.display().to_string(), &text)
    }

    /// Parses and checks an allowlist: schema id, and every entry's keys and
    /// values. The first problem is a usage error naming the entry and field.
    pub fn parse(label: &str, text: &str) -> Result<Allowlist, ReplayError> {
        let bad = |what: String| ReplayError::Usage(format!("allowlist {label}: {what}"));
        let doc: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let top = doc
            .as_object()
            .ok_or_else(|| bad("the top level is not an object".into()))?;
        for key in top.keys() {
            if !["schema", "description", "entries"].contains(&key.as_str()) {
                return Err(bad(format!("unknown top-level key {key:?}")));
            }
        }
        match top.get("schema").and_then(|s| s.as_str()) {
            Some(ALLOWLIST_SCHEMA) => {}
            Some(other) => {
                return Err(bad(format!(
                    "field \"schema\" is {other:?}, expected {ALLOWLIST_SCHEMA:?}"
                )));
            }
            None => {
                return Err(bad(format!(
                    "field \"schema\" is missing or not a string, expected {ALLOWLIST_SCHEMA:?}"
                )));
            }
        }
        let items = top
            .get("entries")
            .and_then(|e| e.as_array())
            .ok_or_else(|| bad("field \"entries\" is missing or not a list".into()))?;
        let mut entries = Vec::new();
        let mut ids = BTreeSet::new();
        for (n, item) in items.iter().enumerate() {
            let entry = parse_entry(item).map_err(|(field, why)| {
                let id = item
                    .get("id")
                    .and_then(|i| i.as_str())
                    .map(|i| format!(" ({i:?})"))
                    .unwrap_or_default();
                bad(format!("entry {n}{id}: field {field:?}: {why}"))
            })?;
            if !ids.insert(entry.id.clone()) {
                return Err(bad(format!(
                    "entry {n}: field \"id\": {:?} is used twice",
                    entry.id
                )));
            }
            entries.push(entry);
        }
        Ok(Allowlist {
            path: label.to_owned(),
            entries,
        })
    }
}

/// One entry, or `(field, why)` it is refused.
fn parse_entry(item: &serde_json::Value) -> Result<AllowEntry, (&'static str, String)> {
    let object = item
        .as_object()
        .ok_or(("entry", "not an object".to_owned()))?;
    for key in object.keys() {
        if !ENTRY_KEYS.contains(&key.as_str()) {
            return Err(("entry", format!("unknown key {key:?}")));
        }
    }
    let text = |field: &'static str| -> Result<Option<String>, (&'static str, String)> {
        match object.get(field) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(_) => Err((field, "must be a non-empty string".to_owned())),
        }
    };
    let required = |field: &'static str| -> Result<String, (&'static str, String)> {
        text(field)?.ok_or((field, "is missing".to_owned()))
    };
    let id = required("id")?;
    let packet = required("packet")?;
    if !PACKETS.iter().any(|&(p, _, _)| p == packet) {
        return Err((
            "packet",
            format!("{packet:?} is not FT-P2C-001 … FT-P2C-008"),
        ));
    }
    if is_critical(&packet) {
        return Err((
            "packet",
            format!("{packet} is critical: it allows no deviation in either mode"),
        ));
    }
    let op = text("op")?;
    let node = text("node")?;
    if op.is_some() == node.is_some() {
        return Err(("op", "give exactly one of \"op\" and \"node\"".to_owned()));
    }
    let field = required("field")?;
    if !fields_of(&packet).contains(&field.as_str()) {
        return Err((
            "field",
            format!(
                "{field:?} cannot be bounded in {packet} (one of: {})",
                fields_of(&packet).join(", ")
            ),
        ));
    }
    let bound = object
        .get("bound")
        .ok_or(("bound", "is missing".to_owned()))?
        .as_f64()
        .filter(|b| b.is_finite() && *b >= 0.0)
        .ok_or(("bound", "must be a finite number >= 0".to_owned()))?;
    if field == "count" && bound.fract() != 0.0 {
        return Err(("bound", "a count is a whole number".to_owned()));
    }
    let reason = required("reason")?;
    Ok(AllowEntry {
        id,
        packet,
        op,
        node,
        field,
        bound,
        reason,
    })
}

/// A deviation the allowlist allows, and the entry that allows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Allowed {
    /// The deviation.
    pub deviation: Deviation,
    /// The entry's id.
    pub entry: String,
    /// The entry's bound.
    pub bound: f64,
    /// The entry's reason.
    pub reason: String,
}

/// The parity mode of a verdict and what hardened mode allowed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Parity {
    /// `strict` or `hardened`.
    pub mode: &'static str,
    /// The allowlist read (hardened).
    pub allowlist: Option<String>,
    /// Every deviation, charged to its packet.
    pub deviations: Vec<Deviation>,
    /// Deviations allowed (hardened): still failures in strict mode.
    pub allowed: Vec<Allowed>,
    /// Deviations an entry covers whose measure exceeds its bound.
    pub over_bound: Vec<Allowed>,
}

impl Default for Parity {
    fn default() -> Parity {
        Parity {
            mode: "strict",
            allowlist: None,
            deviations: Vec::new(),
            allowed: Vec::new(),
            over_bound: Vec::new(),
        }
    }
}

impl Parity {
    /// Whether the deviation at this check and index is allowed (a value
    /// failure: on the field an entry bounds).
    pub fn is_allowed(&self, check: &str, index: usize) -> bool {
        self.allowed
            .iter()
            .any(|a| a.deviation.check == check && a.deviation.index == index)
    }

    /// Lines for text reports: every allowed and every over-bound deviation.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (word, list, cmp) in [
            ("allowed", &self.allowed, "<="),
            ("refused", &self.over_bound, ">"),
        ] {
            for a in list {
                let d = &a.deviation;
                if !seen.insert((word, d.check, d.index, a.entry.clone(), d.field)) {
                    continue;
                }
                out.push(format!(
                    "{word} {} {} {} {:.3e} {cmp} bound {:.3e} (entry {}: {}): {}",
                    d.packet,
                    d.op.as_deref().or(d.node.as_deref()).unwrap_or("-"),
                    d.field,
                    d.measure,
                    a.bound,
                    a.entry,
                    a.reason,
                    d.line
                ));
            }
        }
        out
    }
}

/// The allowlist a `--mode` reads: none in strict mode (where giving one is
/// a usage error); in hardened mode `path`, or the packet artifacts' default
/// in the working directory or the source tree this binary was built from.
pub fn resolve_allowlist(
    mode: crate::cli::ParityMode,
    path: Option<&Path>,
) -> Result<Option<Allowlist>, ReplayError> {
    use crate::cli::ParityMode;
    match (mode, path) {
        (ParityMode::Strict, Some(_)) => Err(ReplayError::Usage(
            "--allowlist is read in --mode hardened only".into(),
        )),
        (ParityMode::Strict, None) => Ok(None),
        (ParityMode::Hardened, Some(path)) => Allowlist::load(path).map(Some),
        (ParityMode::Hardened, None) => {
            let here = std::path::PathBuf::from(DEFAULT_ALLOWLIST);
            let built = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(DEFAULT_ALLOWLIST);
            let path = if here.is_file() { here } else { built };
            Allowlist::load(&path).map(Some)
        }
    }
}

/// Hardened mode: checks `report`'s deviations against `list`. A value
/// failure is allowed when an entry covering it holds for one of its
/// fields; a device divergence when the count of its kind is within an
/// entry's bound. Critical packets are never allowed (the allowlist cannot
/// name them).
pub fn apply(report: &mut Report, list: &Allowlist) {
    let parity = &mut report.parity;
    parity.mode = "hardened";
    parity.allowlist = Some(list.path.clone());
    parity.allowed.clear();
    parity.over_bound.clear();
    for d in &parity.deviations {
        if is_critical(d.packet) || d.field == "structure" {
            continue;
        }
        let measure = if d.field == "count" {
            parity
                .deviations
                .iter()
                .filter(|o| o.packet == d.packet && o.op == d.op && o.field == "count")
                .count() as f64
        } else {
            d.measure
        };
        let mut counted = d.clone();
        counted.measure = measure;
        for entry in list.entries.iter().filter(|e| e.covers(d)) {
            let allowed = Allowed {
                deviation: counted.clone(),
                entry: entry.id.clone(),
                bound: entry.bound,
                reason: entry.reason.clone(),
            };
            if measure <= entry.bound {
                parity.allowed.push(allowed);
                break;
            }
            parity.over_bound.push(allowed);
        }
    }
    // A value failure allowed on one field is not also "refused" on another.
    let allowed_values: BTreeSet<usize> = parity
        .allowed
        .iter()
        .filter(|a| a.deviation.check == "values")
        .map(|a| a.deviation.index)
        .collect();
    parity.over_bound.retain(|o| {
        !(o.deviation.check == "values" && allowed_values.contains(&o.deviation.index))
    });
}
