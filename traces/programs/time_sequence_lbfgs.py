"""time_sequence_prediction with L-BFGS and its strong-Wolfe line search.

Two stacked float32 `nn.LSTMCell`s and a linear head predict the next
value of noisy sine waves, unrolled step by step (`split`, `stack`,
`squeeze`); `torch.optim.LBFGS` with a closure trains it twice: first
with a fixed step (`line_search_fn=None`), then with
`line_search_fn="strong_wolfe"` (the closure re-evaluated along the
direction, `_cubic_interpolate`'s scalar arithmetic on `.item()` values,
the curvature tests on flattened gradients `dot`), a history of three
pairs. After each, a `no_grad` prediction runs the cells past the input
for two future steps and scores the known part.
"""

import torch
from torch import nn

torch.manual_seed(2)

N, T, H = 3, 6, 5


class Sequence(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, H)
        self.lstm2 = nn.LSTMCell(H, H)
        self.linear = nn.Linear(H, 1)

    def forward(self, inp: torch.Tensor, future: int = 0) -> torch.Tensor:
        outputs = []
        h_t = torch.zeros(inp.size(0), H)
        c_t = torch.zeros(inp.size(0), H)
        h_t2 = torch.zeros(inp.size(0), H)
        c_t2 = torch.zeros(inp.size(0), H)
        output = inp[:, :1]
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


x = torch.arange(N * (T + 1)).view(N, T + 1).float() / 4.0
data = torch.sin(x + torch.rand(N, 1))
inp, target = data[:, :-1], data[:, 1:]
seq = Sequence()
criterion = nn.MSELoss()

for line_search in (None, "strong_wolfe"):
    optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=4, history_size=3, line_search_fn=line_search)
    for _ in range(2):

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            loss = criterion(seq(inp), target)
            loss.backward()
            return loss

        optimizer.step(closure)
    with torch.no_grad():
        future = 2
        pred = seq(inp, future=future)
        loss = criterion(pred[:, :-future], target)
    print(line_search, f"{loss.item():.5f}", tuple(pred.shape))
