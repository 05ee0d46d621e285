"""Feature statistics large enough that PyTorch shares each sum between
its intra-op threads.

From 32 768 elements on, PyTorch's sum kernel runs on several threads: a
single total is summed in consecutive parts of its loop over memory, one
per thread (the parts may start and end inside a row), and the threads'
partials added last; several results are shared out by columns of a kept
dimension, in runs of 128 bytes where the columns are neighbours in memory.
So the float32 bits of these sums depend on the thread count the trace was
captured with. The program computes dataset statistics the way image and
sequence code does — per-channel means of a contiguous and of a
channels-last batch, the totals of a crop and of the channels-last batch,
the mean of every other column of a wide table, the mean over time of a
time-major sequence viewed batch-first, per-feature totals reduced on both
sides of the feature dimension — then trains a small head on the pooled
features for two SGD steps. Values span orders of magnitude per row, so
the terms cancel and the summation order decides the last bits.
"""

import torch
from torch import nn

torch.manual_seed(0)
images = torch.randn(16, 3, 32, 32) * torch.logspace(-2, 3, 32).reshape(1, 1, 32, 1)
table = torch.randn(1000, 100) * torch.logspace(-3, 3, 1000).reshape(1000, 1)
seq = torch.randn(128, 8, 32) * torch.logspace(-3, 3, 128).reshape(128, 1, 1)  # [time, batch, feature]

with torch.no_grad():
    mean = images.mean((0, 2, 3))
    channels_last = images.contiguous(memory_format=torch.channels_last)
    mean_cl = channels_last.mean((0, 2, 3), keepdim=True)
    crop_total = images[:, :, 2:30].sum()
    batch_total = channels_last.sum()
    column_totals = images.transpose(2, 3).sum((0, 1, 2))
    per_feature = seq.sum((0, 1))
    per_step = seq.sum((1, 2))
    even_features = table[:, ::2].mean(0)  # every other column of a wide table

pooled = seq.transpose(0, 1).mean(1)  # [batch, feature]: mean over time
head = nn.Linear(32, 4)
target = torch.randn(8, 4)
opt = torch.optim.SGD(head.parameters(), lr=1e-3, foreach=False)
for step in range(2):
    opt.zero_grad()
    features = pooled - per_feature / (128 * 8)
    loss = (head(features) - target).pow(2).mean()
    loss.backward()
    opt.step()

print(
    f"mean {mean.tolist()} {mean_cl.flatten().tolist()} crop {crop_total.item():.6f} {batch_total.item():.6f} "
    f"columns {column_totals[:3].tolist()} even {even_features[:3].tolist()} steps {per_step[:3].tolist()} loss {loss.item():.6f}"
)
