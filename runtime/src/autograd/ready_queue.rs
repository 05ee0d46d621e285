//! The engine's ReadyQueue, with libstdc++'s heap algorithm.
//!
//! PyTorch's CPU ready queue is a `std::priority_queue<NodeTask>` ordered by
//! `CompareNodeTaskTime`: a max-heap on (reentrant depth, sequence_nr). Its
//! order among *equal* keys is whatever libstdc++'s `push_heap` / `pop_heap`
//! produce — not FIFO, and not what Rust's `BinaryHeap` produces (seven tied
//! AccumulateGrad nodes pushed as p0..p6 pop as p0, p2, p5, p6, p4, p1, p3).
//! Ties are common (every AccumulateGrad has sequence_nr 2^64−1), so this
//! module re-implements the two libstdc++ routines exactly:
//!
//! * `__push_heap`: the new element rises while its parent compares less;
//! * `pop_heap`: the top is swapped with the last element, and
//!   `__adjust_heap` walks the hole from the root down to a leaf, always
//!   taking the larger child (the right one unless it is strictly less than
//!   the left), then lets the displaced element rise again with `__push_heap`.
//!
//! The comparison is pluggable only so that the parity tests' fault hooks can
//! reverse it or break ties first-in-first-out.

/// A max-heap with `std::priority_queue` (libstdc++) semantics.
#[derive(Clone, Debug)]
pub(crate) struct LibstdcxxHeap<T> {
    items: Vec<T>,
}

impl<T> Default for LibstdcxxHeap<T> {
    fn default() -> Self {
        LibstdcxxHeap { items: Vec::new() }
    }
}

impl<T> LibstdcxxHeap<T> {
    /// `priority_queue::push`: append, then `push_heap`.
    pub(crate) fn push(&mut self, item: T, less: &impl Fn(&T, &T) -> bool) {
        self.items.push(item);
        let hole = self.items.len() - 1;
        sift_up(&mut self.items, hole, 0, less);
    }

    /// `priority_queue::pop` of the top: `pop_heap`, then remove the last.
    pub(crate) fn pop(&mut self, less: &impl Fn(&T, &T) -> bool) -> Option<T> {
        let n = self.items.len();
        if n > 1 {
            self.items.swap(0, n - 1);
            adjust_heap(&mut self.items[..n - 1], 0, less);
        }
        self.items.pop()
    }
}

/// libstdc++ `__push_heap`: the element at `hole` rises towards `top` while
/// its parent compares less than it.
fn sift_up<T>(v: &mut [T], mut hole: usize, top: usize, less: &impl Fn(&T, &T) -> bool) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if less(&v[parent], &v[hole]) {
            v.swap(parent, hole);
            hole = parent;
        } else {
            break;
        }
    }
}

