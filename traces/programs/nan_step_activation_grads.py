# An actor-critic step that meets a NaN observation: the loss is NaN, the
# backward runs anyway, and the step is skipped on a non-finite gradient
# norm (clip_grad_norm_ with error_if_nonfinite=False), as RL and GradScaler
# loops do; the next, clean batch trains. Which gradient elements come out
# 0, NaN or finite is PyTorch's CPU kernels' business: hardtanh_backward
# (Hardtanh, ReLU6), the shrink backward (Hardshrink, Softshrink),
# elu_backward (ELU, CELU), hardswish_backward and logit_backward with eps
# take NaN differently in their vectorised loop (whole vectors from the
# start of each contiguous run) and their scalar loop (the rest, and
# strided operands). Hidden widths of 40 and 24 and batches of 5 and 1 put
# NaN in both loops, in float32, float64 and bfloat16; a transposed
# activation input takes the scalar loop throughout.
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(21)


class Actor(nn.Module):
    def __init__(self, dtype):
        super().__init__()
        self.l1 = nn.Linear(6, 40, dtype=dtype)
        self.l2 = nn.Linear(40, 24, dtype=dtype)
        self.l3 = nn.Linear(24, 3, dtype=dtype)

    def forward(self, obs):
        h = F.hardtanh(self.l1(obs), -2.0, 2.0) + F.relu6(self.l1(obs) * 3)
        h = F.hardshrink(h, 0.1) + F.softshrink(h, 0.2) + F.elu(h, alpha=0.7)
        g = F.hardswish(self.l2(h)) + F.celu(self.l2(h), alpha=1.3)
        g = g + F.hardtanh(self.l2(h).t().contiguous().t(), 0.0, 1.0)
        probs = torch.sigmoid(self.l3(g))
        value = F.elu(self.l1(obs), alpha=0.5).mean(-1, keepdim=True)
        return torch.logit(probs, eps=1e-3) + value


for dtype in (torch.float32, torch.float64, torch.bfloat16):
    actor = Actor(dtype)
    opt = torch.optim.Adam(actor.parameters(), lr=1e-2)
    for step, batch in enumerate((5, 1, 5)):
        obs = torch.randn(batch, 6, dtype=dtype)
        if step < 2:
            obs[-1, 2] = float("nan")
        adv = torch.randn(batch, 3, dtype=dtype)
        loss = -(actor(obs) * adv).mean()
        opt.zero_grad()
        loss.backward()
        nan_grads = {name: int(p.grad.isnan().sum()) for name, p in actor.named_parameters()}
        norm = nn.utils.clip_grad_norm_(actor.parameters(), 1.0, error_if_nonfinite=False)
        if torch.isfinite(norm):
            opt.step()
        print(dtype, step, loss.item(), norm.item(), nan_grads)
