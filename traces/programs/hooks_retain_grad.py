"""retain_grad() on intermediates: a two-layer MLP whose hidden activations
keep their gradients, read after backward (saliency-style statistics used in
later computation), accumulated over two backward passes, and reset."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 3)
target = torch.randn(4, 2)
w1 = torch.randn(3, 5, requires_grad=True)
b1 = torch.zeros(5, requires_grad=True)
w2 = torch.randn(5, 2, requires_grad=True)

pre = x @ w1 + b1
pre.retain_grad()
hidden = torch.relu(pre)
hidden.retain_grad()
out = hidden @ w2
out.retain_grad()
loss = F.mse_loss(out, target)
loss.retain_grad()
w1.retain_grad()  # a leaf: a no-op
assert pre.retains_grad and not w1.retains_grad

loss.backward(retain_graph=True)
saliency = pre.grad.abs().mean(dim=0)
gate = (hidden.grad * hidden).sum(dim=1)
print("saliency", saliency.tolist())

# A second backward adds into the retained gradients (old + new).
loss.backward()
ratio = hidden.grad / (hidden.grad.norm() + 1e-6)
score = (ratio * gate.unsqueeze(1)).sum() + saliency.sum() + loss.grad

# Retained gradients of split outputs: one chunk gets no gradient.
a, b = torch.chunk(torch.randn(4, 6, requires_grad=True) * 2.0, 2, dim=1)
a.retain_grad()
b.retain_grad()
(a * a).sum().backward()
print(a.grad.sum().item(), b.grad is None)

# The program resets a retained gradient; the next backward clones again.
z = w2.sum(dim=1) * 3.0
z.retain_grad()
z.sum().backward(retain_graph=True)
z.grad = None
(z * z).sum().backward()
with torch.no_grad():
    w1 -= 0.1 * w1.grad
print(score.item(), z.grad.tolist())
