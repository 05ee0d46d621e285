"""Seven leaves made ready at the same time with equal ReadyQueue keys.

`torch.stack(rows)` gives StackBackward0 one edge per row; leaf i fills
i + 1 rows, so its AccumulateGrad depends on i + 1 edges, all from that one
node. When StackBackward0 has run, the seven AccumulateGrad nodes (depth 0,
sequence_nr 2^64-1: equal keys) become ready together and are pushed in
edge order p0..p6. PyTorch's ReadyQueue is a libstdc++
`std::priority_queue`, whose heap breaks such ties neither first-in
first-out nor last-in first-out: they run p0, p2, p5, p6, p4, p1, p3. The
distinct dependency counts (1..7) make the order visible in the push/pop
events themselves, not only in which tensors the nodes touch.

Along the way: a leaf's gradients from several rows are summed in its input
buffer (`aten.add`); p0's single gradient is a view of an expanded
(stride-0) tensor, so its AccumulateGrad copies it (`new_empty_strided` +
`copy_`), while the summed gradients of p1..p6 are dense and are stolen
(`detach`).
"""

import torch

torch.manual_seed(0)
ps = [torch.randn(3, requires_grad=True) for _ in range(7)]
rows = [p for i, p in enumerate(ps) for _ in range(i + 1)]
loss = torch.stack(rows).sum()
loss.backward()
