"""`torch.linalg.qr` under `nn.init.orthogonal_`, and the LU family.

An actor-critic MLP as PPO/A2C code builds it: every Linear weight is
initialised with `nn.init.orthogonal_` (gain sqrt(2) for the hidden layers,
0.01 for the policy head, 1 for the value head; `linalg_qr` of a normal
matrix, Q's columns multiplied by the signs of R's diagonal, the wide case
through `t_`), biases zeroed, then three Adam steps on a clipped-surrogate
loss plus a value loss. A small auxiliary loss on a learned 4x4 mixing
matrix uses `torch.linalg.inv`, `det`, `slogdet` and `solve` (matrix and
vector right-hand sides) with their backward nodes (LinalgInvExBackward0,
LinalgDetBackward0, LinalgSlogdetBackward0, LinalgSolveExBackward0), and
`linalg.qr` itself is differentiated in every mode that allows it
(reduced tall, complete square, a wide matrix, a batch) through
LinalgQrBackward0; mode='r' returns an empty Q. Last, a GAN-style critic
with `nn.utils.parametrizations.spectral_norm` on both layers: power
iteration under `no_grad` (`mv`, `linalg_vector_norm`, `clamp_min_`,
`div.out` from `F.normalize(..., out=)`, the parametrization's
`set_(original)`), `sigma = vdot(u, W v)` with VdotBackward0, two Adam
steps, then `eval()`.
"""

import math

import torch
from torch import nn

torch.manual_seed(0)


def layer(n_in, n_out, gain):
    lin = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(lin.weight, gain=gain)
    nn.init.zeros_(lin.bias)
    return lin


class ActorCritic(nn.Module):
    def __init__(self, obs, act, hidden=16):
        super().__init__()
        g = math.sqrt(2.0)
        self.body = nn.Sequential(layer(obs, hidden, g), nn.Tanh(), layer(hidden, hidden, g), nn.Tanh())
        self.pi = layer(hidden, act, 0.01)
        self.v = layer(hidden, 1, 1.0)

    def forward(self, x):
        h = self.body(x)
        return self.pi(h), self.v(h).squeeze(-1)


model = ActorCritic(6, 3)
wide = torch.empty(3, 8)
nn.init.orthogonal_(wide)
mix = nn.Parameter(torch.eye(4) + 0.1 * torch.randn(4, 4))
opt = torch.optim.Adam(list(model.parameters()) + [mix], lr=3e-3)

obs = torch.randn(12, 6)
actions = torch.randint(0, 3, (12,))
advantages = torch.randn(12)
returns = torch.randn(12)
with torch.no_grad():
    old_logp = torch.log_softmax(model(obs)[0], -1).gather(1, actions[:, None]).squeeze(1)

for step in range(3):
    opt.zero_grad()
    logits, value = model(obs)
    logp = torch.log_softmax(logits, -1).gather(1, actions[:, None]).squeeze(1)
    ratio = torch.exp(logp - old_logp)
    surrogate = torch.min(ratio * advantages, ratio.clamp(0.8, 1.2) * advantages)
    loss = -surrogate.mean() + 0.5 * ((value - returns) ** 2).mean()
    target = torch.randn(4, 2)
    aux = (torch.linalg.inv(mix) @ target).pow(2).mean()
    aux = aux + (torch.linalg.det(mix) - 1.0) ** 2
    sign, logabs = torch.linalg.slogdet(mix)
    aux = aux + 0.1 * logabs ** 2
    x = torch.linalg.solve(mix, target)
    xv = torch.linalg.solve(mix, target[:, 0])
    aux = aux + 0.01 * (x.sum() + xv.sum())
    (loss + aux).backward()
    opt.step()

a = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
q, r = torch.linalg.qr(a)
w = torch.randn(5, 3, dtype=torch.float64)
((q * w).sum() + r.triu().pow(2).sum()).backward()
s = torch.randn(4, 4, requires_grad=True)
qc, rc = torch.linalg.qr(s, mode="complete")
(qc[:, 0].sum() + rc.diagonal().sum()).backward()
wa = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
qw, rw = torch.linalg.qr(wa)
(qw.sum() * 0.5 + (rw * rw).sum()).backward()
b = torch.randn(2, 4, 3, requires_grad=True)
qb, rb = torch.linalg.qr(b)
rb.sum().backward()
r_only = torch.linalg.qr(torch.randn(4, 3), mode="r")

critic = nn.Sequential(
    nn.utils.parametrizations.spectral_norm(nn.Linear(6, 8)),
    nn.LeakyReLU(0.2),
    nn.utils.parametrizations.spectral_norm(nn.Linear(8, 1)),
)
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))
real, fake = torch.randn(5, 6) + 1.0, torch.randn(5, 6)
for step in range(2):
    opt_c.zero_grad()
    c_loss = torch.relu(1.0 - critic(real)).mean() + torch.relu(1.0 + critic(fake)).mean()
    c_loss.backward()
    opt_c.step()
critic.eval()
with torch.no_grad():
    scores = critic(real)
print(float(loss), float(aux), sign.item(), mix.grad.tolist(), a.grad.tolist(),
      wa.grad.tolist(), r_only.Q.shape[0], scores.squeeze(-1).tolist())
