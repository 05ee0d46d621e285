//! Phase-2C packet artifacts: the generated parity report of a packet, its
//! RaptorQ sidecar and decode proof, and the validator that decides whether
//! each packet is READY (layout and rules: `artifacts/README.md`).
//!
//! A packet lives in `artifacts/phase2c/FT-P2C-00X/`. What people write
//! there — the legacy anchor map, the contract table, the fixture manifest
//! (with the packet's 15 mandatory fields) and the parity gate — is read;
//! what proves it — `parity_report.json`, `parity_report.raptorq.json`,
//! `parity_report.decode_proof.json` — is only ever generated, by
//! [`generate`] (`ft-replay parity-report`), which replays every fixture of
//! the manifest on the runtime — a `native` fixture runs a native Rust
//! program ([`crate::native`]) with its PyTorch twin's random values and
//! diffs its trace against the twin's golden. The report holds no
//! timestamp: the same goldens, programs, manifest, gate and build give the
//! same bytes.
//!
//! [`validate`] (`validate_phase2c_artifacts`) checks each packet: files,
//! mandatory fields, the gate parses and holds against the report, the
//! report is fresh (the BLAKE3 of every golden, of every native program's
//! source, of the manifest and of the gate it recorded equal the files
//! now), and the sidecar decodes the report from a subset of its symbols.
//! A packet that fails any of these is
//! NOT_READY with every reason listed; `expected_not_ready.json` lists the
//! packets known to be NOT_READY and why, and the run passes only when
//! every other packet is READY and each listed one is NOT_READY still.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ft_trace::Digest;
use ft_trace::sidecar::{self, Sidecar};
use serde_json::{Value, json};

use crate::checks::values::Tolerances;
use crate::error::ReplayError;
use crate::executor::{self, ReplayOptions};
use crate::parity::{self, Allowlist};
use crate::trace_data::TraceData;

/// The packets, in order.
pub const PACKET_IDS: [&str; 8] = [
    "FT-P2C-001",
    "FT-P2C-002",
    "FT-P2C-003",
    "FT-P2C-004",
    "FT-P2C-005",
    "FT-P2C-006",
    "FT-P2C-007",
    "FT-P2C-008",
];

/// Every packet's mandatory fields (in `fixture_manifest.json`'s `packet`).
pub const MANDATORY_FIELDS: [&str; 15] = [
    "packet_id",
    "legacy_paths",
    "legacy_symbols",
    "tensor_storage_contract",
    "dispatch_contract",
    "error_contract",
    "grad_graph_contract",
    "serialization_contract",
    "strict_mode_policy",
    "hardened_mode_policy",
    "sequencing_boundary",
    "oracle_tests",
    "performance_sentinels",
    "compatibility_risks",
    "raptorq_artifacts",
];

/// The files each packet directory holds.
pub const PACKET_FILES: [&str; 8] = [
    "legacy_anchor_map.md",
    "contract_table.md",
    "fixture_manifest.json",
    "parity_gate.yaml",
    "risk_note.md",
    REPORT,
    SIDECAR,
    PROOF,
];

/// The cross-packet files of `artifacts/phase2c/`.
pub const CROSS_PACKET_FILES: [&str; 4] = [
    "ESSENCE_EXTRACTION_LEDGER_V1.md",
    "SCHEMA_LOCK_V1.md",
    "SECURITY_COMPATIBILITY_THREAT_MATRIX_V1.md",
    "HARDENED_DEVIATION_ALLOWLIST_V1.json",
];

const REPORT: &str = "parity_report.json";
const SIDECAR: &str = "parity_report.raptorq.json";
const PROOF: &str = "parity_report.decode_proof.json";
const EXPECTED_NOT_READY: &str = "expected_not_ready.json";

/// Repair symbols of a report's sidecar, percent of its source symbols.
const SIDECAR_OVERHEAD: u32 = 25;

fn bad(what: impl Into<String>) -> ReplayError {
    ReplayError::Usage(what.into())
}

fn read_text(path: &Path) -> Result<String, ReplayError> {
    std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))
}

fn read_json(path: &Path) -> Result<Value, ReplayError> {
    serde_json::from_str(&read_text(path)?)
        .map_err(|e| bad(format!("{}: not JSON: {e}", path.display())))
}

fn blake3_file(path: &Path) -> Result<String, ReplayError> {
    let bytes =
        std::fs::read(path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    Ok(Digest::of(&bytes).to_hex())
}

// ---------------------------------------------------------------------------
// parity_gate.yaml: a YAML subset (block mappings, block lists of scalars,
// plain or quoted scalars, comments), parsed into JSON values.

/// Parses the YAML subset gates are written in: `key: scalar`, `key:`
/// followed by a more-indented mapping or list of `- scalar`, `#` comments.
pub fn parse_gate_yaml(text: &str) -> Result<Value, String> {
    let mut lines = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        if line.contains('\t') {
            return Err(format!("line {}: tabs are not allowed", n + 1));
        }
        let indent = line.len() - line.trim_start().len();
        lines.push((n + 1, indent, line.trim().to_owned()));
    }
    let mut at = 0;
    let value = block(&lines, &mut at, 0)?;
    if let Some((n, _, _)) = lines.get(at) {
        return Err(format!("line {n}: unexpected indentation"));
    }
    Ok(value)
}

fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || line[..i].ends_with(' ') => return &line[..i],
            _ => {}
        }
    }
    line
}

