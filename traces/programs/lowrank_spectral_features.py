"""Spectral features from randomised low-rank factorisations inside a
trained model, with pooling by p-norms.

Each step `torch.svd_lowrank` and `torch.pca_lowrank` (random Gaussian
projections, QR, a small SVD; gradients through `linalg_qr` and
`linalg_svd`) reduce a learned embedding of the batch; `matrix_exp` of a
learned skew-symmetric matrix rotates the features (an orthogonal map),
`slogdet` of a learned SPD matrix and the nuclear norm regularise, and a
convolutional branch pools with `LPPool1d`/`LPPool2d` (power 2 and 3).
Float32 training, then a float64 evaluation of the same features."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
features, rank = 6, 3
x = torch.randn(12, 8)
images = torch.randn(2, 2, 6, 6)
y = torch.randn(12, rank)


class LowRank(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(8, features)
        self.skew = nn.Parameter(torch.randn(rank, rank) * 0.1)
        self.spd = nn.Parameter(torch.eye(rank) + 0.1 * torch.randn(rank, rank))
        self.conv = nn.Conv2d(2, 3, 3)
        self.pool2 = nn.LPPool2d(2, 2)
        self.pool1 = nn.LPPool1d(3, 2)

    def forward(self, x, images):
        h = self.embed(x)
        u, s, v = torch.svd_lowrank(h, q=rank, niter=1)
        _, _, pcs = torch.pca_lowrank(h, q=rank, center=True, niter=1)
        rotation = torch.matrix_exp(self.skew - self.skew.T)
        z = (h @ pcs) @ rotation + u * s
        sign, logdet = torch.linalg.slogdet(self.spd @ self.spd.T + 0.1 * torch.eye(rank))
        conv = self.pool2(F.relu(self.conv(images)))
        pooled = self.pool1(conv.flatten(2))
        reg = torch.linalg.matrix_norm(v, ord="nuc") + (logdet * sign).abs() + pooled.mean()
        return z, reg


model = LowRank()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(3):
    z, reg = model(x, images)
    loss = F.mse_loss(z, y) + 1e-2 * reg
    opt.zero_grad()
    loss.backward()
    opt.step()

model = model.double()
with torch.no_grad():
    z, reg = model(x.double(), images.double())
print(z.shape, float(reg))
