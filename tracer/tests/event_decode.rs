//! The event decoder written for the layout (`ft_trace::event_decode`)
//! against serde's decoding, the definition: every golden trace decodes to the
//! same events and hashes through both, and damaged payloads are accepted or
//! refused by both alike.

use std::path::{Path, PathBuf};

use ft_trace::event_decode::{decode_events_with_hashes, decode_events_with_hashes_serde};
use ft_trace::{Digest, Event, TraceReader};
use proptest::prelude::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// Every trace in the corpus, the tracer's fixtures and replay's test data.
fn traces() -> Vec<PathBuf> {
    let root = root();
    let mut out = Vec::new();
    for (dir, suffix) in [
        ("traces", ".torch.ftr"),
        ("tracer/tests/fixtures", ".ftr"),
        ("replay/tests/data", ".ftr"),
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The EVENTS payloads of a trace, in order.
fn payloads(path: &Path) -> Vec<Vec<u8>> {
    let mut reader = TraceReader::recover(path).expect("open");
    let mut out = Vec::new();
    for chunk in 0.. {
        match reader.read_chunk_payload(chunk) {
            Ok(Some(payload)) => out.push(payload),
            Ok(None) => break,
            Err(e) => panic!("{}: chunk {chunk}: {e}", path.display()),
        }
    }
    out
}

/// An event's bytes: compares floats bit for bit (a NaN is not equal to
/// itself) and every other field.
fn encoded(event: &Event) -> Vec<u8> {
    rmp_serde::to_vec(event).expect("encode")
}

fn same_events(fast: &[(Event, Digest)], serde: &[(Event, Digest)]) -> bool {
    fast.len() == serde.len()
        && fast
            .iter()
            .zip(serde)
            .all(|((a, _), (b, _))| encoded(a) == encoded(b))
}

#[test]
fn every_golden_decodes_alike_through_both_decoders() {
    let traces = traces();
    assert!(traces.len() > 100, "found only {} traces", traces.len());
    let mut events = 0usize;
    for path in &traces {
        for (chunk, payload) in payloads(path).iter().enumerate() {
            let at = format!("{} chunk {chunk}", path.display());
            let fast = decode_events_with_hashes(payload).unwrap_or_else(|e| panic!("{at}: {e}"));
            let serde =
                decode_events_with_hashes_serde(payload).unwrap_or_else(|e| panic!("{at}: {e}"));
            assert_eq!(fast.len(), serde.len(), "{at}");
            for (i, ((a, ha), (b, hb))) in fast.iter().zip(&serde).enumerate() {
                assert_eq!(encoded(a), encoded(b), "{at} event {i}");
                assert_eq!(ha, hb, "{at} event {i}: hash");
                assert_eq!(*ha, a.body.structural_hash(), "{at} event {i}: hash");
            }
            events += fast.len();
        }
    }
    assert!(events > 100_000, "only {events} events");
}

/// Small payloads from goldens, for mutating.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for path in traces().iter().step_by(7) {
            for payload in payloads(path) {
                // One short run of events keeps each case fast.
                let Ok(events) = decode_events_with_hashes(&payload) else {
                    continue;
                };
                for run in events.chunks(3).take(4) {
                    let events: Vec<&Event> = run.iter().map(|(e, _)| e).collect();
                    out.push(rmp_serde::to_vec(&events).expect("encode"));
                }
            }
        }
        let fixture = root().join("tracer/tests/fixtures/all_kinds.ftr");
        for payload in payloads(&fixture) {
            if let Ok(events) = decode_events_with_hashes(&payload) {
                for (event, _) in events {
                    out.push(rmp_serde::to_vec(&[event]).expect("encode"));
                }
            }
        }
        out
    })
}

/// Bytes a mutation writes: the markers where the decoders' rules differ.
const MARKERS: &[u8] = &[
    0x00, 0x01, 0x05, 0x7f, 0x80, 0x81, 0x90, 0x92, 0x9f, 0xa0, 0xa4, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3,
    0xc4, 0xc5, 0xc7, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd3, 0xd4, 0xd9, 0xda, 0xdc, 0xdd,
    0xde, 0xe0, 0xff,
];

