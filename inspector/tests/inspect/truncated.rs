//! Truncated and damaged traces open and say so.

use std::fs;

use ft_inspect::trace::TraceData;
use ft_trace::TraceReader;

use crate::support::{Ending, draw, open, write_trace};

#[test]
fn crashed_recording_opens_with_its_readable_part_and_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Chunks close after #6 and #12; the writer dies after #15, flushing #13..#15.
    let partial = write_trace(dir.path(), "mul_sum.ftr", Ending::CrashAfter(15));
    assert!(
        TraceReader::open(&partial).is_err(),
        "strict open refuses it"
    );
    let (mut app, mut reader) = open(&partial);
    assert_eq!(app.primary.data.events.len(), 16);
    let damage = app.primary.data.damage.clone().expect("marked truncated");
    assert!(damage.truncated);
    app.fetch_values(&mut reader);
    let screen = draw(&mut app, 80, 24);
    let text = format!("{}", screen.backend());
    assert!(
        text.contains(&format!("truncated at offset {}", damage.offset)),
        "{text}"
    );
}

#[test]
fn trace_cut_inside_a_chunk_shows_everything_before_the_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let second_chunk = TraceReader::open(&path).expect("complete").index().chunks[1].offset;
    let bytes = fs::read(&path).expect("read");
    fs::write(&path, &bytes[..second_chunk as usize + 40]).expect("cut");

    let (mut app, mut reader) = open(&path);
    // The first chunk (#0..#6); of the cut one (compressed: one zstd block)
    // no event decodes.
    let salvaged = reader.truncation().expect("truncated").salvaged as usize;
    assert_eq!(salvaged, 0);
    assert_eq!(app.primary.data.events.len(), 7);
    let damage = app.primary.data.damage.clone().expect("truncated");
    assert_eq!(damage.offset, second_chunk);
    app.fetch_values(&mut reader);
    insta::assert_snapshot!("cut_trace_80x24", draw(&mut app, 80, 24).backend());
}

#[test]
fn damaged_chunk_in_a_complete_trace_stops_there_instead_of_failing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let third_chunk = TraceReader::open(&path).expect("complete").index().chunks[2].offset;
    let mut bytes = fs::read(&path).expect("read");
    bytes[third_chunk as usize + 12] ^= 0xff; // inside the payload: checksum fails
    fs::write(&path, &bytes).expect("write");

    let (data, _reader) = TraceData::open(&path).expect("opens");
    assert_eq!(data.events.len(), 13, "#0..#12");
    let damage = data.damage.expect("damaged");
    assert!(!damage.truncated);
    assert_eq!(damage.offset, third_chunk);
    assert!(damage.detail.contains("checksum"), "{}", damage.detail);
}

#[test]
fn recording_that_died_before_its_first_event_opens_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.ftr");
    drop(ft_trace::FileTraceWriter::create(&path, &crate::support::meta()).expect("create"));
    let partial = ft_trace::partial_path(&path);
    let (mut app, mut reader) = open(&partial);
    assert!(app.primary.data.events.is_empty());
    assert!(app.primary.data.damage.is_some());
    app.update(ft_inspect::Action::Down);
    app.update(ft_inspect::Action::NextSame);
    app.fetch_values(&mut reader);
    let text = format!("{}", draw(&mut app, 80, 24).backend());
    assert!(text.contains("truncated at offset"), "{text}");
    assert!(text.contains("no readable events"), "{text}");
}

#[test]
fn truncated_trace_from_a_newer_minor_version_with_unknown_kinds_opens() {
    use ft_trace::format::{chunk_kind, file_header, frame_chunk};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newer.ftr");
    let mut bytes = file_header().to_vec();
    // ["p", "q", "all", []]
    let meta = [0x94, 0xa1, b'p', 0xa1, b'q', 0xa3, b'a', b'l', b'l', 0x90];
    bytes.extend(frame_chunk(chunk_kind::META, ft_trace::codec::RAW, &meta));
    // [[0, 2, 99, [1, 2], 0]]: one event of an autograd kind this build lacks.
    bytes.extend(frame_chunk(
        chunk_kind::EVENTS,
        ft_trace::codec::RAW,
        &[0x91, 0x95, 0, 2, 99, 0x92, 1, 2, 0],
    ));
    fs::write(&path, &bytes).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ft-inspect"))
        .arg(&path)
        .arg("--dump")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Truncated: the readable part is printed, and the dump says it is not
    // the whole trace.
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("truncated at offset"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("kind 99"), "{stdout}");
}
