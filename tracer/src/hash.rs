//! Content digests: blob addresses, structural event hashes and chain hashes.
//!
//! Every hash in a trace is BLAKE3 (32 bytes). Three uses, each with its own
//! canonical input so that two producers (the Rust runtime and the Python
//! capture) arrive at the same digest for the same meaning:
//!
//! * **blob digest** — `blake3(msgpack([dtype, shape]) ‖ data)`, with `data`
//!   the tensor's elements in logical (C, row-major) order, little-endian;
//! * **structural hash** — `blake3(msgpack([layer, kind, payload]))` with every
//!   value digest inside the payload replaced by nil (see [`crate::event`]);
//! * **chain hash** — `chain' = blake3(chain ‖ structural_hash)`, starting from
//!   32 zero bytes, over the whole stream and separately per layer.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 32-byte BLAKE3 digest, encoded on the wire as msgpack `bin 8` of length 32.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The all-zero digest: the chain hash of an empty stream.
    pub const ZERO: Digest = Digest([0; 32]);

    /// Lower-case hex of all 32 bytes.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first `n` hex digits, for display.
    pub fn short(&self, n: usize) -> String {
        let mut hex = self.to_hex();
        hex.truncate(n);
        hex
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Digest> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Digest(out))
    }

    /// BLAKE3 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(*blake3::hash(bytes).as_bytes())
    }

    /// The next link of a chain: `blake3(self ‖ next)`.
    pub fn chain(&self, next: &Digest) -> Digest {
        let mut link = [0u8; 64];
        link[..32].copy_from_slice(&self.0);
        link[32..].copy_from_slice(&next.0);
        Digest::of(&link)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.short(16))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        struct DigestVisitor;
        impl<'de> Visitor<'de> for DigestVisitor {
            type Value = Digest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("32 bytes of BLAKE3 digest")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Digest, E> {
                let bytes: [u8; 32] = v
                    .try_into()
                    .map_err(|_| E::invalid_length(v.len(), &self))?;
                Ok(Digest(bytes))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Digest, E> {
                self.visit_bytes(&v)
            }
        }
        deserializer.deserialize_bytes(DigestVisitor)
    }
}

/// Digest of a tensor value: `blake3(msgpack([dtype, shape]) ‖ data)`.
///
/// `data` must already be in logical C order, little-endian.
pub fn blob_digest(dtype: &str, shape: &[i64], data: &[u8]) -> Digest {
    let mut header = Vec::with_capacity(16 + 9 * shape.len());
    // Encoding a (str, [i64]) pair into a Vec cannot fail.
    if rmp_serde::encode::write(&mut header, &(dtype, shape)).is_err() {
        unreachable!("msgpack encoding into a Vec is infallible");
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header);
    hasher.update(data);
    Digest(*hasher.finalize().as_bytes())
}

/// Running chain hashes over a stream: one for all events, one per layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainState {
    /// Chain over every event.
    pub all: Digest,
    /// Chain over the events of each layer, indexed by [`crate::Layer`] as `usize`.
    pub layers: [Digest; 4],
}

impl ChainState {
    /// Extends the chains with one event's structural hash.
    pub fn push(&mut self, layer: usize, structural: &Digest) {
        self.all = self.all.chain(structural);
        if let Some(slot) = self.layers.get_mut(layer) {
            *slot = slot.chain(structural);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let d = Digest::of(b"frankentorch");
        assert_eq!(Digest::from_hex(&d.to_hex()), Some(d));
        assert_eq!(Digest::from_hex("zz"), None);
    }

    #[test]
    fn digest_encodes_as_bin32() {
        let d = Digest::of(b"x");
        let bytes = rmp_serde::to_vec(&d).expect("encode");
        assert_eq!(&bytes[..2], &[0xc4, 32]);
        assert_eq!(bytes.len(), 34);
        let back: Digest = rmp_serde::from_slice(&bytes).expect("decode");
        assert_eq!(back, d);
    }

    #[test]
    fn blob_digest_depends_on_shape_and_dtype() {
        let data = 1.0f32.to_le_bytes().repeat(4);
        let a = blob_digest("float32", &[4], &data);
        let b = blob_digest("float32", &[2, 2], &data);
        let c = blob_digest("int32", &[4], &data);
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn chain_is_order_sensitive() {
        let x = Digest::of(b"x");
        let y = Digest::of(b"y");
        let mut a = ChainState::default();
        a.push(0, &x);
        a.push(1, &y);
        let mut b = ChainState::default();
        b.push(1, &y);
        b.push(0, &x);
        assert_ne!(a.all, b.all);
        assert_eq!(a.layers, b.layers);
    }
}