/// libstdc++ `__adjust_heap` on `v` (the heap without its old top), with the
/// element to place currently at `hole`.
fn adjust_heap<T>(v: &mut [T], mut hole: usize, less: &impl Fn(&T, &T) -> bool) {
    let len = v.len();
    if len < 2 {
        return;
    }
    let top = hole;
    let mut child = hole;
    while child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if less(&v[child], &v[child - 1]) {
            child -= 1;
        }
        v.swap(hole, child);
        hole = child;
    }
    if len.is_multiple_of(2) && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v.swap(hole, child - 1);
        hole = child - 1;
    }
    sift_up(v, hole, top, less);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (priority, id): compare on priority only, as the engine compares
    /// (depth, sequence_nr) and ignores identity.
    fn less(a: &(u64, usize), b: &(u64, usize)) -> bool {
        a.0 < b.0
    }

    fn drain(heap: &mut LibstdcxxHeap<(u64, usize)>) -> Vec<usize> {
        std::iter::from_fn(|| heap.pop(&less))
            .map(|(_, id)| id)
            .collect()
    }

    #[test]
    fn seven_tied_accumulate_grads_pop_in_libstdcxx_order() {
        // Observed in torch 2.15 (node prehooks) and with g++'s std::priority_queue.
        let mut heap = LibstdcxxHeap::default();
        for id in 0..7 {
            heap.push((u64::MAX, id), &less);
        }
        assert_eq!(drain(&mut heap), vec![0, 2, 5, 6, 4, 1, 3]);
    }

    /// Pop orders recorded from g++'s `std::priority_queue` (the oracle is
    /// `runtime/tools/libstdcxx_heap_oracle.cpp`): `p<prio>` pushes the next
    /// id, `x` pops.
    #[test]
    fn matches_recorded_libstdcxx_scripts() {
        let fixture = include_str!("../../tests/data/libstdcxx_heap_scripts.txt");
        let mut checked = 0;
        for line in fixture
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (script, want) = line.split_once('|').expect("script|expected");
            let want: Vec<usize> = want
                .split_whitespace()
                .map(|t| t.parse().expect("id"))
                .collect();
            let mut heap = LibstdcxxHeap::default();
            let mut next_id = 0;
            let mut got = Vec::new();
            for op in script.split_whitespace() {
                if let Some(p) = op.strip_prefix('p') {
                    heap.push((p.parse().expect("prio"), next_id), &less);
                    next_id += 1;
                } else if let Some((_, id)) = heap.pop(&less) {
                    got.push(id);
                }
            }
            assert_eq!(got, want, "{script}");
            checked += 1;
        }
        assert_eq!(checked, 24);
    }

    /// A direct transcription of libstdc++'s hole-based routines, used as the
    /// reference model the swap-based implementation must agree with.
    mod reference {
        pub fn push(v: &mut Vec<(u64, usize)>, x: (u64, usize)) {
            v.push(x);
            let mut hole = v.len() - 1;
            let value = x;
            while hole > 0 {
                let parent = (hole - 1) / 2;
                if v[parent].0 < value.0 {
                    v[hole] = v[parent];
                    hole = parent;
                } else {
                    break;
                }
            }
            v[hole] = value;
        }

        pub fn pop(v: &mut Vec<(u64, usize)>) -> Option<(u64, usize)> {
            let n = v.len();
            if n == 0 {
                return None;
            }
            if n > 1 {
                let last = n - 1;
                let value = v[last];
                v[last] = v[0];
                let len = last;
                let mut hole = 0;
                let mut child = 0;
                while len >= 2 && child < (len - 1) / 2 {
                    child = 2 * (child + 1);
                    if v[child].0 < v[child - 1].0 {
                        child -= 1;
                    }
                    v[hole] = v[child];
                    hole = child;
                }
                if len >= 2 && len.is_multiple_of(2) && child == (len - 2) / 2 {
                    child = 2 * (child + 1);
                    v[hole] = v[child - 1];
                    hole = child - 1;
                }
                while hole > 0 {
                    let parent = (hole - 1) / 2;
                    if v[parent].0 < value.0 {
                        v[hole] = v[parent];
                        hole = parent;
                    } else {
                        break;
                    }
                }
                v[hole] = value;
            }
            v.pop()
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Push(u64),
        Pop,
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![3 => (0u64..4).prop_map(Op::Push), 2 => Just(Op::Pop)],
            0..200,
        )
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference_model(script in ops()) {
            let mut heap = LibstdcxxHeap::default();
            let mut model = Vec::new();
            for (id, op) in script.into_iter().enumerate() {
                match op {
                    Op::Push(p) => {
                        heap.push((p, id), &less);
                        reference::push(&mut model, (p, id));
                    }
                    Op::Pop => prop_assert_eq!(heap.pop(&less), reference::pop(&mut model)),
                }
                prop_assert_eq!(&heap.items, &model);
            }
        }

        #[test]
        fn pops_never_increase_in_priority(prios in prop::collection::vec(0u64..5, 0..100)) {
            let mut heap = LibstdcxxHeap::default();
            for (id, p) in prios.iter().enumerate() {
                heap.push((*p, id), &less);
            }
            let popped: Vec<u64> = std::iter::from_fn(|| heap.pop(&less)).map(|(p, _)| p).collect();
            prop_assert_eq!(popped.len(), prios.len());
            prop_assert!(popped.windows(2).all(|w| w[0] >= w[1]));
        }
    }
}
