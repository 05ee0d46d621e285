"""Complex-valued convolution and recurrence in training. A complex64
`nn.Conv1d` and `nn.Conv2d` (PyTorch convolves complex tensors as three
real convolutions of the parts and rebuilds the result with
`real_part + 1j * imag_part`: MulBackward1 multiplies the gradient by the
conjugated scalar, `-1j`, and keeps the real part of it for the real
operand, `view_as_real`, `select`), a hand-written complex RNN cell with
`tanh` and a `sigmoid` gate (TanhBackward0/SigmoidBackward0 as
`grad · conj(1 - y²)`, `grad · conj((1 - y) y)`), an identity
initialisation of the recurrent weight with `torch.eye` of a complex
dtype, an einsum whose result has a size-1 dimension (its `abs` keeps the
input's strides, as `empty_like` does), and complex vector norms:
`torch.linalg.vector_norm` of orders 2, 1 and inf (norms of the moduli,
real results) and `clip_grad_norm_` over complex gradients without
foreach. Adam steps, then an eval under no_grad."""

import torch
import torch.nn as nn

torch.manual_seed(0)

conv1 = nn.Conv1d(2, 3, 3, padding=1, dtype=torch.cfloat)
conv2 = nn.Conv2d(1, 2, 3, padding=1, dtype=torch.cfloat)
w_in = nn.Parameter(torch.randn(3, 4, dtype=torch.cfloat) * 0.3)
w_h = nn.Parameter(torch.eye(4, dtype=torch.cfloat) * 0.5)
mix = nn.Parameter(torch.randn(2, 1, 4, 2, dtype=torch.cfloat) * 0.3)
params = [*conv1.parameters(), *conv2.parameters(), w_in, w_h, mix]
opt = torch.optim.Adam(params, lr=1e-2)

seq = torch.randn(2, 2, 5, dtype=torch.cfloat)
img = torch.randn(2, 1, 4, 4, dtype=torch.cfloat)


def forward():
    feats = conv1(seq).transpose(1, 2)  # [2, 5, 3]
    h = torch.zeros(2, 4, dtype=torch.cfloat)
    for t in range(feats.shape[1]):
        z = feats[:, t] @ w_in + h @ w_h
        h = torch.tanh(z) * torch.sigmoid(z)
    maps = conv2(img).flatten(2)  # [2, 2, 16]
    y = torch.einsum("bc,bkcl->bkl", h, mix)  # [2, 1, 2]
    loss = y.abs().sum() + maps.abs().pow(2).mean()
    loss = loss + torch.linalg.vector_norm(h, dim=1).mean()
    loss = loss + torch.linalg.vector_norm(maps, ord=1) * 1e-2
    return loss + torch.linalg.vector_norm(feats, ord=float("inf"))


for _ in range(2):
    loss = forward()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=False)
    opt.step()

with torch.no_grad():
    print(loss.item(), forward().item())
