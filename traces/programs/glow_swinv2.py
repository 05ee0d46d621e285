"""Glow flow pieces and SwinV2 blocks, trained briefly, with a foreach EMA.

* Glow on 4x4 images: a `view`/`permute` squeeze, ActNorm with
  data-dependent initialisation under `no_grad` (`std`, `.data.copy_`, a
  uint8 `inited` buffer read with `.item()`), an LU-parametrised 1x1
  convolution (`torch.linalg.qr`, `torch.linalg.lu`, `tril`/`triu` masks,
  `diag`, `P @ L @ U` as a 1x1 `conv2d`), a plain 1x1 convolution whose
  log-determinant comes from `slogdet` in float64, and an affine coupling
  with a sigmoid scale; Adamax on the bits-per-dimension loss.
* SwinV2 blocks: scaled cosine attention (`F.normalize`, a clamped
  `logit_scale.exp()`), a continuous position-bias MLP over a
  `sign * log2(|x| + 1)` table indexed by a registered index buffer,
  `q_bias`/`v_bias` concatenated with `zeros_like`, post-norm residuals,
  layer scale and drop path with `new_empty(...).bernoulli_` and `div_`;
  AdamW with amsgrad.
* An exponential moving average kept with `torch._foreach_lerp_`, then
  `_foreach_mul_` + `_foreach_add_(alpha=)`; a bfloat16 autocast forward and
  backward; an `eval()` pass under `no_grad`.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.logs = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.register_buffer("inited", torch.tensor(0, dtype=torch.uint8))

    def forward(self, x):
        if self.inited.item() == 0:
            with torch.no_grad():
                mean = x.mean(dim=(0, 2, 3), keepdim=True)
                std = x.std(dim=(0, 2, 3), keepdim=True)
                self.loc.data.copy_(-mean)
                self.logs.data.copy_(torch.log(1 / (std + 1e-6)))
                self.inited.fill_(1)
        y = (x + self.loc) * torch.exp(self.logs)
        return y, x.shape[2] * x.shape[3] * self.logs.sum()


class InvConvLU(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = torch.linalg.qr(torch.randn(c, c))[0]
        P, L, U = torch.linalg.lu(w)
        s = torch.diag(U)
        self.register_buffer("P", P)
        self.register_buffer("sign_s", torch.sign(s))
        self.register_buffer("lmask", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("eye", torch.eye(c))
        self.L = nn.Parameter(L)
        self.log_s = nn.Parameter(torch.log(torch.abs(s)))
        self.U = nn.Parameter(torch.triu(U, 1))

    def weight(self):
        L = self.L * self.lmask + self.eye
        U = self.U * self.lmask.T + torch.diag(self.sign_s * torch.exp(self.log_s))
        return self.P @ L @ U

    def forward(self, x):
        w = self.weight()
        return F.conv2d(x, w.unsqueeze(2).unsqueeze(3)), x.shape[2] * x.shape[3] * self.log_s.sum()


class InvConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.linalg.qr(torch.randn(c, c))[0])

    def forward(self, x):
        ld = x.shape[2] * x.shape[3] * torch.slogdet(self.weight.double())[1].float()
        return F.conv2d(x, self.weight.view(*self.weight.shape, 1, 1)), ld


def squeeze2d(x):
    b, c, h, w = x.shape
    x = x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).contiguous()
    return x.view(b, c * 4, h // 2, w // 2)


class Glow(nn.Module):
    def __init__(self):
        super().__init__()
        self.an = ActNorm(4)
        self.ic = InvConvLU(4)
        self.ic2 = InvConv(4)
        self.net = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 3, padding=1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x):
        x = squeeze2d(x)
        x, l1 = self.an(x)
        x, l2 = self.ic(x)
        x, l3 = self.ic2(x)
        xa, xb = x.chunk(2, 1)
        h = self.net(xa)
        shift, scale = h[:, 0::2], h[:, 1::2]
        scale = torch.sigmoid(scale + 2.0)
        xb = (xb + shift) * scale
        l4 = torch.sum(torch.log(scale), dim=[1, 2, 3])
        z = torch.cat([xa, xb], 1)
        logp = -0.5 * (math.log(2 * math.pi) + z ** 2).sum([1, 2, 3])
        return logp + l1 + l2 + l3 + l4


glow = Glow()
opt = torch.optim.Adamax(glow.parameters(), lr=1e-3)
for step in range(3):
    x = torch.rand(2, 1, 4, 4) + torch.rand(2, 1, 4, 4) / 256
    ll = glow(x)
    loss = -(ll.mean() - math.log(256) * 16) / (16 * math.log(2))
    opt.zero_grad()
    loss.backward()
    opt.step()


class CosineAttention(nn.Module):
    def __init__(self, dim, heads, ws):
        super().__init__()
        self.heads, self.ws = heads, ws
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones((heads, 1, 1))))
        self.cpb = nn.Sequential(nn.Linear(2, 16), nn.ReLU(inplace=True), nn.Linear(16, heads, bias=False))
        rh = torch.arange(-(ws - 1), ws, dtype=torch.float32)
        table = torch.stack(torch.meshgrid([rh, rh], indexing="ij")).permute(1, 2, 0).contiguous().unsqueeze(0)
        table /= ws - 1
        table *= 8
        table = torch.sign(table) * torch.log2(torch.abs(table) + 1.0) / math.log2(8)
        self.register_buffer("table", table, persistent=False)
        c = torch.flatten(torch.stack(torch.meshgrid([torch.arange(ws), torch.arange(ws)], indexing="ij")), 1)
        rel = (c[:, :, None] - c[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += ws - 1
        rel[:, :, 1] += ws - 1
        rel[:, :, 0] *= 2 * ws - 1
        self.register_buffer("index", rel.sum(-1), persistent=False)
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias, requires_grad=False), self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias).reshape(B, N, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        scale = torch.clamp(self.logit_scale, max=math.log(1.0 / 0.01)).exp()
        attn = attn * scale
        tbl = self.cpb(self.table).view(-1, self.heads)
        bias = tbl[self.index.view(-1)].view(N, N, -1).permute(2, 0, 1).contiguous()
        attn = attn + 16 * torch.sigmoid(bias).unsqueeze(0)
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


def drop_path(x, p, training):
    if not training or p == 0:
        return x
    keep = 1 - p
    r = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    r.div_(keep)
    return x * r


class V2Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.attn = CosineAttention(dim, 2, 3)
        self.n1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.n2 = nn.LayerNorm(dim)
        self.ls = nn.Parameter(1e-1 * torch.ones(dim))

    def forward(self, x):
        x = x + drop_path(self.n1(self.attn(x)), 0.2, self.training)
        return x + drop_path(self.n2(self.mlp(x)).mul(self.ls), 0.2, self.training)


model = nn.Sequential(V2Block(8), V2Block(8))
ema = [p.detach().clone() for p in model.parameters()]
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05, amsgrad=True)
for step in range(3):
    x = torch.randn(3, 9, 8)
    loss = model(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        params = [p.detach() for p in model.parameters()]
        if step == 0:
            torch._foreach_lerp_(ema, params, 1.0 - 0.9)
        else:
            torch._foreach_mul_(ema, 0.9)
            torch._foreach_add_(ema, params, alpha=0.1)

with torch.autocast("cpu", dtype=torch.bfloat16):
    out = model(torch.randn(1, 9, 8))
out.float().sum().backward()
model.eval()
with torch.no_grad():
    print(model(torch.randn(1, 9, 8)).sum().item(), sum(e.sum() for e in ema).item())
