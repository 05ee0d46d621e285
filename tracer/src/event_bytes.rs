//! Decoding an EVENTS payload one event at a time, with each event's
//! structural hash.
//!
//! A reader checks the footer's chain hashes, which are built from every
//! event's structural hash: BLAKE3 of `msgpack([layer, kind, payload'])`
//! (FORMAT §4), `payload'` the payload with tensor value digests set to nil.
//! An event is stored as `[seq, layer, kind, payload, ts]`, so when its payload
//! holds no value digest (most events: every event of a `--values none`
//! trace), the structural form is already in the file: the bytes from `layer`
//! to the end of `payload`. Hashing them behind a 3-array header gives the
//! structural hash without encoding the event again, which was a fifth of the
//! time spent reading a trace.
//!
//! Those bytes are the structural form only when they are what encoding the
//! event gives: every object in its shortest msgpack form, as both of our
//! writers write. The event decoder ([`crate::event_decode`]) checks that as
//! it reads; an event stored otherwise (a 1 stored as `uint16`, a valid file
//! no writer of ours makes), or left to serde, is encoded again. The hash is
//! therefore always the one FORMAT §4 defines.

use crate::event::Event;
use crate::event_decode::{self, DecodeError, EventsError, Problem};
use crate::hash::Digest;

/// A msgpack array of 3 elements.
const FIXARRAY_3: u8 = 0x93;
/// A msgpack array of 5 elements: an event.
const FIXARRAY_5: u8 = 0x95;

/// Each event of an EVENTS payload with its structural hash, which always
/// equals [`crate::event::EventBody::structural_hash`].
pub(crate) fn decode_with_hashes(payload: &[u8]) -> Result<Vec<(Event, Digest)>, EventsError> {
    let mut out = Vec::with_capacity(capacity(payload));
    decode_each(payload, true, |event, hash| out.push((event, hash)))?;
    Ok(out)
}

/// The events of an EVENTS payload with their structural hashes, up to the
/// first that does not decode, and that event's error (None when all do).
pub(crate) fn decode_prefix_with_hashes(
    payload: &[u8],
) -> (Vec<(Event, Digest)>, Option<EventsError>) {
    let mut out = Vec::with_capacity(capacity(payload));
    let error = decode_each(payload, true, |event, hash| out.push((event, hash))).err();
    (out, error)
}

/// Each event of an EVENTS payload, without hashes.
pub(crate) fn decode(payload: &[u8]) -> Result<Vec<Event>, EventsError> {
    let mut out = Vec::with_capacity(capacity(payload));
    decode_each(payload, false, |event, _| out.push(event))?;
    Ok(out)
}

/// Room for the events of `payload`: its count, bounded by the bytes (every
/// event takes at least 6), so a damaged count cannot size an allocation.
fn capacity(payload: &[u8]) -> usize {
    array_header(payload, 0).map_or(0, |(count, _)| count.min(payload.len() / 6))
}

/// Decodes the events of `payload` in order, passing each to `push` with its
/// structural hash (`Digest::ZERO` when `hashes` is false). Events go through
/// [`event_decode`]; an event it leaves to serde, or refuses, is decoded by
/// serde, which has the last word on what decodes.
fn decode_each(
    payload: &[u8],
    hashes: bool,
    mut push: impl FnMut(Event, Digest),
) -> Result<(), EventsError> {
    let (count, mut pos) = array_header(payload, 0).ok_or(EventsError::NotAnArray)?;
    let mut structural = Vec::with_capacity(512);
    for i in 0..count {
        let (event, end, span) = match event_decode::decode_event(payload, pos) {
            Ok(decoded) => (decoded.event, decoded.end, decoded.structural),
            Err(error) => {
                let (event, end) = decode_with_serde(payload, pos, i, error)?;
                (event, end, None)
            }
        };
        let hash = if !hashes {
            Digest::ZERO
        } else if let Some(span) = span.and_then(|(from, to)| payload.get(from..to)) {
            // One contiguous input: BLAKE3's one-shot hash of a short
            // message is cheaper than a streaming hasher's set-up.
            structural.clear();
            structural.push(FIXARRAY_3);
            structural.extend_from_slice(span);
            Digest::of(&structural)
        } else {
            event.body.structural_hash()
        };
        push(event, hash);
        pos = end;
    }
    if pos != payload.len() {
        return Err(EventsError::Trailing {
            bytes: payload.len() - pos,
            events: count,
        });
    }
    Ok(())
}

