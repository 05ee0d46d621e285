//! VIEW chunks (format 2.5): which values the writer stores as strided views
//! of an earlier value, that readers gather them back bit for bit, and that
//! a damaged view is refused rather than read as a wrong value.

use std::path::{Path, PathBuf};

use ft_trace::format::{self, chunk_kind};
use ft_trace::verify::verify_file;
use ft_trace::{
    ApiEvent, Context, Digest, DispatchEvent, EventBody, FileTraceWriter, OpCall, TensorRef,
    TraceError, TraceMeta, TraceReader, Value, ViewRecord,
};

fn meta() -> TraceMeta {
    TraceMeta {
        producer: "views-test".into(),
        program: "synthetic".into(),
        value_policy: "all".into(),
        attrs: vec![],
    }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ft-views-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn reference(id: u64, shape: &[i64], stride: &[i64], offset: i64, value: Digest) -> TensorRef {
    TensorRef {
        id,
        dtype: "float32".into(),
        shape: shape.to_vec().into(),
        stride: stride.to_vec().into(),
        offset,
        storage: 0,
        device: "cpu".into(),
        requires_grad: false,
        version: 0,
        value: Some(value),
        sparse: None,
        nested: None,
    }
}

fn intro(t: TensorRef) -> EventBody {
    EventBody::Api(ApiEvent::Tensor(ft_trace::TensorIntro {
        tensor: Box::new(t),
        alias: false,
    }))
}

fn op(name: &str, input: TensorRef, output: TensorRef) -> EventBody {
    let mut input = input;
    input.value = None;
    EventBody::Dispatch(DispatchEvent::Op(OpCall {
        op: name.into(),
        keyset: vec!["CPU".into()].into(),
        chain: Vec::<ft_trace::ChainStep>::new().into(),
        args: vec![("self".into(), Value::Tensor(Box::new(input)))],
        outputs: vec![Value::Tensor(Box::new(output))],
        context: Context::TopLevel,
    }))
}

fn f32_bytes(values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    values.into_iter().flat_map(f32::to_le_bytes).collect()
}

/// The C-order bytes of the 8×16 transpose of a 16×8 matrix.
fn transposed_16x8(m: &[f32]) -> Vec<u8> {
    f32_bytes((0..8).flat_map(|j| (0..16).map(move |i| m[i * 8 + j])))
}

/// A 16×8 matrix, its transpose (a view), a row slice (a view), the
/// transpose of a modified matrix on the same storage (not a view: the
/// storage changed), and a small transposed corner (a BLOB: too small).
struct Written {
    path: PathBuf,
    base: Vec<u8>,
    transposed: (Digest, Vec<u8>),
    rows: (Digest, Vec<u8>),
    stale: Digest,
    corner: Digest,
}

fn write(name: &str) -> Written {
    let path = temp(name);
    let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
    let w = file.writer();
    let base: Vec<f32> = (0..128).map(|i| i as f32 * 0.5 - 3.0).collect();
    let base_bytes = f32_bytes(base.iter().copied());
    let d_base = w.put_blob("float32", &[16, 8], &base_bytes).expect("put");
    let base_ref = reference(0, &[16, 8], &[8, 1], 0, d_base);
    w.append(&intro(base_ref.clone()), 0).expect("append");

    let transposed = transposed_16x8(&base);
    let d_t = w.put_blob("float32", &[8, 16], &transposed).expect("put");
    w.append(
        &op(
            "aten.t.default",
            base_ref.clone(),
            reference(1, &[8, 16], &[1, 8], 0, d_t),
        ),
        0,
    )
    .expect("append");

    let rows = f32_bytes(base[16..80].iter().copied());
    let d_rows = w.put_blob("float32", &[8, 8], &rows).expect("put");
    w.append(
        &op(
            "aten.slice.Tensor",
            base_ref.clone(),
            reference(2, &[8, 8], &[8, 1], 16, d_rows),
        ),
        0,
    )
    .expect("append");

    // The storage is written in place, but its new value is not stored
    // before the transpose of it is: the transpose is not a view of what
    // the file holds.
    let changed: Vec<f32> = base.iter().map(|v| v + 1.0).collect();
    let stale = transposed_16x8(&changed);
    let d_stale = w.put_blob("float32", &[8, 16], &stale).expect("put");
    w.append(
        &op(
            "aten.t.default",
            base_ref.clone(),
            reference(3, &[8, 16], &[1, 8], 0, d_stale),
        ),
        0,
    )
    .expect("append");

    let corner = f32_bytes([base[0], base[8], base[1], base[9]]);
    let d_corner = w.put_blob("float32", &[2, 2], &corner).expect("put");
    w.append(
        &op(
            "aten.t.default",
            base_ref,
            reference(4, &[2, 2], &[1, 8], 0, d_corner),
        ),
        0,
    )
    .expect("append");
    file.finish().expect("finish");
    Written {
        path,
        base: base_bytes,
        transposed: (d_t, transposed),
        rows: (d_rows, rows),
        stale: d_stale,
        corner: d_corner,
    }
}

fn chunk_kind_of(reader: &TraceReader, path: &Path, digest: &Digest) -> u8 {
    let entry = reader
        .blobs()
        .iter()
        .find(|b| b.digest == *digest)
        .expect("indexed");
    let bytes = std::fs::read(path).expect("read");
    bytes[entry.offset as usize + 4]
}

#[test]
fn transposes_and_slices_of_the_latest_value_are_views_read_back_exactly() {
    let w = write("views.ftr");
    let mut reader = TraceReader::open(&w.path).expect("open");
    reader.read_all().expect("events and minor check");
    assert_eq!(reader.version(), (2, format::VIEW_MINOR));
    assert_eq!(
        chunk_kind_of(&reader, &w.path, &w.transposed.0),
        chunk_kind::VIEW
    );
    assert_eq!(chunk_kind_of(&reader, &w.path, &w.rows.0), chunk_kind::VIEW);
    assert_eq!(chunk_kind_of(&reader, &w.path, &w.stale), chunk_kind::BLOB);
    assert_eq!(chunk_kind_of(&reader, &w.path, &w.corner), chunk_kind::BLOB);
    let t = reader
        .blob(&w.transposed.0)
        .expect("read")
        .expect("present");
    assert_eq!(t.data, w.transposed.1);
    assert_eq!(t.shape, vec![8, 16]);
    let rows = reader.blob(&w.rows.0).expect("read").expect("present");
    assert_eq!(rows.data, w.rows.1);
    assert!(verify_file(&w.path).expect("verify").problems.is_empty());
    // The rewrite (what both writers must produce) is the same file.
    let again = ft_trace::rewrite::rewrite_to_vec(&mut reader).expect("rewrite");
    assert_eq!(again, std::fs::read(&w.path).expect("read"));
    assert_eq!(w.base.len(), 512);
}

#[test]
fn a_view_of_a_base_written_long_before_is_confirmed_from_the_file() {
    // The writer confirms views against the data it wrote last (32 MiB);
    // a base written before more than that is read back from the file.
    let path = temp("view-of-an-old-base.ftr");
    let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
    let w = file.writer();
    let base: Vec<f32> = (0..128).map(|i| i as f32 * 0.25 + 1.0).collect();
    let d_base = w
        .put_blob("float32", &[16, 8], &f32_bytes(base.iter().copied()))
        .expect("put");
    let base_ref = reference(0, &[16, 8], &[8, 1], 0, d_base);
    w.append(&intro(base_ref.clone()), 0).expect("append");
    let filler_len: i64 = 3 << 20; // elements: 12 MiB a value
    for k in 1..=3u64 {
        let data = f32_bytes((0..filler_len).map(|i| (i % 977) as f32 + k as f32));
        let d = w.put_blob("float32", &[filler_len], &data).expect("put");
        let mut filler = reference(k, &[filler_len], &[1], 0, d);
        filler.storage = k;
        w.append(&intro(filler), 0).expect("append");
    }
    let transposed = transposed_16x8(&base);
    let d_t = w.put_blob("float32", &[8, 16], &transposed).expect("put");
    w.append(
        &op(
            "aten.t.default",
            base_ref,
            reference(9, &[8, 16], &[1, 8], 0, d_t),
        ),
        0,
    )
    .expect("append");
    file.finish().expect("finish");
    let mut reader = TraceReader::open(&path).expect("open");
    reader.read_all().expect("events");
    assert_eq!(chunk_kind_of(&reader, &path, &d_t), chunk_kind::VIEW);
    let t = reader.blob(&d_t).expect("read").expect("present");
    assert_eq!(t.data, transposed);
    let again = ft_trace::rewrite::rewrite_to_vec(&mut reader).expect("rewrite");
    assert_eq!(again, std::fs::read(&path).expect("read"));
    std::fs::remove_file(&path).expect("remove");
}

/// Replaces the VIEW chunk of `digest` by one with `edit` applied (same
/// length, checksum recomputed), so only the view's meaning is wrong.
fn damage_view(path: &Path, digest: &Digest, edit: impl Fn(&mut ViewRecord)) {
    let reader = TraceReader::open(path).expect("open");
    let entry = *reader
        .blobs()
        .iter()
        .find(|b| b.digest == *digest)
        .expect("indexed");
    let mut bytes = std::fs::read(path).expect("read");
    let at = entry.offset as usize;
    let len = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
    let payload = &bytes[at + 8..at + 8 + len];
    let mut view: ViewRecord = rmp_serde::from_slice(payload).expect("view");
    edit(&mut view);
    let encoded = rmp_serde::to_vec(&view).expect("encode");
    assert_eq!(encoded.len(), len, "the edit keeps the length");
    let framed = format::frame_chunk(chunk_kind::VIEW, ft_trace::codec::RAW, &encoded);
    bytes[at..at + framed.len()].copy_from_slice(&framed);
    std::fs::write(path, bytes).expect("write");
}

fn corrupt_detail(result: Result<Option<ft_trace::BlobRecord>, TraceError>) -> String {
    match result {
        Err(TraceError::CorruptChunk { detail, .. }) => detail,
        other => panic!("expected a corrupt chunk, got {other:?}"),
    }
}

#[test]
fn a_view_gathering_other_elements_is_refused_by_reader_and_verify() {
    let w = write("shifted.ftr");
    damage_view(&w.path, &w.rows.0, |v| v.offset = 17);
    let mut reader = TraceReader::open(&w.path).expect("open");
    let detail = corrupt_detail(reader.blob(&w.rows.0));
    assert!(detail.contains("not to its digest"), "{detail}");
    let problems = verify_file(&w.path).expect("verify").problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].describe().contains("VIEW"),
        "{}",
        problems[0].describe()
    );
}

#[test]
fn a_view_reading_past_its_base_is_refused() {
    let w = write("outside.ftr");
    damage_view(&w.path, &w.transposed.0, |v| v.offset = 1);
    let mut reader = TraceReader::open(&w.path).expect("open");
    let detail = corrupt_detail(reader.blob(&w.transposed.0));
    assert!(
        detail.contains("reads outside its base's 128 elements"),
        "{detail}"
    );
}

#[test]
fn a_view_whose_base_is_not_an_earlier_blob_is_refused() {
    let w = write("orphan.ftr");
    let stale = w.stale;
    damage_view(&w.path, &w.transposed.0, |v| v.base = stale);
    let mut reader = TraceReader::open(&w.path).expect("open");
    let detail = corrupt_detail(reader.blob(&w.transposed.0));
    assert!(detail.contains("is not an earlier BLOB"), "{detail}");
}
