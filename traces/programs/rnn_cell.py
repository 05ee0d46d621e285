"""A hand-written LSTM cell unrolled over a short sequence (cat, chunk,
sigmoid, tanh), a regression loss on the last hidden state, backward and an
SGD step."""

import torch
from torch import nn

torch.manual_seed(0)

BATCH, STEPS, IN, HIDDEN = 2, 5, 3, 4


class LSTMCell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.gates = nn.Linear(input_size + hidden_size, 4 * hidden_size)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        g = torch.tanh(g)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


cell = LSTMCell(IN, HIDDEN)
head = nn.Linear(HIDDEN, 1)
params = list(cell.parameters()) + list(head.parameters())
optimizer = torch.optim.SGD(params, lr=0.1)

inputs = torch.randn(STEPS, BATCH, IN)
target = torch.randn(BATCH, 1)

optimizer.zero_grad()
h = torch.zeros(BATCH, HIDDEN)
c = torch.zeros(BATCH, HIDDEN)
for t in range(STEPS):
    h, c = cell(inputs[t], (h, c))
loss = ((head(h) - target) ** 2).mean()
loss.backward()
optimizer.step()
