"""TorchScript in a training loop, as older research code and exported
models use it: a `@torch.jit.script` fused GELU (the tanh approximation
written out), a scripted `nn.Module` with data-dependent control flow (a
gated residual that skips its transform when the gate saturates) and a
scripted `nn.Sequential` feature extractor, trained three Adam steps (each
scripted function called several times, past the executor's profiling
runs); then the extractor in eval under `no_grad`. While captured,
TorchScript runs unoptimised, so every operator dispatches through
autograd and the gradients are eager PyTorch's."""

import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(3)


@torch.jit.script
def fused_gelu(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


class GatedResidual(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.transform = nn.Linear(width, width)
        self.gate = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = torch.sigmoid(self.gate(x))
        if bool((g > 0.999).all()):
            return x
        return x + g * fused_gelu(self.transform(x))


extractor = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(4), nn.Flatten())
signals = torch.randn(6, 2, 10)
scripted_extractor = torch.jit.script(extractor)
block = torch.jit.script(GatedResidual(16))
head = nn.Linear(16, 3)

params = list(extractor.parameters()) + list(block.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=3e-3)
labels = torch.randint(0, 3, (6,))
for step in range(3):
    features = scripted_extractor(signals)
    logits = head(block(features))
    loss = F.cross_entropy(logits, labels) + 1e-3 * fused_gelu(features).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))

scripted_extractor.eval()
with torch.no_grad():
    print(head(block(scripted_extractor(signals))).argmax(1).tolist())
print(round(math.fsum(p.detach().abs().sum().item() for p in params), 4))
