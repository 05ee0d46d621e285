"""EDM-style diffusion in float32 and bfloat16, VP-SDE score matching in float16, a hinge GAN.

* A preconditioned denoiser (Karras et al.): `c_skip`, `c_out`, `c_in`
  (`rsqrt`), `c_noise = log(sigma) / 4`, a softplus(beta=2) noise
  embedding, GroupNorm + SiLU, a strided convolution, `pixel_shuffle`,
  bilinear downsampling, a transposed convolution; trained two Adam steps
  in float32 and again with every weight in bfloat16 (log-normal sigmas,
  the EDM loss weight).
* A float64 Karras sigma schedule (`arange`, powers `1/rho` and `rho`) and
  Heun steps running the bfloat16 denoiser on float64 samples cast down and
  back, under `no_grad`.
* Continuous-time VP-SDE denoising score matching with a float16 network:
  `expm1` for the marginal std, `rand` times, SGD.
* A hinge-loss GAN whose critic uses the hook-based `nn.utils.spectral_norm`
  (power iteration with `normalize`, `mv`, `dot`, in-place `u`/`v`
  updates), an `Unflatten` + `Upsample` generator, Adam with betas (0, 0.9).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Denoiser(nn.Module):
    def __init__(self, c=4, dtype=torch.float32):
        super().__init__()
        self.sigma_data = 0.5
        self.emb = nn.Linear(1, 8)
        self.c1 = nn.Conv2d(c, 8, 3, padding=1)
        self.gn = nn.GroupNorm(2, 8)
        self.c2 = nn.Conv2d(8, 8 * 4, 3, padding=1)
        self.c3 = nn.ConvTranspose2d(8, c, 4, 2, 1)
        self.down = nn.Conv2d(8, 8, 3, 2, 1)
        self.to(dtype)

    def forward(self, x, sigma):
        sigma = sigma.reshape(-1, 1, 1, 1)
        c_skip = self.sigma_data ** 2 / (sigma ** 2 + self.sigma_data ** 2)
        c_out = sigma * self.sigma_data / (sigma ** 2 + self.sigma_data ** 2).sqrt()
        c_in = (sigma ** 2 + self.sigma_data ** 2).rsqrt()
        c_noise = sigma.log() / 4
        e = F.softplus(self.emb(c_noise.flatten(1).to(self.emb.weight.dtype)), beta=2.0)
        h = F.silu(self.gn(self.c1((c_in * x).to(self.emb.weight.dtype))) + e[:, :, None, None])
        h = self.down(h)
        h = F.pixel_shuffle(self.c2(h), 2)
        h = F.interpolate(h, scale_factor=0.5, mode="bilinear", align_corners=False)
        F_x = self.c3(F.leaky_relu(h, 0.2))
        return c_skip * x + c_out * F_x.to(x.dtype)


for dtype in (torch.float32, torch.bfloat16):
    net = Denoiser(dtype=dtype)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-4 if dtype != torch.float32 else 1e-8)
    for step in range(2):
        y = torch.randn(2, 4, 8, 8, dtype=dtype)
        rnd = torch.randn(2, dtype=dtype)
        sigma = (rnd * 1.2 - 1.2).exp()
        weight = (sigma ** 2 + 0.25) / (sigma * 0.5) ** 2
        n = torch.randn_like(y) * sigma.view(-1, 1, 1, 1)
        D = net(y + n, sigma)
        loss = (weight.view(-1, 1, 1, 1) * (D - y) ** 2).float().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

# Karras schedule + Heun steps
steps, smin, smax, rho = 4, 0.002, 80.0, 7.0
idx = torch.arange(steps, dtype=torch.float64)
t_steps = (smax ** (1 / rho) + idx / (steps - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
t_steps = torch.cat([t_steps, torch.zeros_like(t_steps[:1])])
with torch.no_grad():
    x = torch.randn(1, 4, 8, 8, dtype=torch.float64) * t_steps[0]
    for i, (tc, tn) in enumerate(zip(t_steps[:-1], t_steps[1:])):
        d = (x - net(x.to(torch.bfloat16), tc.to(torch.bfloat16).view(1)).to(torch.float64)) / tc
        xn = x + (tn - tc) * d
        if i < steps - 1:
            d2 = (xn - net(xn.to(torch.bfloat16), tn.to(torch.bfloat16).view(1)).to(torch.float64)) / tn
            xn = x + (tn - tc) * (0.5 * d + 0.5 * d2)
        x = xn

# VP-SDE continuous-time denoising score matching in float16
beta_min, beta_max = 0.1, 20.0
score = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2)).half()
sopt = torch.optim.SGD(score.parameters(), lr=1e-2)
for step in range(2):
    x0 = torch.randn(8, 2, dtype=torch.float16)
    t = torch.rand(8, dtype=torch.float16) * (1 - 1e-3) + 1e-3
    log_mean = -0.25 * t ** 2 * (beta_max - beta_min) - 0.5 * t * beta_min
    mean = torch.exp(log_mean)[:, None] * x0
    std = torch.sqrt(-torch.expm1(2.0 * log_mean))
    z = torch.randn_like(x0)
    xt = mean + std[:, None] * z
    s = score(torch.cat([xt, t[:, None]], 1)) / std[:, None]
    loss = torch.square(s * std[:, None] + z).sum(-1).float().mean()
    sopt.zero_grad()
    loss.backward()
    sopt.step()

# GAN critic with the hook-based spectral norm (power iteration buffers)
D = nn.Sequential(nn.utils.spectral_norm(nn.Conv2d(1, 4, 3, 2, 1)), nn.LeakyReLU(0.2),
                  nn.Flatten(), nn.utils.spectral_norm(nn.Linear(4 * 4 * 4, 1)))
G = nn.Sequential(nn.Linear(4, 64), nn.Unflatten(1, (4, 4, 4)), nn.Upsample(scale_factor=2),
                  nn.Conv2d(4, 1, 3, padding=1), nn.Tanh())
dopt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.9))
gopt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.0, 0.9))
for step in range(2):
    real = torch.rand(2, 1, 8, 8) * 2 - 1
    fake = G(torch.randn(2, 4))
    d_loss = F.relu(1.0 - D(real)).mean() + F.relu(1.0 + D(fake.detach())).mean()
    dopt.zero_grad()
    d_loss.backward()
    dopt.step()
    g_loss = -D(fake).mean()
    gopt.zero_grad()
    g_loss.backward()
    gopt.step()
print(float(x.abs().mean()), float(g_loss))
