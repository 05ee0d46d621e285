//! Keeps the example hexdump in docs/FORMAT.md §6 true: the smallest
//! interesting trace (one blob, one event) is written here and must dump to
//! exactly the bytes the document shows.

use std::fmt::Write;
use std::path::Path;

use ft_trace::{ApiEvent, EventBody, ManualSeed, TraceMeta, TraceWriter};

fn example_bytes() -> Vec<u8> {
    let meta = TraceMeta {
        producer: "doc".into(),
        program: "p.py".into(),
        value_policy: "all".into(),
        attrs: vec![],
    };
    let mut w = TraceWriter::new(Vec::new(), &meta).expect("writer");
    w.put_blob("float32", &[2], &[0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])
        .expect("blob");
    w.append(
        &EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed: 0 })),
        0,
    )
    .expect("event");
    w.finish().expect("finish").0
}

fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x} ", i * 16);
        for b in line {
            let _ = write!(out, " {b:02x}");
        }
        out.push('\n');
    }
    out
}

#[test]
fn format_md_example_matches_the_writer() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/FORMAT.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/FORMAT.md");
    let begin = "<!-- hexdump:begin -->\n```\n";
    let end = "```\n<!-- hexdump:end -->";
    let generated = hexdump(&example_bytes());
    let (Some(b), Some(e)) = (doc.find(begin), doc.find(end)) else {
        panic!("docs/FORMAT.md lacks the hexdump markers; expected dump:\n{generated}");
    };
    let shown = &doc[b + begin.len()..e];
    assert_eq!(
        shown, generated,
        "docs/FORMAT.md §6 is stale; the writer produces:\n{generated}"
    );
}
