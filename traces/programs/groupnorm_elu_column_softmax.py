"""A GroupNorm + ELU conv block with channel-attention pooling, a capsule
routing step and a mixture log-likelihood, on 5x5 feature maps.

Pins the float32 kernels whose last bits follow PyTorch's CPU loops:

* `nn.GroupNorm` with 12, 13, 3 and 16 channels per group (whole vectors of
  8 channels, tails of four and of one to three), batch 3, so the weight and
  bias gradients sum over samples; the gradient flows through `F.elu`,
  `F.selu`, `F.celu(alpha=0.5)` (an input scale) and in-place `nn.ELU`;
* `F.softmax` over a dimension that is not the last: capsule logits
  `[B, routes, classes, 1]` (every column in the scalar loop), a
  `[B, 8, 20]` attention over channels (16 vector columns and 4 scalar
  ones per row) and a `[113, 8, 37]` one large enough to be split over two
  threads mid-row;
* `torch.logsumexp` over the last dimension, the first, two dimensions at
  once and with `keepdim`, on mixture-component scores.

Adam with two steps; the forward and backward are replayed.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, cin, cout, groups, act):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm = nn.GroupNorm(groups, cout)
        self.act = act

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.b1 = Block(3, 12, 1, F.elu)                      # 12 per group
        self.b2 = Block(12, 13, 1, F.selu)                    # 13 per group
        self.b3 = Block(13, 9, 3, lambda t: F.celu(t, 0.5))   # 3 per group
        self.b4 = Block(9, 16, 1, nn.ELU(inplace=True))       # 16 per group
        self.att = nn.Conv2d(16, 8, 1)
        self.route = nn.Linear(16, 4 * 3)
        self.mix = nn.Linear(16, 5 * 6)

    def forward(self, x):
        h = self.b4(self.b3(self.b2(self.b1(x))))
        # attention over 8 heads (dim 1) at each of 20 positions
        a = self.att(h).flatten(2)[:, :, :20]
        w = F.softmax(a, dim=1)
        pooled = (w.unsqueeze(2) * h.flatten(2)[:, None, :, :20]).sum(-1).mean(1)
        # one routing step: softmax over classes of [B, routes, classes, 1]
        b_ij = self.route(pooled).view(-1, 4, 3, 1)
        c_ij = F.softmax(b_ij, dim=2)
        caps = (c_ij * pooled[:, None, None, :8]).sum(1)
        # mixture log-likelihood: logsumexp over components and samples
        scores = self.mix(pooled).view(-1, 5, 6)
        ll = torch.logsumexp(scores, dim=-1).mean()
        ll = ll + torch.logsumexp(scores, dim=0).mean()
        ll = ll + torch.logsumexp(scores, dim=(1, 2), keepdim=True).mean()
        return caps.pow(2).mean() - 0.1 * ll


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
images = torch.randn(3, 3, 5, 5)
for step in range(2):
    loss = net(images)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())

# a large column softmax split over the intra-op threads, and its gradient
big = torch.randn(113, 8, 37, requires_grad=True)
probs = F.softmax(big, dim=1)
(probs * torch.linspace(-1, 1, 8)[:, None]).sum().backward()
print(big.grad.abs().sum().item())
