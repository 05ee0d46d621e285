//! Any bytes as an EVENTS payload: the event decoder written for the layout
//! (`ft_trace::event_decode`) and serde's decoding must both accept or both
//! refuse; when they accept, the events must be the same (compared encoded,
//! so floats compare bit for bit) and every hash must be the structural hash
//! FORMAT §4 defines. Neither may panic.
#![no_main]

use ft_trace::event_decode::{decode_events_with_hashes, decode_events_with_hashes_serde};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fast = decode_events_with_hashes(data);
    let serde = decode_events_with_hashes_serde(data);
    match (fast, serde) {
        (Ok(fast), Ok(serde)) => {
            assert_eq!(fast.len(), serde.len());
            for ((a, hash), (b, _)) in fast.iter().zip(&serde) {
                let encode = |e| rmp_serde::to_vec(e).expect("encode");
                assert_eq!(encode(a), encode(b), "events differ");
                assert_eq!(*hash, a.body.structural_hash(), "hash of {a:?}");
            }
        }
        (Err(_), Err(_)) => {}
        (fast, serde) => panic!(
            "decoders disagree: fast {:?}, serde {:?}",
            fast.map(|e| e.len()),
            serde.map(|e| e.len())
        ),
    }
});
