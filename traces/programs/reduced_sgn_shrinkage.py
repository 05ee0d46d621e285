"""Soft-thresholding written with `torch.sgn` in bfloat16 and float16.

A learned sparse-coding layer (LISTA style) shrinks its pre-activation
`u` by `sgn(u) * relu(|u| - theta)`, trained two SGD steps in bfloat16
and then in float16. `sgn` of a real tensor has the zero gradient almost
everywhere, which PyTorch's `SgnBackward0` returns as an efficient zero
tensor; the engine adds it to the gradient `abs` sends to the same `u`
through the ZeroTensor `add`, whose meta `prims.add` runs the `add`
reference: for these dtypes both meta operands are converted to float32
and the sum back, so the backward dispatches `to(float32)` twice and
`to(dtype)` once around it.
"""

import torch
from torch import nn

torch.manual_seed(7)


class Shrink(nn.Module):
    def __init__(self, features: int, atoms: int) -> None:
        super().__init__()
        self.encode = nn.Linear(features, atoms)
        self.theta = nn.Parameter(torch.full((atoms,), 0.1))
        self.decode = nn.Linear(atoms, features, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.encode(x)
        code = torch.sgn(u) * torch.relu(u.abs() - self.theta)
        return self.decode(code)


for dtype in (torch.bfloat16, torch.float16):
    model = Shrink(6, 10).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(5, 6, dtype=dtype)
    for _ in range(2):
        opt.zero_grad()
        loss = (model(x) - x).pow(2).mean()
        loss.backward()
        opt.step()
    print(dtype, float(loss))