/// The event at `pos` decoded by serde, after the event decoder left it to
/// serde or refused it. When serde refuses it too, the error is the
/// decoder's, which names the field, or serde's for a shape the decoder
/// does not read.
fn decode_with_serde(
    payload: &[u8],
    pos: usize,
    index: usize,
    error: DecodeError,
) -> Result<(Event, usize), EventsError> {
    let end = skip(payload, pos).ok_or(EventsError::CutShort { event: index })?;
    match rmp_serde::from_slice::<Event>(&payload[pos..end]) {
        Ok(event) => Ok((event, end)),
        Err(e) if error.problem == Problem::Unsupported => Err(EventsError::Serde {
            event: index,
            offset: pos,
            message: e.to_string(),
        }),
        Err(_) => Err(EventsError::Event {
            event: index,
            error,
        }),
    }
}

/// Each event of an EVENTS payload with its structural hash, every event
/// decoded by serde: the reference [`decode_with_hashes`] must agree with.
pub(crate) fn decode_with_hashes_serde(payload: &[u8]) -> Result<Vec<(Event, Digest)>, String> {
    let (count, mut pos) = array_header(payload, 0).ok_or("not an array of events")?;
    // Every event takes at least 6 bytes: a count beyond that is damage, and
    // must not size an allocation.
    let mut out = Vec::with_capacity(count.min(payload.len() / 6));
    let mut structural = Vec::with_capacity(512);
    for i in 0..count {
        let (end, span) =
            event_span(payload, pos).ok_or_else(|| format!("event {i} is cut short"))?;
        let bytes = &payload[pos..end];
        let event: Event = rmp_serde::from_slice(bytes).map_err(|e| format!("event {i}: {e}"))?;
        let hash = match span.and_then(|(from, to)| payload.get(from..to)) {
            Some(span) if event.body.structural_form_is_payload() => {
                structural.clear();
                structural.push(FIXARRAY_3);
                structural.extend_from_slice(span);
                Digest::of(&structural)
            }
            _ => event.body.structural_hash(),
        };
        out.push((event, hash));
        pos = end;
    }
    if pos != payload.len() {
        return Err(format!(
            "{} bytes after the last of {count} events",
            payload.len() - pos
        ));
    }
    Ok(out)
}

/// Where the event at `pos` ends and, when it is stored as a 5-array, where
/// its `layer`, `kind` and `payload` lie: one pass over its bytes.
fn event_span(bytes: &[u8], pos: usize) -> Option<(usize, Option<(usize, usize)>)> {
    if bytes.get(pos) != Some(&FIXARRAY_5) {
        return Some((skip(bytes, pos)?, None));
    }
    let start = skip(bytes, pos + 1)?;
    let mut end = start;
    for _ in 0..3 {
        end = skip(bytes, end)?;
    }
    Some((skip(bytes, end)?, Some((start, end))))
}

/// The element count of the array at `pos` and where its first element starts.
fn array_header(bytes: &[u8], pos: usize) -> Option<(usize, usize)> {
    let marker = *bytes.get(pos)?;
    match marker {
        0x90..=0x9f => Some((usize::from(marker & 0x0f), pos + 1)),
        0xdc => Some((be(bytes, pos + 1, 2)?, pos + 3)),
        0xdd => Some((be(bytes, pos + 1, 4)?, pos + 5)),
        _ => None,
    }
}

/// A big-endian unsigned integer of `width` bytes at `pos`.
fn be(bytes: &[u8], pos: usize, width: usize) -> Option<usize> {
    let field = bytes.get(pos..pos.checked_add(width)?)?;
    Some(
        field
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b)),
    )
}

