"""The derived ReadyQueue: libstdc++ heap order and the engine simulation."""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest

from ft_capture.schedule import LibstdcxxHeap, dependency_counts, simulate_schedule


def pop_all(heap: LibstdcxxHeap) -> list:
    return [heap.pop() for _ in range(len(heap))]


def test_seven_tied_items_pop_in_libstdcxx_order():
    # PyTorch ran 7 AccumulateGrads made ready together in this order.
    heap = LibstdcxxHeap(lambda a, b: False)
    for i in range(7):
        heap.push(i)
    assert pop_all(heap) == [0, 2, 5, 6, 4, 1, 3]


def test_distinct_keys_pop_largest_first():
    keys = list(range(50))
    random.Random(7).shuffle(keys)
    heap = LibstdcxxHeap(lambda a, b: a < b)
    for k in keys:
        heap.push(k)
    assert pop_all(heap) == sorted(keys, reverse=True)


def test_interleaved_pushes_and_pops_with_ties_by_hand():
    # key = item // 10; items with equal tens digit tie.
    heap = LibstdcxxHeap(lambda a, b: a // 10 < b // 10)
    for item in (10, 11, 12, 20):
        heap.push(item)
    # array [20, 10, 12, 11]: 20 sifted up past 11 and 10
    assert heap.pop() == 20  # __adjust_heap leaves [12, 10, 11]
    heap.push(13)  # [12, 10, 11, 13]: ties never move up
    assert pop_all(heap) == [12, 11, 10, 13]


CPP_ORACLE = r"""
#include <cstdio>
#include <queue>
#include <vector>
struct Item { int key; int id; };
struct Less { bool operator()(const Item& a, const Item& b) const { return a.key < b.key; } };
int main() {
  std::priority_queue<Item, std::vector<Item>, Less> q;
  char op; int key, id;
  while (std::scanf(" %c", &op) == 1) {
    if (op == 'u') { std::scanf("%d %d", &key, &id); q.push(Item{key, id}); }
    else { std::printf("%d\n", q.top().id); q.pop(); }
  }
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ for the std::priority_queue oracle")
def test_matches_std_priority_queue(tmp_path):
    source = tmp_path / "oracle.cpp"
    source.write_text(CPP_ORACLE)
    binary = tmp_path / "oracle"
    subprocess.run(["g++", "-O1", "-o", str(binary), str(source)], check=True)
    rng = random.Random(2015)
    for trial in range(20):
        script, expected_ids = [], []
        heap = LibstdcxxHeap(lambda a, b: a[0] < b[0])
        size = 0
        for item_id in range(200):
            if size and rng.random() < 0.4:
                script.append("o")
                expected_ids.append(heap.pop()[1])
                size -= 1
            else:
                key = rng.randrange(4)  # few keys: many ties
                script.append(f"u {key} {item_id}")
                heap.push((key, item_id))
                size += 1
        while size:
            script.append("o")
            expected_ids.append(heap.pop()[1])
            size -= 1
        run = subprocess.run([str(binary)], input="\n".join(script), capture_output=True, text=True, check=True)
        assert [int(x) for x in run.stdout.split()] == expected_ids, f"trial {trial}"


def test_dependencies_count_edges_not_nodes():
    # root -> a twice (x * x), a -> leaf
    successors = {"root": ["a", "a"], "a": ["leaf"], "leaf": []}
    assert dependency_counts("root", successors) == {"root": 0, "a": 2, "leaf": 1}


def test_node_waits_for_all_incoming_edges():
    # diamond: mul feeds sin and cos, both feed add (root)
    successors = {"add": ["sin", "cos"], "sin": ["mul"], "cos": ["mul"], "mul": ["acc"], "acc": []}
    key = {"add": (0, 4), "sin": (0, 2), "cos": (0, 3), "mul": (0, 1), "acc": (0, 2**64 - 1)}
    steps = simulate_schedule("add", successors, key)
    assert [(s.node, s.pushed) for s in steps] == [
        ("add", ["sin", "cos"]),
        ("cos", []),  # higher sequence number first
        ("sin", ["mul"]),
        ("mul", ["acc"]),
        ("acc", []),
    ]


def test_accumulate_grad_outranks_every_other_node():
    successors = {"root": ["f", "acc"], "f": [], "acc": []}
    key = {"root": (0, 9), "f": (0, 8), "acc": (0, 2**64 - 1)}
    assert [s.node for s in simulate_schedule("root", successors, key)] == ["root", "acc", "f"]
