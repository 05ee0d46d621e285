"""Layers written as program-defined operators (`torch.library.custom_op`),
as code that wraps its own kernels does: a scaled activation with a
`register_autograd` formula that saves its output, a two-output operator
(a gated split) with a keyword-only argument, a CPU-only kernel added with
`register_kernel` over a default one, and an operator without an autograd
formula used only on data that needs no gradient. A small network built
from them trains for three Adam steps, then runs under `no_grad`. The
trace holds the PyTorch operators each Python kernel calls, made below
autograd (`below_autograd`: `chunk` reaches the trace whole, no node is
made for them), and the generated autograd Functions of the operators'
formulas."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


@torch.library.custom_op("ftcorpus::scaled_tanh", mutates_args=())
def scaled_tanh(x: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.tanh(x) * scale


@scaled_tanh.register_fake
def _(x, scale):
    return torch.empty_like(x)


def _scaled_tanh_setup(ctx, inputs, output):
    _, scale = inputs
    ctx.scale = scale
    ctx.save_for_backward(output)


def _scaled_tanh_backward(ctx, grad):
    (y,) = ctx.saved_tensors
    return grad * (ctx.scale - y * y / ctx.scale), None


scaled_tanh.register_autograd(_scaled_tanh_backward, setup_context=_scaled_tanh_setup)


@torch.library.custom_op("ftcorpus::gated_split", mutates_args=())
def gated_split(x: torch.Tensor, *, eps: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor]:
    a, b = x.chunk(2, dim=-1)
    gate = torch.sigmoid(b)
    return a * gate, gate.clamp(eps, 1 - eps).log()


def _gated_split_setup(ctx, inputs, keyword_only_inputs, output):
    (x,) = inputs
    ctx.save_for_backward(x)


def _gated_split_backward(ctx, grad_out, grad_log):
    (x,) = ctx.saved_tensors
    a, b = x.chunk(2, dim=-1)
    s = torch.sigmoid(b)
    grad_a = grad_out * s
    grad_b = grad_out * a * s * (1 - s) + grad_log * (1 - s)
    return torch.cat([grad_a, grad_b], dim=-1)


gated_split.register_autograd(_gated_split_backward, setup_context=_gated_split_setup)


@torch.library.custom_op("ftcorpus::rms_scale", mutates_args=())
def rms_scale(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return x * weight


@rms_scale.register_kernel("cpu")
def _(x, weight):
    # The CPU kernel normalises too; the default one only scales.
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * weight


def _rms_scale_setup(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def _rms_scale_backward(ctx, grad):
    x, weight = ctx.saved_tensors
    with torch.enable_grad():
        xd = x.detach().requires_grad_(True)
        wd = weight.detach().requires_grad_(True)
        y = xd * torch.rsqrt(xd.pow(2).mean(-1, keepdim=True) + 1e-5) * wd
        gx, gw = torch.autograd.grad(y, (xd, wd), grad)
    return gx, gw


rms_scale.register_autograd(_rms_scale_backward, setup_context=_rms_scale_setup)


@torch.library.custom_op("ftcorpus::bucket_ids", mutates_args=())
def bucket_ids(x: torch.Tensor, buckets: int) -> torch.Tensor:
    edges = torch.linspace(-2.0, 2.0, buckets - 1)
    return torch.bucketize(x.clamp(-3.0, 3.0), edges)


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.up = nn.Linear(width, 2 * width)
        self.norm_weight = nn.Parameter(torch.ones(width))
        self.down = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, log_gate = gated_split(self.up(x), eps=1e-4)
        h = rms_scale(h, self.norm_weight)
        return x + self.down(scaled_tanh(h, 1.5)) + 0.01 * log_gate.mean(-1, keepdim=True)


width = 8
embed = nn.Embedding(6, width)
net = nn.Sequential(Block(width), Block(width), nn.Linear(width, 3))
params = list(embed.parameters()) + list(net.parameters())
opt = torch.optim.Adam(params, lr=1e-2)
x = torch.randn(5, width)
y = torch.tensor([0, 2, 1, 1, 0])
for _ in range(3):
    ids = bucket_ids(x.detach().sum(-1), 6)
    loss = F.cross_entropy(net(x + embed(ids)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

with torch.no_grad():
    ids = bucket_ids(x.sum(-1), 6)
    probs = net(x + embed(ids)).softmax(-1)
print(loss.item(), probs.argmax(-1))
