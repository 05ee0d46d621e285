"""A float64 click-through scorer: log-sigmoid features and BCE-with-logits.

A small logistic model in float64 (as a calibration or statistics pipeline
would keep it) scores 300 impressions, turns its logits into
log-probabilities with `F.logsigmoid` and trains on
`F.binary_cross_entropy_with_logits` with and without `pos_weight` and with
`reduction="none"`, `"mean"` and `"sum"`. PyTorch's float64 log-sigmoid runs
its vectorised kernel on every element: SLEEF's double `exp` and `log1p`,
whose last bit differs from the C library's in about one element in
seventeen, so the log-probabilities and losses pin those functions.
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

features = torch.randn(300, 6, dtype=torch.float64) * 2.0
clicks = (torch.rand(300, dtype=torch.float64) < 0.3).double()
model = torch.nn.Linear(6, 1).double()
opt = torch.optim.SGD(model.parameters(), lr=0.05)

for step in range(3):
    opt.zero_grad()
    logits = model(features).squeeze(1) * 3.0
    log_p = F.logsigmoid(logits)
    log_q = F.logsigmoid(-logits)
    nll = -(clicks * log_p + (1 - clicks) * log_q).mean()
    bce = F.binary_cross_entropy_with_logits(logits, clicks)
    weighted = F.binary_cross_entropy_with_logits(
        logits, clicks, pos_weight=torch.tensor(2.5, dtype=torch.float64), reduction="sum"
    )
    per_item = F.binary_cross_entropy_with_logits(logits, clicks, reduction="none")
    loss = nll + bce + weighted / 300 + per_item.max()
    loss.backward()
    opt.step()
    with torch.no_grad():
        print(step, nll.item(), bce.item(), weighted.item(), per_item.sum().item())
