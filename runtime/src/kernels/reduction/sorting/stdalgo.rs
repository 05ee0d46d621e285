//! libstdc++'s selection and sorting algorithms, step for step: `std::sort`
//! (introsort: median-of-three pivot, unguarded partition, a heap-sort
//! fallback at depth `2 * lg(n)`, a final insertion sort over runs of 16),
//! `std::partial_sort` (heap select then sort heap) and `std::nth_element`
//! (introselect, a heap select fallback, an insertion sort below four
//! elements).
//!
//! PyTorch's CPU `sort` (unstable) and `topk` run these algorithms with a
//! comparator on values only, so which of several equal values lands where
//! (the positions a result names) is whatever their moves leave. The same
//! sequence of comparisons and moves here gives the same positions.

/// Whether `a` goes before `b` (a strict weak order).
pub(crate) trait Less<T>: Fn(&T, &T) -> bool {}

impl<T, F: Fn(&T, &T) -> bool> Less<T> for F {}

/// `floor(log2(n))` for `n > 0`.
fn lg(n: usize) -> u32 {
    usize::BITS - 1 - n.leading_zeros()
}

/// `std::__move_median_to_first(result, a, b, c)`.
fn move_median_to_first<T: Copy>(
    v: &mut [T],
    result: usize,
    (a, b, c): (usize, usize, usize),
    lt: &impl Less<T>,
) {
    let pick = if lt(&v[a], &v[b]) {
        if lt(&v[b], &v[c]) {
            b
        } else if lt(&v[a], &v[c]) {
            c
        } else {
            a
        }
    } else if lt(&v[a], &v[c]) {
        a
    } else if lt(&v[b], &v[c]) {
        c
    } else {
        b
    };
    v.swap(result, pick);
}

/// `std::__unguarded_partition(first, last, pivot)`.
fn unguarded_partition<T: Copy>(
    v: &mut [T],
    mut first: usize,
    mut last: usize,
    pivot: usize,
    lt: &impl Less<T>,
) -> usize {
    loop {
        while lt(&v[first], &v[pivot]) {
            first += 1;
        }
        last -= 1;
        while lt(&v[pivot], &v[last]) {
            last -= 1;
        }
        if first >= last {
            return first;
        }
        v.swap(first, last);
        first += 1;
    }
}

/// `std::__unguarded_partition_pivot(first, last)`.
fn partition_pivot<T: Copy>(v: &mut [T], first: usize, last: usize, lt: &impl Less<T>) -> usize {
    let mid = first + (last - first) / 2;
    move_median_to_first(v, first, (first + 1, mid, last - 1), lt);
    unguarded_partition(v, first + 1, last, first, lt)
}

/// `std::__adjust_heap(first, hole, len, value)` on the heap `v[base..]`.
fn adjust_heap<T: Copy>(
    v: &mut [T],
    base: usize,
    mut hole: usize,
    len: usize,
    value: T,
    lt: &impl Less<T>,
) {
    let top = hole;
    let mut child = hole;
    while child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if lt(&v[base + child], &v[base + child - 1]) {
            child -= 1;
        }
        v[base + hole] = v[base + child];
        hole = child;
    }
    if len.is_multiple_of(2) && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v[base + hole] = v[base + child - 1];
        hole = child - 1;
    }
    // std::__push_heap(first, hole, top, value).
    while hole > top {
        let parent = (hole - 1) / 2;
        if !lt(&v[base + parent], &value) {
            break;
        }
        v[base + hole] = v[base + parent];
        hole = parent;
    }
    v[base + hole] = value;
}

/// `std::__make_heap(first, last)`.
fn make_heap<T: Copy>(v: &mut [T], first: usize, last: usize, lt: &impl Less<T>) {
    let len = last - first;
    if len < 2 {
        return;
    }
    let mut parent = (len - 2) / 2;
    loop {
        let value = v[first + parent];
        adjust_heap(v, first, parent, len, value, lt);
        if parent == 0 {
            return;
        }
        parent -= 1;
    }
}

/// `std::__pop_heap(first, last, result)`.
fn pop_heap<T: Copy>(v: &mut [T], first: usize, last: usize, result: usize, lt: &impl Less<T>) {
    let value = v[result];
    v[result] = v[first];
    adjust_heap(v, first, 0, last - first, value, lt);
}

/// `std::__heap_select(first, middle, last)`.
fn heap_select<T: Copy>(v: &mut [T], first: usize, middle: usize, last: usize, lt: &impl Less<T>) {
    make_heap(v, first, middle, lt);
    for i in middle..last {
        if lt(&v[i], &v[first]) {
            pop_heap(v, first, middle, i, lt);
        }
    }
}

