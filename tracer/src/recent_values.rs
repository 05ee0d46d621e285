//! The data of the BLOBs a writer wrote last, kept in memory up to a byte
//! budget, by the file offset of their data.
//!
//! Confirming a VIEW compares the value with the elements of its base, a
//! BLOB written earlier. Reading those back from the sink costs a flush of
//! the buffered writer, two seeks, a read into a fresh buffer and the
//! kernel's copy; a view's base is nearly always written shortly before it
//! (a transposed weight after the weight), so the data is looked up here
//! first and read back only when it has left the budget.

use std::collections::{BTreeMap, VecDeque};

/// Bytes of written data kept (the oldest leave first).
pub const RECENT_VALUE_BYTES: usize = 32 << 20;

/// Written BLOB data by the file offset of its first byte.
#[derive(Debug, Default)]
pub struct RecentValues {
    by_offset: BTreeMap<u64, Vec<u8>>,
    order: VecDeque<u64>,
    bytes: usize,
}

impl RecentValues {
    /// Keeps the data written at `data_at`, dropping the oldest kept data
    /// beyond the budget. Data larger than the budget is not kept.
    pub fn keep(&mut self, data_at: u64, data: Vec<u8>) {
        if data.len() > RECENT_VALUE_BYTES {
            return;
        }
        self.bytes += data.len();
        if let Some(replaced) = self.by_offset.insert(data_at, data) {
            // Offsets only grow, so this is not expected; stay consistent.
            self.bytes -= replaced.len();
        } else {
            self.order.push_back(data_at);
        }
        while self.bytes > RECENT_VALUE_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(dropped) = self.by_offset.remove(&oldest) {
                self.bytes -= dropped.len();
            }
        }
    }

    /// The `len` bytes at file offset `at`, when they lie inside kept data.
    pub fn span(&self, at: u64, len: usize) -> Option<&[u8]> {
        let (data_at, data) = self.by_offset.range(..=at).next_back()?;
        let start = usize::try_from(at - data_at).ok()?;
        data.get(start..start.checked_add(len)?)
    }

    /// Bytes kept now.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_is_found_only_inside_one_kept_value() {
        let mut recent = RecentValues::default();
        recent.keep(100, (0..50).collect());
        recent.keep(200, (50..60).collect());
        assert_eq!(
            recent.span(100, 50),
            Some(&(0..50).collect::<Vec<u8>>()[..])
        );
        assert_eq!(recent.span(110, 5), Some(&[10u8, 11, 12, 13, 14][..]));
        assert_eq!(recent.span(205, 5), Some(&[55u8, 56, 57, 58, 59][..]));
        assert_eq!(
            recent.span(140, 11),
            None,
            "runs past the end of the value at 100"
        );
        assert_eq!(recent.span(150, 1), None, "between two values");
        assert_eq!(recent.span(99, 1), None, "before every value");
        assert_eq!(recent.span(206, 5), None, "past the last value");
    }

    #[test]
    fn the_oldest_data_leaves_beyond_the_budget() {
        let mut recent = RecentValues::default();
        let half = RECENT_VALUE_BYTES / 2;
        recent.keep(0, vec![1; half]);
        recent.keep(half as u64, vec![2; half]);
        assert_eq!(recent.bytes(), RECENT_VALUE_BYTES);
        assert!(recent.span(0, 1).is_some());
        recent.keep(2 * half as u64, vec![3; 16]);
        assert_eq!(recent.span(0, 1), None, "the first value left");
        assert_eq!(recent.span(half as u64, 1), Some(&[2u8][..]));
        assert_eq!(recent.bytes(), half + 16);
        recent.keep(u64::MAX / 2, vec![0; RECENT_VALUE_BYTES + 1]);
        assert_eq!(
            recent.bytes(),
            half + 16,
            "data beyond the budget is not kept"
        );
    }
}
