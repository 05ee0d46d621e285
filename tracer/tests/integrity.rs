//! Every byte of a trace is covered by a checksum or a validity rule
//! (docs/FORMAT.md §2): each test damages one region that no check covered
//! before — the header's minor version and reserved bytes, bytes after the
//! INDEX chunk, chunks the index does not place, a blob's content and its
//! shape — and the reader must refuse it. Inputs that are not regular files
//! (a pipe, a device, a directory) are refused at once instead of hanging.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ft_trace::format::{self, TraceIndex, chunk_kind, frame_chunk};
use ft_trace::{
    ApiEvent, BlobRecord, EventBody, FileTraceWriter, ManualSeed, TraceError, TraceMeta,
    TraceReader,
};

fn meta() -> TraceMeta {
    TraceMeta {
        producer: "integrity".into(),
        program: "p".into(),
        value_policy: "all".into(),
        attrs: vec![],
    }
}

/// A small complete trace: two blobs and a few events (minor 1).
fn sample(dir: &Path) -> PathBuf {
    let path = dir.join("sample.ftr");
    let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
    let w = file.writer();
    w.put_blob("float32", &[2], &[0, 0, 128, 63, 0, 0, 0, 64])
        .expect("blob");
    w.put_blob("int64", &[1], &7i64.to_le_bytes())
        .expect("blob");
    for seed in 0..5 {
        w.append(
            &EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed })),
            0,
        )
        .expect("append");
    }
    file.finish().expect("finish");
    path
}

/// Opens and reads every event and every blob.
fn read_everything(path: &Path) -> Result<(), TraceError> {
    let mut reader = TraceReader::open(path)?;
    reader.read_all()?;
    for entry in reader.blobs().to_vec() {
        reader.blob(&entry.digest)?;
    }
    Ok(())
}

fn index_offset(bytes: &[u8]) -> usize {
    let t = bytes.len() - 16;
    u64::from_le_bytes(bytes[t..t + 8].try_into().expect("8 bytes")) as usize
}

fn index_of(bytes: &[u8]) -> TraceIndex {
    let at = index_offset(bytes);
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
    rmp_serde::from_slice(&bytes[at + 8..at + 8 + len]).expect("index decodes")
}

/// Replaces the INDEX chunk and trailer (everything from the index on).
fn with_index(bytes: &[u8], index: &TraceIndex) -> Vec<u8> {
    append_index(bytes[..index_offset(bytes)].to_vec(), index)
}

/// Appends an INDEX chunk and the trailer pointing at it.
fn append_index(mut bytes: Vec<u8>, index: &TraceIndex) -> Vec<u8> {
    let at = bytes.len() as u64;
    bytes.extend(frame_chunk(
        chunk_kind::INDEX,
        ft_trace::codec::RAW,
        &rmp_serde::to_vec(index).expect("encode"),
    ));
    bytes.extend(format::trailer(at));
    bytes
}

/// Inserts a chunk just before the INDEX chunk, index contents unchanged.
fn insert_before_index(bytes: &[u8], chunk: &[u8]) -> Vec<u8> {
    let mut out = bytes[..index_offset(bytes)].to_vec();
    out.extend_from_slice(chunk);
    append_index(out, &index_of(bytes))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn expect_refused(path: &Path, needle: &str) {
    match read_everything(path) {
        Ok(()) => panic!(
            "{} was accepted; expected an error about {needle:?}",
            path.display()
        ),
        Err(e) => assert!(
            e.to_string().contains(needle),
            "error {e} does not mention {needle:?}"
        ),
    }
}

#[test]
fn the_sample_itself_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    read_everything(&sample(dir.path())).expect("an undamaged trace reads");
}

#[test]
fn reserved_header_bytes_must_be_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = std::fs::read(sample(dir.path())).expect("read");
    for at in 12..16 {
        bytes[at] = 1;
        let path = write(dir.path(), "reserved.ftr", &bytes);
        expect_refused(&path, "reserved bytes 12..16");
        bytes[at] = 0;
    }
}

#[test]
fn minor_version_must_be_the_one_the_events_need() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = std::fs::read(sample(dir.path())).expect("read");
    assert_eq!(&bytes[8..12], &[2, 0, 0, 0], "the sample is a 2.0 file");
    for minor in [1u16, 3, 0x0101] {
        bytes[10..12].copy_from_slice(&minor.to_le_bytes());
        let path = write(dir.path(), "minor.ftr", &bytes);
        expect_refused(&path, "need exactly 0");
    }
    // A 1.x file: the floor is 1 and a 1.1 file says exactly 1.
    let legacy =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy_1_1_mlp_train.ftr");
    let mut bytes = std::fs::read(legacy).expect("read fixture");
    assert_eq!(&bytes[8..12], &[1, 0, 1, 0], "the fixture is a 1.1 file");
    for (minor, needle) in [
        (0u16, "below 1"),
        (2, "need exactly 1"),
        (format::LEGACY_NEWEST_MINOR, "need exactly 1"),
        (0x0101, "need exactly 1"),
    ] {
        bytes[10..12].copy_from_slice(&minor.to_le_bytes());
        let path = write(dir.path(), "minor.ftr", &bytes);
        expect_refused(&path, needle);
    }
}

