//! `ft-replay info`, `verify`, `protect`, `repair` and `upgrade`: what a
//! trace file holds, whether every byte of it is sound, RaptorQ sidecars
//! that restore it, and rewriting it in the current format version (the
//! work is done by [`ft_trace::verify`], [`ft_trace::sidecar`] and
//! [`ft_trace::rewrite`]; this module prints and picks exit codes).
//!
//! Exit codes follow the replay's: 0 sound / repaired, 2 usage (an output
//! that is not a regular file), 4 damaged or unreadable input (also a
//! sidecar that fails its checksum, or damage beyond what it covers),
//! 6 an output could not be written.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use ft_trace::format::chunk_kind;
use ft_trace::sidecar::{self, RepairOutcome, SidecarError};
use ft_trace::text::escape_control;
use ft_trace::verify::{Verification, verify_file};
use ft_trace::{TraceError, TraceReader};

use crate::cli::{Command, Format, InfoArgs, ProtectArgs, RepairArgs, UpgradeArgs, VerifyArgs};
use crate::error::Exit;

/// Runs one of the four subcommands.
pub fn run(command: &Command) -> Exit {
    match command {
        Command::Info(args) => info(args),
        Command::Verify(args) => verify(args),
        Command::Protect(args) => protect(args),
        Command::Repair(args) => repair(args),
        Command::Upgrade(args) => upgrade(args),
        Command::Coverage(_) => Exit::Usage,
        Command::Checkpoint(_) | Command::ParityReport(_) => Exit::Usage,
    }
}

fn shown(path: &Path) -> String {
    escape_control(&path.display().to_string()).into_owned()
}

fn error(text: &str) {
    eprintln!(
        "ft-replay: error: {}",
        ft_trace::text::escape_control_lines(text)
    );
}

/// Prints to stdout; a closed pipe is not an error, another failure is exit 6.
fn print(text: &str) -> Result<(), Exit> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            error(&format!("cannot write stdout: {e}"));
            Err(Exit::Output)
        }
        Ok(()) => Ok(()),
    }
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}

/// One problem, for JSON.
#[derive(Serialize)]
struct ProblemJson {
    offset: u64,
    chunk: String,
    detail: String,
}

fn problems_json(v: &Verification) -> Vec<ProblemJson> {
    v.problems
        .iter()
        .map(|p| ProblemJson {
            offset: p.offset,
            chunk: p.what.clone(),
            detail: p.detail.clone(),
        })
        .collect()
}

/// Where an incomplete trace stops.
#[derive(Serialize)]
struct Stop {
    offset: u64,
    detail: String,
    salvaged_events: u64,
}

