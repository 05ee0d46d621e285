"""Seven AccumulateGrad nodes made ready together: equal ReadyQueue keys."""
import torch

ps = [torch.randn(2, requires_grad=True) for _ in range(7)]
torch.stack(ps).sum().backward()
