//! Sparse COO tensor references (format 2.4): the Python writer's fixture
//! is rewritten byte for byte by the Rust writer, sparse references round
//! trip, a file says minor 4 only when it holds one, and a malformed
//! reference is refused with one line naming the field and its offset.

use std::path::PathBuf;

use ft_trace::format::{SPARSE_TENSOR_MINOR, VERSION_MAJOR};
use ft_trace::value::SparseParts;
use ft_trace::{AutogradEvent, EventBody, TensorRef, TraceReader};

mod layout_refs;

use layout_refs::{intro, read_error, strided, write};

fn fixture() -> PathBuf {
    layout_refs::fixture("sparse_coo.ftr")
}

/// A `[10, 3]` float32 sparse tensor of `nnz` rows.
fn sparse(id: u64, nnz: i64) -> TensorRef {
    TensorRef {
        stride: Vec::new().into(),
        sparse: Some(Box::new(SparseParts {
            layout: "sparse_coo".into(),
            sparse_dim: 1,
            dense_dim: 1,
            coalesced: false,
            indices: strided(id + 1, "int64", &[1, nnz]),
            values: strided(id + 2, "float32", &[nnz, 3]),
        })),
        ..strided(id, "float32", &[10, 3])
    }
}

#[test]
fn the_python_fixture_is_rewritten_byte_for_byte() {
    let original = std::fs::read(fixture()).expect("fixture: run scripts/make_sparse_fixture.py");
    let mut reader = TraceReader::open(fixture()).expect("open");
    assert_eq!(reader.version(), (VERSION_MAJOR, SPARSE_TENSOR_MINOR));
    let rewritten = ft_trace::rewrite::rewrite_to_vec(&mut reader).expect("rewrite");
    assert!(original == rewritten, "the Rust writer's bytes differ");
}

#[test]
fn the_fixture_s_sparse_references_decode() {
    let events = TraceReader::open(fixture())
        .expect("open")
        .read_all()
        .expect("events");
    let sparse: Vec<&TensorRef> = events
        .iter()
        .flat_map(|e| e.body.tensor_refs())
        .filter(|t| t.sparse.is_some())
        .collect();
    assert_eq!(sparse.len(), 10, "every sparse reference of the fixture");
    let accumulated = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => Some(&a.grad),
            _ => None,
        })
        .expect("the accumulated sparse gradient");
    let parts = accumulated.sparse.as_ref().expect("sparse");
    assert_eq!(
        (parts.sparse_dim, parts.dense_dim, parts.coalesced),
        (1, 1, false)
    );
    assert_eq!(parts.nnz(), 6);
    assert_eq!(&*parts.indices.dtype, "int64");
    assert!(parts.indices.value.is_some() && parts.values.value.is_some());
    assert!(accumulated.has_digest() && accumulated.value.is_none());
    // the structural form drops the parts' digests too
    let structural = accumulated.structural();
    let parts = structural.sparse.as_ref().expect("sparse");
    assert!(parts.indices.value.is_none() && parts.values.value.is_none());
}

#[test]
fn sparse_references_round_trip_and_raise_the_minor_only_when_held() {
    let dir = tempfile::tempdir().expect("tempdir");
    let strided_only = write(dir.path(), &[intro(strided(0, "float32", &[2, 2]))]);
    assert_eq!(
        TraceReader::open(&strided_only).expect("open").version(),
        (VERSION_MAJOR, 0)
    );
    let events = [
        intro(strided(0, "float32", &[2, 2])),
        intro(sparse(1, 4)),
        intro(sparse(4, 0)),
    ];
    let path = write(dir.path(), &events);
    let mut reader = TraceReader::open(&path).expect("open");
    assert_eq!(reader.version(), (VERSION_MAJOR, SPARSE_TENSOR_MINOR));
    let read: Vec<EventBody> = reader
        .read_all()
        .expect("events")
        .into_iter()
        .map(|e| e.body)
        .collect();
    assert_eq!(read, events);
}

#[test]
fn a_sparse_reference_under_a_2_3_header_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &[intro(sparse(0, 2))]);
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[ft_trace::format::MINOR_OFFSET as usize] = 3;
    std::fs::write(&path, &bytes).expect("write");
    let error = read_error(&path);
    assert!(error.contains("minor version 3"), "{error}");
}

/// Each malformed sparse reference is refused in one line naming
/// `tensor.sparse` (or the part's field) and the byte it starts at.
#[test]
fn malformed_sparse_references_are_refused_naming_the_field() {
    type Break = fn(&mut TensorRef);
    let cases: [(&str, Break, &str); 9] = [
        (
            "layout",
            |t| part(t).layout = "sparse_csr".into(),
            "layout \"sparse_csr\" is not sparse_coo",
        ),
        (
            "indices dtype",
            |t| part(t).indices.dtype = "int32".into(),
            "indices are int32, not int64",
        ),
        (
            "indices rank",
            |t| part(t).indices.shape = vec![4].into(),
            "are not [sparse_dim=1, nnz]",
        ),
        (
            "nnz",
            |t| part(t).values.shape = vec![5, 3].into(),
            "are not [nnz=4]",
        ),
        (
            "dense sizes",
            |t| part(t).values.shape = vec![4, 2].into(),
            "do not have the dense sizes",
        ),
        (
            "rank",
            |t| part(t).dense_dim = 0,
            "are not [nnz=4] and dense_dim=0",
        ),
        (
            "dtype",
            |t| part(t).values.dtype = "float64".into(),
            "values are float64, the tensor float32",
        ),
        ("strides", |t| t.stride = vec![3, 1].into(), "no strides"),
        (
            "nested",
            |t| part(t).values.sparse = Some(Box::new(part(&mut sparse(9, 4)).clone())),
            "tensor at byte",
        ),
    ];
    for (name, break_it, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = sparse(0, 4);
        break_it(&mut t);
        let error = read_error(&write(dir.path(), &[intro(t)]));
        assert!(error.contains(expected), "{name}: {error}");
        assert!(error.contains(" at byte "), "{name}: no offset in {error}");
        assert!(!error.contains('\n'), "{name}: not one line: {error}");
        if name != "nested" {
            assert!(
                error.contains("tensor.sparse"),
                "{name}: no field in {error}"
            );
        }
    }
}

fn part(t: &mut TensorRef) -> &mut SparseParts {
    t.sparse.as_mut().expect("sparse")
}
