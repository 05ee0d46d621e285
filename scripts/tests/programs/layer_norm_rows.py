"""LayerNorm over 300 rows, backward twice: PyTorch's CPU kernel sums the
weight and bias gradients per intra-op thread (one block of rows each) and
then adds the threads' sums, so their float32 bits depend on the thread
count the capture ran with."""

import torch

torch.manual_seed(0)
norm = torch.nn.LayerNorm(64)
x = torch.randn(300, 64, requires_grad=True)
for _ in range(2):
    norm(x).pow(2).sum().backward()
