"""CTC training of a tiny acoustic model (`nn.CTCLoss`, `F.ctc_loss`).

Synthetic "utterances" of 8 filterbank features go through a Conv1d front
end, a bidirectional LSTM and a Linear head with `log_softmax` over 6 classes
(class 0 is the blank), trained a few SGD steps (momentum) on character targets:

* `nn.CTCLoss()` (mean over target lengths) with padded `(N, S)` targets and
  tensor lengths: `_ctc_loss.Tensor`, CtcLossBackward1,
  `clamp_min(target_lengths, 1)`, `div`, `mean`;
* `reduction="sum"` with concatenated 1-d targets and tuple lengths:
  `_ctc_loss.default`, CtcLossBackward0;
* `zero_infinity=True` with a sample whose target cannot fit its input (a
  repeated label needs a blank between): `eq(loss, inf)`, `where`, and the
  backward zeroing that sample's gradient;
* `reduction="none"` with per-sample weights, and an impossible sample's
  `inf` loss (not an error) under `no_grad`;
* an unbatched float64 `(T, C)` emission matrix fitted directly;
* bad lengths and a blank out of range, caught as PyTorch raises them;
* a greedy CTC decode (argmax per frame, repeats collapsed, blanks dropped)
  in Python over `.tolist()`.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
FEATURES, HIDDEN, CLASSES, FRAMES = 8, 10, 6, 12


class AcousticModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(FEATURES, HIDDEN, kernel_size=3, padding=1)
        self.lstm = nn.LSTM(HIDDEN, HIDDEN, bidirectional=True)
        self.head = nn.Linear(2 * HIDDEN, CLASSES)

    def forward(self, x):
        # x: (N, FEATURES, T) -> log-probabilities (T, N, CLASSES)
        h = F.relu(self.conv(x)).permute(2, 0, 1)
        h, _ = self.lstm(h)
        return self.head(h).log_softmax(dim=-1)


model = AcousticModel()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
features = torch.randn(3, FEATURES, FRAMES)
padded = torch.tensor([[1, 2, 2, 3], [4, 5, 1, 0], [3, 1, 0, 0]])
input_lengths = torch.tensor([12, 10, 7])
target_lengths = torch.tensor([4, 3, 2])
ctc_mean = nn.CTCLoss()
ctc_sum = nn.CTCLoss(reduction="sum")
losses = []
for step in range(3):
    opt.zero_grad()
    log_probs = model(features)
    if step < 2:
        loss = ctc_mean(log_probs, padded, input_lengths, target_lengths)
    else:
        concatenated = torch.tensor([1, 2, 2, 3, 4, 5, 1, 3, 1])
        loss = ctc_sum(log_probs, concatenated, (12, 10, 7), (4, 3, 2))
    loss.backward()
    opt.step()
    losses.append(loss.item())

# A batch with an impossible sample: [5, 5, 5] needs 5 frames, it has 4.
opt.zero_grad()
log_probs = model(features)
hard = torch.tensor([[2, 4, 1], [5, 5, 5], [1, 3, 3]])
robust = nn.CTCLoss(zero_infinity=True)
loss = robust(log_probs, hard, torch.tensor([12, 4, 9]), torch.tensor([3, 3, 3]))
loss.backward()
head_grad = model.head.bias.grad.tolist()
opt.step()

# Per-sample losses weighted by hand.
log_probs = model(features)
per_sample = F.ctc_loss(log_probs, padded, (12, 10, 7), (4, 3, 2), reduction="none")
weighted = (per_sample * torch.tensor([0.5, 1.0, 2.0])).sum()
weighted.backward()
with torch.no_grad():
    impossible = F.ctc_loss(log_probs, hard, (12, 4, 9), (3, 3, 3), reduction="none")

# An unbatched float64 emission matrix fitted directly.
emissions = torch.zeros(9, CLASSES, dtype=torch.float64, requires_grad=True)
sgd = torch.optim.SGD([emissions], lr=0.5)
for _ in range(2):
    sgd.zero_grad()
    fit = F.ctc_loss(
        emissions.log_softmax(dim=-1), torch.tensor([2, 2, 4]), torch.tensor(9), torch.tensor(3)
    )
    fit.backward()
    sgd.step()

errors = []
for lengths in ((13, 10, 7), (12, -1, 7)):
    try:
        F.ctc_loss(log_probs, padded, torch.tensor(lengths), target_lengths)
    except RuntimeError as e:
        errors.append(str(e))
try:
    F.ctc_loss(log_probs, padded, input_lengths, target_lengths, blank=CLASSES)
except RuntimeError as e:
    errors.append(str(e))

# Greedy decoding: the most likely class per frame, repeats collapsed,
# blanks dropped.
with torch.no_grad():
    best = model(features).argmax(dim=-1).t().tolist()
decoded = []
for frames, length in zip(best, input_lengths.tolist()):
    out, previous = [], None
    for c in frames[:length]:
        if c != previous and c != 0:
            out.append(c)
        previous = c
    decoded.append(out)

print([round(v, 4) for v in losses], round(loss.item(), 4), [round(g, 4) for g in head_grad])
print(impossible.tolist(), round(fit.item(), 4), decoded)
print(errors)
