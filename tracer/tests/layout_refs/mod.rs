//! What the tests of the non-strided layouts' references (`sparse_refs`,
//! `nested_refs`) share: their fixtures, strided parts, one-event files and
//! the error a refused file gives.

use std::path::{Path, PathBuf};

use ft_trace::{ApiEvent, EventBody, FileTraceWriter, TensorRef, TraceMeta, TraceReader};

/// `tests/fixtures/<name>`, written by the Python writer.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A contiguous CPU tensor reference on a storage of its own id.
pub fn strided(id: u64, dtype: &str, shape: &[i64]) -> TensorRef {
    let mut stride = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        stride[d] = stride[d + 1] * shape[d + 1].max(1);
    }
    TensorRef {
        id,
        dtype: dtype.into(),
        shape: shape.to_vec().into(),
        stride: stride.into(),
        offset: 0,
        storage: id,
        device: "cpu".into(),
        requires_grad: false,
        version: 0,
        value: None,
        sparse: None,
        nested: None,
    }
}

/// The api event introducing `tensor`.
pub fn intro(tensor: TensorRef) -> EventBody {
    EventBody::Api(ApiEvent::Tensor(ft_trace::TensorIntro {
        tensor: Box::new(tensor),
        alias: false,
    }))
}

/// A complete trace of `events` in `dir`.
pub fn write(dir: &Path, events: &[EventBody]) -> PathBuf {
    let path = dir.join("t.ftr");
    let meta = TraceMeta {
        producer: "layout-refs-test".into(),
        program: "synthetic".into(),
        value_policy: "all".into(),
        attrs: vec![],
    };
    let mut w = FileTraceWriter::create(&path, &meta).expect("create");
    for (i, e) in events.iter().enumerate() {
        w.writer().append(e, i as u64).expect("append");
    }
    w.finish().expect("finish");
    path
}

/// The error reading `path` gives; panics when it reads.
pub fn read_error(path: &Path) -> String {
    match TraceReader::open(path).and_then(|mut r| r.read_all()) {
        Ok(_) => panic!("{} was read", path.display()),
        Err(e) => e.to_string(),
    }
}
