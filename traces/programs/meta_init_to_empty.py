"""Shapes worked out on the meta device and a model built there, then
materialized on the CPU, as the "reasoning about shapes" and meta-device
recipes write it: the flattened size a convolutional trunk hands its
classifier is measured by running a meta copy under `torch.device("meta")`;
the network is then built inside `torch.device("meta")` (no memory, no
initialization), moved with `Module.to_empty(device="cpu")` (each parameter
and buffer by `empty_like(meta_tensor, device="cpu")`), initialized with
`reset_parameters()` and a couple of `nn.init` calls, and trained three SGD
steps. Around it the `*_like` and `new_*` factories with a TensorOptions
device other than their tensor's: `zeros_like`/`ones_like`/`full_like`/
`randn_like` of a meta tensor onto the CPU, `empty_like`/`new_zeros`/
`new_empty` of a CPU tensor onto meta. The result lives on the device the
options name, not on the backend the tensor argument selected."""
import torch
from torch import nn

torch.manual_seed(0)


def trunk():
    return nn.Sequential(
        nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 4, 3), nn.Flatten()
    )


def flat_size(module, shape):
    with torch.device("meta"):
        return module.to("meta")(torch.empty(shape)).shape[1]


features = flat_size(trunk(), (1, 3, 14, 14))

with torch.device("meta"):
    model = nn.Sequential(trunk(), nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, 3))
model = model.to_empty(device="cpu")
for m in model.modules():
    if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d)):
        m.reset_parameters()
    if isinstance(m, nn.BatchNorm2d):
        m.reset_running_stats()
nn.init.kaiming_uniform_(model[1].weight, nonlinearity="relu")
nn.init.zeros_(model[3].bias)

x = torch.randn(4, 3, 14, 14)
y = torch.randint(0, 3, (4,))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

# The *_like / new_* factories with a device other than their tensor's.
meta = torch.empty(2, 3, device="meta")
z = torch.zeros_like(meta, device="cpu") + 1
o = torch.ones_like(meta, device="cpu", dtype=torch.float64) * 2
f = torch.full_like(meta, 0.5, device="cpu")
r = torch.randn_like(meta, device="cpu")
back = torch.empty_like(x, device="meta")
nz = x.new_zeros((2, 2), device="meta")
ne = meta.new_empty((3,), device="cpu").fill_(4.0)
model.eval()
with torch.no_grad():
    pred = model(x).argmax(1)
print(features, loss.item(), pred.tolist(), (z + f + r).sum().item(), o.sum().item(), ne.tolist(), back.device, nz.device)
