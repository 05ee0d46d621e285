//! `ft-replay coverage`: which operators and dtypes traces use and whether
//! this runtime build supports them, and `docs/COVERAGE.md`, the table of
//! every registered overload with the corpus programs that prove it.
//!
//! An operator is supported when the runtime can execute it (registered,
//! with a kernel or a decomposition) and, if PyTorch recorded a graph node
//! for it, has a derivative formula. A dtype is supported when the runtime
//! can hold tensors of it. [`crate::support`] uses the same rules to refuse
//! a replay up front.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use ft_runtime::{BackwardSupport, OpSupport, Runtime};

use crate::error::ReplayError;
use crate::support;
use crate::trace_data::TraceData;
use crate::usage::Usage;

/// One operator overload a trace uses.
#[derive(Clone, Debug, Serialize)]
pub struct OpRow {
    /// Overload name (`aten.addmm.default`).
    pub op: String,
    /// Op events calling it.
    pub count: u64,
    /// Sequence number of the first.
    pub first_seq: u64,
    /// The runtime can execute it (registered, kernel or decomposition)
    /// with the dtypes the trace gives it (a real-only kernel given complex
    /// tensors cannot).
    pub kernel: bool,
    /// The node the runtime records for it, `not differentiable`, or `missing`.
    pub backward: String,
    /// Node names PyTorch recorded for it in this trace.
    pub torch_nodes: Vec<String>,
    /// Executable, and differentiable wherever PyTorch recorded a node.
    pub supported: bool,
}

/// One dtype a trace uses.
#[derive(Clone, Debug, Serialize)]
pub struct DtypeRow {
    /// PyTorch's name (`float32`).
    pub dtype: String,
    /// Events naming a tensor of it or passing it as an argument.
    pub count: u64,
    /// Sequence number of the first.
    pub first_seq: u64,
    /// The runtime can hold tensors of it.
    pub supported: bool,
}

/// Totals of one trace.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Distinct overloads used.
    pub ops: usize,
    /// Of those, supported.
    pub ops_supported: usize,
    /// Distinct dtypes used.
    pub dtypes: usize,
    /// Of those, supported.
    pub dtypes_supported: usize,
    /// Nothing the trace needs is missing (the support scan passes).
    pub replayable: bool,
}

/// The coverage report of one trace.
#[derive(Clone, Debug, Serialize)]
pub struct TraceCoverage {
    /// The trace, as named on the command line.
    pub trace: String,
    /// Operators, by name.
    pub ops: Vec<OpRow>,
    /// Dtypes, by name.
    pub dtypes: Vec<DtypeRow>,
    /// Totals.
    pub summary: Summary,
}

/// The runtime's backward entry as a word: node name, `not differentiable`, `missing`.
fn backward_word(support: &OpSupport) -> String {
    match support.backward {
        BackwardSupport::Node(name) => name.to_owned(),
        BackwardSupport::NotDifferentiable => "not differentiable".to_owned(),
        BackwardSupport::Missing => "missing".to_owned(),
    }
}

impl TraceCoverage {
    /// Coverage of a trace's usage.
    pub fn new(trace: &str, usage: &Usage) -> TraceCoverage {
        let ops: Vec<OpRow> = usage
            .ops
            .iter()
            .map(|(op, used)| {
                let support = Runtime::op_support(op);
                let backward_ok =
                    used.nodes.is_empty() || support.backward != BackwardSupport::Missing;
                let dtypes_ok = used.dtypes.iter().all(|d| support.executable_with(d));
                OpRow {
                    op: op.clone(),
                    count: used.count,
                    first_seq: used.first_seq,
                    kernel: support.executable() && dtypes_ok,
                    backward: backward_word(&support),
                    torch_nodes: used.nodes.iter().cloned().collect(),
                    supported: support.executable() && dtypes_ok && backward_ok,
                }
            })
            .collect();
        let dtypes: Vec<DtypeRow> = usage
            .dtypes
            .iter()
            .map(|(dtype, used)| DtypeRow {
                dtype: dtype.clone(),
                count: used.count,
                first_seq: used.first_seq,
                supported: Runtime::supports_dtype(dtype),
            })
            .collect();
        let summary = Summary {
            ops: ops.len(),
            ops_supported: ops.iter().filter(|r| r.supported).count(),
            dtypes: dtypes.len(),
            dtypes_supported: dtypes.iter().filter(|r| r.supported).count(),
            replayable: support::scan(usage).is_empty(),
        };
        TraceCoverage {
            trace: trace.to_owned(),
            ops,
            dtypes,
            summary,
        }
    }

