"""bfloat16 one request at a time: matrix-vector products and bias-added batched attention.

A metering service scores one reading at a time, so its inputs are vectors
with no batch dimension, in bfloat16 end to end. Each request holds a
meter's previous and current cumulative energy counters (about 1.7e7 Wh,
which bfloat16 keeps in steps of 131072 Wh) among 22 small telemetry
features, and the encoder's first two rows are set by hand to read the
consumption (`now - prev`): the products of about 1.7e7 cancel (float32's
spacing there is 2), so each output is what PyTorch's float32 accumulation
keeps in its summation order. The request path exercises `w @ x` (mv on the
vectorised 8-lane dot), `torch.addmv` with the bias (gemv's in-order loop,
`beta`/`alpha`), `torch.dot` for the readout, `torch.vdot` for a
similarity, `torch.outer`/`torch.addr` for a decaying Hebbian trace (in the
dtype, rounded after every step), a tied decoder `w.t() @ h` (mv on a
column-major matrix), `F.linear` on a 1-D input (addmm of one row), and a
float16 copy (`addmv` with `beta=0.5` on the float16 fast path); a few
online SGD steps run their backward (MvBackward0, AddmvBackward0,
DotBackward0: more matrix-vector products, on transposed matrices).

Then a window of the meter's last eight readings goes through ALiBi-style
attention: `torch.baddbmm(bias, q, k^T, alpha=1/sqrt(d))` with a per-head
linear distance bias (the GEMM loops per head, `4·8·16·8 = 4096`
multiply-adds), a two-head local variant small enough for the naive batched loop
with `beta=0.5`, `bmm` for the context and `torch.addbmm` summing the
heads' output projections onto a bias, with their backward. Every product
is below oneDNN's `16³` threshold, where PyTorch's own loops run.
"""

import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
bf = torch.bfloat16
FEATURES, HIDDEN = 24, 12
PREV, NOW = 3, 13

w1 = torch.randn(HIDDEN, FEATURES) * 0.25
w1[:2] *= 0.25
w1[:, PREV] = 0.0
w1[:, NOW] = 0.0
w1[0, PREV], w1[0, NOW] = -1.0, 1.0  # consumption
w1[1, PREV], w1[1, NOW] = 1.0, -1.0  # its negation, for a symmetric head
w1 = w1.to(bf).requires_grad_()
# the meter columns are fixed: their gradients are masked out
frozen = torch.ones(HIDDEN, FEATURES, dtype=bf)
frozen[:, [PREV, NOW]] = 0.0
w1.register_hook(lambda g: g * frozen)
b1 = (torch.randn(HIDDEN) * 0.1).to(bf).requires_grad_()
w2 = (torch.randn(HIDDEN) * 0.3).to(bf).requires_grad_()
opt = torch.optim.SGD([w1, b1, w2], lr=0.01)


def request():
    # the meter's cumulative energy counter in Wh (about 1.7e7; bfloat16
    # keeps it in steps of 131072 Wh), idle (no step) about half the time
    x = torch.randn(FEATURES) * 0.75
    prev = 2.0**24 + 2.0**17 * torch.randint(0, 16, ()).item()
    x[PREV] = prev
    x[NOW] = prev + 2.0**17 * torch.randint(0, 2, ()).item()
    return x.to(bf)


for step in range(4):
    x = request()
    target = torch.randn((), dtype=bf)
    pre = w1 @ x  # mv, the vectorised dot
    h = torch.tanh(torch.addmv(b1, w1, x))  # addmv, gemv's loop
    score = torch.dot(w2, h)
    recon = w1.t() @ h  # tied decoder: mv on a column-major matrix
    telemetry = torch.cat([x[:PREV], x[PREV + 1 : NOW], x[NOW + 1 :]])
    recon_t = torch.cat([recon[:PREV], recon[PREV + 1 : NOW], recon[NOW + 1 :]])
    residual = torch.addmv(telemetry, w1[2:, :22].t(), h[2:], beta=1.0, alpha=-0.5)
    loss = (score - target) ** 2 + 1e-3 * residual.pow(2).mean() + 1e-3 * recon_t.pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    # rows 0 and 1 read the consumption and its negation: their sum is
    # what the small telemetry weights leave
    print(step, pre[:2].tolist(), (pre[0] + pre[1]).item(), score.item(), loss.item())

with torch.no_grad():
    x = request()
    print("linear 1-d", F.linear(x, w1, b1)[:2].tolist())
    print("vdot", torch.vdot(w1[0], x).item(), torch.vdot(x / 2**20, x / 2**20).item())
    print("scaled addmv", torch.addmv(b1, w1, x, beta=0.5, alpha=2.0)[:2].tolist())
    # a decaying Hebbian trace of which units fire with which inputs
    h = torch.tanh(torch.addmv(b1, w1, x))
    trace = torch.outer(h, x / 2**20)
    trace = torch.addr(trace, h, x / 2**20, beta=0.9, alpha=0.1)
    trace = torch.addr(trace, h.flip(0), x / 2**20, beta=0.0, alpha=2.5)
    print("trace", trace.float().abs().sum().item())
    kwh = (x / 1024).half()  # float16 tops out at 65504: the counter in kWh
    half = torch.addmv(b1.half(), w1.half(), kwh, beta=0.5)
    print("float16", half[:2].tolist(), torch.mv(w1.half(), kwh)[:2].tolist())

# ALiBi attention over the last eight readings of the meter
heads, T, d = 4, 8, 16
window = torch.stack([request()[:d] for _ in range(T)]) / 2**24  # [T, d]
wq = (torch.randn(heads, d, d) / 4).to(bf).requires_grad_()
wk = (torch.randn(heads, d, d) / 4).to(bf).requires_grad_()
wv = (torch.randn(heads, d, d) / 4).to(bf).requires_grad_()
wo = (torch.randn(heads, d, d) / 4).to(bf).requires_grad_()
bo = torch.zeros(d, dtype=bf, requires_grad=True)
xs = window.expand(heads, T, d)
q, k, v = torch.bmm(xs, wq), torch.bmm(xs, wk), torch.bmm(xs, wv)
slopes = torch.tensor([2.0 ** -(i + 1) for i in range(heads)])
pos = torch.arange(T, dtype=torch.float32)
alibi = (-slopes[:, None, None] * (pos[None, :] - pos[:, None]).abs()).to(bf)
scores = torch.baddbmm(alibi, q, k.transpose(1, 2), alpha=1 / math.sqrt(d))
attn = scores.float().softmax(-1).to(bf)
context = torch.bmm(attn, v)
out = torch.addbmm(bo, context, wo)
local = torch.baddbmm(alibi[:2, :4, :4], q[:2, :4, :4], k[:2, :4, :4].transpose(1, 2), beta=0.5, alpha=0.25)
attn_loss = out.float().pow(2).mean() + local.float().sum()
attn_loss.backward()
print("attention", out.float().sum().item(), local.float().sum().item())
print("grads", wq.grad.float().abs().sum().item(), wo.grad.float().abs().sum().item(), bo.grad.float().sum().item())
