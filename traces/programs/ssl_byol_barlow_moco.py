"""Non-contrastive and queue-based self-supervised objectives as BYOL,
Barlow Twins and MoCo reference code write them, on random vectors.

* BYOL: an online encoder + projector + predictor and a momentum target
  (`copy.deepcopy`, `requires_grad_(False)`), the loss
  `2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1)` symmetrised, target
  updated by `param_k.data.mul_(m).add_((1 - m) * param_q.data)` with a
  cosine momentum schedule; LARS-free SGD.
* Barlow Twins: per-feature standardisation `(z - z.mean(0)) / z.std(0)`,
  the cross-correlation `c = z1.T @ z2 / N`, on-diagonal
  `torch.diagonal(c).add_(-1).pow_(2).sum()` and off-diagonal elements by
  the `flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()` trick; a
  BatchNorm1d(affine=False) variant; Adam.
* MoCo v2: a momentum key encoder, `F.normalize`d queries/keys, positive
  logits by `torch.einsum("nc,nc->n")`, negatives against a registered
  `queue` buffer by `torch.einsum("nc,ck->nk")`, `cat` + temperature,
  zero labels (`torch.zeros(N, dtype=torch.long)`), cross entropy, and the
  enqueue/dequeue by slice assignment into the buffer with an integer
  pointer buffer; SGD with momentum and weight decay.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
D, N = 10, 8
data = torch.randn(32, D)


def views(x):
    return x + 0.1 * torch.randn_like(x), x * (1 + 0.1 * torch.randn_like(x))


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(inplace=True), nn.Linear(h, o))


online = nn.Sequential(mlp(D, 16, 12), mlp(12, 16, 8))
predictor = mlp(8, 16, 8)
target = copy.deepcopy(online).requires_grad_(False)
opt = torch.optim.SGD(list(online.parameters()) + list(predictor.parameters()), lr=0.05, momentum=0.9)


def byol_loss(p, z):
    return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()


for step in range(3):
    x1, x2 = views(data[torch.randperm(32)[:N]])
    p1, p2 = predictor(online(x1)), predictor(online(x2))
    with torch.no_grad():
        z1, z2 = target(x1), target(x2)
    loss = byol_loss(p1, z2) + byol_loss(p2, z1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    m = 1 - (1 - 0.99) * (math.cos(math.pi * step / 3) + 1) / 2
    with torch.no_grad():
        for param_q, param_k in zip(online.parameters(), target.parameters()):
            param_k.data.mul_(m).add_((1 - m) * param_q.data)
    print("byol", step, loss.item())


def off_diagonal(x):
    n, m = x.shape
    assert n == m
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


class BarlowTwins(nn.Module):
    def __init__(self, lambd=0.005):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(D, 16), nn.ReLU())
        self.projector = nn.Sequential(nn.Linear(16, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 12, bias=False))
        self.bn = nn.BatchNorm1d(12, affine=False)
        self.lambd = lambd

    def forward(self, y1, y2, use_bn):
        z1 = self.projector(self.backbone(y1))
        z2 = self.projector(self.backbone(y2))
        if use_bn:
            c = self.bn(z1).T @ self.bn(z2)
        else:
            c = ((z1 - z1.mean(0)) / z1.std(0)).T @ ((z2 - z2.mean(0)) / z2.std(0))
        c.div_(y1.shape[0])
        on_diag = torch.diagonal(c).add_(-1).pow_(2).sum()
        off_diag = off_diagonal(c).pow_(2).sum()
        return on_diag + self.lambd * off_diag


bt = BarlowTwins()
bopt = torch.optim.Adam(bt.parameters(), lr=1e-3)
for step in range(4):
    loss = bt(*views(data[torch.randperm(32)[:N]]), use_bn=step % 2 == 0)
    bopt.zero_grad()
    loss.backward()
    bopt.step()
    print("barlow", step, loss.item())


class MoCo(nn.Module):
    def __init__(self, dim=8, K=24, m=0.99, T=0.2):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q = mlp(D, 16, dim)
        self.encoder_k = mlp(D, 16, dim)
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data.copy_(param_q.data)
            param_k.requires_grad = False
        self.register_buffer("queue", torch.randn(dim, K))
        self.queue = nn.functional.normalize(self.queue, dim=0)
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        batch_size = keys.shape[0]
        ptr = int(self.queue_ptr)
        self.queue[:, ptr:ptr + batch_size] = keys.T
        ptr = (ptr + batch_size) % self.K
        self.queue_ptr[0] = ptr

    def forward(self, im_q, im_k):
        q = nn.functional.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():
            self._momentum_update_key_encoder()
            k = nn.functional.normalize(self.encoder_k(im_k), dim=1)
        l_pos = torch.einsum("nc,nc->n", [q, k]).unsqueeze(-1)
        l_neg = torch.einsum("nc,ck->nk", [q, self.queue.clone().detach()])
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T
        labels = torch.zeros(logits.shape[0], dtype=torch.long)
        self._dequeue_and_enqueue(k)
        return logits, labels


moco = MoCo()
mopt = torch.optim.SGD([p for p in moco.parameters() if p.requires_grad], lr=0.03, momentum=0.9, weight_decay=1e-4)
criterion = nn.CrossEntropyLoss()
for step in range(4):
    output, target_ = moco(*views(data[torch.randperm(32)[:N]]))
    loss = criterion(output, target_)
    mopt.zero_grad()
    loss.backward()
    mopt.step()
    print("moco", step, loss.item(), int(moco.queue_ptr))
