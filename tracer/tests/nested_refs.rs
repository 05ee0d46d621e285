//! Nested tensor references (format 2.6): the Python writer's fixture is
//! rewritten byte for byte by the Rust writer, nested references round trip
//! on both decoding paths, a file says minor 6 only when it holds one, and a
//! malformed reference is refused with one line naming the field and its
//! offset.

use std::path::PathBuf;

use ft_trace::format::{NESTED_TENSOR_MINOR, VERSION_MAJOR};
use ft_trace::value::NestedParts;
use ft_trace::{EventBody, TensorRef, TraceReader, Value};

mod layout_refs;

use layout_refs::{intro, read_error, strided, write};

fn fixture() -> PathBuf {
    layout_refs::fixture("nested.ftr")
}

/// A float32 nested tensor of components `[rows, 8]` packed in its buffer.
fn nested(id: u64, rows: &[i64]) -> TensorRef {
    let sizes: Vec<Vec<i64>> = rows.iter().map(|&r| vec![r, 8]).collect();
    let strides = vec![vec![8, 1]; rows.len()];
    let mut offsets = Vec::new();
    let mut at = 0;
    for &r in rows {
        offsets.push(at);
        at += r * 8;
    }
    let buffer = TensorRef {
        storage: id,
        ..strided(id + 1, "float32", &[at])
    };
    let parts = NestedParts::new(sizes, strides, offsets, buffer);
    let shape = parts.opt_sizes().unwrap_or_else(|| vec![0]);
    TensorRef {
        stride: Vec::new().into(),
        nested: Some(Box::new(parts)),
        ..strided(id, "float32", &shape)
    }
}

fn parts(t: &mut TensorRef) -> &mut NestedParts {
    t.nested.as_mut().expect("nested")
}

#[test]
fn the_python_fixture_is_rewritten_byte_for_byte() {
    let original = std::fs::read(fixture()).expect("fixture: run scripts/make_nested_fixture.py");
    let mut reader = TraceReader::open(fixture()).expect("open");
    assert_eq!(reader.version(), (VERSION_MAJOR, NESTED_TENSOR_MINOR));
    let rewritten = ft_trace::rewrite::rewrite_to_vec(&mut reader).expect("rewrite");
    assert!(original == rewritten, "the Rust writer's bytes differ");
}

#[test]
fn the_fixture_s_nested_references_decode() {
    let events = TraceReader::open(fixture())
        .expect("open")
        .read_all()
        .expect("events");
    let nested: Vec<&TensorRef> = events
        .iter()
        .flat_map(|e| e.body.tensor_refs())
        .filter(|t| t.nested.is_some())
        .collect();
    assert_eq!(nested.len(), 5, "every nested reference of the fixture");
    let made = nested[0];
    let p = made.nested.as_ref().expect("nested");
    assert_eq!(&*made.shape, &[3, -1, 8]);
    assert_eq!(p.components(), 3);
    assert_eq!(p.sizes, vec![vec![3, 8], vec![5, 8], vec![0, 8]]);
    assert_eq!(p.offsets, vec![0, 24, 64]);
    assert_eq!(
        (0..3).map(|i| p.component_numel(i)).collect::<Vec<_>>(),
        vec![24, 40, 0]
    );
    assert_eq!((&*p.buffer.shape, &*p.buffer.stride), (&[64][..], &[1][..]));
    assert_eq!(p.buffer.storage, made.storage);
    assert!(p.buffer.value.is_some() && made.value.is_none() && made.has_digest());
    assert_eq!(
        Value::Tensor(Box::new(made.clone())).to_string(),
        "T2[3, -1, 8] nested(n=3)"
    );
    // the structural form drops the buffer's digest too
    let structural = made.structural();
    assert!(
        structural
            .nested
            .as_ref()
            .expect("nested")
            .buffer
            .value
            .is_none()
    );
    assert!(!structural.has_digest());
    // the empty nested tensor: no component, an empty buffer
    let empty = nested[4].nested.as_ref().expect("nested");
    assert_eq!((empty.components(), &*nested[4].shape), (0, &[0][..]));
    assert_eq!(&*empty.buffer.shape, &[0]);
}

