"""Preallocated output buffers and in-place matrix updates, as streaming
inference and online least-squares code writes them.

An MLP classifier is trained three SGD steps with its hidden layer
computed in place: `bias.expand(...).clone().addmm_(x, W.t())`
(AddmmBackward0 recorded by the in-place `addmm_`). Evaluation then runs
over batches into buffers allocated empty and sized by the first call
(`addmm(..., out=)`, `mm(..., out=)`, `amax(..., keepdim=True, out=)` for
a stable softmax, `mul(..., out=)`): the first batch resizes each buffer
(a product of transposed views keeps their column-major layout), later
batches write through the buffers as they are. An exponentially weighted
Gram matrix of float64 features is accumulated with `addmm_(X.t(), X,
beta=decay)` and solved for a ridge readout.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(29)
D, H, C = 6, 10, 4
x_all = torch.randn(24, D)
y_all = torch.randint(0, C, (24,))

fc1 = nn.Linear(D, H)
fc2 = nn.Linear(H, C)
opt = torch.optim.SGD(list(fc1.parameters()) + list(fc2.parameters()), lr=0.1)
for step in range(3):
    xb, yb = x_all[step * 8 : step * 8 + 8], y_all[step * 8 : step * 8 + 8]
    h = fc1.bias.expand(xb.shape[0], H).clone()
    h.addmm_(xb, fc1.weight.t(), beta=1.0, alpha=1.0)
    logits = fc2(torch.tanh(h))
    loss = F.cross_entropy(logits, yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("train", step, loss.item())

hidden = torch.empty(0)
logits = torch.empty(0)
peak = torch.empty(0)
probs = torch.empty(0)
with torch.no_grad():
    for b in range(3):
        xb = x_all[b * 8 : b * 8 + 8]
        torch.addmm(fc1.bias, xb, fc1.weight.t(), out=hidden)
        hidden.tanh_()
        torch.mm(hidden, fc2.weight.t(), out=logits)
        logits.add_(fc2.bias)
        torch.amax(logits, dim=1, keepdim=True, out=peak)
        e = (logits - peak).exp()
        torch.mul(e, e.sum(1, keepdim=True).reciprocal(), out=probs)
        print("eval", b, probs.argmax(1).tolist())

    # Per-feature interactions of transposed views: the resized buffer
    # takes TensorIterator's layout of its operands.
    inter = torch.empty(0)
    torch.mul(x_all[:5].t(), x_all[5:10].t(), out=inter)
    print("interactions", inter.stride(), inter.sum().item())

# Online ridge regression in float64 on the frozen hidden features.
X64 = torch.tanh(x_all.double() @ fc1.weight.detach().double().t())
w_true = torch.randn(H, 1, dtype=torch.float64)
y64 = X64 @ w_true + 0.05 * torch.randn(24, 1, dtype=torch.float64)
gram = torch.zeros(H, H, dtype=torch.float64)
moment = torch.zeros(H, 1, dtype=torch.float64)
decay = 0.9
for b in range(3):
    Xb, yb64 = X64[b * 8 : b * 8 + 8], y64[b * 8 : b * 8 + 8]
    gram.addmm_(Xb.t(), Xb, beta=decay)
    moment.addmm_(Xb.t(), yb64, beta=decay, alpha=1.0)
ridge = torch.linalg.solve(gram + 0.1 * torch.eye(H, dtype=torch.float64), moment)
resid = torch.empty(0, dtype=torch.float64)
torch.addmm(y64, X64, ridge, beta=1.0, alpha=-1.0, out=resid)
print("ridge residual", resid.pow(2).mean().item())
