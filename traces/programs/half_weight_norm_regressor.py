"""Weight-normalised layers trained in float16 and bfloat16.

`nn.utils.parametrizations.weight_norm` recomputes each layer's weight as
`g · v / ‖v‖` through `_weight_norm_interface`, whose second output keeps
the per-row norms PyTorch saves for the backward. For both half types the
norms are float32 (the weight itself is in the layer's dtype), so
`WeightNormInterfaceBackward0` receives a float32 norm tensor next to
half-type `v` and `g`. Two SGD steps per dtype, the first-dim fused path
(`dim=0`) and a last-dim layer (`dim=1`).
"""

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(5)


def train(dtype: torch.dtype) -> None:
    first = weight_norm(nn.Linear(10, 16), dim=0)
    last = weight_norm(nn.Linear(16, 4), dim=1)
    model = nn.Sequential(first, nn.Tanh(), last).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for step in range(2):
        x = torch.randn(8, 10).to(dtype)
        y = torch.randn(8, 4).to(dtype)
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"{dtype} step {step}: loss {loss.item():.4f}")


for dtype in (torch.float16, torch.bfloat16):
    train(dtype)