/// Where the msgpack object starting at `pos` ends. Iterative (a count of
/// objects still to skip), so hostile nesting cannot exhaust the stack.
pub(crate) fn skip(bytes: &[u8], mut pos: usize) -> Option<usize> {
    let mut pending: usize = 1;
    while pending > 0 {
        pending -= 1;
        let marker = *bytes.get(pos)?;
        pos += 1;
        // (bytes after the marker, objects that follow it)
        let (body, children) = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
            0x80..=0x8f => (0, 2 * usize::from(marker & 0x0f)),
            0x90..=0x9f => (0, usize::from(marker & 0x0f)),
            0xa0..=0xbf => (usize::from(marker & 0x1f), 0),
            0xc4 | 0xd9 => (1 + be(bytes, pos, 1)?, 0),
            0xc5 | 0xda => (2 + be(bytes, pos, 2)?, 0),
            0xc6 | 0xdb => (4 + be(bytes, pos, 4)?, 0),
            0xc7 => (2 + be(bytes, pos, 1)?, 0),
            0xc8 => (3 + be(bytes, pos, 2)?, 0),
            0xc9 => (5 + be(bytes, pos, 4)?, 0),
            0xca => (4, 0),
            0xcb => (8, 0),
            0xcc | 0xd0 => (1, 0),
            0xcd | 0xd1 => (2, 0),
            0xce | 0xd2 => (4, 0),
            0xcf | 0xd3 => (8, 0),
            0xd4 => (2, 0),
            0xd5 => (3, 0),
            0xd6 => (5, 0),
            0xd7 => (9, 0),
            0xd8 => (17, 0),
            0xdc => (2, be(bytes, pos, 2)?),
            0xdd => (4, be(bytes, pos, 4)?),
            0xde => (2, 2 * be(bytes, pos, 2)?),
            0xdf => (4, 2 * be(bytes, pos, 4)?),
            0xc1 => return None,
        };
        pos = pos.checked_add(body)?;
        if pos > bytes.len() {
            return None;
        }
        // Each child takes at least one byte: more than the bytes left is damage.
        pending = pending.checked_add(children)?;
        if pending > bytes.len() - pos {
            return None;
        }
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ApiEvent, DispatchEvent, EventBody, ManualSeed, OpCall};
    use crate::value::{TensorRef, Value};

    fn tensor(value: Option<Digest>) -> TensorRef {
        TensorRef {
            id: 3,
            dtype: "float32".into(),
            shape: vec![2, 300].into(),
            stride: vec![300, 1].into(),
            offset: 0,
            storage: 1,
            device: "cpu".into(),
            requires_grad: true,
            version: 70000,
            value,
            sparse: None,
            nested: None,
        }
    }

    fn events() -> Vec<Event> {
        let op = |value| {
            EventBody::Dispatch(DispatchEvent::Op(OpCall {
                op: "aten.mul.Tensor".into(),
                keyset: vec!["AutogradCPU".into(), "CPU".into()].into(),
                chain: Vec::new().into(),
                args: vec![
                    ("self".into(), Value::Tensor(Box::new(tensor(value)))),
                    ("other".into(), Value::Float(-0.5)),
                    ("s".into(), Value::Str("x".repeat(300).into())),
                ],
                outputs: vec![Value::Tensor(Box::new(tensor(None)))],
                context: crate::event::Context::Node(u64::MAX),
            }))
        };
        [
            op(None),
            op(Some(Digest::of(b"v"))),
            EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed: 1 << 40 })),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, body)| Event {
            seq: i as u64 * 1000,
            ts: 1 << 33,
            body,
        })
        .collect()
    }

    #[test]
    fn hashes_from_the_bytes_equal_hashes_of_the_decoded_events() {
        let events = events();
        let payload = rmp_serde::to_vec(&events).expect("encode");
        let decoded = decode_with_hashes(&payload).expect("decode");
        assert_eq!(decoded.len(), events.len());
        for ((event, hash), original) in decoded.iter().zip(&events) {
            assert_eq!(event, original);
            assert_eq!(*hash, original.body.structural_hash());
        }
    }

    #[test]
    fn skip_finds_the_end_of_every_object_and_refuses_cut_ones() {
        let payload = rmp_serde::to_vec(&events()).expect("encode");
        assert_eq!(skip(&payload, 0), Some(payload.len()));
        for cut in 0..payload.len() {
            assert_eq!(skip(&payload[..cut], 0), None, "cut at {cut}");
        }
        assert_eq!(skip(&[0xc1], 0), None);
        // An array claiming more elements than there are bytes.
        assert_eq!(skip(&[0xdd, 0xff, 0xff, 0xff, 0xff], 0), None);
    }

    #[test]
    fn damaged_payloads_are_errors() {
        let payload = rmp_serde::to_vec(&events()).expect("encode");
        assert!(decode_with_hashes(&payload[..payload.len() - 1]).is_err());
        let mut extra = payload.clone();
        extra.push(0xc0);
        assert!(decode_with_hashes(&extra).is_err());
        assert!(decode_with_hashes(&[0xc0]).is_err());
    }
}