#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Marker(usize, usize),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (any::<usize>(), 0..MARKERS.len()).prop_map(|(at, m)| Mutation::Marker(at, m)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let n = bytes.len();
    match *m {
        Mutation::Set(at, b) => bytes[at % n] = b,
        Mutation::Marker(at, m) => bytes[at % n] = MARKERS[m],
        Mutation::Insert(at, b) => bytes.insert(at % (n + 1), b),
        Mutation::Remove(at) => {
            bytes.remove(at % n);
        }
        Mutation::Truncate(at) => bytes.truncate(at % n),
    }
}

/// Both decoders accept or both refuse; when they accept, the events are
/// the same and every hash is the structural hash FORMAT §4 defines.
fn check_agreement(bytes: &[u8]) -> Result<(), TestCaseError> {
    let fast = decode_events_with_hashes(bytes);
    let serde = decode_events_with_hashes_serde(bytes);
    match (&fast, &serde) {
        (Ok(fast), Ok(serde)) => {
            prop_assert!(same_events(fast, serde), "events differ: {bytes:02x?}");
            for (event, hash) in fast {
                prop_assert_eq!(*hash, event.body.structural_hash(), "{:02x?}", bytes);
            }
        }
        (Err(_), Err(_)) => {}
        _ => prop_assert!(
            false,
            "fast {:?} / serde {:?} on {:02x?}",
            fast.as_ref().map(Vec::len),
            serde.as_ref().map(Vec::len),
            bytes
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_payloads_are_accepted_or_refused_alike(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let seeds = seeds();
        let mut bytes = seed.get(seeds).clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check_agreement(&bytes)?;
    }
}

/// Where each msgpack object of `bytes` starts and ends, every nesting level.
fn objects(bytes: &[u8]) -> Vec<(usize, usize)> {
    fn walk(bytes: &[u8], pos: usize, out: &mut Vec<(usize, usize)>) -> Option<usize> {
        let be = |at: usize, n: usize| -> Option<usize> {
            let field = bytes.get(at..at + n)?;
            Some(field.iter().fold(0, |acc, &b| (acc << 8) | usize::from(b)))
        };
        let marker = *bytes.get(pos)?;
        let (header, body, children) = match marker {
            0x80..=0x8f => (1, 0, 2 * usize::from(marker & 0x0f)),
            0x90..=0x9f => (1, 0, usize::from(marker & 0x0f)),
            0xa0..=0xbf => (1, usize::from(marker & 0x1f), 0),
            0xc4 | 0xd9 => (2, be(pos + 1, 1)?, 0),
            0xc5 | 0xda => (3, be(pos + 1, 2)?, 0),
            0xc6 | 0xdb => (5, be(pos + 1, 4)?, 0),
            0xca | 0xce | 0xd2 => (5, 0, 0),
            0xcb | 0xcf | 0xd3 => (9, 0, 0),
            0xcc | 0xd0 => (2, 0, 0),
            0xcd | 0xd1 => (3, 0, 0),
            0xdc => (3, 0, be(pos + 1, 2)?),
            0xdd => (5, 0, be(pos + 1, 4)?),
            0xde => (3, 0, 2 * be(pos + 1, 2)?),
            0xdf => (5, 0, 2 * be(pos + 1, 4)?),
            _ => (1, 0, 0),
        };
        let index = out.len();
        out.push((pos, 0));
        let mut end = pos + header + body;
        for _ in 0..children {
            end = walk(bytes, end, out)?;
        }
        out[index].1 = end;
        Some(end)
    }
    let mut out = Vec::new();
    walk(bytes, 0, &mut out);
    out
}

/// Objects a mutation puts in place of another: every type, integers at
/// the edges of each width and in wider forms than the shortest.
const OBJECTS: &[&[u8]] = &[
    &[0xc0],
    &[0xc2],
    &[0xc3],
    &[0x00],
    &[0x01],
    &[0x02],
    &[0x05],
    &[0x0b],
    &[0x7f],
    &[0xff],
    &[0xe0],
    &[0xcc, 0x01],
    &[0xcc, 0xff],
    &[0xcd, 0x00, 0x02],
    &[0xcd, 0x01, 0x00],
    &[0xce, 0xff, 0xff, 0xff, 0xff],
    &[0xcf, 0, 0, 0, 0, 0, 0, 0, 1],
    &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0xd0, 0x05],
    &[0xd0, 0x80],
    &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
    &[0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
    &[0xca, 0x3f, 0x80, 0, 0],
    &[0xa0],
    &[0xa3, b'c', b'p', b'u'],
    &[0xd9, 0x03, b'c', b'p', b'u'],
    &[0xa2, 0xff, 0xfe],
    &[0xc4, 0x03, b'c', b'p', b'u'],
    &[0xc4, 0x00],
    &[
        0xc4, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
        23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
    ],
    &[0x90],
    &[0x91, 0x00],
    &[0x92, 0x00, 0xc0],
    &[0x92, 0x02, 0xc0],
    &[0x92, 0x03, 0x05],
    &[0x92, 0x06, 0x90],
    &[0x92, 0x0b, 0xc0],
    &[0xdc, 0x00, 0x00],
    &[0x80],
    &[0x81, 0xa1, b'x', 0x00],
    &[0xd4, 0x01, 0x00],
];

/// Puts `OBJECTS[with]` in place of the `at`-th object of `bytes`, or wraps
/// that object in a 1-array, or repeats it.
fn replace_object(bytes: &mut Vec<u8>, at: usize, with: usize) {
    let objects = objects(bytes);
    if objects.is_empty() {
        return;
    }
    let (start, end) = objects[at % objects.len()];
    let replacement: Vec<u8> = match with % (OBJECTS.len() + 2) {
        n if n < OBJECTS.len() => OBJECTS[n].to_vec(),
        n if n == OBJECTS.len() => [&[0x91][..], &bytes[start..end]].concat(),
        _ => [&bytes[start..end], &bytes[start..end]].concat(),
    };
    bytes.splice(start..end, replacement);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6000, ..ProptestConfig::default() })]

    #[test]
    fn payloads_with_objects_replaced_are_accepted_or_refused_alike(
        seed in any::<prop::sample::Index>(),
        replacements in prop::collection::vec((any::<usize>(), any::<usize>()), 1..3),
    ) {
        let seeds = seeds();
        let mut bytes = seed.get(seeds).clone();
        for &(at, with) in &replacements {
            replace_object(&mut bytes, at, with);
        }
        check_agreement(&bytes)?;
    }
}

