"""Self-supervised and distillation losses as SimCLR, Hinton-style
knowledge-distillation and RetinaNet-style focal-loss code write them.

* SimCLR: two noisy augmented views of a batch (random crops by
  `torch.roll`, flips by `torch.flip`, Gaussian noise), an encoder plus a
  projection head, `F.normalize(dim=1)`, the 2N x 2N similarity matrix by
  `mm` divided by a temperature, the diagonal removed with
  `masked_fill(torch.eye(2N, dtype=torch.bool), -inf)` (which
  `cross_entropy`'s log-softmax turns into zero probability), positives at
  `(arange(2N) + N) % 2N`, `F.cross_entropy(..., label_smoothing=0.1)`;
  LARS-free SGD with momentum and nesterov.
* Distillation: a frozen teacher under `torch.no_grad()`, the student's
  `log_softmax(s / T)` against the teacher's `softmax(t / T)` in
  `nn.KLDivLoss(reduction="batchmean")` times `T * T`, plus hard-label
  cross entropy; and the `log_target=True` form.
* Focal loss: `F.binary_cross_entropy_with_logits(reduction="none")`,
  `p_t = p * y + (1 - p) * (1 - y)`, `(1 - p_t) ** gamma` and the alpha
  weighting, on a multi-label head; AdamW.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N, D = 8, 12


def augment(x):
    x = torch.roll(x, shifts=int(torch.randint(-2, 3, ()).item()), dims=1)
    if torch.rand(()) < 0.5:
        x = torch.flip(x, dims=[1])
    return x + 0.1 * torch.randn_like(x)


encoder = nn.Sequential(nn.Linear(D, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 16))
projector = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8))
opt = torch.optim.SGD(list(encoder.parameters()) + list(projector.parameters()), lr=0.1,
                      momentum=0.9, nesterov=True, weight_decay=1e-6)


def nt_xent(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    n = z1.shape[0]
    sim = torch.mm(z, z.t()) / temperature
    mask = torch.eye(2 * n, dtype=torch.bool)
    sim = sim.masked_fill(mask, float("-inf"))
    targets = (torch.arange(2 * n) + n) % (2 * n)
    return F.cross_entropy(sim, targets, label_smoothing=0.1)


data = torch.randn(32, D)
for step in range(3):
    x = data[torch.randperm(32)[:N]]
    loss = nt_xent(projector(encoder(augment(x))), projector(encoder(augment(x))))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("simclr", step, loss.item())

teacher = nn.Sequential(nn.Linear(D, 32), nn.ReLU(), nn.Linear(32, 5)).eval()
student = nn.Sequential(nn.Linear(D, 8), nn.ReLU(), nn.Linear(8, 5))
kl = nn.KLDivLoss(reduction="batchmean")
kl_log = nn.KLDivLoss(reduction="batchmean", log_target=True)
sopt = torch.optim.SGD(student.parameters(), lr=0.05)
labels = torch.randint(0, 5, (32,))
T, alpha = 4.0, 0.7
for step in range(3):
    idx = torch.randperm(32)[:N]
    x, y = data[idx], labels[idx]
    with torch.no_grad():
        t_logits = teacher(x)
    s_logits = student(x)
    soft = kl(F.log_softmax(s_logits / T, dim=1), F.softmax(t_logits / T, dim=1)) * (T * T)
    soft_log = kl_log(F.log_softmax(s_logits / T, dim=-1), F.log_softmax(t_logits / T, dim=-1))
    loss = alpha * soft + (1 - alpha) * F.cross_entropy(s_logits, y) + 0.1 * soft_log
    sopt.zero_grad()
    loss.backward()
    sopt.step()
    print("kd", step, loss.item())


def focal_loss(logits, targets, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * loss).mean()


head = nn.Linear(D, 6)
hopt = torch.optim.AdamW(head.parameters(), lr=1e-2)
multi = (torch.rand(32, 6) < 0.2).float()
for step in range(3):
    loss = focal_loss(head(data), multi)
    hopt.zero_grad()
    loss.backward()
    hopt.step()
    print("focal", step, loss.item())
