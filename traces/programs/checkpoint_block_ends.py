"""Gradient checkpointing around the blocks a CNN classifier has, each
ending in an operator whose last saved tensors are outputs that need no
grad: conv + BatchNorm (`native_batch_norm` saves `save_mean` and
`save_invstd`), conv + ReLU + MaxPool (`max_pool2d_with_indices` saves its
indices), flatten + Linear + Dropout, and `checkpoint_sequential` over a
Linear/LayerNorm/GELU/Linear/Dropout stack (its first segment ends in
`native_layer_norm`: `mean`, `rstd`); SGD with momentum on cross entropy.

The checkpoint's early stop raises from the pack of such an output, after
autograd attached the operator's node to its differentiable output, and no
`detach` runs in that pack: the capture finishes the op before each pack,
so the trace holds NativeBatchNormBackward0, MaxPool2DWithIndicesBackward0
and NativeLayerNormBackward0 for the recomputed outputs, as the runtime
makes them (before, the replay had them as extra nodes)."""
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)
b1 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4))
b2 = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
b3 = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.Dropout(0.3))
seq = nn.Sequential(nn.Linear(16, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 16), nn.Dropout(0.2))
head = nn.Linear(16, 3)
params = [p for m in (b1, b2, b3, seq, head) for p in m.parameters()]
opt = torch.optim.SGD(params, lr=0.05, momentum=0.9)
x = torch.randn(2, 3, 8, 8)
y = torch.tensor([0, 2])
for _ in range(3):
    h = checkpoint(b1, x, use_reentrant=False)
    h = checkpoint(b2, F.relu(h), use_reentrant=False)
    h = checkpoint(b3, h, use_reentrant=False)
    h = checkpoint_sequential(seq, 2, h, use_reentrant=False)
    loss = F.cross_entropy(head(h), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