/// `std::__partial_sort(first, middle, last)`: heap select, then sort heap.
fn partial_sort_range<T: Copy>(
    v: &mut [T],
    first: usize,
    middle: usize,
    last: usize,
    lt: &impl Less<T>,
) {
    heap_select(v, first, middle, last, lt);
    let mut end = middle;
    while end - first > 1 {
        end -= 1;
        pop_heap(v, first, end, end, lt);
    }
}

/// `std::__unguarded_linear_insert(i)`.
fn linear_insert<T: Copy>(v: &mut [T], i: usize, lt: &impl Less<T>) {
    let value = v[i];
    let mut j = i;
    while lt(&value, &v[j - 1]) {
        v[j] = v[j - 1];
        j -= 1;
    }
    v[j] = value;
}

/// `std::__insertion_sort(first, last)`.
fn insertion_sort<T: Copy>(v: &mut [T], first: usize, last: usize, lt: &impl Less<T>) {
    for i in first.saturating_add(1)..last {
        if lt(&v[i], &v[first]) {
            let value = v[i];
            v.copy_within(first..i, first + 1);
            v[first] = value;
        } else {
            linear_insert(v, i, lt);
        }
    }
}

/// `std::__introsort_loop(first, last, depth)`.
fn introsort_loop<T: Copy>(
    v: &mut [T],
    first: usize,
    mut last: usize,
    mut depth: u32,
    lt: &impl Less<T>,
) {
    while last - first > 16 {
        if depth == 0 {
            partial_sort_range(v, first, last, last, lt);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(v, first, last, lt);
        introsort_loop(v, cut, last, depth, lt);
        last = cut;
    }
}

/// `std::sort(v.begin(), v.end(), lt)`.
pub(super) fn sort<T: Copy>(v: &mut [T], lt: &impl Less<T>) {
    let n = v.len();
    if n == 0 {
        return;
    }
    introsort_loop(v, 0, n, 2 * lg(n), lt);
    if n > 16 {
        insertion_sort(v, 0, 16, lt);
        for i in 16..n {
            linear_insert(v, i, lt);
        }
    } else {
        insertion_sort(v, 0, n, lt);
    }
}

/// `std::partial_sort(v.begin(), v.begin() + middle, v.end(), lt)`.
pub(super) fn partial_sort<T: Copy>(v: &mut [T], middle: usize, lt: &impl Less<T>) {
    partial_sort_range(v, 0, middle.min(v.len()), v.len(), lt);
}

/// `std::nth_element(v.begin(), v.begin() + nth, v.end(), lt)`.
pub(crate) fn nth_element<T: Copy>(v: &mut [T], nth: usize, lt: &impl Less<T>) {
    let (mut first, mut last) = (0, v.len());
    if first == last || nth >= last {
        return;
    }
    let mut depth = 2 * lg(last);
    while last - first > 3 {
        if depth == 0 {
            heap_select(v, first, nth + 1, last, lt);
            v.swap(first, nth);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(v, first, last, lt);
        if cut <= nth {
            first = cut;
        } else {
            last = cut;
        }
    }
    insertion_sort(v, first, last, lt);
}

#[cfg(test)]
mod tests {
    use super::{nth_element, partial_sort, sort};

    fn positions(v: &[(f64, usize)]) -> Vec<usize> {
        v.iter().map(|p| p.1).collect()
    }

    fn pairs(row: &[f64]) -> Vec<(f64, usize)> {
        row.iter().copied().zip(0..).collect()
    }

    fn gt(x: &(f64, usize), y: &(f64, usize)) -> bool {
        x.0 > y.0
    }

    fn lt(x: &(f64, usize), y: &(f64, usize)) -> bool {
        x.0 < y.0
    }

    #[test]
    fn nth_element_and_partial_sort_leave_libstdcxx_orders() {
        // torch 2.15: topk([3, 1, 7, 0, 6, 6, 9, 0, 7], 4, sorted=False)
        // (nth_element) gives [8, 6, 2, 4].
        let row = [3.0, 1.0, 7.0, 0.0, 6.0, 6.0, 9.0, 0.0, 7.0];
        let mut v = pairs(&row);
        nth_element(&mut v, 3, &gt);
        assert_eq!(positions(&v)[..4].to_vec(), vec![8, 6, 2, 4]);
        sort(&mut v[..3], &gt);
        assert_eq!(positions(&v)[..4].to_vec(), vec![6, 8, 2, 4]);
        // topk of 200 values i % 3, k = 3 (partial_sort): [8, 5, 2].
        let row: Vec<f64> = (0..200).map(|i| f64::from(i % 3)).collect();
        let mut v = pairs(&row);
        partial_sort(&mut v, 3, &gt);
        assert_eq!(positions(&v)[..3].to_vec(), vec![8, 5, 2]);
        let mut v = pairs(&row);
        partial_sort(&mut v, 2, &lt);
        assert_eq!(positions(&v)[..2].to_vec(), vec![3, 0]);
    }
}
