"""Adam on parameters whose gradient is zero up to rounding.

A convolution's bias followed by InstanceNorm, and the key bias of
nn.MultiheadAttention's packed input projection, get gradients that are
exactly zero in exact arithmetic (the normalisation and the softmax remove
any constant shift), so what PyTorch computes for them is rounding noise of
~1e-9. Adam divides the first moment by the square root of the second, so
each such parameter moves by about the full learning rate in the direction
of the noise's sign. PyTorch itself, run on one thread and on two, disagrees
on them beyond float32's tolerance; so does any other correct implementation.
ft-replay
accepts this drift because every operator matches when run on PyTorch's own
inputs (anchored); the test data sits outside traces/ because re-capturing it
on another CPU changes the noise, and with it the recorded parameters.
"""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class NoisyGradients(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.norm = nn.InstanceNorm2d(4, affine=True)
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)
        self.head = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm(self.conv(x)))
        tokens = h.flatten(2).transpose(1, 2)
        attended, _ = self.attn(tokens, tokens, tokens, need_weights=False)
        return self.head(attended.mean(1))


model = NoisyGradients()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(2, 1, 4, 4)
y = torch.tensor([0, 2])
for _ in range(2):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