#[test]
fn nested_references_round_trip_and_raise_the_minor_only_when_held() {
    let dir = tempfile::tempdir().expect("tempdir");
    let strided_only = write(dir.path(), &[intro(strided(0, "float32", &[2, 2]))]);
    assert_eq!(
        TraceReader::open(&strided_only).expect("open").version(),
        (VERSION_MAJOR, 0)
    );
    let mut with_digest = nested(4, &[3, 5, 1]);
    parts(&mut with_digest).buffer.value = Some(ft_trace::Digest::of(b"buffer"));
    let events = [
        intro(strided(0, "float32", &[2, 2])),
        intro(nested(1, &[2, 2])),
        intro(with_digest),
        intro(nested(7, &[0, 3])),
        intro(nested(9, &[])),
    ];
    let path = write(dir.path(), &events);
    let mut reader = TraceReader::open(&path).expect("open");
    assert_eq!(reader.version(), (VERSION_MAJOR, NESTED_TENSOR_MINOR));
    let read: Vec<EventBody> = reader
        .read_all()
        .expect("events")
        .into_iter()
        .map(|e| e.body)
        .collect();
    assert_eq!(read, events);
    // PyTorch's opt_sizes: regular [2, 2, 8]; a first component of 0 rows
    // keeps dim 1 at 0
    assert_eq!(&*nested(1, &[2, 2]).shape, &[2, 2, 8]);
    assert_eq!(&*nested(7, &[0, 3]).shape, &[2, 0, 8]);
    assert_eq!(&*nested(7, &[3, 0]).shape, &[2, -1, 8]);
}

#[test]
fn serde_decodes_and_refuses_what_the_fast_decoder_does() {
    let t = nested(0, &[3, 5]);
    let bytes = rmp_serde::to_vec(&t).expect("encode");
    let back: TensorRef = rmp_serde::from_slice(&bytes).expect("decode");
    assert_eq!(back, t);
    let mut bad = t.clone();
    parts(&mut bad).offsets[1] = 60;
    let bytes = rmp_serde::to_vec(&bad).expect("encode");
    let error = rmp_serde::from_slice::<TensorRef>(&bytes)
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("tensor.nested: component 1") && error.contains("buffer of 64"),
        "{error}"
    );
    let mut bad = t;
    bad.stride = vec![8, 1].into();
    let bytes = rmp_serde::to_vec(&bad).expect("encode");
    let error = rmp_serde::from_slice::<TensorRef>(&bytes)
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("tensor.nested: a nested tensor has no strides"),
        "{error}"
    );
}

#[test]
fn a_nested_reference_under_a_2_5_header_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &[intro(nested(0, &[2, 3]))]);
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[ft_trace::format::MINOR_OFFSET as usize] = 5;
    std::fs::write(&path, &bytes).expect("write");
    let error = read_error(&path);
    assert!(error.contains("minor version 5"), "{error}");
}

