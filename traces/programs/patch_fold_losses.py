"""A patch-based denoiser and the less common losses and in-place indexing
of training code.

* `nn.Unfold` cuts 2x2 patches (im2col), a Linear mixes each patch and
  `nn.Fold` puts them back (col2im, Col2ImBackward0 / Im2ColBackward0);
  a second Fold/Unfold pair has overlapping 3x3 windows with padding (the
  overlaps summed), trained by SGD; the overlapping pair again on
  bfloat16 and float16 blocks (col2im stores every sum in the element
  dtype, rounding after each addition).
* `PoissonNLLLoss` with `log_input=True`, `log_input=False` (the `eps` in
  the log) and `full=True` (the Stirling term where targets exceed 1),
  `HingeEmbeddingLoss`, and `CosineEmbeddingLoss` at batch size 1 and on
  1-D inputs.
* In-place indexing on non-leaf activations inside the forward:
  `masked_fill_` with a number and with a 0-dim tensor that requires grad,
  `index_add_` with `alpha`, `index_copy_`, and `index_fill_` with a
  learned 0-dim fill value whose index names a position twice
  (IndexFillBackward1: the value's gradient sums the positions of
  `_unique(index)` once each).
* Reduced-precision gathers with repeated indices: `table[rows, cols]` of
  bfloat16 and float16 tables (IndexBackward0 scatters the gradient with
  `index_put(accumulate=True)`, each repeated position's sum stored in the
  element dtype) and an explicit accumulating `index_put`; neighbour
  messages pooled by `scatter_reduce` (`sum`, `mean` with and without
  `include_self`, `prod`) of bfloat16 and float16 values, which PyTorch
  carries in float32 and rounds to the dtype once (ScatterReduceBackward0);
  `index_add_` of such messages with `alpha` 1 (carried in float32) and
  0.5 (each sum stored in the dtype).
"""

import torch
import torch.nn as nn

torch.manual_seed(0)

# Patch denoiser: unfold -> per-patch Linear -> fold.
images = torch.randn(2, 3, 4, 4)
noisy = images + 0.1 * torch.randn(2, 3, 4, 4)
unfold = nn.Unfold(kernel_size=2, stride=2)
fold = nn.Fold(output_size=(4, 4), kernel_size=2, stride=2)
mix = nn.Linear(12, 12)
overlap_unfold = nn.Unfold(kernel_size=3, padding=1)
overlap_fold = nn.Fold(output_size=(4, 4), kernel_size=3, padding=1)
smooth = nn.Conv1d(27, 27, 1)
opt = torch.optim.SGD(list(mix.parameters()) + list(smooth.parameters()), lr=0.05)
for _ in range(2):
    opt.zero_grad()
    patches = unfold(noisy).transpose(1, 2)
    out = fold(mix(patches).transpose(1, 2))
    out = overlap_fold(smooth(overlap_unfold(out))) / 9.0
    loss = ((out - images) ** 2).mean()
    loss.backward()
    opt.step()

# Overlapping folds of reduced-precision blocks, with their gradients.
for dtype in (torch.bfloat16, torch.float16):
    blocks = torch.randn(2, 3 * 9, 16).to(dtype).requires_grad_()
    folded = overlap_fold(blocks)
    (overlap_unfold(folded * 1.5) ** 2).sum().backward()

# Count regression and embedding losses.
head = nn.Linear(4, 3)
feats = torch.randn(6, 4)
counts = torch.tensor(
    [[0.0, 1.0, 2.0], [3.0, 0.0, 1.0], [1.0, 1.0, 4.0], [0.0, 2.0, 0.5], [5.0, 1.0, 0.0], [2.0, 0.0, 1.5]]
)
pairs = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
opt = torch.optim.SGD(head.parameters(), lr=0.05)
for _ in range(2):
    opt.zero_grad()
    out = head(feats)
    loss = nn.PoissonNLLLoss(log_input=True)(out, counts)
    loss = loss + nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-4)(out.exp(), counts)
    loss = loss + nn.PoissonNLLLoss(log_input=True, full=True, reduction="sum")(out, counts) / 18
    loss = loss + nn.HingeEmbeddingLoss(margin=1.0)(out.norm(dim=1), pairs)
    loss = loss + nn.CosineEmbeddingLoss(margin=0.1)(out[:1], out[1:2].detach() + 1.0, torch.tensor([-1.0]))
    loss = loss + nn.CosineEmbeddingLoss()(out[2], out[3], torch.tensor(1.0))
    loss.backward()
    opt.step()

# In-place indexing on activations, with learned fill values.
layer = nn.Linear(4, 6)
x = torch.randn(5, 4)
source = torch.randn(5, 2, requires_grad=True)
fill_value = torch.tensor(0.3, requires_grad=True)
mask_value = torch.tensor(-0.2, requires_grad=True)
mask = x[:, :1].expand(5, 6) > 0
opt = torch.optim.SGD(list(layer.parameters()) + [source, fill_value, mask_value], lr=0.05)
for _ in range(2):
    opt.zero_grad()
    h = layer(x)
    h.masked_fill_(mask, 0.5)
    h = h.tanh() * 2.0
    h.index_add_(1, torch.tensor([4, 0]), source, alpha=0.5)
    g = h * 1.5
    g.index_copy_(1, torch.tensor([1, 3]), source * 3.0)
    g.index_fill_(1, torch.tensor([2, 5, 2]), fill_value)
    g.masked_fill_(~mask, mask_value)
    loss = (g**2).mean()
    loss.backward()
    opt.step()

# Reduced-precision gathers with repeated indices.
rows = torch.tensor([0, 2, 2, 2, 1, 2, 0, 2])
cols = torch.tensor([1, 3, 3, 3, 0, 3, 1, 3])
for dtype in (torch.bfloat16, torch.float16):
    table = torch.randn(3, 4).to(dtype).requires_grad_()
    picked = table[rows, cols] * torch.linspace(0.5, 2.0, 8).to(dtype)
    bumped = table.index_put((rows, cols), torch.full((8,), 0.3).to(dtype), accumulate=True)
    (picked.float().sum() + bumped.float().pow(2).sum()).backward()

# Neighbour pooling with scatter_reduce on reduced-precision messages.
targets = torch.tensor([1, 1, 1, 2, 1, 1, 3, 1, 2, 1]).unsqueeze(1).expand(10, 4).contiguous()
for dtype in (torch.bfloat16, torch.float16):
    messages = torch.randn(10, 4).to(dtype).requires_grad_()
    nodes = torch.randn(4, 4).to(dtype)
    pooled = nodes.scatter_reduce(0, targets, messages, "sum")
    pooled = pooled + nodes.scatter_reduce(0, targets, messages, "mean")
    pooled = pooled + nodes.scatter_reduce(0, targets, messages, "mean", include_self=False)
    pooled = pooled + nodes.scatter_reduce(0, targets, messages * 0.5 + 1.0, "prod")
    pooled = pooled * 1.0
    edges = torch.arange(40) % 3 + 1
    many = torch.randn(40, 4).to(dtype).requires_grad_()
    pooled.index_add_(0, edges, many)
    pooled.index_add_(0, edges, many, alpha=0.5)
    pooled.float().pow(2).sum().backward()
