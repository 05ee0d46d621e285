//! `ft-replay`: re-execute a PyTorch trace on the FrankenTorch runtime and
//! diff the two runs.
//!
//! * [`executor`] replays the api and top-level dispatch events of a PyTorch
//!   trace on `ft-runtime`, recording the runtime's own stream;
//! * [`callbacks`] replays what the program's hooks did when the runtime
//!   calls them in the middle of a backward;
//! * [`checks`] aligns the two streams and runs the checks (dispatch
//!   ordering, graph isomorphism, ReadyQueue schedule, dataflow, values);
//! * [`support`] lists, before replaying, every operator, derivative and
//!   dtype the trace needs that the runtime lacks (from [`usage`]);
//! * [`coverage`] is `ft-replay coverage` (per trace: operators and dtypes
//!   used, and what this build supports) and generates `docs/COVERAGE.md`;
//! * [`report`] turns the result into a verdict, text or JSON, and an exit code;
//!   [`junit`] writes it as JUnit XML for CI dashboards, [`perfetto`] as a
//!   Chrome trace with both runs and the divergences;
//! * [`evidence`] is `ft-replay info`, `verify`, `protect` and `repair`
//!   (whole-file checks and RaptorQ sidecars, from `ft_trace`);
//! * [`checkpoint`] is `ft-replay checkpoint info|convert|protect|repair`
//!   (state dicts in torch.save files and .ftc envelopes, from
//!   `ft_runtime::serialize`);
//! * [`roundtrip`] reads PyTorch's own `torch.save` files, writes them back
//!   and compares the bytes (the `checkpoint` fixtures of [`phase2c`]);
//! * [`mutate`] derives hostile variants of a trace from bytes (the diff
//!   fuzz target and its regression tests);
//! * [`parity`] charges each deviation to a Phase-2C packet and applies
//!   the hardened-mode allowlist (`--mode hardened`);
//! * [`native`] runs the native Rust programs (`runtime/examples/native`)
//!   against their PyTorch twins' random values, for the `native` fixtures
//!   of [`phase2c`] and the `native_programs` tests;
//! * [`phase2c`] generates the Phase-2C packets' parity reports
//!   (`ft-replay parity-report`) and validates the packet artifacts
//!   (`validate_phase2c_artifacts`);
//! * [`output`] refuses outputs that would destroy an input or something
//!   that is not a regular file, and writes reports atomically.
//!
//! The binary is a thin shell over [`run`].

pub mod align;
pub mod anchor_book;
pub mod blob_store;
pub mod callbacks;
pub mod checkpoint;
pub mod checks;
pub mod cli;
pub mod coverage;
pub mod describe;
pub mod drift;
pub mod error;
pub mod evidence;
pub mod executor;
pub mod halt;
pub mod junit;
pub mod keys;
pub mod mutate;
pub mod native;
pub mod node_anchor;
pub mod output;
pub mod parallel;
pub mod parity;
pub mod perfetto;
pub mod phase2c;
pub mod precision;
pub mod progress;
pub mod recording;
pub mod report;
pub mod roundtrip;
pub mod storage_region;
pub mod support;
pub mod trace_data;
pub mod usage;

use std::io::{IsTerminal, Write};

pub use checks::values::Tolerances;
pub use checks::{diff, diff_aligned};
pub use error::{Exit, ReplayError};
pub use report::Report;
pub use trace_data::TraceData;

use cli::{Args, Command, CoverageArgs, Format};

/// Runs `ft-replay` with parsed arguments; prints the verdict and returns the exit code.
pub fn run(args: &Args) -> Exit {
    if let Some(Command::Coverage(coverage)) = &args.command {
        return run_coverage(coverage).unwrap_or_else(|e| {
            print_error(&e);
            e.exit()
        });
    }
    if let Some(Command::Checkpoint(checkpoint)) = &args.command {
        return checkpoint::run(checkpoint);
    }
    if let Some(Command::ParityReport(report)) = &args.command {
        return phase2c::run_generate(&report.root, &report.packet, report.all)
            .map(|()| Exit::Match)
            .unwrap_or_else(|e| {
                print_error(&e);
                e.exit()
            });
    }
    if let Some(command) = &args.command {
        return evidence::run(command);
    }
    let earlier_out = output::out_before_run(args);
    match output::check_outputs(args).and_then(|()| run_inner(args)) {
        Ok(exit) => exit,
        Err(e) => {
            print_error(&e);
            if args.format == Format::Json
                && let Some(missing) = e.missing()
            {
                print_missing_json(args.against.as_deref(), &missing);
            }
            if let Some(path) = &args.junit
                && output::junit_writable(args)
            {
                write_failure_junit(path, args, &e);
            }
            if let Some(path) = output::remove_stale_out(args, earlier_out.as_ref()) {
                eprintln!(
                    "ft-replay: removed {} (an earlier run's trace; this run has none)",
                    ft_trace::text::escape_control(&path.display().to_string())
                );
            }
            e.exit()
        }
    }
}