/// Each malformed nested reference is refused in one line naming
/// `tensor.nested` and the byte it starts at.
#[test]
fn malformed_nested_references_are_refused_naming_the_field() {
    type Break = fn(&mut TensorRef);
    let cases: [(&str, Break, &str); 17] = [
        (
            "layout",
            |t| parts(t).layout = "sparse_coo".into(),
            "layout \"sparse_coo\" is not nested",
        ),
        (
            "counts",
            |t| {
                parts(t).offsets.pop();
            },
            "sizes, strides and offsets have 3, 3 and 2 entries",
        ),
        (
            "rank",
            |t| parts(t).sizes[1] = vec![5, 8, 1],
            "component 1 has sizes [5, 8, 1] and strides [8, 1], not k=2 of each",
        ),
        (
            "stride rank",
            |t| parts(t).strides[2] = vec![1],
            "component 2 has sizes [1, 8] and strides [1], not k=2 of each",
        ),
        (
            "negative size",
            |t| parts(t).sizes[0][1] = -8,
            "component 0 has sizes [3, -8] and offset 0: negative",
        ),
        (
            "negative offset",
            |t| parts(t).offsets[1] = -1,
            "component 1 has sizes [5, 8] and offset -1: negative",
        ),
        (
            "out of the buffer",
            |t| parts(t).offsets[2] = 65,
            "component 2 (sizes [1, 8], strides [8, 1], offset 65) reaches elements 65..=72 of a buffer of 72",
        ),
        (
            "buffer rank",
            |t| {
                let b = &mut parts(t).buffer;
                b.shape = vec![9, 8].into();
                b.stride = vec![8, 1].into();
            },
            "a buffer of shape [9, 8] and stride [8, 1] is not 1-D contiguous",
        ),
        (
            "buffer stride",
            |t| parts(t).buffer.stride = vec![2].into(),
            "is not 1-D contiguous (stride [1])",
        ),
        (
            "buffer dtype",
            |t| parts(t).buffer.dtype = "float64".into(),
            "the buffer is float64, the tensor float32",
        ),
        (
            "regular shape",
            |t| t.shape = vec![3, 5, 8].into(),
            "shape [3, 5, 8] disagrees with the components' sizes, which give [3, -1, 8]",
        ),
        (
            "irregular shape",
            |t| t.shape = vec![3, -1, -1].into(),
            "which give [3, -1, 8]",
        ),
        (
            "shape rank",
            |t| t.shape = vec![3, -1].into(),
            "a tensor of shape [3, -1] is not [n=3] and k=2 sizes",
        ),
        (
            "shape n",
            |t| t.shape = vec![4, -1, 8].into(),
            "is not [n=3]",
        ),
        ("strides", |t| t.stride = vec![8, 1].into(), "no strides"),
        ("offset", |t| t.offset = 2, "offset 0"),
        (
            "digest",
            |t| t.value = Some(ft_trace::Digest::of(b"v")),
            "no value of its own",
        ),
    ];
    for (name, break_it, expected) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = nested(0, &[3, 5, 1]);
        break_it(&mut t);
        let error = read_error(&write(dir.path(), &[intro(t)]));
        assert!(error.contains(expected), "{name}: {error}");
        assert!(
            error.contains("tensor.nested at byte "),
            "{name}: no field or offset in {error}"
        );
        assert!(!error.contains('\n'), "{name}: not one line: {error}");
    }
}

/// The parts' layout selects their form, on both decoding paths: six
/// elements under `nested` and five of another layout are refused as
/// `tensor.nested`, a buffer that is nested itself as a tensor of 11.
#[test]
fn the_layout_selects_the_form_and_a_mismatch_is_refused() {
    use ft_trace::event_decode::{decode_events_with_hashes, decode_events_with_hashes_serde};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = nested(0, &[2]);
    parts(&mut t).buffer = nested(5, &[2]);
    let error = read_error(&write(dir.path(), &[intro(t)]));
    assert!(
        error.contains("tensor at byte") && error.contains("found 11"),
        "{error}"
    );
    // an EVENTS payload of one tensor intro, its parts edited
    let event = ft_trace::Event {
        seq: 0,
        ts: 0,
        body: intro(nested(0, &[2])),
    };
    let good = rmp_serde::to_vec(&[&event]).expect("encode");
    assert_eq!(
        decode_events_with_hashes(&good).expect("decodes")[0].0,
        event
    );
    let edited = |edit: fn(&mut Vec<rmpv::Value>)| {
        let mut v = rmpv::decode::read_value(&mut &good[..]).expect("value");
        let mut parts = v[0][3][0][10].as_array().expect("parts").clone();
        edit(&mut parts);
        if let rmpv::Value::Array(events) = &mut v
            && let rmpv::Value::Array(event) = &mut events[0]
            && let rmpv::Value::Array(payload) = &mut event[3]
            && let rmpv::Value::Array(tensor) = &mut payload[0]
        {
            tensor[10] = rmpv::Value::Array(parts);
        }
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &v).expect("encode");
        bytes
    };
    let six = edited(|p| p.push(rmpv::Value::Nil));
    let five_sparse = edited(|p| p[0] = rmpv::Value::from("sparse_coo"));
    let cases = [
        (
            six,
            "tensor.nested at byte 30: expected an array of 5, found 6 elements",
            "tensor.nested: expected [layout, sizes, strides, offsets, buffer], found 6",
        ),
        (
            five_sparse,
            "tensor.nested at byte 30: layout \"sparse_coo\" is not nested",
            "tensor.nested: layout \"sparse_coo\" is not nested",
        ),
    ];
    for (bytes, fast, serde) in cases {
        let error = decode_events_with_hashes(&bytes)
            .expect_err("refused")
            .to_string();
        assert!(error.contains(fast), "{error}");
        let error = decode_events_with_hashes_serde(&bytes).expect_err("refused");
        assert!(error.contains(serde), "{error}");
    }
}
