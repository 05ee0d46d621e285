//! Sidecars: any bytes as a sidecar are refused or parsed, never a panic;
//! and a protected buffer damaged as the input says (cut, appended to,
//! bytes changed) is either restored exactly or refused ("cannot repair"),
//! never restored wrongly.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use ft_trace::Digest;
use ft_trace::sidecar::{self, Sidecar};
use libfuzzer_sys::fuzz_target;

/// A fixed 6000-byte "file" and its sidecar at 20 % overhead.
fn protected() -> &'static (Vec<u8>, Sidecar) {
    static P: OnceLock<(Vec<u8>, Sidecar)> = OnceLock::new();
    P.get_or_init(|| {
        let data: Vec<u8> = (0..6000u32).map(|i| (i * 31 % 251) as u8).collect();
        let made = sidecar::protect(Path::new("f"), &data, Digest::ZERO, 0, 20)
            .expect("protect a fixed buffer");
        (data, made)
    })
}

fuzz_target!(|input: &[u8]| {
    let _ = Sidecar::from_bytes(Path::new("f.rq"), input);
    let (data, made) = protected();
    // Input: [cut: u16 LE] then (offset: u16 LE, xor: u8) triples.
    let mut damaged = data.clone();
    if input.len() >= 2 {
        let cut = usize::from(u16::from_le_bytes([input[0], input[1]]));
        if cut < damaged.len() {
            damaged.truncate(damaged.len() - cut / 8);
        }
    }
    if input.len() % 3 == 1 {
        // Bytes appended past the protected end.
        damaged.extend_from_slice(&input[..input.len().min(40)]);
    }
    for edit in input.get(2..).unwrap_or(&[]).chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]]));
        if let Some(b) = damaged.get_mut(at) {
            *b ^= edit[2];
        }
    }
    match sidecar::repair(Path::new("f"), made, &damaged) {
        Ok(Some((fixed, _))) => assert_eq!(&fixed, data, "repaired to the wrong bytes"),
        Ok(None) => assert_eq!(&damaged, data),
        Err(e) => assert!(e.to_string().contains("cannot repair"), "{e}"),
    }
});
