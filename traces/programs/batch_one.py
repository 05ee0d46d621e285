"""Batch size 1 and a one-element parameter: a linear map without bias plus
a scalar bias nn.Parameter(torch.zeros(1)), forward, backward, SGD step."""

import torch
from torch import nn

torch.manual_seed(0)


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1, bias=False)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) + self.bias


model = Tiny()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(1, 4)
y = torch.randn(1, 1)

optimizer.zero_grad()
loss = nn.functional.mse_loss(model(x), y)
loss.backward()
optimizer.step()