    /// Reads a trace file and reports its coverage.
    pub fn load(path: &Path) -> Result<TraceCoverage, ReplayError> {
        let data = TraceData::load(path)?;
        Ok(TraceCoverage::new(
            &path.display().to_string(),
            &Usage::of(&data.events),
        ))
    }

    /// The per-trace summary line.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let verdict = if s.replayable {
            "replayable"
        } else {
            "NOT REPLAYABLE"
        };
        format!(
            "{}: {}/{} operators supported, {}/{} dtypes supported: {verdict}",
            self.trace, s.ops_supported, s.ops, s.dtypes_supported, s.dtypes
        )
    }

    /// Human-readable tables: operators, dtypes, then the summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.trace);
        let width = self
            .ops
            .iter()
            .map(|r| r.op.len())
            .max()
            .unwrap_or(8)
            .max(8);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>6}  {:>6}  {:<6}  backward",
            "operator", "events", "first", "kernel"
        );
        for r in &self.ops {
            let mark = if r.supported { " " } else { "!" };
            let _ = writeln!(
                out,
                "{mark} {:<width$}  {:>6}  {:>6}  {:<6}  {}",
                r.op,
                r.count,
                r.first_seq,
                if r.kernel { "yes" } else { "NO" },
                backward_cell(r)
            );
        }
        let _ = writeln!(
            out,
            "  {:<width$}  {:>6}  {:>6}  supported",
            "dtype", "events", "first"
        );
        for r in &self.dtypes {
            let mark = if r.supported { " " } else { "!" };
            let _ = writeln!(
                out,
                "{mark} {:<width$}  {:>6}  {:>6}  {}",
                r.dtype,
                r.count,
                r.first_seq,
                if r.supported { "yes" } else { "NO" }
            );
        }
        let _ = writeln!(out, "{}", self.summary_line());
        out
    }
}

/// The backward column: the runtime's entry, and PyTorch's node names when
/// they differ from it. An operator without a formula is only a gap where
/// PyTorch recorded a node for it.
fn backward_cell(r: &OpRow) -> String {
    let torch = r.torch_nodes.join(", ");
    if r.backward == "missing" {
        return if r.torch_nodes.is_empty() {
            "no formula (no node recorded)".to_owned()
        } else {
            format!("MISSING (torch: {torch})")
        };
    }
    if r.torch_nodes.is_empty() || r.torch_nodes.iter().all(|n| *n == r.backward) {
        r.backward.clone()
    } else {
        format!("{} (torch: {torch})", r.backward)
    }
}

/// The command that regenerates `docs/COVERAGE.md` (run from the repository root).
pub const REGENERATE: &str =
    "cargo run -q -p ft-replay -- coverage --markdown traces/*.torch.ftr > docs/COVERAGE.md";

/// A corpus program's name from its golden's path (`traces/mlp_train.torch.ftr` → `mlp_train`).
pub fn program_name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.strip_suffix(".torch.ftr")
        .or_else(|| file.strip_suffix(".ftr"))
        .unwrap_or(&file)
        .to_owned()
}

/// What the corpus proves about one overload.
#[derive(Default)]
struct Proof {
    dtypes: BTreeSet<String>,
    programs: BTreeSet<String>,
}

