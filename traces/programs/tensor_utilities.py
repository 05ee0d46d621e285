"""Tensor utilities in small training steps.

A rigid-body toy model: torques and angular momenta as cross products
(torch.linalg.cross, broadcast over a batch and along an explicit dim), a
trace regulariser on a learned covariance (torch.trace), rot90 data
augmentation of image patches through a small conv-free scorer, a nansum
of a masked per-sample loss where missing labels are NaN (full and per
dim, keepdim), an aminmax range penalty, torch.equal checks of
parameter snapshots, trained three SGD steps; then float64.
"""

import torch

torch.manual_seed(0)

positions = torch.randn(16, 3)
forces = torch.randn(16, 3)
patches = torch.randn(4, 5, 5)
labels = torch.randn(4)
labels[1] = float("nan")

velocity = torch.randn(16, 3, requires_grad=True)
inertia = torch.randn(3, 3, requires_grad=True)
scorer = torch.randn(5, 5, requires_grad=True)


def step_loss(velocity, inertia, scorer, positions, forces, patches, labels):
    torque = torch.linalg.cross(positions, forces)
    momentum = torch.linalg.cross(positions, velocity, dim=1)
    physics = ((momentum - torque) ** 2).mean()
    spin = torch.linalg.cross(velocity.t(), forces.t(), dim=0).pow(2).sum()
    cov = inertia @ inertia.t()
    reg = torch.trace(cov) + 0.1 * torch.trace(inertia[:, :2])
    blocks = torch.block_diag(inertia, scorer[:2, :3], cov[:1])
    reg = reg + 0.01 * (blocks @ blocks.t()).diagonal().sum()
    views = [torch.rot90(patches, k, [1, 2]) for k in range(4)]
    views.append(torch.rot90(patches, -1, [2, 1]))
    scores = torch.stack([(v * torch.rot90(scorer, 1)).sum(dim=(1, 2)) for v in views])
    missing = labels.isnan()
    per_sample = ((scores - labels.nan_to_num()) ** 2).masked_fill(missing, float("nan"))
    masked = torch.nansum(per_sample) / (~missing).sum() + torch.nansum(per_sample, dim=1, keepdim=True).mean()
    masked = masked + torch.nansum(per_sample, dim=0).mean()
    lo, hi = torch.aminmax(scores, dim=1)
    smin, smax = torch.aminmax(velocity)
    spread = (hi - lo).mean() + 0.01 * (smax - smin)
    return physics + 0.01 * spin + 0.1 * reg + 0.01 * masked + 0.01 * spread


params = [velocity, inertia, scorer]
opt = torch.optim.SGD(params, lr=0.01)
for step in range(3):
    before = scorer.detach().clone()
    opt.zero_grad()
    loss = step_loss(velocity, inertia, scorer, positions, forces, patches, labels)
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 4), torch.equal(before, scorer.detach()), torch.equal(before, before.clone()))

params64 = [p.detach().double().requires_grad_() for p in params]
loss64 = step_loss(*params64, positions.double(), forces.double(), patches.double(), labels.double())
loss64.backward()
print("float64", round(loss64.item(), 6), [round(v, 6) for v in params64[1].grad.flatten().tolist()])

# Integer and odd-shaped uses.
counts = torch.arange(12).reshape(3, 4)
print(torch.trace(counts).item(), torch.nansum(counts).item(), torch.rot90(counts, 3).tolist())
print(torch.equal(counts, counts.float()), torch.equal(counts, counts[:2]))
print(torch.block_diag(counts[:1], torch.tensor(7), torch.ones(2, dtype=torch.float64)).tolist())
