"""Fills whose value is a tensor, and the functional fills, in the
word_language_model style: a tied-weight GRU language model trained two steps
with clip_grad_norm_, then sampled one token at a time by writing the drawn
index into the (1, 1) input with `inp.fill_(word_idx)` (fill_.Tensor, an int64
0-dim value into an int64 tensor).

The rest of the fill family, with gradients: `torch.fill(x, v)` (fill.Tensor,
FillBackward1: zeros for self, grad.sum() for the value), `torch.fill(x, 0.5)`
(fill.Scalar, FillBackward0) on a transposed input (the result keeps its
strides), `h.fill_(v)` and `h.fill_(0.25)` on non-leaf activations
(FillBackward3 / FillBackward2), a float64 learnable value filling a float32
tensor (its gradient summed in float32, then cast), and the value conversions
fill_.Tensor does as copy_ does: a float truncated into int32, an int64 that
wraps into int8, a bool, and complex fills (a complex value into complex64,
its real part into float32, a Python complex into complex128).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(11)

NTOKEN, NHID, BPTT, BSZ = 10, 6, 3, 2


class TiedGRU(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Embedding(NTOKEN, NHID)
        self.rnn = nn.GRU(NHID, NHID)
        self.decoder = nn.Linear(NHID, NTOKEN)
        self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, inp, hidden):
        output, hidden = self.rnn(self.encoder(inp), hidden)
        return F.log_softmax(self.decoder(output).view(-1, NTOKEN), dim=1), hidden


model = TiedGRU()
data = torch.randint(0, NTOKEN, (BPTT * 2 + 1, BSZ))
hidden = torch.zeros(1, BSZ, NHID)
for i in range(0, BPTT * 2, BPTT):
    model.zero_grad()
    hidden = hidden.detach()
    output, hidden = model(data[i : i + BPTT], hidden)
    loss = F.nll_loss(output, data[i + 1 : i + 1 + BPTT].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    for p in model.parameters():
        p.data.add_(p.grad, alpha=-2.0)
    print(f"step loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    inp = torch.randint(NTOKEN, (1, 1), dtype=torch.long)
    h = torch.zeros(1, 1, NHID)
    words = []
    for _ in range(5):
        output, h = model(inp, h)
        word_weights = output.squeeze().div(0.8).exp()
        word_idx = torch.multinomial(word_weights, 1)[0]
        inp.fill_(word_idx)
        words.append(word_idx.item())
print("sampled", words)

# the fill family with gradients
x = torch.randn(3, 4, requires_grad=True)
v = torch.tensor(1.5, requires_grad=True)
v64 = torch.tensor(-0.75, dtype=torch.float64, requires_grad=True)
filled = torch.fill(x, v)
halves = torch.fill(x.t(), 0.5)
h = x * 2.0
h.fill_(v)
g = x + 1.0
g.fill_(0.25)
wide = torch.fill(x, v64)
loss = (filled * x).sum() + (halves * halves).sum() + h.pow(2).sum() + g.sum() + wide.sum()
loss.backward()
print("strides", halves.stride(), "grads", x.grad.sum().item(), v.grad.item(), v64.grad.item())

# value conversions
counts = torch.zeros(2, 3, dtype=torch.int32).fill_(torch.tensor(3.9))
wrapped = torch.zeros(4, dtype=torch.int8).fill_(torch.tensor(300))
flags = torch.zeros(3, dtype=torch.bool).fill_(torch.tensor(2))
phases = torch.zeros(2, 2, dtype=torch.complex64).fill_(torch.tensor(1 - 2j, dtype=torch.complex64))
real_part = torch.fill(torch.zeros(3), torch.tensor(0.5 + 4j, dtype=torch.complex64))
constant = torch.fill(torch.zeros(2, dtype=torch.complex128), 2 + 3j)
print(counts.sum().item(), wrapped.tolist(), flags.tolist(), real_part.tolist())
print(torch.view_as_real(phases).sum(0).tolist(), torch.view_as_real(constant).tolist())
