"""Complex-valued layers initialised by `torch.nn.init` and trained: a
complex64 `nn.Linear` (its reset draws `kaiming_uniform_` on the weight
and `uniform_` on the bias: a complex tensor of n elements draws 2n real
values from U[-b, b), real part first), weights re-drawn with
`normal_`/`xavier_normal_` (both parts from N(mean, std²/2)), `uniform_`
and `normal_` of complex128 tensors with a `torch.Generator`, and
`torch.rand`/`torch.randn` of complex dtypes as inputs. A two-layer complex
network with a modReLU between the layers is fitted by Adam to a complex
target, then evaluated under no_grad."""

import torch
import torch.nn as nn

torch.manual_seed(0)

first = nn.Linear(6, 8, dtype=torch.cfloat)
second = nn.Linear(8, 3, dtype=torch.cfloat)
nn.init.xavier_normal_(second.weight)
nn.init.normal_(second.bias, mean=0.1, std=0.5)
gate = nn.Parameter(torch.zeros(8))

gen = torch.Generator().manual_seed(7)
mix = torch.empty(3, 3, dtype=torch.cdouble).uniform_(-0.5, 0.5, generator=gen)
mix.normal_(1.0, 0.25, generator=gen)

x = torch.randn(16, 6, dtype=torch.cfloat)
phase = torch.rand(16, 1, dtype=torch.cfloat)
target = torch.randn(16, 3, dtype=torch.cfloat, generator=gen)


def model(inp):
    h = first(inp * phase)
    # modReLU: relu(|h| + b) · h / |h|
    mag = h.abs()
    h = torch.relu(mag + gate) * (h / (mag + 1e-6))
    return second(h)


params = [*first.parameters(), *second.parameters(), gate]
opt = torch.optim.Adam(params, lr=1e-2)
for _ in range(3):
    out = model(x)
    loss = (out - target).abs().pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

with torch.no_grad():
    out = model(x).to(torch.cdouble) @ mix
    print(loss.item(), out.abs().mean().item())
