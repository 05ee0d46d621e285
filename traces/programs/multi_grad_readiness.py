"""Gradient-readiness signals that hold the gradients they are given, as
data-parallel wrappers and gradient loggers do, with .grad reset to None
every step (zero_grad(set_to_none=True)), so each AccumulateGrad stores a
fresh gradient. torch.autograd.graph.register_multi_grad_hook per bucket of
parameters buffers each parameter's gradient until the bucket's last one
arrives; the callback only notes which bucket became ready and never reads
the gradients. While a gradient sits in that buffer the program holds it, so
AccumulateGrad copies it (new_empty_strided + copy_) instead of stealing it;
the bucket's last gradient is no longer buffered when its AccumulateGrad
runs and is stolen (detach). A tensor hook on the encoder's weight logs
every gradient it sees in a list that the program reads after backward and
then clears, so that gradient is copied too. Three SGD steps with momentum;
the final step runs on a batch of one."""

import torch
import torch.nn as nn
from torch.autograd.graph import register_multi_grad_hook

torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(6, 12)
        self.block = nn.Sequential(nn.LayerNorm(12), nn.Linear(12, 12), nn.GELU())
        self.head = nn.Linear(12, 4)

    def forward(self, x):
        h = self.embed(x)
        h = h + self.block(h)
        return self.head(h)


model = Encoder()
buckets = [
    list(model.head.parameters()),
    list(model.block.parameters()),
    list(model.embed.parameters()),
]
ready_order = []


def bucket_ready(index):
    def on_ready(grads):
        ready_order.append(index)

    return on_ready


handles = [register_multi_grad_hook(params, bucket_ready(i)) for i, params in enumerate(buckets)]

grad_log = []
model.embed.weight.register_hook(lambda g: grad_log.append(g))

opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
batches = [(torch.randn(5, 6), torch.randint(0, 4, (5,))) for _ in range(2)]
batches.append((torch.randn(1, 6), torch.randint(0, 4, (1,))))

for x, y in batches:
    opt.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    logged_norm = torch.stack([g.norm() for g in grad_log]).sum()
    grad_log.clear()
    opt.step()
    print(f"loss {loss.item():.4f} logged {logged_norm.item():.4f} ready {ready_order[-3:]}")

for h in handles:
    h.remove()
