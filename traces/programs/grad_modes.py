"""Grad-mode state in a small training/evaluation loop: no_grad (block and decorator), enable_grad inside no_grad, set_grad_enabled, inference_mode (inference tensors used outside it), requires_grad_, detach and detach_."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(6, 4)
y = torch.randn(6, 2)


@torch.no_grad()
def evaluate(inputs):
    return F.mse_loss(model(inputs), y)


for step in range(2):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    val = evaluate(x)

# enable_grad inside no_grad: history is recorded again in the inner block.
with torch.no_grad():
    frozen = model(x)
    with torch.enable_grad():
        scale = torch.ones(2, requires_grad=True)
        inner = (model(x) * scale).sum()
inner.backward()

# set_grad_enabled as a call and as a context manager.
torch.set_grad_enabled(False)
plain = model(x) * 2
torch.set_grad_enabled(True)
with torch.set_grad_enabled(False):
    plain = plain + model(x)
is_train = True
with torch.set_grad_enabled(is_train):
    tracked = model(x).pow(2).mean()
tracked.backward()

# inference_mode: inference tensors, then used outside it.
with torch.inference_mode():
    feats = model[0](x)
    feats = torch.tanh(feats)
head = model[2](feats.clone())
loss = F.mse_loss(head, y)
loss.backward()
scaled = feats * 2 + 1  # inference tensors in an op outside inference_mode
running = torch.zeros(5)
with torch.inference_mode():
    running.add_(feats.mean(0))  # a normal tensor changed in place inside it
    with torch.no_grad():
        peek = running * 1


@torch.inference_mode()
def predict(inputs):
    return model(inputs).argmax(1)


@torch.enable_grad()
def probe(inputs):
    return (model(inputs) ** 2).sum()


labels = predict(x)
with torch.no_grad():
    probed = probe(x)
probed.backward()
F.mse_loss(model[2](scaled), y).backward()

# requires_grad_, detach, detach_.
w = torch.randn(4, 2)
w.requires_grad_()
hidden = x @ w
cut = hidden.detach()
cut.requires_grad_()
(cut.sigmoid().sum() + hidden.sum()).backward()
h2 = x @ w
h2.detach_()
h2.mul_(0.5)
w.requires_grad_(False)
after = x @ w
print(f"val {val.item():.4f} tracked {tracked.item():.4f} after {after.sum().item():.4f}")