/// Byte 5 of a chunk header names its encoding: a 2.0 file may use zstd,
/// a 1.x file only raw chunks, and no file an unknown encoding.
#[test]
fn chunk_encodings_are_checked_per_major() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(sample(dir.path())).expect("read");
    let events_at = {
        let reader =
            ft_trace::TraceReader::open(write(dir.path(), "s.ftr", &bytes)).expect("open sample");
        reader.index().chunks[0].offset as usize
    };
    assert_eq!(
        bytes[events_at + 5],
        ft_trace::codec::ZSTD,
        "EVENTS chunks are compressed"
    );
    let mut unknown = bytes.clone();
    unknown[events_at + 5] = 7;
    expect_refused(
        &write(dir.path(), "enc.ftr", &unknown),
        "invalid chunk header",
    );

    let legacy =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy_1_1_mlp_train.ftr");
    let mut bytes = std::fs::read(legacy).expect("read fixture");
    let events_at = {
        let reader =
            ft_trace::TraceReader::open(write(dir.path(), "l.ftr", &bytes)).expect("open fixture");
        reader.index().chunks[0].offset as usize
    };
    assert_eq!(bytes[events_at + 5], ft_trace::codec::RAW);
    bytes[events_at + 5] = ft_trace::codec::ZSTD;
    expect_refused(&write(dir.path(), "l2.ftr", &bytes), "invalid chunk header");
}

#[test]
fn nothing_may_lie_between_index_and_trailer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(sample(dir.path())).expect("read");
    let trailer_at = bytes.len() - 16;
    let mut padded = bytes[..trailer_at].to_vec();
    padded.extend_from_slice(&[0u8; 5]);
    padded.extend_from_slice(&bytes[trailer_at..]);
    let path = write(dir.path(), "padded.ftr", &padded);
    expect_refused(&path, "nothing may lie between them");
}

#[test]
fn chunks_must_tile_the_file_as_the_index_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(sample(dir.path())).expect("read");
    // A blob chunk the index does not list.
    let stray = BlobRecord {
        digest: ft_trace::blob_digest("int64", &[1], &9i64.to_le_bytes()),
        dtype: "int64".into(),
        shape: vec![1],
        data: 9i64.to_le_bytes().to_vec(),
    };
    let chunk = frame_chunk(
        chunk_kind::BLOB,
        ft_trace::codec::RAW,
        &rmp_serde::to_vec(&stray).expect("encode"),
    );
    let path = write(
        dir.path(),
        "stray.ftr",
        &insert_before_index(&bytes, &chunk),
    );
    expect_refused(&path, "not where the footer index places chunks");
    // Garbage bytes between two chunks.
    let path = write(
        dir.path(),
        "garbage.ftr",
        &insert_before_index(&bytes, &[0u8; 40]),
    );
    assert!(read_everything(&path).is_err(), "garbage between chunks");
    // A chunk of a kind from a newer minor is skipped when its checksum holds...
    let unknown = frame_chunk(9, ft_trace::codec::RAW, b"\x90");
    let path = write(
        dir.path(),
        "unknown.ftr",
        &insert_before_index(&bytes, &unknown),
    );
    read_everything(&path).expect("an unknown chunk kind with a valid checksum is skipped");
    // ...and refused when it does not.
    let mut damaged = unknown.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let path = write(
        dir.path(),
        "unknown_bad.ftr",
        &insert_before_index(&bytes, &damaged),
    );
    expect_refused(&path, "checksum mismatch");
}

#[test]
fn footer_counts_must_match_the_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(sample(dir.path())).expect("read");
    let mut index = index_of(&bytes);
    index.layer_counts = [4, 1, 0, 0];
    let path = write(dir.path(), "counts.ftr", &with_index(&bytes, &index));
    expect_refused(&path, "footer's counts");
}

#[test]
fn a_blob_must_hash_to_its_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = std::fs::read(sample(dir.path())).expect("read");
    let entry = index_of(&bytes).blobs[0];
    let at = entry.offset as usize;
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
    let mut record: BlobRecord =
        rmp_serde::from_slice(&bytes[at + 8..at + 8 + len]).expect("blob decodes");
    record.data[3] ^= 0x40; // 1.0 -> another float; digest left as it was
    let framed = frame_chunk(
        chunk_kind::BLOB,
        ft_trace::codec::RAW,
        &rmp_serde::to_vec(&record).expect("encode"),
    );
    assert_eq!(framed.len(), len + 40, "same size, so offsets stay valid");
    bytes[at..at + framed.len()].copy_from_slice(&framed);
    let path = write(dir.path(), "content.ftr", &bytes);
    let mut reader = TraceReader::open(&path).expect("the framing is intact");
    reader.read_all().expect("events are intact");
    let err = reader
        .blob(&entry.digest)
        .expect_err("content does not hash to the digest");
    assert!(err.to_string().contains("not to its digest"), "{err}");
}

