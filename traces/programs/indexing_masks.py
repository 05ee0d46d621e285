"""Masks, in-place index writes and window views, forward and backward,
in float32 and float64: `masked_select` with a broadcast mask
(MaskedSelectBackward0 → `zeros_like` + `masked_scatter`), `x[idx] = number`
(`index_fill_`, IndexFillBackward0), `x[idx] = tensor` and `index_put_`
on a non-leaf (IndexPutBackward0 rebased onto the written tensor),
in-place `scatter_` / `scatter_add_` with autograd, `roll` over the
flattened tensor and over several dims (RollBackward0), sliding windows
with `unfold` (UnfoldBackward0 → `unfold_backward`), `index_add` with an
alpha and `index_copy_` (IndexAddBackward0 / IndexCopyBackward0). int64
tensors take the same in-place writes without autograd."""

import torch

torch.manual_seed(0)

for dtype in (torch.float32, torch.float64):
    w = torch.randn(4, 5, dtype=dtype, requires_grad=True)
    src = torch.randn(4, 1, dtype=dtype, requires_grad=True)
    keep = torch.tensor([True, False, True, True, False])
    picked = w.masked_select(keep)                         # broadcast mask
    positive = w.masked_select(w.detach() > 0)
    filled = w * 2
    filled[torch.tensor([0, 3])] = -1.0                    # index_fill_
    put = w * 3
    put.index_put_((torch.tensor([1, 2]),), torch.ones(2, 5, dtype=dtype) * src[:2])
    put[torch.tensor([3])] = torch.tensor(0.5, dtype=dtype)
    scattered = w * 4
    scattered.scatter_(1, torch.tensor([[0], [2], [4], [1]]), src)
    added = w * 5
    added.scatter_add_(1, torch.tensor([[1], [1], [3], [0]]), src)
    rolled = w.roll(3) + w.roll((1, -2), (0, 1))
    windows = w.unfold(1, 3, 2)                            # [4, 2, 3]
    pooled = w.index_add(0, torch.tensor([1, 1, 3, 0]), w * src, alpha=0.5)
    copied = w * 6
    copied.index_copy_(1, torch.tensor([4, 0]), w[:, 1:3])
    loss = (picked.sum() + (positive * positive).sum() + (filled * filled).sum() + (put * w).sum()
            + (scattered * scattered).sum() + added.sum() + (rolled * w).sum() + (windows * windows).sum() + (pooled * pooled).sum()
            + (copied * copied).sum())
    loss.backward()

counts = torch.zeros(3, 4, dtype=torch.long)
counts[torch.tensor([0, 2])] = 7
counts.scatter_(1, torch.tensor([[3], [0], [1]]), -5)
counts.index_put_((torch.tensor([1]), torch.tensor([2])), torch.tensor(2**60 + 1), accumulate=True)
print(counts.roll(1, 0).unfold(1, 2, 2).tolist(), counts.masked_select(counts > 0).tolist())
