"""nn.LSTM on CPU's decomposed path: float64, and float32 with oneDNN off.

A two-layer batch_first float64 LSTM with an explicit (h0, c0) and a token
head trained one SGD step, then a float32 LSTM under
`torch.backends.mkldnn.flags(enabled=False)` (float32 LSTMs otherwise run
oneDNN's `mkldnn_rnn_layer`, see docs/CAPTURE.md §10): both run `lstm_cell`'s
decomposition (`linear`, `unsafe_chunk` gates, `sigmoid`, `tanh`) per step.
"""

import torch
from torch import nn

torch.manual_seed(0)

BATCH, STEPS, FEATURES, HIDDEN, CLASSES = 2, 2, 3, 2, 3

x = torch.randn(BATCH, STEPS, FEATURES, dtype=torch.float64)
y = torch.randint(0, CLASSES, (BATCH, STEPS))

lstm = nn.LSTM(FEATURES, HIDDEN, num_layers=2, batch_first=True, dtype=torch.float64)
head = nn.Linear(HIDDEN, CLASSES, dtype=torch.float64)
opt = torch.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.1)
state = (torch.zeros(2, BATCH, HIDDEN, dtype=torch.float64), torch.zeros(2, BATCH, HIDDEN, dtype=torch.float64))
out, (h_n, c_n) = lstm(x, state)
loss = nn.functional.cross_entropy(head(out).reshape(-1, CLASSES), y.reshape(-1)) + c_n.pow(2).mean()
loss.backward()
opt.step()
print("float64", f"{loss.item():.4f}")

with torch.backends.mkldnn.flags(enabled=False):
    lstm32 = nn.LSTM(FEATURES, HIDDEN)
    out, (h_n, c_n) = lstm32(x.float().transpose(0, 1))
    (out.pow(2).sum() + h_n.sum()).backward()
print("float32", tuple(out.shape), lstm32.weight_hh_l0.grad.abs().sum().item() > 0)
