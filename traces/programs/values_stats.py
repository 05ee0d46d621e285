# capture-values: stats
"""Value policy `stats`: a small classifier trained three AdamW steps, its
values kept as statistics (digest, min/max/mean/norm, non-finite count and
16 sampled elements) instead of bytes. Inputs and random outputs (the
initial weights' `uniform_`, dropout masks) are kept in full, since replay
feeds them back. Values of several dtypes: float32 activations and
gradients, a float64 branch, int64 predictions, bool masks, a tensor with
infinities (a masked `-inf` fill before softmax)."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(12, 32)
        self.norm = torch.nn.LayerNorm(32)
        self.fc2 = torch.nn.Linear(32, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.norm(self.fc1(x)))
        h = F.dropout(h, p=0.1, training=self.training)
        return self.fc2(h)


net = Net()
opt = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.01)
x = torch.randn(24, 12)
y = torch.randint(0, 5, (24,))
scale = torch.linspace(0.5, 1.5, 24, dtype=torch.float64)
# A float64 parameter of its own (a float32 value converted to float64 would
# be judged with float64 tolerances it cannot meet after float32 drift).
offset = torch.nn.Parameter(torch.zeros(24, dtype=torch.float64))
opt.add_param_group({"params": [offset], "weight_decay": 0.0})

for step in range(3):
    opt.zero_grad()
    logits = net(x)
    # A few classes masked out: -inf before the softmax, exp gives zeros.
    mask = torch.zeros_like(logits, dtype=torch.bool)
    mask[:, 4] = y != 4
    masked = logits.masked_fill(mask, float("-inf"))
    loss = F.cross_entropy(masked, y)
    # A float64 side term.
    side = ((offset - scale).pow(2) * scale).mean()
    loss = loss + side.float() * 1e-3
    loss.backward()
    opt.step()

net.eval()
with torch.no_grad():
    pred = net(x).argmax(dim=1)
    accuracy = (pred == y).float().mean()
print(f"accuracy {accuracy.item():.3f}")
