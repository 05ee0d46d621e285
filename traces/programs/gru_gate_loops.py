"""Elementwise loops over strided views: a GRU's gates and a SwiGLU's halves.

PyTorch's CPU loop runs the coalesced innermost dimension as runs, each
starting its own vector loop, so every row of a strided view ends in its
own scalar tail, where float32 `sigmoid` and `silu` take the C library's
`exp` instead of SLEEF's. A GRU language model (`nn.GRU`: its cell takes
`sigmoid_` in place on chunks of the gate matrix, rows of 40 inside rows
of 120) and an `nn.GRUCell` decoder train with SGD; a SwiGLU feed-forward
applies `silu` to one half of its projection (a strided input: the result
is contiguous, the rows are still runs) and its gradient to the same
view; a bfloat16 residual adds a broadcast bias row with an `alpha`
(every row of the result ends in its own twice-rounded tail).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, EMBED, HIDDEN, BATCH, STEPS = 20, 16, 40, 2, 4


class GruLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.cell = nn.GRUCell(HIDDEN, HIDDEN)
        self.up = nn.Linear(HIDDEN, 2 * 70)
        self.down = nn.Linear(70, HIDDEN)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens, h0):
        out, h = self.gru(self.embed(tokens), h0)
        # a GRUCell decoder over the encoder's states
        state = h[0]
        states = []
        for t in range(out.shape[1]):
            state = self.cell(out[:, t], state)
            states.append(state)
        x = torch.stack(states, 1)
        gate, value = self.up(x).chunk(2, dim=-1)
        x = x + self.down(F.silu(gate) * value)
        return self.head(x), h.detach()


model = GruLM()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
h = torch.zeros(1, BATCH, HIDDEN)
for step in range(2):
    tokens = torch.randint(0, VOCAB, (BATCH, STEPS + 1))
    logits, h = model(tokens[:, :-1], h)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tokens[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()

# in place on a strided view, out of place on a strided input
with torch.no_grad():
    gates = torch.randn(5, 3 * 45)
    gates[:, 45:90].sigmoid_()
    swish = F.silu(torch.randn(6, 2 * 37)[:, ::2])

# bfloat16 residual with a broadcast bias row and an alpha
x = torch.randn(3, 100).bfloat16()
bias = torch.randn(100).bfloat16()
y = torch.add(x, bias, alpha=0.37)
z = torch.sub(x, torch.randn(3, 1).bfloat16(), alpha=1.7)
print(loss.item(), gates.sum().item(), swish.sum().item(), y.float().sum().item(), z.float().sum().item())
