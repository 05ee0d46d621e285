//! `ft-replay` with hostile or careless command lines and inputs: outputs
//! never destroy an input or a non-regular file, reports are atomic and a
//! run without a verdict leaves a failing JUnit report, write errors have
//! their own exit code (6), tolerances cannot switch value checking off,
//! corrupt blobs are refused through the lazy blob store, pipes are refused
//! instead of hanging, and trace strings cannot drive the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ft_replay::Tolerances;
use ft_replay::checks::values::Tolerance;
use ft_trace::format::{chunk_kind, frame_chunk};
use ft_trace::{ApiEvent, EventBody, FileTraceWriter, ManualSeed, ProgramError, TraceMeta};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

/// Runs ft-replay with a deadline: a hang fails the test instead of blocking CI.
fn ft_replay_in(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ft-replay");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("ft-replay {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ft_replay(args: &[&str]) -> Output {
    ft_replay_in(args, None)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

/// A copy of a small golden in a fresh directory.
fn copy_golden(dir: &Path) -> PathBuf {
    let path = dir.join("g.torch.ftr");
    std::fs::copy(golden("tiny_mlp.torch.ftr"), &path).expect("copy golden");
    path
}

// ---- 1. outputs never destroy inputs or non-regular files ----

#[test]
fn an_output_may_not_be_an_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = copy_golden(dir.path());
    let before = std::fs::read(&g).expect("read");
    let link = dir.path().join("link.ftr");
    std::os::unix::fs::symlink(&g, &link).expect("symlink");
    let hard = dir.path().join("hard.ftr");
    std::fs::hard_link(&g, &hard).expect("hard link");
    for flag in ["--out", "--junit", "--perfetto"] {
        for target in [&g, &link, &hard] {
            let out = ft_replay(&["--against", s(&g), flag, s(target)]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{flag} {target:?}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains("is the input --against"),
                "{}",
                stderr(&out)
            );
        }
    }
    // OURS is an input too.
    let ours = dir.path().join("ours.ftr");
    std::fs::copy(&g, &ours).expect("copy");
    let out = ft_replay(&[s(&ours), "--against", s(&g), "--junit", s(&ours)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is the input OURS"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&g).expect("read"),
        before,
        "the input is untouched"
    );
    assert_eq!(
        std::fs::read(&ours).expect("read"),
        before,
        "OURS is untouched"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
}

#[test]
fn an_output_may_not_replace_a_non_regular_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = copy_golden(dir.path());
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let to_fifo = dir.path().join("to_fifo");
    std::os::unix::fs::symlink(&fifo, &to_fifo).expect("symlink");
    let subdir = dir.path().join("d");
    std::fs::create_dir(&subdir).expect("mkdir");
    for flag in ["--out", "--junit", "--perfetto"] {
        for (target, what) in [
            (Path::new("/dev/null"), "a device"),
            (fifo.as_path(), "a pipe"),
            (to_fifo.as_path(), "a pipe"),
            (subdir.as_path(), "a directory"),
        ] {
            let out = ft_replay(&["--against", s(&g), flag, s(target)]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{flag} {target:?}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(&format!("exists and is {what}")),
                "{}",
                stderr(&out)
            );
        }
    }
    let meta = std::fs::metadata("/dev/null").expect("/dev/null");
    assert!(!meta.is_file(), "/dev/null is still a device");
    assert!(
        !std::fs::metadata(&fifo).expect("fifo").is_file(),
        "the FIFO is still one"
    );
}

#[test]
fn the_partial_file_of_out_may_not_be_a_symlink() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = copy_golden(dir.path());
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"keep me").expect("write");
    let out_path = dir.path().join("ours.ftr");
    std::os::unix::fs::symlink(&victim, dir.path().join("ours.ftr.partial")).expect("symlink");
    let out = ft_replay(&["--against", s(&g), "--out", s(&out_path)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read(&victim).expect("read"), b"keep me");
}

#[test]
fn two_outputs_may_not_name_one_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = copy_golden(dir.path());
    let same = dir.path().join("report");
    let out = ft_replay(&[
        "--against",
        s(&g),
        "--junit",
        s(&same),
        "--perfetto",
        s(&same),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("both name"), "{}", stderr(&out));
}

#[test]
fn regular_outputs_are_written_and_no_temporary_file_is_left() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = copy_golden(dir.path());
    let junit = dir.path().join("parity.xml");
    let perfetto = dir.path().join("runs.json");
    std::fs::write(&junit, b"old").expect("write");
    let ours = dir.path().join("ours.ftr");
    let out = ft_replay(&[
        "--against",
        s(&g),
        "--junit",
        s(&junit),
        "--perfetto",
        s(&perfetto),
        "--out",
        s(&ours),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        xml.contains("<testsuites") && !xml.contains("<failure"),
        "{xml}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&perfetto).expect("perfetto")).expect("valid JSON");
    assert!(json.is_object() || json.is_array());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["g.torch.ftr", "ours.ftr", "parity.xml", "runs.json"]
    );
}

// ---- 2. a run without a verdict leaves a failing JUnit report ----

fn corrupt_copy(dir: &Path) -> PathBuf {
    let mut bytes = std::fs::read(golden("tiny_mlp.torch.ftr")).expect("read");
    bytes[12] = 7; // a reserved header byte
    let path = dir.join("bad.ftr");
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn a_failed_run_replaces_a_passing_junit_with_a_failing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = copy_golden(dir.path());
    let junit = dir.path().join("parity.xml");
    let out = ft_replay(&["--against", s(&g), "--junit", s(&junit)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let green = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        !green.contains("<error") && !green.contains("<failure"),
        "{green}"
    );

    let bad = corrupt_copy(dir.path());
    let out = ft_replay(&["--against", s(&bad), "--junit", s(&junit)]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let red = std::fs::read_to_string(&junit).expect("junit");
    assert!(red.contains("<error"), "{red}");
    assert!(red.contains("exit 4 (bad input)"), "{red}");
    assert!(red.contains("reserved bytes 12..16"), "{red}");

    // A usage error found after parsing (an output that is an input) too.
    std::fs::write(&junit, &green).expect("restore green");
    let out = ft_replay(&["--against", s(&g), "--junit", s(&junit), "--out", s(&g)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let red = std::fs::read_to_string(&junit).expect("junit");
    assert!(red.contains("exit 2 (usage error)"), "{red}");
}

// ---- 3. write errors exit 6 ----

#[test]
fn an_output_that_cannot_be_written_exits_6() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = copy_golden(dir.path());
    let missing_dir = dir.path().join("no/such/dir");
    for flag in ["--out", "--perfetto", "--junit"] {
        let target = missing_dir.join("x");
        let out = ft_replay(&["--against", s(&g), flag, s(&target)]);
        assert_eq!(out.status.code(), Some(6), "{flag}: {}", stderr(&out));
        assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    }
    // The failing write of --perfetto still turns --junit red.
    let junit = dir.path().join("parity.xml");
    let out = ft_replay(&[
        "--against",
        s(&g),
        "--perfetto",
        s(&missing_dir.join("runs.json")),
        "--junit",
        s(&junit),
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("exit 6 (output not written)"), "{xml}");
    let help = stdout(&ft_replay(&["--help"]));
    assert!(help.contains("6  an output"), "{help}");
}

// ---- 4. tolerances ----

#[test]
fn tolerances_must_be_finite_non_negative_and_paired() {
    let g = golden("tiny_mlp.torch.ftr");
    for args in [
        vec!["--rtol", "nan", "--atol", "0"],
        vec!["--rtol", "0", "--atol", "inf"],
        vec!["--rtol", "-1e-3", "--atol", "0"],
        vec!["--rtol", "1e-3"],
        vec!["--atol", "1e-3"],
        vec!["--tol", "float32=nan,0"],
        vec!["--tol", "float32=1e-3"],
        vec!["--tol", "flaot32=1e-3,1e-5"],
        vec!["--tol", "float32=1,-1"],
        vec!["--tol", "float32=1,1", "--tol", "float32=2,2"],
    ] {
        let mut all = vec!["--against", s(&g)];
        all.extend(&args);
        let out = ft_replay(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let first = stderr(&out).lines().next().unwrap_or_default().to_owned();
        assert!(first.contains("error"), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_nan_tolerance_no_longer_hides_a_value_failure_and_tol_applies_per_dtype() {
    let g = golden("mlp_train.torch.ftr");
    let fault = [
        "--inject-fault",
        "perturb=aten.addmm.default:0.01",
        "--anchor",
    ];
    let mut base = vec!["--against", s(&g)];
    base.extend(fault);
    let out = ft_replay(&base);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let mut loose = base.clone();
    loose.extend(["--tol", "float32=1,1"]);
    let out = ft_replay(&loose);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("float32 rtol 1e0, atol 1e0"),
        "{}",
        stdout(&out)
    );
    let mut other = base.clone();
    other.extend(["--tol", "float64=1,1"]);
    assert_eq!(
        ft_replay(&other).status.code(),
        Some(3),
        "another dtype's override does not apply"
    );
}

#[test]
fn tolerances_prefer_the_dtype_override() {
    let t = Tolerances::new(Some(0.5), Some(0.25)).with_dtype(
        "float16",
        Tolerance {
            rtol: 1e-3,
            atol: 1e-5,
        },
    );
    assert_eq!(t.for_dtype("float16").rtol, 1e-3);
    assert_eq!(t.for_dtype("float32").rtol, 0.5);
    let d = Tolerances::default().with_dtype(
        "float32",
        Tolerance {
            rtol: 1.0,
            atol: 2.0,
        },
    );
    assert_eq!(d.for_dtype("float32").atol, 2.0);
    assert_eq!(
        d.for_dtype("float64").rtol,
        1e-7,
        "others keep assert_close's"
    );
    assert!(
        d.describe().contains("float32 rtol 1e0, atol 2e0"),
        "{}",
        d.describe()
    );
}

// ---- 5. corrupt blobs read lazily ----

#[test]
fn a_blob_that_does_not_hash_to_its_digest_is_refused_during_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = std::fs::read(golden("tiny_mlp.torch.ftr")).expect("read");
    let reader = ft_trace::TraceReader::open(golden("tiny_mlp.torch.ftr")).expect("open");
    // The last blob: flip the last byte of its data and reframe the chunk,
    // so its checksum holds and only the digest tells.
    let at = reader.blobs().last().expect("a blob").offset as usize;
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
    let mut payload = bytes[at + 8..at + 8 + len].to_vec();
    *payload.last_mut().expect("data") ^= 0x01;
    let framed = frame_chunk(chunk_kind::BLOB, ft_trace::codec::RAW, &payload);
    bytes[at..at + framed.len()].copy_from_slice(&framed);
    let bad = dir.path().join("bad_blob.ftr");
    std::fs::write(&bad, bytes).expect("write");
    let out = ft_replay(&["--against", s(&bad)]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("not to its digest"),
        "{}",
        stderr(&out)
    );
}

// ---- 6. pipes are refused ----

#[test]
fn a_pipe_as_input_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("trace.fifo");
    mkfifo(&fifo);
    let out = ft_replay(&["--against", s(&fifo)]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file (pipe); save it to a file first"),
        "{}",
        stderr(&out)
    );
    let bytes = std::fs::read(golden("tiny_mlp.torch.ftr")).expect("read");
    let out = ft_replay_in(&["--against", "/dev/stdin"], Some(&bytes));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("(pipe)"), "{}", stderr(&out));
}

// ---- 7. control characters are escaped ----

fn program_error_trace(path: &Path, message: &str) {
    let meta = TraceMeta {
        producer: "integrity".into(),
        program: "p".into(),
        value_policy: "all".into(),
        attrs: vec![],
    };
    let mut file = FileTraceWriter::create(path, &meta).expect("create");
    let w = file.writer();
    w.append(
        &EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed: 0 })),
        0,
    )
    .expect("append");
    w.append(
        &EventBody::Api(ApiEvent::ProgramError(ProgramError {
            message: message.into(),
        })),
        0,
    )
    .expect("append");
    file.finish().expect("finish");
}

#[test]
fn trace_strings_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evil = "RuntimeError: \u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m";
    let theirs = dir.path().join("theirs.ftr");
    let ours = dir.path().join("ours.ftr");
    program_error_trace(&theirs, "RuntimeError: fine");
    program_error_trace(&ours, evil);
    let out = ft_replay(&[s(&ours), "--against", s(&theirs)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("\\x1b]0;pwned\\x07"),
        "the message is shown escaped: {text}"
    );
    for raw in ['\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(!text.contains(raw), "raw {raw:?} in {text:?}");
    }
    // A path with controls in an error line on stderr.
    let named = dir.path().join("evil\u{1b}]0;t\u{7}.ftr");
    std::fs::write(&named, b"not a trace at all").expect("write");
    let out = ft_replay(&["--against", s(&named)]);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("evil\\x1b]0;t\\x07.ftr"), "{err}");
}