fn block(lines: &[(usize, usize, String)], at: &mut usize, indent: usize) -> Result<Value, String> {
    let Some((_, first_indent, first)) = lines.get(*at) else {
        return Ok(Value::Null);
    };
    if *first_indent != indent {
        return Err(format!("line {}: unexpected indentation", lines[*at].0));
    }
    if first.starts_with("- ") || first == "-" {
        let mut items = Vec::new();
        while let Some((n, i, text)) = lines.get(*at) {
            if *i != indent {
                break;
            }
            let item = text
                .strip_prefix('-')
                .ok_or_else(|| format!("line {n}: expected a list item"))?;
            items.push(scalar(item.trim()));
            *at += 1;
        }
        return Ok(Value::Array(items));
    }
    let mut map = serde_json::Map::new();
    while let Some((n, i, text)) = lines.get(*at) {
        if *i < indent {
            break;
        }
        if *i > indent {
            return Err(format!("line {n}: unexpected indentation"));
        }
        let (key, rest) = text
            .split_once(':')
            .ok_or_else(|| format!("line {n}: expected `key: value`"))?;
        let key = key.trim().to_owned();
        if map.contains_key(&key) {
            return Err(format!("line {n}: key {key:?} given twice"));
        }
        *at += 1;
        let value = if rest.trim().is_empty() {
            match lines.get(*at) {
                Some((_, deeper, _)) if *deeper > indent => block(lines, at, *deeper)?,
                _ => Value::Null,
            }
        } else {
            scalar(rest.trim())
        };
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

fn scalar(text: &str) -> Value {
    if let Some(s) = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
    {
        return Value::String(s.to_owned());
    }
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" | "~" => return Value::Null,
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return json!(i);
    }
    if let Ok(f) = text.parse::<f64>()
        && f.is_finite()
    {
        return json!(f);
    }
    Value::String(text.to_owned())
}

// ---------------------------------------------------------------------------
// Generating a report.

/// One fixture of a manifest.
#[derive(Clone, Debug)]
struct Fixture {
    id: String,
    kind: String,
    class: String,
    rows: Vec<String>,
    /// golden / fault: the trace, relative to the repository root;
    /// native: the PyTorch twin's golden.
    trace: Option<String>,
    /// native: the program ([`crate::native::PROGRAMS`]).
    program: Option<String>,
    /// checkpoint: the `torch.save` file, relative to the repository root.
    file: Option<String>,
    /// checkpoint: the file must be refused with an error containing this.
    expect_refusal: Option<String>,
    /// test: the test file and the test's name.
    test: Option<(String, String)>,
    fault: Vec<String>,
    anchor: bool,
    expect_exit: u8,
    expect_packet: Option<String>,
}

fn fixtures_of(manifest: &Value) -> Result<Vec<Fixture>, String> {
    let list = manifest
        .get("fixtures")
        .and_then(Value::as_array)
        .ok_or("\"fixtures\" is missing or not a list")?;
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for (n, f) in list.iter().enumerate() {
        let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_owned);
        let id = text("id").ok_or(format!("fixture {n}: \"id\" is missing"))?;
        if !ids.insert(id.clone()) {
            return Err(format!("fixture {n}: id {id:?} is used twice"));
        }
        let kind = text("kind").ok_or(format!("fixture {id}: \"kind\" is missing"))?;
        let class = text("class").ok_or(format!("fixture {id}: \"class\" is missing"))?;
        if !["happy", "edge", "adversarial"].contains(&class.as_str()) {
            return Err(format!(
                "fixture {id}: class {class:?} is not happy, edge or adversarial"
            ));
        }
        let rows: Vec<String> = f
            .get("rows")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if rows.is_empty() {
            return Err(format!("fixture {id}: \"rows\" names no contract row"));
        }
        let fixture = Fixture {
            trace: text("trace"),
            program: text("program"),
            file: text("file"),
            expect_refusal: text("expect_refusal"),
            test: text("test").map(|t| (t, text("name").unwrap_or_default())),
            fault: match f.get("fault") {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            },
            anchor: f.get("anchor").and_then(Value::as_bool).unwrap_or(false),
            expect_exit: f
                .get("expect_exit")
                .and_then(Value::as_u64)
                .and_then(|e| u8::try_from(e).ok())
                .unwrap_or(0),
            expect_packet: text("expect_packet"),
            id,
            kind,
            class,
            rows,
        };
        match fixture.kind.as_str() {
            "golden" if fixture.trace.is_some() => {}
            "fault" if fixture.trace.is_some() && !fixture.fault.is_empty() => {}
            "test" if fixture.test.is_some() => {}
            "native" if fixture.trace.is_some() && fixture.program.is_some() => {
                let name = fixture.program.as_deref().unwrap_or_default();
                if crate::native::program(name).is_none() {
                    let known: Vec<&str> = crate::native::PROGRAMS.iter().map(|p| p.name).collect();
                    return Err(format!(
                        "fixture {}: no native program {name:?} (known: {})",
                        fixture.id,
                        known.join(", ")
                    ));
                }
            }
            "checkpoint" if fixture.file.is_some() => {}
            _ => {
                return Err(format!(
                    "fixture {}: kind {:?} needs trace (golden), trace and fault (fault), test \
                     (test), program and trace (native) or file (checkpoint)",
                    fixture.id, fixture.kind
                ));
            }
        }
        out.push(fixture);
    }
    Ok(out)
}

/// The largest error between PyTorch's and the runtime's accumulated
/// gradients, over the events the diff paired.
#[derive(Default)]
struct GradDrift {
    compared: u64,
    identical: u64,
    not_retained: u64,
    max_abs: f64,
    max_rel: f64,
}