/// Re-encodes a payload's msgpack with every integer, string and array in
/// a wider form than the shortest: a valid file no writer of ours makes.
fn widen(bytes: &[u8]) -> Vec<u8> {
    let value = rmpv::decode::read_value(&mut &bytes[..]).expect("msgpack");
    let mut out = Vec::new();
    write_wide(&mut out, &value);
    out
}

fn write_wide(out: &mut Vec<u8>, value: &rmpv::Value) {
    use rmpv::Value as V;
    match value {
        V::Integer(i) => {
            if let Some(u) = i.as_u64() {
                out.push(0xcf);
                out.extend_from_slice(&u.to_be_bytes());
            } else if let Some(s) = i.as_i64() {
                out.push(0xd3);
                out.extend_from_slice(&s.to_be_bytes());
            }
        }
        V::String(s) => {
            let bytes = s.as_bytes();
            out.push(0xda);
            out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        V::Array(items) => {
            out.push(0xdc);
            out.extend_from_slice(&(items.len() as u16).to_be_bytes());
            for item in items {
                write_wide(out, item);
            }
        }
        other => rmpv::encode::write_value(out, other).expect("encode"),
    }
}

#[test]
fn wide_forms_decode_alike_and_hash_by_encoding() {
    for seed in seeds().iter().take(400) {
        let wide = widen(seed);
        let fast = decode_events_with_hashes(&wide).expect("wide forms decode");
        let narrow = decode_events_with_hashes(seed).expect("decode");
        assert!(same_events(&fast, &narrow));
        // The stored bytes are not the structural form: the hash is the
        // event's encoded again, the same as from the shortest forms.
        for ((_, a), (_, b)) in fast.iter().zip(&narrow) {
            assert_eq!(a, b);
        }
        check_agreement(&wide).expect("agree");
    }
}

/// An operator call with a complex scalar argument (value tag 11).
fn complex_scalar_call(other: ft_trace::Value) -> Vec<u8> {
    use ft_trace::{Context, DispatchEvent, EventBody, OpCall, Value};
    let event = Event {
        seq: 0,
        ts: 0,
        body: EventBody::Dispatch(DispatchEvent::Op(OpCall {
            op: "aten.mul.Scalar".into(),
            keyset: vec!["CPU".into()].into(),
            chain: Vec::<ft_trace::ChainStep>::new().into(),
            args: vec![("self".into(), Value::Int(2)), ("other".into(), other)],
            outputs: vec![Value::None],
            context: Context::TopLevel,
        })),
    };
    rmp_serde::to_vec(&[event]).expect("encode")
}

#[test]
fn complex_scalars_decode_alike_and_malformed_ones_name_the_field() {
    let one_j = ft_trace::Value::Complex { re: 0.0, im: 1.0 };
    let bytes = complex_scalar_call(one_j.clone());
    check_agreement(&bytes).expect("both decoders agree");
    let events = decode_events_with_hashes(&bytes).expect("decodes");
    let ft_trace::EventBody::Dispatch(ft_trace::DispatchEvent::Op(op)) = &events[0].0.body else {
        panic!("an operator call");
    };
    assert_eq!(op.args[1].1, one_j);
    assert_eq!(op.args[1].1.to_string(), "1j");
    let half = ft_trace::Value::Complex { re: 0.5, im: -0.25 };
    assert_eq!(half.to_string(), "(0.5-0.25j)");
    // [11, [0.0, 1.0]] is `92 0b 92 cb .. cb ..`: its payload array is the
    // 0x92 after the tag 0x0b.
    let tag = bytes
        .windows(3)
        .position(|w| w == [0x92, 0x0b, 0x92])
        .expect("the complex value's bytes");
    let mut one_part = bytes.clone();
    one_part[tag + 2] = 0x91;
    one_part.drain(tag + 12..tag + 21);
    let mut a_string = bytes.clone();
    a_string.splice(tag + 2..tag + 21, [0xa2, b'1', b'j']);
    for damaged in [one_part, a_string] {
        check_agreement(&damaged).expect("both refuse");
        let message = decode_events_with_hashes(&damaged)
            .expect_err("a malformed complex value is refused")
            .to_string();
        assert!(message.contains("value.complex"), "{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
    }
}

/// Reading a trace shares one allocation among the equal key sets, chains,
/// shapes and strides of its events: what keeps a long run's events small
/// in memory.
#[test]
fn equal_key_sets_chains_and_shapes_share_one_allocation() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use ft_trace::{DispatchEvent, EventBody};

    let path = root().join("traces/tiny_mlp.torch.ftr");
    let events = TraceReader::open(&path)
        .expect("open")
        .read_all()
        .expect("events");
    let mut keysets: HashMap<Vec<String>, Vec<ft_trace::KeySet>> = HashMap::new();
    let mut chains = HashMap::new();
    let mut shapes: HashMap<Vec<i64>, Vec<Arc<[i64]>>> = HashMap::new();
    for event in &events {
        if let EventBody::Dispatch(DispatchEvent::Op(op)) = &event.body {
            let names = op.keyset.iter().map(|k| k.to_string()).collect();
            keysets.entry(names).or_default().push(op.keyset.clone());
            let steps: Vec<String> = op
                .chain
                .iter()
                .map(|s| format!("{}/{}", s.key, s.handler))
                .collect();
            chains
                .entry(steps)
                .or_insert_with(Vec::new)
                .push(op.chain.clone());
        }
        for t in event.body.tensor_refs() {
            shapes
                .entry(t.shape.to_vec())
                .or_default()
                .push(t.shape.clone());
        }
    }
    let repeated = keysets.values().filter(|same| same.len() > 1).count();
    assert!(repeated > 0, "the trace repeats no key set");
    for same in keysets.values() {
        assert!(
            same.iter().all(|k| Arc::ptr_eq(k, &same[0])),
            "key sets not shared"
        );
    }
    for same in chains.values() {
        assert!(
            same.iter().all(|c| Arc::ptr_eq(c, &same[0])),
            "chains not shared"
        );
    }
    for same in shapes.values() {
        assert!(
            same.iter().all(|s| Arc::ptr_eq(s, &same[0])),
            "shapes not shared"
        );
    }
}