/// `ft-replay: error: ...` on stderr, trace strings in it escaped.
fn print_error(e: &ReplayError) {
    eprintln!(
        "ft-replay: error: {}",
        ft_trace::text::escape_control_lines(&e.to_string())
    );
}

/// A command line clap refused (a bad value such as `--rtol nan`) is a run
/// without a verdict too: its `--junit`, when one can be found and written
/// safely, becomes a failing report, so CI never reads an earlier green.
pub fn junit_for_refused_command_line(raw: &[std::ffi::OsString], message: &str) {
    if let Some(path) = output::junit_of_unparsed(raw) {
        let error = ReplayError::Usage(message.trim().to_owned());
        let written = junit::failure_junit(None, &error)
            .and_then(|doc| output::write_atomic(&path, doc.as_bytes()));
        if let Err(e) = written {
            print_error(&e);
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// A run without a verdict replaces `--junit` with a failing report; if even
/// that cannot be written, the old report is removed (never a stale green).
fn write_failure_junit(path: &std::path::Path, args: &Args, error: &ReplayError) {
    let label = args.against.as_deref().map(|p| p.display().to_string());
    let written = junit::failure_junit(label.as_deref(), error)
        .and_then(|doc| output::write_atomic(path, doc.as_bytes()));
    if let Err(e) = written {
        print_error(&e);
        if std::fs::remove_file(path).is_ok() {
            eprintln!(
                "ft-replay: removed {} so that it cannot report an earlier run",
                ft_trace::text::escape_control(&path.display().to_string())
            );
        }
    }
}

/// `--format json` for exit 5: the verdict and every missing item on stdout.
fn print_missing_json(against: Option<&std::path::Path>, missing: &[support::Missing]) {
    let doc = serde_json::json!({
        "expected": against.map(|p| p.display().to_string()),
        "verdict": "unsupported",
        "exit": Exit::Unsupported as u8,
        "missing": missing,
    });
    if let Ok(text) = serde_json::to_string_pretty(&doc) {
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }
}

/// The allowlist `--mode hardened` reads: `--allowlist`, or the packet
/// artifacts' default in the working directory or the source tree this
/// binary was built from.
fn allowlist(args: &Args) -> Result<Option<parity::Allowlist>, ReplayError> {
    parity::resolve_allowlist(args.mode, args.allowlist.as_deref())
}

fn run_inner(args: &Args) -> Result<Exit, ReplayError> {
    let tolerances = args.tolerances().map_err(ReplayError::Usage)?;
    let allowlist = allowlist(args)?;
    let against = args
        .against
        .as_deref()
        .ok_or_else(|| ReplayError::Usage("--against TORCH.ftr is required".into()))?;
    let started = std::time::Instant::now();
    let (expected, ours) = match &args.ours {
        Some(path) => {
            let (ours, expected) =
                parallel::both(|| TraceData::load(path), || TraceData::load(against));
            (expected?, Some(ours?))
        }
        None => (TraceData::load(against)?, None),
    };
    let loaded = started.elapsed();
    let (actual, halt) = match ours {
        Some(ours) => (ours, None),
        None => {
            let missing = support::scan(&usage::Usage::of(&expected.events));
            if !missing.is_empty() {
                return Err(ReplayError::Missing(missing));
            }
            let options = executor::ReplayOptions {
                faults: executor::parse_faults(&args.inject_fault)?,
                timestamps: !args.zero_timestamps,
                out: args.out.clone(),
                tolerances: tolerances.clone(),
                anchor: args.anchor,
                ..executor::ReplayOptions::default()
            };
            let mut run = executor::replay_until_halt(&expected, &options)?;
            let halt = run.take_halt();
            (run.into_trace_data(), halt)
        }
    };
    let replayed = started.elapsed();
    // A replay that halted is judged on what it ran (see [`halt`]).
    let (mut report, expected, halt) = match halt {
        None => (diff(&expected, &actual, &tolerances), expected, None),
        Some(h) => match halt::judge_before(&expected, &actual, h.seq, &tolerances) {
            Some((report, before)) => {
                dispose(expected);
                (report, before, Some(h))
            }
            None => return Err(h.error),
        },
    };
    if let Some(list) = &allowlist {
        parity::apply(&mut report, list);
    }
    expected.check_values_readable()?;
    actual.check_values_readable()?;
    let diffed = started.elapsed();
    if let Some(path) = &args.perfetto {
        let doc = perfetto::to_chrome_trace(&expected, &actual, &report);
        let text = serde_json::to_string(&doc).map_err(|e| output_error(path, e))?;
        output::write_atomic(path, text.as_bytes())?;
    }
    dispose(actual);
    if args.ours.is_none() && !args.anchor {
        recheck_anchored(
            &expected,
            &mut report,
            &args.inject_fault,
            &tolerances,
            args.fail_on_drift,
        )?;
        expected.check_values_readable()?;
    }
    if let Some(halt) = halt {
        // Nothing went differently before it: the halt is the verdict.
        if report.exit() == Exit::Match {
            return Err(halt.error);
        }
        report.halted = Some(report::Halted {
            expected_seq: halt.seq,
            error: halt.error.to_string(),
        });
    }
    if args.timings {
        eprintln!(
            "timings: load {:.3} ms, replay {:.3} ms, diff {:.3} ms{}",
            loaded.as_secs_f64() * 1e3,
            (replayed - loaded).as_secs_f64() * 1e3,
            (diffed - replayed).as_secs_f64() * 1e3,
            if report.drift_check.is_some() {
                format!(
                    ", anchored re-check {:.3} ms",
                    (started.elapsed() - diffed).as_secs_f64() * 1e3
                )
            } else {
                String::new()
            }
        );
    }
    if let Some(path) = &args.junit {
        output::write_atomic(path, junit::to_junit(&report)?.as_bytes())?;
    }
    let rendered = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| output_error("stdout", e))? + "\n"
        }
        Format::Text => {
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            report.to_text(colour)
        }
    };
    print_stdout(&rendered)?;
    dispose(expected);
    Ok(report.exit())
}