impl GradDrift {
    fn add(&mut self, expected: &TraceData, actual: &TraceData, pairs: &[(usize, usize)]) {
        use ft_trace::{AutogradEvent, EventBody};
        for &(e, a) in pairs {
            let (Some(ev), Some(av)) = (expected.events.get(e), actual.events.get(a)) else {
                continue;
            };
            let (
                EventBody::Autograd(AutogradEvent::Accumulate(x)),
                EventBody::Autograd(AutogradEvent::Accumulate(y)),
            ) = (&ev.body, &av.body)
            else {
                continue;
            };
            let (Some(dx), Some(dy)) = (x.grad.value, y.grad.value) else {
                continue;
            };
            if dx == dy {
                self.compared += 1;
                self.identical += 1;
                continue;
            }
            let (Some((_, vx)), Some((_, vy))) = (expected.values(&dx), actual.values(&dy)) else {
                self.not_retained += 1;
                continue;
            };
            self.compared += 1;
            for (p, q) in vx.iter().zip(&vy) {
                let abs = (p - q).abs();
                if abs.is_nan() {
                    continue;
                }
                self.max_abs = self.max_abs.max(abs);
                if *p != 0.0 {
                    self.max_rel = self.max_rel.max(abs / p.abs());
                }
            }
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "accumulated_gradients_compared": self.compared,
            "bit_identical": self.identical,
            "not_retained": self.not_retained,
            "max_abs": self.max_abs,
            "max_rel": self.max_rel,
        })
    }
}

/// One replay of a fixture: its exit, deviations per packet and value figures.
fn run_once(
    expected: &TraceData,
    faults: &[String],
    anchor: bool,
    allowlist: &Allowlist,
    drift: &mut GradDrift,
) -> Result<(Value, crate::Exit, BTreeMap<String, u64>, usize), ReplayError> {
    let tolerances = Tolerances::default();
    let options = ReplayOptions {
        faults: executor::parse_faults(faults)?,
        tolerances: tolerances.clone(),
        anchor,
        ..ReplayOptions::default()
    };
    let actual = match executor::replay(expected, &options) {
        Ok(run) => run.into_trace_data(),
        // A replay that stops is a verdict too (exit 5 for an execution
        // failure): a fault may be caught that way.
        Err(e @ (ReplayError::Unsupported { .. } | ReplayError::Missing(_))) => {
            let run = json!({
                "run": if anchor { "anchored" } else { "free-running" },
                "fault": faults,
                "exit_strict": e.exit() as u8,
                "error": ft_trace::text::escape_control_lines(&e.to_string()),
            });
            return Ok((run, e.exit(), BTreeMap::new(), 0));
        }
        Err(e) => return Err(e),
    };
    judge(
        expected,
        &actual,
        faults,
        if anchor { "anchored" } else { "free-running" },
        allowlist,
        drift,
    )
}

/// The verdict on one run whose trace is `actual` (a replay's, or a
/// native program's, labelled `label`) against `expected`.
fn judge(
    expected: &TraceData,
    actual: &TraceData,
    faults: &[String],
    label: &str,
    allowlist: &Allowlist,
    drift: &mut GradDrift,
) -> Result<(Value, crate::Exit, BTreeMap<String, u64>, usize), ReplayError> {
    let tolerances = Tolerances::default();
    let (mut report, pairs) = crate::diff_aligned(expected, actual, &tolerances);
    expected.check_values_readable()?;
    if faults.is_empty() {
        drift.add(expected, actual, &pairs);
    }
    let strict_exit = report.exit();
    let mut packets: BTreeMap<String, u64> = BTreeMap::new();
    let mut counted = BTreeSet::new();
    for d in &report.parity.deviations {
        if counted.insert((d.check, d.index)) {
            *packets.entry(d.packet.to_owned()).or_default() += 1;
        }
    }
    parity::apply(&mut report, allowlist);
    let allowed = report.parity.allowed.len();
    let run = json!({
        "run": label,
        "fault": faults,
        "exit_strict": strict_exit as u8,
        "exit_hardened": report.exit() as u8,
        "deviations_by_packet": packets,
        "hardened_allowed": allowed,
        "values_compared": report.values.compared,
        "values_bit_identical": report.values.identical,
        "max_abs": report.values.max_abs,
        "max_rel": report.values.max_rel,
    });
    Ok((run, strict_exit, packets, allowed))
}

/// One run of native program `name` with the random values of, and
/// judged against, the twin golden `expected` (at `twin`).
fn run_native(
    name: &str,
    twin: &Path,
    expected: &TraceData,
    faults: &[String],
    allowlist: &Allowlist,
    drift: &mut GradDrift,
) -> Result<(Value, crate::Exit, BTreeMap<String, u64>, usize), ReplayError> {
    let program =
        crate::native::program(name).ok_or_else(|| bad(format!("no native program {name:?}")))?;
    match program.run(twin, executor::parse_faults(faults)?)? {
        crate::native::NativeRun::Ran(actual) => {
            judge(expected, &actual, faults, "native", allowlist, drift)
        }
        // A program that stops is a verdict (exit 5, as a replay that
        // cannot execute): a fault may be caught that way.
        crate::native::NativeRun::Failed(error) => {
            let exit = crate::Exit::Unsupported;
            let run = json!({
                "run": "native",
                "fault": faults,
                "exit_strict": exit as u8,
                "error": ft_trace::text::escape_control_lines(&error),
            });
            Ok((run, exit, BTreeMap::new(), 0))
        }
    }
}

