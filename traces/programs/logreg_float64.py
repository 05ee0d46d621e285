"""Logistic regression in float64 written with raw tensor ops and a manual
gradient-descent update under torch.no_grad."""

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)

n, d = 8, 3
X = torch.randn(n, d)
true_w = torch.randn(d)
y = (X.mv(true_w) > 0).to(torch.get_default_dtype())

w = torch.zeros(d, requires_grad=True)
b = torch.zeros((), requires_grad=True)
lr = 0.5
eps = 1e-7
for step in range(3):
    p = torch.sigmoid(X.mv(w) + b)
    p = p.clamp(eps, 1 - eps)
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
