"""Training-loop infrastructure around a small conv net, as fine-tuning
scripts write it.

* Identity-style init: `nn.init.dirac_` on a conv with more output than
  input channels (its weight written through `select` views, so no value of
  the whole weight is recorded; the extra channels are constant, their
  batch-norm variance zero), `nn.init.sparse_` and a truncated-normal bias.
* Optimizer in backward: one SGD (nesterov) per parameter stepped from a
  `register_post_accumulate_grad_hook` as each gradient lands. The bias
  gradients of the constant channels are sums of large cancelling terms;
  the replay judges them with the summation room of the gradient alone.
* Gradient accumulation over two micro-batches with
  `zero_grad(set_to_none=False)`, AdamW (foreach) with
  `register_step_pre_hook`/`register_step_post_hook` (the post hook clips
  by value), `get_total_norm` + `clip_grads_with_norm_`, and a timm-style
  EMA updated by `torch._foreach_lerp_` with buffers copied.
* Pruning for fine-tuning: `l1_unstructured`, `random_unstructured`,
  `ln_structured`, `global_unstructured`, two SGD steps through the masks,
  `prune.remove`; then `fuse_conv_bn_eval`/`fuse_linear_bn_eval` and an
  `inference_mode` comparison of the fused and unfused nets.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 3)
        self.bn1 = nn.BatchNorm1d(3)

    def forward(self, t):
        h = torch.relu(self.bn(self.conv(t))).mean((2, 3))
        return self.bn1(self.fc(h))


net = Net()
nn.init.dirac_(net.conv.weight)
nn.init.sparse_(net.fc.weight, sparsity=0.5)
nn.init.trunc_normal_(net.fc.bias, std=0.02, a=-0.04, b=0.04)
x = torch.randn(3, 2, 5, 5)
y = torch.randint(0, 3, (3,))

# Optimizer in backward: each parameter steps as soon as its gradient lands.
per_param = {p: torch.optim.SGD([p], lr=0.05, momentum=0.9, nesterov=True) for p in net.parameters()}


def step_in_backward(p):
    per_param[p].step()
    per_param[p].zero_grad()


handles = [p.register_post_accumulate_grad_hook(step_in_backward) for p in net.parameters()]
for _ in range(2):
    nn.functional.cross_entropy(net(x), y).backward()
for h in handles:
    h.remove()

# Gradient accumulation, step hooks, norm clipping in two parts, EMA.
ema = copy.deepcopy(net).eval()
opt = torch.optim.AdamW(net.parameters(), lr=1e-2, foreach=True)
steps_taken = []
opt.register_step_pre_hook(lambda o, args, kwargs: steps_taken.append(len(steps_taken)))
opt.register_step_post_hook(lambda o, args, kwargs: torch.nn.utils.clip_grad_value_(net.parameters(), 10.0))
accum = 2
for step in range(3):
    for micro in range(accum):
        xb, yb = x[micro : micro + 2], y[micro : micro + 2]
        (nn.functional.cross_entropy(net(xb), yb) / accum).backward()
    grads = [p.grad for p in net.parameters()]
    total = torch.nn.utils.get_total_norm(grads, norm_type=2.0, foreach=True)
    torch.nn.utils.clip_grads_with_norm_(net.parameters(), 1.0, total, foreach=True)
    opt.step()
    opt.zero_grad(set_to_none=False)
    with torch.no_grad():
        torch._foreach_lerp_(list(ema.parameters()), list(net.parameters()), weight=0.1)
        for eb, mb in zip(ema.buffers(), net.buffers()):
            eb.copy_(mb)

# Prune, fine-tune through the masks, make the pruning permanent.
prune.l1_unstructured(net.fc, "weight", amount=0.3)
prune.random_unstructured(net.conv, "bias", amount=0.25)
prune.ln_structured(net.conv, "weight", amount=0.5, n=2, dim=0)
prune.global_unstructured(
    [(net.fc, "bias"), (net.conv, "weight")], pruning_method=prune.L1Unstructured, amount=2
)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for _ in range(2):
    opt.zero_grad()
    nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
for module, name in ((net.fc, "weight"), (net.fc, "bias"), (net.conv, "weight"), (net.conv, "bias")):
    prune.remove(module, name)

# Fuse batch norms into the layers before them for inference.
net.eval()
fused_conv = fuse_conv_bn_eval(net.conv, net.bn)
fused_fc = fuse_linear_bn_eval(net.fc, net.bn1)
with torch.inference_mode():
    reference = net(x)
    fused = fused_fc(torch.relu(fused_conv(x)).mean((2, 3)))
    gap = (reference - fused).abs().max()