/// A checkpoint fixture: the round trip of the `torch.save` file `file`
/// ([`crate::roundtrip`]); passes when the bytes come back identical or,
/// with `expect_refusal`, when the reader refuses the file with an error
/// containing it.
fn run_checkpoint(
    repo: &Path,
    file: &str,
    expect_refusal: Option<&str>,
) -> Result<(Value, bool), ReplayError> {
    use crate::roundtrip::{RoundTrip, round_trip};
    let path = repo.join(file);
    let bytes =
        std::fs::read(&path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    let escape = |t: &str| ft_trace::text::escape_control_lines(t);
    Ok(match (round_trip(&bytes), expect_refusal) {
        (
            RoundTrip::Identical {
                records,
                tensors,
                content_hash,
            },
            want,
        ) => (
            json!({
                "run": "round trip",
                "result": "identical",
                "records_compared": records,
                "tensors": tensors,
                "content_hash": content_hash,
            }),
            want.is_none(),
        ),
        (RoundTrip::Differs(d), _) => (
            json!({"run": "round trip", "result": "differs", "difference": escape(&d)}),
            false,
        ),
        (RoundTrip::Refused(e), want) => {
            let text = e.to_string();
            (
                json!({
                    "run": "round trip",
                    "result": "refused",
                    "exit": crate::checkpoint::exit_of(&e) as u8,
                    "error": escape(&text),
                }),
                want.is_some_and(|w| text.contains(w)),
            )
        }
    })
}

/// The repository root (`artifacts/phase2c` is two levels below it).
fn repo_of(root: &Path) -> PathBuf {
    root.join("../..")
}

/// Replays the fixtures of packet `id` under `root` (`artifacts/phase2c`)
/// and writes its report, sidecar and decode proof. Returns the report's
/// status line.
pub fn generate(root: &Path, id: &str) -> Result<String, ReplayError> {
    if !PACKET_IDS.contains(&id) {
        return Err(bad(format!(
            "unknown packet {id:?} (FT-P2C-001 … FT-P2C-008)"
        )));
    }
    let repo = repo_of(root);
    let dir = root.join(id);
    let manifest_path = dir.join("fixture_manifest.json");
    let gate_path = dir.join("parity_gate.yaml");
    let manifest = read_json(&manifest_path)?;
    let fixtures =
        fixtures_of(&manifest).map_err(|e| bad(format!("{}: {e}", manifest_path.display())))?;
    let allowlist = Allowlist::load(&root.join("HARDENED_DEVIATION_ALLOWLIST_V1.json"))?;
    let mut drift = GradDrift::default();
    let mut records = Vec::new();
    let (mut passed, mut failed, mut replayed) = (0u64, 0u64, 0u64);
    let mut strict_deviations = 0u64;
    let mut hardened_allowed = 0u64;
    let mut classes = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    for f in &fixtures {
        classes.insert(f.class.clone());
        kinds.insert(f.kind.clone());
        let mut record = json!({
            "id": f.id, "kind": f.kind, "class": f.class, "rows": f.rows,
        });
        let verdict = if let Some((test, name)) = &f.test {
            let path = repo.join(test);
            record["test"] = json!({"file": test, "name": name});
            // A named test must exist in the file (`fn NAME`); a
            // parenthesised name refers to the whole file.
            let found = std::fs::read_to_string(&path)
                .is_ok_and(|text| name.starts_with('(') || text.contains(&format!("fn {name}(")));
            if found { "REFERENCED" } else { "MISSING" }.to_owned()
        } else if let Some(file) = f.file.as_deref().filter(|_| f.kind == "checkpoint") {
            replayed += 1;
            let (run, ok) = run_checkpoint(&repo, file, f.expect_refusal.as_deref())?;
            record["file"] = json!(file);
            record["file_blake3"] = json!(blake3_file(&repo.join(file))?);
            record["expect_refusal"] = json!(f.expect_refusal);
            record["runs"] = json!([run]);
            let word = match (ok, f.expect_refusal.is_some()) {
                (true, false) => "MATCH",
                (true, true) => "CAUGHT",
                (false, _) => "FAIL",
            };
            if ok {
                passed += 1;
            } else {
                failed += 1;
            }
            word.to_owned()
        } else {
            let trace = f.trace.as_deref().unwrap_or_default();
            let path = repo.join(trace);
            record["trace"] = json!(trace);
            record["trace_blake3"] = json!(blake3_file(&path)?);
            let reader = ft_trace::TraceReader::open(&path)?;
            record["trace_chain"] = json!(reader.index().chain.to_hex());
            drop(reader);
            let expected = TraceData::load(&path)?;
            replayed += 1;
            let mut runs = Vec::new();
            let native = f.program.as_deref().filter(|_| f.kind == "native");
            if let Some(name) = native {
                let source = crate::native::program(name)
                    .map(|p| p.source)
                    .unwrap_or_default();
                record["program"] = json!(name);
                record["program_source"] = json!(source);
                record["program_blake3"] = json!(blake3_file(&repo.join(source))?);
                let shared = crate::native::SHARED_SOURCES
                    .iter()
                    .map(|s| Ok(json!({"source": s, "blake3": blake3_file(&repo.join(s))?})))
                    .collect::<Result<Vec<_>, ReplayError>>()?;
                record["program_shared"] = json!(shared);
            }
            let ok = if let Some(name) = native {
                let (run, exit, packets, allowed) =
                    run_native(name, &path, &expected, &f.fault, &allowlist, &mut drift)?;
                runs.push(run);
                if f.fault.is_empty() {
                    strict_deviations += packets.values().sum::<u64>();
                    hardened_allowed += allowed as u64;
                    exit == crate::Exit::Match
                } else {
                    record["expect_exit"] = json!(f.expect_exit);
                    record["expect_packet"] = json!(f.expect_packet);
                    exit as u8 == f.expect_exit
                        && f.expect_packet
                            .as_ref()
                            .is_none_or(|p| packets.contains_key(p))
                }
            } else if f.kind == "golden" {
                let mut ok = true;
                for anchor in [false, true] {
                    if anchor && expected.meta.value_policy != "all" {
                        continue;
                    }
                    let (run, exit, packets, allowed) =
                        run_once(&expected, &[], anchor, &allowlist, &mut drift)?;
                    strict_deviations += packets.values().sum::<u64>();
                    hardened_allowed += allowed as u64;
                    ok &= exit == crate::Exit::Match;
                    runs.push(run);
                }
                ok
            } else {
                let (run, exit, packets, _) =
                    run_once(&expected, &f.fault, f.anchor, &allowlist, &mut drift)?;
                runs.push(run);
                record["expect_exit"] = json!(f.expect_exit);
                record["expect_packet"] = json!(f.expect_packet);
                exit as u8 == f.expect_exit
                    && f.expect_packet
                        .as_ref()
                        .is_none_or(|p| packets.contains_key(p))
            };
            record["runs"] = Value::Array(runs);
            let word = match (f.kind.as_str(), ok) {
                ("golden", true) => "MATCH",
                ("native", true) if f.fault.is_empty() => "MATCH",
                ("fault" | "native", true) => "CAUGHT",
                _ => "FAIL",
            };
            if ok {
                passed += 1;
            } else {
                failed += 1;
            }
            word.to_owned()
        };
        if verdict == "MISSING" {
            failed += 1;
        }
        record["verdict"] = json!(verdict);
        records.push(record);
    }
    let critical = parity::is_critical(id);
    let mut summary = json!({
        "fixtures": fixtures.len(),
        "replayed": replayed,
        "passed": passed,
        "failed": failed,
        "strict_deviations": strict_deviations,
        "hardened_allowed": hardened_allowed,
        "classes": classes,
        "kinds": kinds,
    });
    if critical {
        summary["gradient_drift"] = drift.to_json();
    }
    let report = json!({
        "schema": "ft-phase2c-parity-report/v1",
        "packet_id": id,
        "critical": critical,
        "tool": {
            "name": "ft-replay",
            "version": env!("CARGO_PKG_VERSION"),
            "tolerances": "torch.testing.assert_close defaults",
        },
        "inputs": {
            "fixture_manifest_blake3": blake3_file(&manifest_path)?,
            "parity_gate_blake3": blake3_file(&gate_path)?,
            "allowlist_blake3": blake3_file(&root.join("HARDENED_DEVIATION_ALLOWLIST_V1.json"))?,
        },
        "fixtures": records,
        "summary": summary,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| bad(e.to_string()))? + "\n";
    write(&dir.join(REPORT), text.as_bytes())?;
    let (sidecar_doc, proof_doc) = protect_report(text.as_bytes())?;
    write(&dir.join(SIDECAR), sidecar_doc.as_bytes())?;
    write(&dir.join(PROOF), proof_doc.as_bytes())?;
    Ok(format!(
        "{id}: {} fixtures ({replayed} replayed): {passed} passed, {failed} failed; strict deviations {strict_deviations}",
        fixtures.len()
    ))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReplayError> {
    crate::output::write_atomic(path, bytes)
}

/// The symbols a decode proof erases: every other one, up to the number of
/// repair symbols (so the decode needs the repair symbols, all of them).
fn erased_symbols(symbols: u64, repair: u64) -> Vec<u64> {
    (0..symbols).step_by(2).take(repair as usize).collect()
}

fn erase(data: &[u8], symbol_size: usize, erased: &[u64]) -> Vec<u8> {
    let mut damaged = data.to_vec();
    for &s in erased {
        let from = s as usize * symbol_size;
        let to = (from + symbol_size).min(damaged.len());
        for b in damaged.get_mut(from..to).unwrap_or_default() {
            *b ^= 0xff;
        }
    }
    damaged
}

/// The sidecar document of a report and its decode proof.
fn protect_report(report: &[u8]) -> Result<(String, String), ReplayError> {
    let label = Path::new(REPORT);
    let made = sidecar::protect(label, report, Digest::ZERO, 0, SIDECAR_OVERHEAD)
        .map_err(|e| bad(e.to_string()))?;
    let bytes = made.to_bytes().map_err(|e| bad(e.to_string()))?;
    let source = Digest::of(report).to_hex();
    let sidecar_doc = json!({
        "schema": "ft-phase2c-raptorq-sidecar/v1",
        "source": REPORT,
        "source_len": report.len(),
        "source_blake3": source,
        "overhead_percent": SIDECAR_OVERHEAD,
        "symbol_size": made.layout.symbol_size,
        "source_symbols": made.layout.symbols,
        "repair_symbols": made.repair_symbols(),
        "layout": "docs/SIDECAR.md (FTRRQ sidecar bytes, hex)",
        "sidecar_hex": to_hex(&bytes),
    });
    let proof = decode_proof(&made, report)?;
    Ok((
        serde_json::to_string_pretty(&sidecar_doc).map_err(|e| bad(e.to_string()))? + "\n",
        serde_json::to_string_pretty(&proof).map_err(|e| bad(e.to_string()))? + "\n",
    ))
}

/// Erases symbols of `report` and decodes it from the rest and the sidecar's
/// repair symbols; the proof records which, and the recovered hash.
fn decode_proof(made: &Sidecar, report: &[u8]) -> Result<Value, ReplayError> {
    let t = made.layout.symbol_size as usize;
    let erased = erased_symbols(made.layout.symbols, made.repair_symbols());
    let damaged = erase(report, t, &erased);
    let recovered = match sidecar::repair(Path::new(REPORT), made, &damaged) {
        Ok(Some((bytes, _))) => bytes,
        Ok(None) => damaged,
        Err(e) => return Err(bad(e.to_string())),
    };
    let recovered_hash = Digest::of(&recovered).to_hex();
    let source = Digest::of(report).to_hex();
    Ok(json!({
        "schema": "ft-phase2c-decode-proof/v1",
        "source": REPORT,
        "source_blake3": source,
        "source_symbols": made.layout.symbols,
        "repair_symbols_used": made.repair_symbols(),
        "erased_symbols": erased,
        "symbols_decoded_from": made.layout.symbols - erased.len() as u64 + made.repair_symbols(),
        "recovered_blake3": recovered_hash,
        "recovered_equals_source": recovered_hash == source,
    }))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

// ---------------------------------------------------------------------------
// Validating.

/// A packet's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketStatus {
    /// The packet.
    pub packet: String,
    /// Why it is NOT_READY (empty: READY).
    pub reasons: Vec<String>,
}

impl PacketStatus {
    /// Whether every check held.
    pub fn ready(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// The whole validation: per packet, cross-packet problems, and the
/// expected-NOT_READY list compared with what was found.
#[derive(Clone, Debug, Default)]
pub struct Validation {
    /// Each packet's status.
    pub packets: Vec<PacketStatus>,
    /// Problems outside any packet (cross-packet files, the expectation list).
    pub problems: Vec<String>,
    /// Packets listed as expected NOT_READY, with the listed reason.
    pub expected_not_ready: BTreeMap<String, String>,
}

impl Validation {
    /// Whether the run passes: no cross-packet problem, every packet READY
    /// or listed as expected NOT_READY (and really NOT_READY).
    pub fn passes(&self) -> bool {
        self.problems.is_empty()
            && self
                .packets
                .iter()
                .all(|p| p.ready() != self.expected_not_ready.contains_key(&p.packet))
    }

    /// The report: one line per packet, reasons indented.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for p in &self.packets {
            let expected = self.expected_not_ready.get(&p.packet);
            let status = match (p.ready(), expected) {
                (true, None) => "READY".to_owned(),
                (true, Some(_)) => {
                    "READY (listed in expected_not_ready.json: remove it from the list)".to_owned()
                }
                (false, Some(why)) => format!("NOT_READY (expected: {why})"),
                (false, None) => "NOT_READY".to_owned(),
            };
            out.push_str(&format!("{} {status}\n", p.packet));
            for r in &p.reasons {
                out.push_str(&format!("  - {r}\n"));
            }
        }
        for problem in &self.problems {
            out.push_str(&format!("problem: {problem}\n"));
        }
        out.push_str(if self.passes() {
            "phase2c artifacts: OK\n"
        } else {
            "phase2c artifacts: FAILED\n"
        });
        out
    }
}

/// Checks every packet under `root` (`artifacts/phase2c`).
pub fn validate(root: &Path) -> Validation {
    let mut v = Validation::default();
    for file in CROSS_PACKET_FILES {
        if !root.join(file).is_file() {
            v.problems.push(format!("missing cross-packet file {file}"));
        }
    }
    if let Err(e) = Allowlist::load(&root.join("HARDENED_DEVIATION_ALLOWLIST_V1.json")) {
        v.problems.push(e.to_string());
    }
    match read_json(&root.join(EXPECTED_NOT_READY)) {
        Ok(doc) => {
            for item in doc
                .get("packets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match (
                    item.get("packet").and_then(Value::as_str),
                    item.get("reason").and_then(Value::as_str),
                ) {
                    (Some(p), Some(r)) if PACKET_IDS.contains(&p) && !r.trim().is_empty() => {
                        v.expected_not_ready.insert(p.to_owned(), r.to_owned());
                    }
                    _ => v.problems.push(format!(
                        "{EXPECTED_NOT_READY}: entry {item} needs a packet and a reason"
                    )),
                }
            }
        }
        Err(e) => v.problems.push(e.to_string()),
    }
    for id in PACKET_IDS {
        v.packets.push(PacketStatus {
            packet: id.to_owned(),
            reasons: packet_reasons(root, id),
        });
    }
    v
}

/// Every reason packet `id` is NOT_READY.
pub fn packet_reasons(root: &Path, id: &str) -> Vec<String> {
    let dir = root.join(id);
    let repo = repo_of(root);
    let mut reasons = Vec::new();
    for file in PACKET_FILES {
        if !dir.join(file).is_file() {
            reasons.push(format!("missing {file}"));
        }
    }
    if !reasons.is_empty() && !dir.join(REPORT).is_file() {
        // Without a report nothing else can be checked.
        if dir.join("fixture_manifest.json").is_file() {
            reasons.extend(manifest_reasons(&dir, id));
        }
        return reasons;
    }
    reasons.extend(manifest_reasons(&dir, id));
    let report = match read_json(&dir.join(REPORT)) {
        Ok(r) => r,
        Err(e) => {
            reasons.push(e.to_string());
            return reasons;
        }
    };
    if report.get("packet_id").and_then(Value::as_str) != Some(id) {
        reasons.push(format!("{REPORT}: packet_id is not {id}"));
    }
    reasons.extend(freshness_reasons(&dir, root, &repo, &report));
    match read_text(&dir.join("parity_gate.yaml"))
        .and_then(|t| parse_gate_yaml(&t).map_err(|e| bad(format!("parity_gate.yaml: {e}"))))
    {
        Ok(gate) => reasons.extend(gate_reasons(id, &gate, &report)),
        Err(e) => reasons.push(e.to_string()),
    }
    reasons.extend(sidecar_reasons(&dir));
    reasons
}

fn manifest_reasons(dir: &Path, id: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    let manifest = match read_json(&dir.join("fixture_manifest.json")) {
        Ok(m) => m,
        Err(e) => return vec![e.to_string()],
    };
    let packet = manifest.get("packet");
    for field in MANDATORY_FIELDS {
        let value = packet.and_then(|p| p.get(field));
        let empty = match value {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(_) => false,
        };
        if empty {
            reasons.push(format!(
                "fixture_manifest.json: mandatory field {field} is missing or empty"
            ));
        }
    }
    if let Some(p) = packet
        .and_then(|p| p.get("packet_id"))
        .and_then(Value::as_str)
        && p != id
    {
        reasons.push(format!("fixture_manifest.json: packet_id {p} is not {id}"));
    }
    if let Err(e) = fixtures_of(&manifest) {
        reasons.push(format!("fixture_manifest.json: {e}"));
    }
    reasons
}

fn freshness_reasons(dir: &Path, root: &Path, repo: &Path, report: &Value) -> Vec<String> {
    let mut reasons = Vec::new();
    let inputs = report.get("inputs");
    for (key, path) in [
        ("fixture_manifest_blake3", dir.join("fixture_manifest.json")),
        ("parity_gate_blake3", dir.join("parity_gate.yaml")),
        (
            "allowlist_blake3",
            root.join("HARDENED_DEVIATION_ALLOWLIST_V1.json"),
        ),
    ] {
        let recorded = inputs.and_then(|i| i.get(key)).and_then(Value::as_str);
        let now = blake3_file(&path).ok();
        if recorded != now.as_deref() {
            reasons.push(format!(
                "stale report: {} changed since it was generated (regenerate: ft-replay parity-report --all)",
                path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
            ));
        }
    }
    for f in report
        .get("fixtures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(file), Some(recorded)) = (
            f.get("file").and_then(Value::as_str),
            f.get("file_blake3").and_then(Value::as_str),
        ) {
            match blake3_file(&repo.join(file)) {
                Ok(now) if now == recorded => {}
                Ok(_) => reasons.push(format!(
                    "stale report: {file} changed since it was generated (regenerate: ft-replay parity-report --all)"
                )),
                Err(e) => reasons.push(format!("stale report: {e}")),
            }
        }
        let shared = f
            .get("program_shared")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| (s.get("source"), s.get("blake3")));
        let own = std::iter::once((f.get("program_source"), f.get("program_blake3")));
        for (source, recorded) in own.chain(shared) {
            let (Some(source), Some(recorded)) = (
                source.and_then(Value::as_str),
                recorded.and_then(Value::as_str),
            ) else {
                continue;
            };
            match blake3_file(&repo.join(source)) {
                Ok(now) if now == recorded => {}
                Ok(_) => reasons.push(format!(
                    "stale report: the native program {source} changed since it was generated (regenerate: ft-replay parity-report --all)"
                )),
                Err(e) => reasons.push(format!("stale report: {e}")),
            }
        }
        let (Some(trace), Some(recorded)) = (
            f.get("trace").and_then(Value::as_str),
            f.get("trace_blake3").and_then(Value::as_str),
        ) else {
            continue;
        };
        match blake3_file(&repo.join(trace)) {
            Ok(now) if now == recorded => {}
            Ok(now) => reasons.push(format!(
                "stale report: {trace} has BLAKE3 {}…, the report recorded {}… (regenerate: ft-replay parity-report --all)",
                &now[..16],
                recorded.get(..16).unwrap_or(recorded)
            )),
            Err(e) => reasons.push(format!("stale report: {e}")),
        }
    }
    reasons
}