#[test]
fn a_blob_shape_must_fit_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, dtype, shape, data) in [
        ("short", "float32", vec![3i64], vec![0u8; 8]),
        ("negative", "float32", vec![-2i64], vec![0u8; 8]),
        ("empty", "float32", vec![0i64], vec![0u8; 4]),
        ("unknown_dtype", "float8_e4m3fn", vec![3i64], vec![0u8; 4]),
    ] {
        let path = dir.path().join(format!("{name}.ftr"));
        let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
        file.writer().put_blob(dtype, &shape, &data).expect("blob");
        file.finish().expect("finish");
        expect_refused(&path, "blob shape");
    }
}

/// Runs `f` on another thread; a hang fails the test instead of blocking it.
fn within_seconds<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the reader hung on a non-regular input")
}

#[cfg(unix)]
#[test]
fn a_pipe_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("trace.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let err = within_seconds(move || TraceReader::recover(&fifo).err().map(|e| e.to_string()))
        .expect("a pipe is refused");
    assert!(
        err.contains("not a regular file (pipe); save it to a file first"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn devices_and_directories_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_owned();
    let err = within_seconds(move || TraceReader::open(&path).err().map(|e| e.to_string()))
        .expect("a directory is refused");
    assert!(err.contains("not a regular file (directory)"), "{err}");
    let err = within_seconds(|| TraceReader::open("/dev/null").err().map(|e| e.to_string()))
        .expect("a device is refused");
    assert!(
        err.contains("not a regular file (character device)"),
        "{err}"
    );
}

/// The five events of [`sample`], each seed written as a full `uint64`
/// instead of msgpack's shortest form (a positive fixint).
fn sample_events_long_form(seeds: impl Iterator<Item = u64>) -> Vec<u8> {
    let mut payload = vec![0x95];
    for (seq, seed) in seeds.enumerate() {
        // [seq, layer 0, kind 5 (manual_seed), [seed], ts 0]
        payload.extend_from_slice(&[0x95, seq as u8, 0x00, 0x05, 0x91, 0xcf]);
        payload.extend_from_slice(&seed.to_be_bytes());
        payload.push(0x00);
    }
    payload
}

/// Replaces the EVENTS chunk (the last chunk before the index) with `payload`.
fn with_events_payload(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let index = index_of(bytes);
    let events_at = index.chunks[0].offset as usize;
    let events_len = u32::from_le_bytes(bytes[events_at..events_at + 4].try_into().expect("4"));
    assert_eq!(
        events_at + 8 + events_len as usize + 32,
        index_offset(bytes),
        "the events chunk is the last before the index"
    );
    let mut out = bytes[..events_at].to_vec();
    out.extend(frame_chunk(
        chunk_kind::EVENTS,
        ft_trace::codec::RAW,
        payload,
    ));
    append_index(out, &index)
}

#[test]
fn events_stored_in_longer_msgpack_forms_read_by_their_meaning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(sample(dir.path())).expect("read");
    let expected = TraceReader::open(sample(dir.path()))
        .expect("open")
        .read_all()
        .expect("read");
    let long = with_events_payload(&bytes, &sample_events_long_form(0..5));
    let path = write(dir.path(), "long.ftr", &long);
    let events = TraceReader::open(&path)
        .expect("open")
        .read_all()
        .expect("the chain covers the events' meaning, not their encoding");
    assert_eq!(events, expected);
    // The same encoding with one seed changed is still caught by the chain.
    let changed = with_events_payload(
        &bytes,
        &sample_events_long_form([0, 1, 2, 9, 4].into_iter()),
    );
    expect_refused(&write(dir.path(), "changed.ftr", &changed), "chain hash");
}

#[test]
fn an_event_count_no_memory_can_hold_is_refused_not_allocated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(sample(dir.path())).expect("read");
    for count in [u64::MAX, 1 << 40] {
        let mut index = index_of(&bytes);
        index.event_count = count;
        let path = write(dir.path(), "inflated.ftr", &with_index(&bytes, &index));
        match TraceReader::open(&path).and_then(|mut r| r.read_all()) {
            Ok(events) => panic!(
                "{} events read from an index claiming {count}",
                events.len()
            ),
            Err(e) => assert!(
                e.to_string().contains(&count.to_string()),
                "error {e} does not name the claimed count {count}"
            ),
        }
    }
}