/// `docs/COVERAGE.md`: every registered overload with its dispatch kind,
/// backward node, the dtypes the corpus runs it with and the corpus programs
/// that use it; then operators the corpus uses that are not registered.
/// `goldens` pairs a program name with its golden trace's usage.
pub fn markdown(goldens: &[(String, Usage)]) -> String {
    let mut proofs: BTreeMap<&str, Proof> = BTreeMap::new();
    for (program, usage) in goldens {
        for (op, used) in &usage.ops {
            let proof = proofs.entry(op.as_str()).or_default();
            proof.programs.insert(program.clone());
            proof.dtypes.extend(used.dtypes.iter().cloned());
        }
    }
    let registered = Runtime::op_supports();
    let mut out = String::new();
    let _ = writeln!(out, "# Operator coverage\n");
    let _ = writeln!(
        out,
        "<!-- Generated; do not edit. Regenerate from the repository root with:\n     {REGENERATE}\n     A test (replay/tests/coverage_doc.rs) fails when this file is stale. -->\n"
    );
    let proven = registered
        .iter()
        .filter(|s| proofs.contains_key(s.op.as_str()))
        .count();
    let _ = writeln!(
        out,
        "{} overloads are registered in the runtime; the corpus ({} golden traces in \
         `traces/`) dispatches {} of them. Every golden replays to an identical event \
         stream, so an overload with a corpus program is proven with the dtypes listed: \
         those of its tensor arguments and results in the goldens. Kernels read every \
         dtype the runtime holds ({}); a dtype not listed is implemented but unproven.\n",
        registered.len(),
        goldens.len(),
        proven,
        ft_runtime::DType::ALL
            .map(ft_runtime::DType::name)
            .join(", ")
    );
    let _ = writeln!(
        out,
        "Dispatch kinds are those of the registry lines \
         (`runtime/src/dispatch/native_functions/*.yaml`); the backward node is the \
         `grad_fn` name the runtime records, `—` for operators whose outputs never \
         require grad, `none` for operators without a derivative formula.\n"
    );
    let _ = writeln!(
        out,
        "| overload | dispatch | kernel | backward node | dtypes (corpus) | corpus programs |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for s in &registered {
        let proof = proofs.get(s.op.as_str());
        let list = |f: fn(&Proof) -> &BTreeSet<String>| {
            proof.map_or_else(
                || "—".to_owned(),
                |p| f(p).iter().cloned().collect::<Vec<_>>().join(", "),
            )
        };
        let kernel = match (s.kernel, s.composite) {
            (true, _) => "yes",
            (false, true) => "decomposes",
            (false, false) => "NO",
        };
        let backward = match s.backward {
            BackwardSupport::Node(name) => format!("`{name}`"),
            BackwardSupport::NotDifferentiable => "—".to_owned(),
            BackwardSupport::Missing => "none".to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {kernel} | {backward} | {} | {} |",
            s.op,
            s.dispatch.as_deref().unwrap_or(""),
            list(|p| &p.dtypes),
            list(|p| &p.programs)
        );
    }
    let unregistered: Vec<(&&str, &Proof)> = proofs
        .iter()
        .filter(|(op, _)| !Runtime::op_support(op).executable())
        .collect();
    if !unregistered.is_empty() {
        let _ = writeln!(
            out,
            "\n## Used by the corpus, not executable by the runtime\n\n| overload | corpus programs |\n|---|---|"
        );
        for (op, proof) in unregistered {
            let programs: Vec<&str> = proof.programs.iter().map(String::as_str).collect();
            let _ = writeln!(out, "| `{op}` | {} |", programs.join(", "));
        }
    }
    out
}

/// [`markdown`] over golden trace files (program names from their file names,
/// in name order whatever order the paths come in).
pub fn markdown_from_files(paths: &[std::path::PathBuf]) -> Result<String, ReplayError> {
    let mut goldens = Vec::with_capacity(paths.len());
    for path in paths {
        let data = TraceData::load(path)?;
        goldens.push((program_name(path), Usage::of(&data.events)));
    }
    goldens.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(markdown(&goldens))
}