fn gate_reasons(id: &str, gate: &Value, report: &Value) -> Vec<String> {
    let mut reasons = Vec::new();
    let mut fail = |r: String| reasons.push(format!("gate: {r}"));
    let known: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("packet_id", &[][..]),
        ("critical", &[][..]),
        (
            "strict",
            &["all_fixtures_pass", "max_deviations", "max_gradient_abs"][..],
        ),
        ("hardened", &["max_allowed_deviations"][..]),
        (
            "coverage",
            &["min_replayed_fixtures", "classes", "fixture_kinds"][..],
        ),
    ]);
    let Some(top) = gate.as_object() else {
        fail("parity_gate.yaml is not a mapping".into());
        return reasons;
    };
    for (k, v) in top {
        match known.get(k.as_str()) {
            None => fail(format!("unknown key {k:?}")),
            Some(subkeys) if !subkeys.is_empty() => {
                for sub in v
                    .as_object()
                    .map(|o| o.keys().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    if !subkeys.contains(&sub.as_str()) {
                        fail(format!("unknown key {k}.{sub}"));
                    }
                }
            }
            _ => {}
        }
    }
    if gate.get("packet_id").and_then(Value::as_str) != Some(id) {
        fail(format!("packet_id is not {id}"));
    }
    let critical = parity::is_critical(id);
    if gate.get("critical").and_then(Value::as_bool) != Some(critical) {
        fail(format!("critical must be {critical} for {id}"));
    }
    let summary = report.get("summary").cloned().unwrap_or(Value::Null);
    let num = |v: &Value, path: &[&str]| -> Option<f64> {
        path.iter()
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_f64)
    };
    if gate
        .pointer("/strict/all_fixtures_pass")
        .and_then(Value::as_bool)
        == Some(true)
    {
        let failed = num(&summary, &["failed"]).unwrap_or(f64::INFINITY);
        if failed != 0.0 {
            fail(format!(
                "strict.all_fixtures_pass: {failed} fixtures failed"
            ));
        }
    } else {
        fail("strict.all_fixtures_pass must be true".into());
    }
    match num(gate, &["strict", "max_deviations"]) {
        Some(max) => {
            let got = num(&summary, &["strict_deviations"]).unwrap_or(f64::INFINITY);
            if got > max {
                fail(format!(
                    "strict.max_deviations {max}: the goldens show {got}"
                ));
            }
            if critical && max != 0.0 {
                fail("strict.max_deviations must be 0 for a critical packet".into());
            }
        }
        None => fail("strict.max_deviations is missing".into()),
    }
    if critical {
        match num(gate, &["strict", "max_gradient_abs"]) {
            Some(max) => match num(&summary, &["gradient_drift", "max_abs"]) {
                Some(got) if got <= max => {}
                Some(got) => fail(format!(
                    "strict.max_gradient_abs {max:e}: accumulated gradients drift {got:e}"
                )),
                None => fail("the report has no gradient-drift summary".into()),
            },
            None => fail("strict.max_gradient_abs is missing (critical packet)".into()),
        }
    }
    match num(gate, &["hardened", "max_allowed_deviations"]) {
        Some(max) => {
            let got = num(&summary, &["hardened_allowed"]).unwrap_or(f64::INFINITY);
            if got > max {
                fail(format!(
                    "hardened.max_allowed_deviations {max}: {got} allowed"
                ));
            }
            if critical && max != 0.0 {
                fail("hardened.max_allowed_deviations must be 0 for a critical packet".into());
            }
        }
        None => fail("hardened.max_allowed_deviations is missing".into()),
    }
    if let Some(min) = num(gate, &["coverage", "min_replayed_fixtures"]) {
        let got = num(&summary, &["replayed"]).unwrap_or(0.0);
        if got < min {
            fail(format!(
                "coverage.min_replayed_fixtures {min}: {got} fixtures replay"
            ));
        }
    }
    for (key, field) in [("classes", "classes"), ("fixture_kinds", "kinds")] {
        let have: BTreeSet<&str> = summary
            .get(field)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for want in gate
            .pointer(&format!("/coverage/{key}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !have.contains(want) {
                fail(format!("coverage.{key}: no {want} fixture"));
            }
        }
    }
    reasons
}