/// Frees a loaded trace on a thread of its own: a long run's trace is
/// hundreds of thousands of small allocations, and freeing them took a
/// tenth of a diff-only run's time. A process that exits first leaves the
/// rest to the operating system.
fn dispose(data: TraceData) {
    // When no thread can be started, spawn drops the closure, and with it
    // the data, before it returns the error.
    let _ = std::thread::Builder::new()
        .name("ft-replay-free".into())
        .spawn(move || drop(data));
}

/// A free-running replay that failed on values alone is replayed again
/// anchored (with the same `--inject-fault` specs), and the two verdicts
/// explain where the drift comes from (see [`drift`]); the report then
/// accepts the drift when the explanation covers every failure and
/// `fail_on_drift` is not set. Needs PyTorch's value of every operator's
/// inputs: a trace captured with `--values all` (otherwise the report is
/// left as it is).
pub fn recheck_anchored(
    expected: &TraceData,
    report: &mut Report,
    inject_fault: &[String],
    tolerances: &Tolerances,
    fail_on_drift: bool,
) -> Result<(), ReplayError> {
    if report.exit() != Exit::Values || expected.meta.value_policy != "all" {
        return Ok(());
    }
    let options = executor::ReplayOptions {
        faults: executor::parse_faults(inject_fault)?,
        tolerances: tolerances.clone(),
        anchor: true,
        ..executor::ReplayOptions::default()
    };
    let anchored = executor::replay(expected, &options)?.into_trace_data();
    let check = drift::explain(report, &diff(expected, &anchored, tolerances));
    report.drift_accepted = !fail_on_drift
        && check
            .as_ref()
            .is_some_and(drift::DriftCheck::explains_every_failure);
    report.drift_check = check;
    Ok(())
}

/// `ft-replay coverage`: per-trace tables (or JSON), or `docs/COVERAGE.md`.
/// Exit 5 when a trace needs something this build lacks (never with `--markdown`).
fn run_coverage(args: &CoverageArgs) -> Result<Exit, ReplayError> {
    if args.markdown {
        print_stdout(&coverage::markdown_from_files(&args.traces)?)?;
        return Ok(Exit::Match);
    }
    let reports = args
        .traces
        .iter()
        .map(|p| coverage::TraceCoverage::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let rendered = match args.format {
        Format::Json => {
            let doc = serde_json::json!({ "traces": reports });
            serde_json::to_string_pretty(&doc).map_err(|e| output_error("stdout", e))? + "\n"
        }
        Format::Text => ft_trace::text::escape_control_lines(
            &reports
                .iter()
                .map(coverage::TraceCoverage::to_text)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    };
    print_stdout(&rendered)?;
    Ok(if reports.iter().all(|r| r.summary.replayable) {
        Exit::Match
    } else {
        Exit::Unsupported
    })
}

fn print_stdout(text: &str) -> Result<(), ReplayError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(output_error("stdout", e)),
        Ok(()) => Ok(()),
    }
}

fn output_error(path: impl AsRef<std::path::Path>, e: impl std::fmt::Display) -> ReplayError {
    ReplayError::Output {
        path: path.as_ref().display().to_string(),
        detail: e.to_string(),
    }
}
