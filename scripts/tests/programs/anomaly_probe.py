"""Anomaly mode for the capture tests: a backward under `detect_anomaly()`
(a node with an input that needs no gradient), `torch.autograd.grad` and a
backward of two roots (the engine's GraphRoot checks both) in it,
a backward under `check_nan=False`, a caught NaN from sqrt at zero under a
global `set_detect_anomaly(True)`, then anomaly mode off again."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
w = torch.randn(3, 2, requires_grad=True)
x = torch.randn(4, 3)
with torch.autograd.detect_anomaly():
    loss = F.mse_loss(x @ w, torch.zeros(4, 2))
    loss.backward()
    (gw,) = torch.autograd.grad((x @ w).sum(), [w])
    h = x @ w
    torch.autograd.backward([h.sum(), h.mean()])
print(gw.sum().item())
with torch.autograd.detect_anomaly(check_nan=False):
    (x @ w).relu().sum().backward()
torch.autograd.set_detect_anomaly(True)
r = torch.tensor([0.0, 4.0], requires_grad=True)
try:
    (r.sqrt() * 0).sum().backward()
except RuntimeError as e:
    print("caught", e)
torch.autograd.set_detect_anomaly(False)
print(w.grad.sum().item())