fn sidecar_reasons(dir: &Path) -> Vec<String> {
    let mut reasons = Vec::new();
    let report = match std::fs::read(dir.join(REPORT)) {
        Ok(r) => r,
        Err(e) => return vec![format!("cannot read {REPORT}: {e}")],
    };
    let hash = Digest::of(&report).to_hex();
    let doc = match read_json(&dir.join(SIDECAR)) {
        Ok(d) => d,
        Err(e) => return vec![e.to_string()],
    };
    if doc.get("source_blake3").and_then(Value::as_str) != Some(hash.as_str()) {
        reasons.push(format!(
            "{SIDECAR}: source_blake3 is not the report's BLAKE3"
        ));
    }
    let sidecar = doc
        .get("sidecar_hex")
        .and_then(Value::as_str)
        .and_then(from_hex)
        .ok_or_else(|| format!("{SIDECAR}: sidecar_hex is missing or not hex"))
        .and_then(|bytes| {
            Sidecar::from_bytes(Path::new(SIDECAR), &bytes).map_err(|e| e.to_string())
        });
    let sidecar = match sidecar {
        Ok(s) => s,
        Err(e) => {
            reasons.push(format!("sidecar does not decode: {e}"));
            return reasons;
        }
    };
    let proof = match read_json(&dir.join(PROOF)) {
        Ok(p) => p,
        Err(e) => {
            reasons.push(e.to_string());
            return reasons;
        }
    };
    let erased: Vec<u64> = proof
        .get("erased_symbols")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    if erased.is_empty() {
        reasons.push(format!("{PROOF}: erases no symbol"));
    }
    if proof.get("recovered_blake3").and_then(Value::as_str) != Some(hash.as_str())
        || proof.get("recovered_equals_source") != Some(&Value::Bool(true))
    {
        reasons.push(format!(
            "{PROOF}: the recorded recovery is not the report's BLAKE3"
        ));
    }
    // Decode again, from the same subset.
    let damaged = erase(&report, sidecar.layout.symbol_size as usize, &erased);
    match sidecar::repair(Path::new(REPORT), &sidecar, &damaged) {
        Ok(Some((bytes, _))) if Digest::of(&bytes).to_hex() == hash => {}
        Ok(None) if Digest::of(&damaged).to_hex() == hash => {}
        Ok(_) => reasons.push("sidecar does not decode the report: recovered bytes differ".into()),
        Err(e) => reasons.push(format!("sidecar does not decode the report: {e}")),
    }
    reasons
}

/// `ft-replay parity-report`: generates the listed packets (all with
/// `all`), printing one line each; the first error stops.
pub fn run_generate(root: &Path, packets: &[String], all: bool) -> Result<(), ReplayError> {
    let ids: Vec<String> = if all {
        PACKET_IDS.iter().map(|s| (*s).to_owned()).collect()
    } else {
        packets.to_vec()
    };
    if ids.is_empty() {
        return Err(bad("give --packet FT-P2C-00X (repeatable) or --all"));
    }
    for id in ids {
        println!("{}", generate(root, &id)?);
    }
    Ok(())
}
