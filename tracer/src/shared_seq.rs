//! Shared key sets, dispatch chains, shapes and strides for the event decoder.
//!
//! Every operator event carries its DispatchKeySet and the chain of keys the
//! dispatcher walked, every tensor reference its shape and strides, and a run
//! repeats a few dozen distinct ones over and over. Decoding each occurrence
//! into its own vector made them a third of a read trace's memory. [`SeqCache`] maps the stored bytes of such a
//! list to one shared [`Arc`] slice: equal bytes decode to equal lists, so a
//! list met before is found by its bytes without decoding it again.

use std::collections::HashMap;
use std::sync::Arc;

/// Distinct lists a cache keeps before it starts over: a run has a bounded
/// vocabulary of key sets; the cap only matters for hostile input.
const CAP: usize = 4096;

/// Lists stored longer than this are not kept (no key set or shape is near it).
const LONGEST: usize = 1024;

/// One decoded list and whether its bytes were all in shortest msgpack form.
struct Entry<T> {
    list: Arc<[T]>,
    shortest: bool,
}

/// Decoded lists by their stored msgpack bytes.
pub(crate) struct SeqCache<T> {
    lists: HashMap<Box<[u8]>, Entry<T>, foldhash::fast::FixedState>,
}

impl<T> Default for SeqCache<T> {
    fn default() -> Self {
        SeqCache {
            lists: HashMap::with_hasher(foldhash::fast::FixedState::default()),
        }
    }
}

impl<T> SeqCache<T> {
    /// The list these bytes decoded to before, and whether they were in
    /// shortest form.
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<(Arc<[T]>, bool)> {
        self.lists
            .get(bytes)
            .map(|entry| (Arc::clone(&entry.list), entry.shortest))
    }

    /// Remembers what `bytes` decoded to.
    pub(crate) fn insert(&mut self, bytes: &[u8], list: &Arc<[T]>, shortest: bool) {
        if bytes.len() > LONGEST {
            return;
        }
        if self.lists.len() >= CAP {
            self.lists.clear();
        }
        self.lists.insert(
            bytes.into(),
            Entry {
                list: Arc::clone(list),
                shortest,
            },
        );
    }
}

/// Where the msgpack object at `pos` ends, when it is a string, an integer
/// or an array (nested at most `depth` deep) of them; `None` for anything
/// else or for bytes cut short, which the caller then decodes the long way
/// (and reports).
pub(crate) fn extent_of_list(bytes: &[u8], pos: usize, depth: usize) -> Option<usize> {
    let marker = *bytes.get(pos)?;
    let be = |at: usize, n: usize| -> Option<usize> {
        let field = bytes.get(at..at + n)?;
        Some(
            field
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b)),
        )
    };
    let (header, len, array) = match marker {
        0x00..=0x7f | 0xe0..=0xff => (1, 0, false),
        0xcc | 0xd0 => (1, 1, false),
        0xcd | 0xd1 => (1, 2, false),
        0xce | 0xd2 => (1, 4, false),
        0xcf | 0xd3 => (1, 8, false),
        0xa0..=0xbf => (1, usize::from(marker & 0x1f), false),
        0xd9 => (2, be(pos + 1, 1)?, false),
        0xda => (3, be(pos + 1, 2)?, false),
        0xdb => (5, be(pos + 1, 4)?, false),
        0x90..=0x9f => (1, usize::from(marker & 0x0f), true),
        0xdc => (3, be(pos + 1, 2)?, true),
        0xdd => (5, be(pos + 1, 4)?, true),
        _ => return None,
    };
    let mut end = pos.checked_add(header)?;
    if !array {
        end = end.checked_add(len)?;
        return (end <= bytes.len()).then_some(end);
    }
    let depth = depth.checked_sub(1)?;
    for _ in 0..len {
        end = extent_of_list(bytes, end, depth)?;
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &rmpv::Value) -> Vec<u8> {
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, value).expect("encode into a Vec");
        bytes
    }

    #[test]
    fn the_extent_of_an_integer_list_is_its_encoded_length() {
        let ints: Vec<rmpv::Value> = [0i64, 127, -1, -32, -33, 255, 256, 65_536, -70_000]
            .into_iter()
            .chain([i64::MIN, i64::MAX])
            .map(rmpv::Value::from)
            .collect();
        let mut bytes = encode(&rmpv::Value::Array(ints));
        let len = bytes.len();
        bytes.push(0xc0);
        assert_eq!(extent_of_list(&bytes, 0, 1), Some(len));
        assert_eq!(extent_of_list(&bytes[..len - 1], 0, 1), None);
        // A float is no integer.
        assert_eq!(
            extent_of_list(&encode(&rmpv::Value::Array(vec![1.5.into()])), 0, 1),
            None
        );
    }

    #[test]
    fn the_extent_of_nested_string_lists_is_their_encoded_length() {
        let chain = rmpv::Value::Array(vec![
            rmpv::Value::Array(vec!["AutogradCPU".into(), "autograd".into()]),
            rmpv::Value::Array(vec!["CPU".into(), "x".repeat(300).into()]),
        ]);
        let mut bytes = encode(&chain);
        let len = bytes.len();
        bytes.extend_from_slice(&[0xc0, 0x01]);
        assert_eq!(extent_of_list(&bytes, 0, 2), Some(len));
        // One level too shallow, a nil inside, or bytes cut short: no extent.
        assert_eq!(extent_of_list(&bytes, 0, 1), None);
        assert_eq!(
            extent_of_list(&encode(&rmpv::Value::Array(vec![rmpv::Value::Nil])), 0, 2),
            None
        );
        assert_eq!(extent_of_list(&bytes[..len - 1], 0, 2), None);
    }

    #[test]
    fn a_full_cache_starts_over_and_long_lists_are_not_kept() {
        let mut cache: SeqCache<u8> = SeqCache::default();
        let list: Arc<[u8]> = Arc::from(vec![1u8]);
        for i in 0..CAP as u32 {
            cache.insert(&i.to_le_bytes(), &list, true);
        }
        assert!(cache.get(&0u32.to_le_bytes()).is_some());
        cache.insert(b"one more", &list, false);
        assert!(cache.get(&0u32.to_le_bytes()).is_none());
        assert_eq!(
            cache.get(b"one more").map(|(l, s)| (l.len(), s)),
            Some((1, false))
        );
        cache.insert(&[0u8; LONGEST + 1], &list, true);
        assert!(cache.get(&[0u8; LONGEST + 1]).is_none());
    }
}
