//! Interned names: the operator, dispatch-key, handler, argument, dtype and
//! device strings every event repeats.
//!
//! A trace spells the same few hundred names over and over (`aten.mm.default`,
//! `AutogradCPU`, `float32`, `self`). Decoding each occurrence into a fresh
//! `String` made allocation the largest cost of reading a trace and most of
//! its memory. A [`Name`] shares one allocation per distinct string: decoding
//! looks the text up in a small per-thread table and clones the shared
//! pointer, so a million events hold a few hundred strings.
//!
//! A `Name` reads like a `&str` (`Deref`, `Display`, comparisons with `str`
//! and `String`) and is written to the wire as a plain msgpack string, so the
//! format does not change.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Distinct strings a thread's table keeps before it starts over. Names are a
/// bounded vocabulary; the cap only matters for hostile input (every string
/// different), where it keeps the table from growing with the file.
const TABLE_CAP: usize = 8192;

/// Longest string the table keeps; longer ones (error messages) get their own
/// allocation, as they rarely repeat.
const LONGEST_INTERNED: usize = 128;

/// Slots of a table's cache of recent names (a power of two).
const RECENT: usize = 128;

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table {
        names: HashSet::with_hasher(foldhash::fast::FixedState::default()),
        recent: std::array::from_fn(|_| None),
    });
}

/// This thread's table of names.
pub(crate) struct Table {
    names: HashSet<Arc<str>, foldhash::fast::FixedState>,
    /// The names the event decoder met last, by a hash of a few of their
    /// bytes: a decoder finds most names here with one comparison of bytes,
    /// before checking them for UTF-8 or hashing them whole.
    recent: [Option<Name>; RECENT],
}

/// Runs `f` with this thread's table borrowed once, for a decoder interning
/// many names in a row. `f` must make its names with [`intern`] or
/// [`intern_bytes`], not [`Name::new`] (which would borrow the table again).
pub(crate) fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    TABLE.with(|table| f(&mut table.borrow_mut()))
}

/// [`Name::new`] with the table already borrowed.
pub(crate) fn intern(table: &mut Table, text: &str) -> Name {
    if text.len() > LONGEST_INTERNED {
        return Name(Arc::from(text));
    }
    let names = &mut table.names;
    if let Some(shared) = names.get(text) {
        return Name(Arc::clone(shared));
    }
    if names.len() >= TABLE_CAP {
        names.clear();
    }
    let shared: Arc<str> = Arc::from(text);
    names.insert(Arc::clone(&shared));
    Name(shared)
}

/// The name spelled by `bytes`, or `None` when they are not UTF-8.
pub(crate) fn intern_bytes(table: &mut Table, bytes: &[u8]) -> Option<Name> {
    if bytes.len() > LONGEST_INTERNED {
        return std::str::from_utf8(bytes)
            .ok()
            .map(|text| Name(Arc::from(text)));
    }
    let slot = recent_slot(bytes);
    if let Some(name) = &table.recent[slot]
        && name.0.as_bytes() == bytes
    {
        return Some(name.clone());
    }
    let name = intern(table, std::str::from_utf8(bytes).ok()?);
    table.recent[slot] = Some(name.clone());
    Some(name)
}

/// A slot of [`Table::recent`] for `bytes`: their length and up to 8 bytes
/// from each end, mixed.
fn recent_slot(bytes: &[u8]) -> usize {
    let word = |part: &[u8]| part.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let head = word(&bytes[..bytes.len().min(8)]);
    let tail = word(&bytes[bytes.len().saturating_sub(8)..]);
    let mixed =
        (head ^ tail.rotate_left(29) ^ bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> 32) as usize & (RECENT - 1)
}

/// A shared, immutable string.
#[derive(Clone, PartialOrd, Ord)]
pub struct Name(Arc<str>);

impl Name {
    /// The name for `text`, sharing the allocation of an earlier equal name
    /// made on this thread.
    pub fn new(text: &str) -> Name {
        if text.len() > LONGEST_INTERNED {
            return Name(Arc::from(text));
        }
        with_table(|table| intern(table, text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Name {
    fn default() -> Name {
        Name::new("")
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl Eq for Name {}

impl Hash for Name {
    // Hashes as the `str` does, so a `Name` key can be looked up by `&str`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        (*self.0).hash(state);
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name::new(text)
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Name {
        Name::new(text)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name::new(&text)
    }
}

impl From<&Name> for Name {
    fn from(name: &Name) -> Name {
        name.clone()
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.as_str().to_owned()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Name, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
                Ok(Name::new(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Name, E> {
                std::str::from_utf8(v)
                    .map(Name::new)
                    .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_made_on_one_thread_share_their_text() {
        let a = Name::new("aten.mm.default");
        let b = Name::from(String::from("aten.mm.default"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, b);
        assert_eq!(a, "aten.mm.default");
        assert_eq!("aten.mm.default", a);
    }

    #[test]
    fn names_from_different_threads_are_equal_by_text() {
        let here = Name::new("AutogradCPU");
        let there = std::thread::spawn(|| Name::new("AutogradCPU"))
            .join()
            .expect("thread");
        assert_eq!(here, there);
        let mut set = HashSet::new();
        set.insert(here);
        assert!(set.contains("AutogradCPU"));
        assert!(set.contains(&there));
    }

    #[test]
    fn a_full_table_starts_over_and_names_stay_valid() {
        let first = Name::new("first");
        for i in 0..TABLE_CAP + 10 {
            let _ = Name::new(&format!("n{i}"));
        }
        assert_eq!(first, "first");
        assert_eq!(Name::new("first"), first);
    }

    #[test]
    fn names_from_bytes_share_their_text_and_refuse_what_is_not_utf8() {
        with_table(|table| {
            let a = intern_bytes(table, b"aten.mm.default").expect("utf-8");
            let b = intern_bytes(table, b"aten.mm.default").expect("utf-8");
            assert!(Arc::ptr_eq(&a.0, &b.0));
            assert_eq!(intern_bytes(table, &[0xff, 0xfe]), None);
            // Many names through the cache: each comes back as itself.
            for i in 0..3 * RECENT {
                let text = format!("key{i}");
                let name = intern_bytes(table, text.as_bytes()).expect("utf-8");
                assert_eq!(name, text);
                assert_eq!(intern_bytes(table, text.as_bytes()).expect("utf-8"), text);
            }
            let long = "y".repeat(LONGEST_INTERNED + 1);
            assert_eq!(intern_bytes(table, long.as_bytes()).expect("utf-8"), long);
        });
        assert!(Arc::ptr_eq(
            &Name::new("aten.mm.default").0,
            &Name::new("aten.mm.default").0
        ));
    }

    #[test]
    fn long_strings_are_not_kept() {
        let text = "x".repeat(LONGEST_INTERNED + 1);
        let a = Name::new(&text);
        let b = Name::new(&text);
        assert!(!Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, b);
    }

    #[test]
    fn a_name_is_a_msgpack_string_on_the_wire() {
        let name = Name::new("float32");
        let bytes = rmp_serde::to_vec(&name).expect("encode");
        assert_eq!(bytes, rmp_serde::to_vec("float32").expect("encode"));
        let back: Name = rmp_serde::from_slice(&bytes).expect("decode");
        assert_eq!(back, name);
        let not_utf8: Result<Name, _> = rmp_serde::from_slice(&[0xc4, 1, 0xff]);
        assert!(not_utf8.is_err());
    }
}
