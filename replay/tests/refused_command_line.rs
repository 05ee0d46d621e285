//! A command line `ft-replay` refuses before running (a bad value such as
//! `--rtol nan`) still turns its `--junit` report red, so CI never reads
//! the green of an earlier run; and it never writes over another argument.

use std::fs;
use std::path::{Path, PathBuf};

mod support;

use support::run as ft_replay;

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/mlp_train.torch.ftr")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_refused_value_replaces_a_green_junit_with_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("parity.xml");
    let green = ft_replay(&["--against", s(&golden()), "--junit", s(&junit)]);
    assert_eq!(green.status.code(), Some(0));
    let report = fs::read_to_string(&junit).expect("junit");
    assert!(!report.contains("<failure") && !report.contains("<error "));

    let golden = golden();
    for bad in [
        vec!["--rtol", "nan", "--atol", "0"],
        vec!["--inject-fault-typo"],
    ] {
        let mut args = vec!["--against", s(&golden)];
        args.extend(bad.iter().copied());
        let junit_arg = format!("--junit={}", s(&junit));
        args.push(&junit_arg);
        let out = ft_replay(&args);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let report = fs::read_to_string(&junit).expect("junit");
        assert!(report.contains("<error "), "{bad:?}: {report}");
        assert!(report.contains("exit 2 (usage error)"), "{bad:?}: {report}");
        // Make it green again for the next case.
        let green = ft_replay(&["--against", s(&golden), "--junit", s(&junit)]);
        assert_eq!(green.status.code(), Some(0));
    }
}

#[test]
fn a_refused_command_line_never_writes_over_another_argument() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = dir.path().join("g.ftr");
    fs::copy(golden(), &trace).expect("copy");
    let before = fs::read(&trace).expect("trace");
    let out = ft_replay(&[
        "--against",
        s(&trace),
        "--junit",
        s(&trace),
        "--rtol",
        "nan",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read(&trace).expect("trace"), before);
}

#[test]
fn help_is_not_a_refusal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("parity.xml");
    fs::write(&junit, "earlier").expect("write");
    let out = ft_replay(&["--help", "--junit", s(&junit)]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fs::read_to_string(&junit).expect("junit"), "earlier");
}

#[test]
fn a_failed_run_leaves_no_earlier_trace_at_its_out_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ours.ftr");
    let first = ft_replay(&["--against", s(&golden()), "--out", s(&out)]);
    assert_eq!(first.status.code(), Some(0));
    assert!(out.exists());
    // The next run cannot read its input: no verdict, no trace of its own,
    // and the earlier run's trace must not pass for this run's.
    let broken = dir.path().join("broken.ftr");
    let mut bytes = fs::read(golden()).expect("golden");
    bytes.truncate(bytes.len() / 2);
    fs::write(&broken, bytes).expect("write");
    let failed = ft_replay(&["--against", s(&broken), "--out", s(&out)]);
    assert_eq!(failed.status.code(), Some(4));
    assert!(!out.exists(), "{}", String::from_utf8_lossy(&failed.stderr));
}

#[test]
fn a_trace_this_run_finished_is_kept_when_a_later_output_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ours.ftr");
    fs::write(&out, "an earlier run").expect("write");
    let perfetto = dir.path().join("missing-dir").join("runs.json");
    let run = ft_replay(&[
        "--against",
        s(&golden()),
        "--out",
        s(&out),
        "--perfetto",
        s(&perfetto),
    ]);
    assert_eq!(
        run.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let kept = ft_trace::TraceReader::open(&out).expect("this run's complete trace is kept");
    assert!(kept.event_count() > 0);
}
