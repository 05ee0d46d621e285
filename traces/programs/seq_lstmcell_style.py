"""A time_sequence_prediction-style model in float64: two LSTMCells unrolled over sine waves.

The modules are built in float64 (`dtype=torch.double`); the hidden and
cell states start from zeros of the input's dtype, outputs are `stack`ed and
`squeeze`d, an MSE loss, an LBFGS step with a closure (flattened gradients,
`dot`, in-place parameter updates), then a no_grad prediction of future
values.
"""

import torch
from torch import nn

torch.manual_seed(11)

N, T, H = 2, 3, 3


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, H, dtype=torch.double)
        self.lstm2 = nn.LSTMCell(H, H, dtype=torch.double)
        self.linear = nn.Linear(H, 1, dtype=torch.double)

    def forward(self, inp, future=0):
        outputs = []
        h_t = torch.zeros(inp.size(0), H, dtype=torch.double)
        c_t = torch.zeros(inp.size(0), H, dtype=torch.double)
        h_t2 = torch.zeros(inp.size(0), H, dtype=torch.double)
        c_t2 = torch.zeros(inp.size(0), H, dtype=torch.double)
        output = None
        for input_t in inp.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.stack(outputs, 1).squeeze(2)


x = torch.arange(N * (T + 1), dtype=torch.double).view(N, T + 1) / 4.0
data = torch.sin(x + torch.rand(N, 1, dtype=torch.double))
inp, target = data[:, :-1], data[:, 1:]

seq = Sequence()
criterion = nn.MSELoss()
optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=1, history_size=2)


def closure():
    optimizer.zero_grad()
    out = seq(inp)
    loss = criterion(out, target)
    loss.backward()
    return loss


optimizer.step(closure)
with torch.no_grad():
    pred = seq(inp[:1], future=1)
print(pred.shape)
