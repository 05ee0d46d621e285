//! The binary: `--dump`, exit codes, error messages.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{EVENT_COUNT, Ending, write_trace};

fn ft_inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ft-inspect"))
        .args(args)
        .output()
        .expect("run ft-inspect")
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// Snapshots `text` with the temp dir replaced by `[TMP]`.
fn snapshot_without_dir(name: &str, dir: &Path, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(arg(dir)), "[TMP]");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

#[test]
fn dump_prints_one_plain_line_per_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let out = ft_inspect(&[arg(&path), "--dump"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), EVENT_COUNT);
    assert!(!text.contains('\x1b'), "no colour codes");
    assert!(stderr(&out).is_empty());
    insta::assert_snapshot!("dump", text);
}

#[test]
fn dump_honours_layer_and_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let out = ft_inspect(&[
        arg(&path),
        "--dump",
        "--layer",
        "autograd",
        "--filter",
        "MulBackward",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:#?}"); // node, push, pop
    assert!(lines.iter().all(|l| l.contains("autograd")));
}

#[test]
fn dump_of_a_truncated_trace_prints_its_readable_part_and_exits_4() {
    let dir = tempfile::tempdir().expect("tempdir");
    let partial = write_trace(dir.path(), "mul_sum.ftr", Ending::CrashAfter(8));
    let out = ft_inspect(&[arg(&partial), "--dump"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(stdout(&out).lines().count(), 9);
    let err = stderr(&out);
    assert!(
        err.starts_with("ft-inspect: mul_sum.ftr.partial: truncated at offset"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 2, "{err}"); // where, then the verdict
}

#[test]
fn dump_of_a_trace_with_a_damaged_value_exits_4_naming_the_chunk() {
    // Values are not in the timeline, but a dump must not pass damage off
    // as a good trace: flip a byte inside the last blob chunk's payload.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/mlp_train.torch.ftr");
    let reader = ft_trace::TraceReader::open(&golden).expect("golden");
    let last = reader
        .blobs()
        .iter()
        .map(|b| b.offset)
        .max()
        .expect("the golden holds values");
    let mut bytes = fs::read(&golden).expect("golden trace");
    let at = usize::try_from(last).expect("offset") + 40;
    bytes[at] ^= 0x55;
    let dir = tempfile::tempdir().expect("tempdir");
    let damaged = dir.path().join("damaged.ftr");
    fs::write(&damaged, &bytes).expect("write");
    let out = ft_inspect(&[arg(&damaged), "--dump"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("damaged at offset {last}")), "{err}");
    // The whole timeline is still printed.
    let full = ft_inspect(&[arg(&golden), "--dump"]);
    assert_eq!(stdout(&out), stdout(&full));
}

#[test]
fn missing_file_exits_4_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope.ftr");
    let out = ft_inspect(&[arg(&path), "--dump"]);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(arg(&path)), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn not_a_trace_exits_4() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    fs::write(&path, "these are not the bytes you are looking for\n").expect("write");
    for mode in [&["--dump"][..], &[]] {
        let mut args = vec![arg(&path)];
        args.extend_from_slice(mode);
        let out = ft_inspect(&args);
        assert_eq!(out.status.code(), Some(4));
        snapshot_without_dir("not_a_trace", dir.path(), &stderr(&out));
    }
}

#[test]
fn newer_major_version_exits_4_with_both_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "future.ftr", Ending::Complete);
    let mut bytes = fs::read(&path).expect("read");
    bytes[8] = 3; // major version, u16 LE
    fs::write(&path, &bytes).expect("write");
    let out = ft_inspect(&[arg(&path), "--dump"]);
    assert_eq!(out.status.code(), Some(4));
    snapshot_without_dir("unsupported_version", dir.path(), &stderr(&out));
}

#[test]
fn empty_and_header_only_files_exit_4_without_panicking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let full = fs::read(write_trace(dir.path(), "t.ftr", Ending::Complete)).expect("read");
    for len in [0usize, 5, 16, 20] {
        let path = dir.path().join(format!("cut{len}.ftr"));
        fs::write(&path, &full[..len]).expect("write");
        let out = ft_inspect(&[arg(&path), "--dump"]);
        assert_eq!(out.status.code(), Some(4), "len {len}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(ft_inspect(&[]).status.code(), Some(2));
    assert_eq!(ft_inspect(&["x.ftr", "--bogus"]).status.code(), Some(2));
    assert_eq!(
        ft_inspect(&["x.ftr", "--layer", "kernel"]).status.code(),
        Some(2)
    );
}

#[test]
fn without_a_terminal_the_interactive_mode_refuses_and_suggests_dump() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let out = ft_inspect(&[arg(&path)]); // stdout is a pipe here
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--dump"));
}

#[test]
fn help_documents_exit_codes() {
    let out = ft_inspect(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("Exit codes") && text.contains("4  unreadable"));
}

#[test]
fn a_golden_trace_cut_in_half_opens_with_its_readable_part() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/mlp_train.torch.ftr");
    let bytes = fs::read(&golden).expect("golden trace");
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("cut.ftr");
    fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");

    let full = ft_inspect(&[arg(&golden), "--dump"]);
    assert_eq!(full.status.code(), Some(0), "{}", stderr(&full));
    let out = ft_inspect(&[arg(&cut), "--dump"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let warning = stderr(&out);
    assert_eq!(warning.lines().count(), 2, "{warning}");
    assert!(warning.contains("truncated at offset"), "{warning}");
    // The readable part is a prefix of the full timeline.
    let (part, whole) = (stdout(&out), stdout(&full));
    assert!(part.lines().count() > 10, "{part}");
    assert!(part.lines().count() < whole.lines().count());
    assert!(
        whole.starts_with(&part),
        "readable part is not a prefix of the full trace"
    );
}

#[test]
fn a_bad_length_field_is_reported_at_its_chunk_not_at_the_end_of_the_file() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/mlp_train.torch.ftr");
    let reader = ft_trace::TraceReader::open(&golden).expect("golden");
    let second = reader
        .index()
        .chunks
        .get(1)
        .expect("two events chunks")
        .offset;
    let mut bytes = fs::read(&golden).expect("golden trace");
    let at = usize::try_from(second).expect("offset");
    // The chunk's 4-byte little-endian length now runs past the file.
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let dir = tempfile::tempdir().expect("tempdir");
    let damaged = dir.path().join("length.ftr");
    fs::write(&damaged, &bytes).expect("write");
    let out = ft_inspect(&[arg(&damaged), "--dump"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("damaged at offset {second}")),
        "{err}"
    );
    assert!(!err.contains(&format!("offset {}:", bytes.len())), "{err}");
}

#[test]
fn dump_escapes_terminal_sequences_in_trace_strings() {
    use ft_trace::event::{ApiEvent, ProgramError};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hostile.ftr");
    let mut file =
        ft_trace::FileTraceWriter::create(&path, &super::support::meta()).expect("create");
    file.writer()
        .append(
            &ft_trace::EventBody::Api(ApiEvent::ProgramError(ProgramError {
                message: "RuntimeError: \u{1b}]0;pwned\u{7}\u{1b}[2Jboom".into(),
            })),
            0,
        )
        .expect("append");
    file.finish().expect("finish");
    let out = ft_inspect(&[arg(&path), "--dump"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("boom"), "{text}");
}

#[test]
fn dump_describes_every_event_kind_of_the_format() {
    // One event of every kind FORMAT.md defines, each with its summary.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tracer/tests/fixtures/all_kinds.ftr");
    let out = ft_inspect(&[arg(&fixture), "--dump"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let unknown: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("not known to this build"))
        .collect();
    assert!(unknown.is_empty(), "{unknown:#?}");
}
