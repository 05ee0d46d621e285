"""float32 sigmoid, SiLU and rsqrt as PyTorch's CPU loops compute them.

The elementwise loop runs each thread's share in steps of two vectors,
where `exp` is SLEEF's, and the elements after the last whole step in a
scalar loop, where `exp` is the C library's: the two differ in the last
bit for a few percent of inputs, so which loop an element takes decides
its bits. A gated MLP (SiLU-gated feed-forward with an RMSNorm, LLaMA
style) and a sigmoid-gated classifier train for a few steps with hidden
sizes that leave a scalar tail (40, 70) and that do not (32, 64); in-place
`sigmoid_`/`silu_`, a transposed input, a tensor large enough to be split
over the intra-op threads, and bfloat16 `rsqrt`, whose scalar tail rounds
the square root to bfloat16 before the reciprocal.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class GatedBlock(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm = RMSNorm(dim)
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        h = self.norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


for dim, hidden in ((40, 70), (32, 64)):
    block = GatedBlock(dim, hidden)
    head = nn.Linear(dim, 1)
    opt = torch.optim.AdamW([*block.parameters(), *head.parameters()], lr=1e-2)
    x = torch.randn(3, 5, dim)
    target = (torch.rand(3, 5, 1) > 0.5).float()
    for _ in range(2):
        opt.zero_grad()
        logits = head(block(x))
        prob = torch.sigmoid(logits)
        loss = F.binary_cross_entropy(prob, target)
        loss.backward()
        opt.step()

# In place, transposed, and large enough for two threads' shares.
with torch.no_grad():
    a = torch.randn(37) * 4
    a.sigmoid_()
    b = torch.randn(50) * 4
    F.silu(b, inplace=True)
    t = (torch.randn(33, 7) * 3).t()
    torch.sigmoid(t)
    F.silu(t)
    big = torch.randn(32_801) * 6
    torch.sigmoid(big).sum()
    F.silu(big).sum()

# SiLU's gradient on a scalar tail, and bfloat16 rsqrt (vector and tail).
s = (torch.randn(2, 45) * 3).requires_grad_()
F.silu(s).backward(torch.randn(2, 45))
r = (torch.rand(100) * 10 + 0.01).bfloat16()
torch.rsqrt(r)
torch.rsqrt(torch.rand(100) * 10 + 0.01)
