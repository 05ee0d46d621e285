"""Point-cloud and set models as PointNet and Deep Sets code writes them.

* PointNet classification on [B, 3, N] clouds: a T-Net predicting a 3x3
  input transform (shared `Conv1d(k=1)` MLP with BatchNorm1d, global
  `torch.max(x, 2, keepdim=True)[0]`, `view(-1, 16)`, fully connected
  layers, plus a flattened identity `torch.eye(3).flatten().repeat(B, 1)`
  reshaped to 3x3), applied by `torch.bmm(x.transpose(2, 1), trans)`; a
  8x8 feature transform regularised by
  `torch.norm(I - A @ A.transpose(2, 1), dim=(1, 2)).mean()`; dropout;
  `F.log_softmax` + `F.nll_loss`; Adam with `StepLR`; random rotations
  about the up axis and jitter as augmentation; eval accuracy by
  `pred.max(1)[1].eq(target).sum()`.
* Deep Sets with sum pooling over a padded set dimension (`masked_fill`
  of padding, `sum(1)` divided by true lengths) and a permutation check
  under `no_grad`.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class STNkd(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.conv1 = nn.Conv1d(k, 8, 1)
        self.conv2 = nn.Conv1d(8, 16, 1)
        self.fc1 = nn.Linear(16, 8)
        self.fc2 = nn.Linear(8, k * k)
        self.bn1 = nn.BatchNorm1d(8)
        self.bn2 = nn.BatchNorm1d(16)
        self.bn3 = nn.BatchNorm1d(8)
        self.k = k

    def forward(self, x):
        batchsize = x.size()[0]
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = torch.max(x, 2, keepdim=True)[0]
        x = x.view(-1, 16)
        x = F.relu(self.bn3(self.fc1(x)))
        x = self.fc2(x)
        iden = torch.eye(self.k).flatten().view(1, self.k * self.k).repeat(batchsize, 1)
        x = x + iden
        return x.view(-1, self.k, self.k)


class PointNetCls(nn.Module):
    def __init__(self, k=4):
        super().__init__()
        self.stn = STNkd(3)
        self.conv1 = nn.Conv1d(3, 8, 1)
        self.fstn = STNkd(8)
        self.conv2 = nn.Conv1d(8, 16, 1)
        self.bn1 = nn.BatchNorm1d(8)
        self.bn2 = nn.BatchNorm1d(16)
        self.fc1 = nn.Linear(16, 8)
        self.fc2 = nn.Linear(8, k)
        self.dropout = nn.Dropout(p=0.3)
        self.bn3 = nn.BatchNorm1d(8)

    def forward(self, x):
        trans = self.stn(x)
        x = torch.bmm(x.transpose(2, 1), trans).transpose(2, 1)
        x = F.relu(self.bn1(self.conv1(x)))
        trans_feat = self.fstn(x)
        x = torch.bmm(x.transpose(2, 1), trans_feat).transpose(2, 1)
        x = self.bn2(self.conv2(x))
        x = torch.max(x, 2, keepdim=True)[0].view(-1, 16)
        x = F.relu(self.bn3(self.dropout(self.fc1(x))))
        return F.log_softmax(self.fc2(x), dim=1), trans_feat


def feature_transform_regularizer(trans):
    d = trans.size()[1]
    eye = torch.eye(d)[None, :, :]
    return torch.mean(torch.norm(torch.bmm(trans, trans.transpose(2, 1)) - eye, dim=(1, 2)))


def rotate(points):
    theta = torch.rand(points.shape[0]) * 2 * math.pi
    c, s = torch.cos(theta), torch.sin(theta)
    zeros, ones = torch.zeros_like(c), torch.ones_like(c)
    rot = torch.stack([c, zeros, -s, zeros, ones, zeros, s, zeros, c], 1).view(-1, 3, 3)
    return torch.bmm(rot, points) + 0.02 * torch.randn_like(points)


clouds = torch.randn(12, 3, 16)
labels = torch.arange(12) % 4
clouds[labels == 1, 0] *= 3.0
clouds[labels == 2] = F.normalize(clouds[labels == 2], dim=1)
model = PointNetCls()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
for epoch in range(2):
    perm = torch.randperm(12)
    idx = perm[:6]
    points, target = rotate(clouds[idx]), labels[idx]
    optimizer.zero_grad()
    pred, trans_feat = model(points)
    loss = F.nll_loss(pred, target) + feature_transform_regularizer(trans_feat) * 0.001
    loss.backward()
    optimizer.step()
    scheduler.step()
model.eval()
with torch.no_grad():
    pred, _ = model(clouds)
    pred_choice = pred.data.max(1)[1]
    print(pred_choice.eq(labels.data).cpu().sum().item())


class DeepSets(nn.Module):
    def __init__(self):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(2, 16), nn.ELU(), nn.Linear(16, 16))
        self.rho = nn.Sequential(nn.Linear(16, 16), nn.ELU(), nn.Linear(16, 1))

    def forward(self, x, lengths):
        h = self.phi(x)
        pad = torch.arange(x.shape[1])[None, :] >= lengths[:, None]
        h = h.masked_fill(pad[..., None], 0.0)
        return self.rho(h.sum(1) / lengths[:, None].float()).squeeze(-1)


sets = torch.randn(8, 5, 2)
lengths = torch.tensor([5, 3, 4, 1, 2, 5, 3, 4])
target = torch.stack([sets[i, : lengths[i], 0].sum() for i in range(8)])
ds = DeepSets()
opt = torch.optim.RMSprop(ds.parameters(), lr=1e-3)
for step in range(3):
    loss = F.mse_loss(ds(sets, lengths), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    print((ds(sets[:, [2, 0, 1, 3, 4]], torch.full((8,), 5)) - ds(sets, torch.full((8,), 5))).abs().max().item())