/// `ft-replay info --format json`.
#[derive(Serialize)]
struct Info {
    trace: String,
    file_bytes: u64,
    version: String,
    major: u16,
    minor: u16,
    producer: String,
    program: String,
    value_policy: String,
    attrs: Vec<(String, String)>,
    events: u64,
    layers: [(&'static str, u64); 4],
    chain: String,
    events_chunks: usize,
    blobs: usize,
    blob_bytes: u64,
    complete: bool,
    stop: Option<Stop>,
    problems: Vec<ProblemJson>,
}

fn gather_info(path: &Path) -> Result<Info, TraceError> {
    let reader = TraceReader::recover(path)?;
    let verification = verify_file(path)?;
    let index = reader.index();
    let (major, minor) = reader.version();
    let meta = reader.meta();
    let blob_bytes = verification
        .chunks
        .iter()
        .filter(|c| matches!(c.kind, chunk_kind::BLOB | chunk_kind::VIEW))
        .map(|c| c.total())
        .sum();
    let names = ["api", "dispatch", "autograd", "device"];
    Ok(Info {
        trace: path.display().to_string(),
        file_bytes: reader.file_len(),
        version: format!("{major}.{minor}"),
        major,
        minor,
        producer: meta.producer.clone(),
        program: meta.program.clone(),
        value_policy: meta.value_policy.clone(),
        attrs: meta.attrs.clone(),
        events: index.event_count,
        layers: std::array::from_fn(|i| (names[i], index.layer_counts[i])),
        chain: index.chain.to_hex(),
        events_chunks: index.chunks.len(),
        blobs: index.blobs.len(),
        blob_bytes,
        complete: reader.truncation().is_none(),
        stop: reader.truncation().map(|t| Stop {
            offset: t.offset,
            detail: t.detail.clone(),
            salvaged_events: t.salvaged,
        }),
        problems: problems_json(&verification),
    })
}

fn info_text(info: &Info) -> String {
    let mut out = format!("{}\n", info.trace);
    let mut line = |key: &str, value: String| {
        out.push_str(&format!("  {key:<10} {value}\n"));
    };
    line(
        "format",
        format!(
            "{} (header major {}, minor {})",
            info.version, info.major, info.minor
        ),
    );
    line("producer", info.producer.clone());
    line("program", info.program.clone());
    line("values", info.value_policy.clone());
    line(
        "attrs",
        if info.attrs.is_empty() {
            "-".into()
        } else {
            info.attrs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    line(
        "events",
        format!(
            "{} ({}) in {} EVENTS chunks",
            info.events,
            info.layers
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect::<Vec<_>>()
                .join(", "),
            info.events_chunks
        ),
    );
    line(
        if info.complete { "chain" } else { "chain*" },
        info.chain.clone(),
    );
    line(
        "blobs",
        format!("{} ({} bytes on disk)", info.blobs, info.blob_bytes),
    );
    line("size", format!("{} bytes", info.file_bytes));
    line(
        "complete",
        match &info.stop {
            None => "yes".into(),
            Some(stop) => format!(
                "no: readable up to offset {} ({}){}",
                stop.offset,
                stop.detail,
                if info.complete {
                    ""
                } else {
                    "; chain* is over the readable events"
                }
            ),
        },
    );
    line(
        "verified",
        if info.problems.is_empty() {
            "every chunk checksum, the tiling, the index and every blob digest".into()
        } else {
            format!(
                "{} problem(s), first: offset {}: {}: {} (see ft-replay verify)",
                info.problems.len(),
                info.problems[0].offset,
                info.problems[0].chunk,
                info.problems[0].detail
            )
        },
    );
    ft_trace::text::escape_control_lines(&out)
}

fn info(args: &InfoArgs) -> Exit {
    let info = match gather_info(&args.trace) {
        Ok(info) => info,
        Err(e) => {
            error(&e.to_string());
            return Exit::BadInput;
        }
    };
    let text = match args.format {
        Format::Json => json(&info),
        Format::Text => info_text(&info),
    };
    if let Err(exit) = print(&text) {
        return exit;
    }
    if info.complete && info.problems.is_empty() {
        Exit::Match
    } else {
        Exit::BadInput
    }
}

/// One file of `ft-replay verify --format json`.
#[derive(Serialize)]
struct VerifyJson {
    trace: String,
    ok: bool,
    complete: bool,
    chunks: usize,
    problems: Vec<ProblemJson>,
    error: Option<String>,
}

fn verify(args: &VerifyArgs) -> Exit {
    let mut text = String::new();
    let mut files = Vec::new();
    let mut all_ok = true;
    for path in &args.traces {
        let name = shown(path);
        match verify_file(path) {
            Ok(v) => {
                all_ok &= v.ok();
                for p in &v.problems {
                    text.push_str(&format!(
                        "{name}: offset {}: {}: {}\n",
                        p.offset,
                        p.what,
                        escape_control(&p.detail)
                    ));
                }
                if v.ok() {
                    text.push_str(&format!(
                        "{name}: ok ({} chunks, {} bytes)\n",
                        v.chunks.len(),
                        v.len
                    ));
                } else {
                    let damaged = v.chunks.iter().filter(|c| !c.ok).count();
                    text.push_str(&format!(
                        "{name}: DAMAGED: {} problem(s), {damaged} damaged chunk(s){}\n",
                        v.problems.len(),
                        if v.complete { "" } else { ", incomplete" }
                    ));
                }
                files.push(VerifyJson {
                    trace: path.display().to_string(),
                    ok: v.ok(),
                    complete: v.complete,
                    chunks: v.chunks.len(),
                    problems: problems_json(&v),
                    error: None,
                });
            }
            Err(e) => {
                all_ok = false;
                text.push_str(&format!(
                    "{name}: offset 0: file: {}\n",
                    escape_control(&e.to_string())
                ));
                files.push(VerifyJson {
                    trace: path.display().to_string(),
                    ok: false,
                    complete: false,
                    chunks: 0,
                    problems: Vec::new(),
                    error: Some(e.to_string()),
                });
            }
        }
    }
    let exit = if all_ok { Exit::Match } else { Exit::BadInput };
    let rendered = match args.format {
        Format::Text => text,
        Format::Json => json(&serde_json::json!({ "files": files, "exit": exit as u8 })),
    };
    print(&rendered).err().unwrap_or(exit)
}

fn sidecar_exit(e: &SidecarError) -> Exit {
    match e {
        SidecarError::Usage(_) => Exit::Usage,
        SidecarError::Write { .. } => Exit::Output,
        _ => Exit::BadInput,
    }
}

fn protect(args: &ProtectArgs) -> Exit {
    let started = Instant::now();
    match sidecar::protect_file(&args.trace, args.overhead) {
        Ok((sidecar, out)) => {
            let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            let layout = sidecar.layout;
            let repair = sidecar.repair_symbols();
            let text = format!(
                "wrote {}: {size} bytes ({:.1}% of the {}-byte trace) in {:.0} ms; {} source symbols of {} bytes in {} block(s), {repair} repair symbols ({}%): restores up to {repair} damaged or missing symbols ({} bytes)\n",
                shown(&out),
                size as f64 * 100.0 / layout.len as f64,
                layout.len,
                started.elapsed().as_secs_f64() * 1e3,
                layout.symbols,
                layout.symbol_size,
                layout.blocks,
                sidecar.overhead,
                repair * u64::from(layout.symbol_size),
            );
            print(&text).err().unwrap_or(Exit::Match)
        }
        Err(e) => {
            error(&e.to_string());
            sidecar_exit(&e)
        }
    }
}

fn upgrade(args: &UpgradeArgs) -> Exit {
    if let Some(reason) = crate::output::output_refusal(
        "--output",
        &args.output,
        false,
        &[("TRACE", args.trace.as_path())],
    ) {
        error(&reason);
        return Exit::Usage;
    }
    match verify_file(&args.trace) {
        Ok(v) if v.ok() => {}
        Ok(v) => {
            let first = v.problems.first().map(|p| p.describe()).unwrap_or_default();
            error(&format!(
                "{}: damaged, not rewritten ({} problem(s); first: {first}); see `ft-replay verify`",
                shown(&args.trace),
                v.problems.len()
            ));
            return Exit::BadInput;
        }
        Err(e) => {
            error(&e.to_string());
            return Exit::BadInput;
        }
    }
    let before = std::fs::metadata(&args.trace).map(|m| m.len()).unwrap_or(0);
    let version = TraceReader::open(&args.trace).map(|r| r.version());
    match ft_trace::rewrite::rewrite_file(&args.trace, &args.output) {
        Ok(summary) => {
            let (major, minor) = version.unwrap_or_default();
            // The minor the output says: the lowest that covers its events.
            let (out_major, out_minor) = TraceReader::open(&args.output)
                .map(|r| r.version())
                .unwrap_or((
                    ft_trace::format::VERSION_MAJOR,
                    ft_trace::format::FLOOR_MINOR,
                ));
            print(&format!(
                "wrote {}: format {out_major}.{out_minor} ({} bytes) from {} ({major}.{minor}, {before} bytes); {} events, chain {}\n",
                shown(&args.output),
                summary.bytes,
                shown(&args.trace),
                summary.index.event_count,
                summary.index.chain.short(16),
            ))
            .err()
            .unwrap_or(Exit::Match)
        }
        Err(e) => {
            error(&e.to_string());
            // The input verified: what fails now is writing the output.
            match &e {
                TraceError::Write(_) => Exit::Output,
                TraceError::Io { path, .. } if path != &args.trace => Exit::Output,
                _ => Exit::BadInput,
            }
        }
    }
}

fn repair(args: &RepairArgs) -> Exit {
    let started = Instant::now();
    match sidecar::repair_file(&args.trace) {
        Ok(RepairOutcome::Intact) => print(&format!(
            "{}: intact (hashes to the BLAKE3 its sidecar recorded); nothing written\n",
            shown(&args.trace)
        ))
        .err()
        .unwrap_or(Exit::Match),
        Ok(RepairOutcome::Repaired(stats)) => {
            let mut what = Vec::new();
            if stats.lost_symbols > 0 {
                let ranges: Vec<String> = stats
                    .restored
                    .iter()
                    .map(|(a, b)| format!("{a}..{b}"))
                    .collect();
                what.push(format!(
                    "{} of the {} symbols the sidecar covers were lost, restored bytes {}",
                    stats.lost_symbols,
                    stats.covered,
                    ranges.join(", ")
                ));
            }
            if stats.trailing_removed > 0 {
                what.push(format!(
                    "removed {} bytes after the protected end",
                    stats.trailing_removed
                ));
            }
            print(&format!(
                "{}: repaired in {:.0} ms: {}; the file hashes to the recorded BLAKE3 and its chain \
                 hash is the recorded one\n",
                shown(&args.trace),
                started.elapsed().as_secs_f64() * 1e3,
                what.join("; ")
            ))
            .err()
            .unwrap_or(Exit::Match)
        }
        Err(e) => {
            error(&e.to_string());
            if matches!(e, SidecarError::CannotRepair { .. }) {
                eprintln!("ft-replay: {} was not modified", shown(&args.trace));
            }
            sidecar_exit(&e)
        }
    }
}
