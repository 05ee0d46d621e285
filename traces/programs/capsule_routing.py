"""A capsule network with dynamic routing (Sabour et al.), as CapsNet
reimplementations write it, on 10x10 images.

A ReLU conv stem, primary capsules from a strided conv reshaped to
`[B, -1, 8]`, the `squash` non-linearity (`squared_norm / (1 +
squared_norm) * x / sqrt(squared_norm)` from `(x ** 2).sum(dim, keepdim)`),
prediction vectors `u_hat` by `torch.matmul` of a `[1, N, C, 16, 8]`
weight with `x[:, :, None, :, None]`, three routing iterations
(`F.softmax(b_ij, dim=2)`, weighted `sum(dim=1, keepdim=True)`, agreement
`(u_hat * v_j).sum(-1, keepdim=True)` added to the logits, routing on
`u_hat.detach()` except the last pass), the margin loss from class-capsule
lengths (`F.relu(0.9 - v) ** 2`, `F.relu(v - 0.1) ** 2`, one-hot targets
via `torch.eye(C).index_select`), a reconstruction decoder masked by the
target capsule, summed MSE scaled by 0.0005; Adam with
`ExponentialLR`.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
NUM_CLASSES = 3


def squash(x, dim=-1):
    squared_norm = (x ** 2).sum(dim=dim, keepdim=True)
    scale = squared_norm / (1 + squared_norm)
    return scale * x / torch.sqrt(squared_norm + 1e-8)


class CapsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=5)
        self.primary = nn.Conv2d(8, 2 * 8, kernel_size=3, stride=2)
        self.num_routes = 2 * 2 * 2
        self.W = nn.Parameter(0.01 * torch.randn(1, self.num_routes, NUM_CLASSES, 16, 8))
        self.decoder = nn.Sequential(nn.Linear(16 * NUM_CLASSES, 16), nn.ReLU(inplace=True),
                                     nn.Linear(16, 100), nn.Sigmoid())

    def routing(self, u_hat, iterations=3):
        b_ij = torch.zeros(u_hat.size(0), self.num_routes, NUM_CLASSES, 1)
        for it in range(iterations):
            c_ij = F.softmax(b_ij, dim=2)
            if it == iterations - 1:
                s_j = (c_ij * u_hat).sum(dim=1, keepdim=True)
                return squash(s_j)
            s_j = (c_ij * u_hat.detach()).sum(dim=1, keepdim=True)
            v_j = squash(s_j)
            b_ij = b_ij + (u_hat.detach() * v_j).sum(-1, keepdim=True)

    def forward(self, x, y=None):
        h = F.relu(self.conv1(x))
        u = self.primary(h)
        u = u.view(x.size(0), 2, 8, 2, 2).permute(0, 1, 3, 4, 2).reshape(x.size(0), -1, 8)
        u = squash(u)
        u_hat = torch.matmul(self.W, u[:, :, None, :, None]).squeeze(-1)
        v = self.routing(u_hat).squeeze(1)
        lengths = torch.sqrt((v ** 2).sum(-1))
        if y is None:
            y = torch.eye(NUM_CLASSES).index_select(0, lengths.argmax(1))
        recon = self.decoder((v * y[:, :, None]).reshape(x.size(0), -1))
        return lengths, recon


def margin_loss(lengths, y):
    left = F.relu(0.9 - lengths) ** 2
    right = F.relu(lengths - 0.1) ** 2
    return (y * left + 0.5 * (1.0 - y) * right).sum(dim=1).mean()


images = torch.rand(6, 1, 10, 10)
labels = torch.arange(6) % NUM_CLASSES
images[labels == 0, :, :5] += 0.5
model = CapsNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.96)
for step in range(2):
    idx = torch.randperm(6)[:4]
    x = images[idx]
    y = torch.eye(NUM_CLASSES).index_select(dim=0, index=labels[idx])
    lengths, recon = model(x, y)
    loss = margin_loss(lengths, y) + 0.0005 * F.mse_loss(recon, x.view(x.size(0), -1), reduction="sum")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(step, loss.item())
model.eval()
with torch.no_grad():
    lengths, recon = model(images)
    print(lengths.argmax(1), recon.shape)
