"""Debugging a training loop with autograd's anomaly detection.

What people do when a loss turns into NaN: wrap forward and backward in
`torch.autograd.detect_anomaly()` and let the engine name the backward
function that produced the NaN. A small metric-learning model (an MLP
embedding with LayerNorm and GELU, a classification head) trains with Adam:

* two steps with forward and backward inside `detect_anomaly()` (the engine
  checks every gradient a node returns for NaN), the second with two roots
  (the engine's GraphRoot checks the root gradients too);
* one step inside `detect_anomaly(check_nan=False)` (stack traces only);
* `torch.autograd.set_detect_anomaly(True)` switched on globally for a step
  whose loss adds a pairwise-distance penalty computed as
  `sqrt(((a - b) ** 2).sum(-1))` — the classic NaN: the distance of a point
  to itself is 0, sqrt's gradient there is inf, and `inf * 0` in the
  square's gradient is NaN. The program catches the engine's RuntimeError,
  prints it, drops the step and carries on with a safe distance
  (`sqrt(x + eps)`), then switches anomaly mode off again;
* the in-place error whose message recommends
  `set_detect_anomaly(True, check_nan=False)`: a residual added in place to
  a ReLU output ReluBackward0 saved, caught under that mode, where the
  message's hint points at the forward's stack trace instead;
* two WGAN-GP critic steps on the embeddings under `detect_anomaly()`
  (`autograd.grad(create_graph=True)`, then a backward through the
  penalty): the nodes the first backward makes record the node it was
  running and keep it alive, so the loss's graph reuses the critic's
  AccumulateGrads.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Embedder(nn.Module):
    def __init__(self, d_in, d_hidden, d_embed, classes):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(d_in, d_hidden),
            nn.LayerNorm(d_hidden),
            nn.GELU(),
            nn.Linear(d_hidden, d_embed),
        )
        self.head = nn.Linear(d_embed, classes)

    def forward(self, x):
        z = self.body(x)
        return z, self.head(z)


def distances(z, eps=0.0):
    diff = z.unsqueeze(1) - z.unsqueeze(0)
    return torch.sqrt((diff**2).sum(-1) + eps)


def batch(n=8):
    x = torch.randn(n, 6)
    y = torch.randint(0, 3, (n,))
    return x, y


model = Embedder(6, 16, 4, 3)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)

for step in range(2):
    x, y = batch()
    opt.zero_grad()
    with torch.autograd.detect_anomaly():
        z, logits = model(x)
        loss = F.cross_entropy(logits, y)
        if step == 0:
            loss.backward()
        else:
            # An embedding-norm penalty as a second root of one backward.
            torch.autograd.backward([loss, 1e-3 * z.pow(2).sum(-1).mean()])
    opt.step()
    print("anomaly step", step, round(loss.item(), 6))

x, y = batch()
opt.zero_grad()
with torch.autograd.detect_anomaly(check_nan=False):
    _, logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
opt.step()
print("stack traces only", round(loss.item(), 6))

torch.autograd.set_detect_anomaly(True)
x, y = batch()
opt.zero_grad()
z, logits = model(x)
same = (y.unsqueeze(0) == y.unsqueeze(1)).float()
loss = F.cross_entropy(logits, y) + 0.1 * (same * distances(z)).mean()
try:
    loss.backward()
except RuntimeError as e:
    print("caught:", e)
    opt.zero_grad()
z, logits = model(x)
loss = F.cross_entropy(logits, y) + 0.1 * (same * distances(z, eps=1e-6)).mean()
loss.backward()
opt.step()
print("safe distance", round(loss.item(), 6))
torch.autograd.set_detect_anomaly(False)

# The other error people debug this way: an in-place update of an activation
# that ReLU saved for its backward. PyTorch's message recommends anomaly
# mode without the NaN check; under it the hint points at the forward's
# stack trace instead.
torch.autograd.set_detect_anomaly(True, check_nan=False)
w_res = torch.randn(4, 4, requires_grad=True)
z, _ = model(x)
a = F.relu(z @ w_res)
a += z
try:
    a.pow(2).mean().backward()
except RuntimeError as e:
    print("caught:", e)
opt.zero_grad()
torch.autograd.set_detect_anomaly(False)

# A gradient penalty (double backward) under anomaly mode: a critic on the
# embeddings, WGAN-GP style. The input gradient comes from a graph nothing
# else holds; anomaly mode keeps it alive through the nodes its backward
# made, so the loss's graph reuses the critic's AccumulateGrads.
critic = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))


def critic_step(real, fake):
    alpha = torch.rand(real.shape[0], 1)
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(mix).sum(), [mix], create_graph=True)
    penalty = (g.norm(2, dim=1) - 1).pow(2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10.0 * penalty
    opt_c.zero_grad()
    loss.backward()
    opt_c.step()
    return loss.item()


with torch.autograd.detect_anomaly():
    for step in range(2):
        with torch.no_grad():
            real = model(batch()[0])[0]
            fake = model(batch()[0])[0] + 0.5
        print("critic step", step, round(critic_step(real, fake), 6))

x, y = batch()
with torch.no_grad():
    _, logits = model(x)
print("accuracy", (logits.argmax(-1) == y).float().mean().item())
