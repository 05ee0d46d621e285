"""DDPM training as the common denoising-diffusion tutorials write it.

A linear beta schedule, `alphas_cumprod = torch.cumprod(1 - betas, 0)`,
`sqrt` and `sqrt(1 - .)` tables gathered by a random timestep per sample
(`a.gather(-1, t)` then `reshape(b, 1, 1, 1)`), `torch.randn_like` noise,
sinusoidal time embeddings (`exp(arange * -log(10000) / (half - 1))`,
outer product by broadcasting, `cat((sin, cos), dim=-1)`) through a
Linear + GELU MLP, a two-level conv UNet with GroupNorm + SiLU residual
blocks, the time embedding added as `[:, :, None, None]`, a strided
downsampling conv, nearest `F.interpolate` upsampling and a skip
`torch.cat`; MSE on the predicted noise, Adam with gradient clipping, an
EMA copy of the weights by `torch._foreach_lerp_`, plus
`torch.optim.swa_utils.AveragedModel` with an EMA `multi_avg_fn`. Then two
ancestral sampling steps with the EMA model under `torch.no_grad()`
(posterior variance from `F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)`).
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

torch.manual_seed(0)
T = 50
betas = torch.linspace(1e-4, 0.02, T)
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, dim=0)
alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
sqrt_recip_alphas = torch.sqrt(1.0 / alphas)
sqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)
sqrt_one_minus_alphas_cumprod = torch.sqrt(1.0 - alphas_cumprod)
posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)


def extract(a, t, x_shape):
    b = t.shape[0]
    out = a.gather(-1, t)
    return out.reshape(b, *((1,) * (len(x_shape) - 1)))


class SinusoidalPositionEmbeddings(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, time):
        half_dim = self.dim // 2
        embeddings = math.log(10000) / (half_dim - 1)
        embeddings = torch.exp(torch.arange(half_dim) * -embeddings)
        embeddings = time[:, None] * embeddings[None, :]
        return torch.cat((embeddings.sin(), embeddings.cos()), dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(tdim, cout))
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm1 = nn.GroupNorm(4, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(4, cout)
        self.res = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = F.silu(self.norm1(self.conv1(x)))
        h = h + self.mlp(temb)[:, :, None, None]
        h = F.silu(self.norm2(self.conv2(h)))
        return h + self.res(x)


class TinyUNet(nn.Module):
    def __init__(self, ch=8, tdim=16):
        super().__init__()
        self.time_mlp = nn.Sequential(
            SinusoidalPositionEmbeddings(ch), nn.Linear(ch, tdim), nn.GELU(), nn.Linear(tdim, tdim))
        self.inc = nn.Conv2d(1, ch, 3, padding=1)
        self.down1 = ResBlock(ch, ch, tdim)
        self.pool = nn.Conv2d(ch, ch, 4, 2, 1)
        self.mid = ResBlock(ch, 2 * ch, tdim)
        self.up1 = ResBlock(3 * ch, ch, tdim)
        self.out = nn.Conv2d(ch, 1, 1)

    def forward(self, x, t):
        temb = self.time_mlp(t)
        h0 = self.down1(self.inc(x), temb)
        h1 = self.mid(self.pool(h0), temb)
        h = F.interpolate(h1, scale_factor=2, mode="nearest")
        h = self.up1(torch.cat([h, h0], dim=1), temb)
        return self.out(h)


def q_sample(x_start, t, noise):
    return (extract(sqrt_alphas_cumprod, t, x_start.shape) * x_start
            + extract(sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)


model = TinyUNet()
ema = copy.deepcopy(model).requires_grad_(False)
swa = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
data = torch.rand(8, 1, 8, 8) * 2 - 1
for step in range(2):
    x0 = data[torch.randint(0, 8, (3,))]
    t = torch.randint(0, T, (3,)).long()
    noise = torch.randn_like(x0)
    x_noisy = q_sample(x0, t, noise)
    loss = F.mse_loss(model(x_noisy, t), noise)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    with torch.no_grad():
        torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 0.1)
    swa.update_parameters(model)
    print(step, loss.item())


@torch.no_grad()
def p_sample(net, x, t, t_index):
    betas_t = extract(betas, t, x.shape)
    somac_t = extract(sqrt_one_minus_alphas_cumprod, t, x.shape)
    sra_t = extract(sqrt_recip_alphas, t, x.shape)
    mean = sra_t * (x - betas_t * net(x, t) / somac_t)
    if t_index == 0:
        return mean
    var_t = extract(posterior_variance, t, x.shape)
    return mean + torch.sqrt(var_t) * torch.randn_like(x)


img = torch.randn(1, 1, 8, 8)
for i in (1, 0):
    img = p_sample(ema, img, torch.full((1,), i, dtype=torch.long), i)
print(img.clamp(-1, 1).mean().item(), swa.n_averaged.item())
