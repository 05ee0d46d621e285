"""Hinton's forward-forward algorithm on MNIST-shaped data.

Each layer trains on its own local loss: the label is overlaid on the first
ten pixels (zeroed, then the true / a wrong label set to the image max), the
input is length-normalised with `F.normalize`, and the layer's "goodness"
(mean square of its ReLU output) is pushed above a threshold for positive
data and below it for negative data through `softplus`. The output of a
trained layer is `.detach()`ed before it feeds the next layer, so each
layer has its own graph and its own Adam optimizer. Prediction picks the
label with the highest summed goodness (`argmax` over a stacked table).
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


def overlay(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = x.clone()
    out[:, :10] *= 0.0
    out[range(x.shape[0]), y] = x.max()
    return out


class FFLayer(nn.Linear):
    def __init__(self, fan_in: int, fan_out: int, threshold: float = 2.0) -> None:
        super().__init__(fan_in, fan_out)
        self.relu = nn.ReLU()
        self.opt = torch.optim.Adam(self.parameters(), lr=0.03)
        self.threshold = threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        direction = F.normalize(x, p=2.0, dim=1, eps=1e-4)
        return self.relu(direction @ self.weight.T + self.bias.unsqueeze(0))

    def train_layer(self, x_pos, x_neg, steps):
        for _ in range(steps):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = F.softplus(torch.cat([self.threshold - g_pos, g_neg - self.threshold])).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


class FFNet(nn.Module):
    def __init__(self, dims) -> None:
        super().__init__()
        self.layers = nn.ModuleList(FFLayer(dims[i], dims[i + 1]) for i in range(len(dims) - 1))

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        goodness_per_label = []
        for label in range(10):
            h = overlay(x, torch.full((x.shape[0],), label))
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness.append(h.pow(2).mean(1))
            goodness_per_label.append(sum(goodness).unsqueeze(1))
        return torch.cat(goodness_per_label, 1).argmax(1)

    def train_net(self, x_pos, x_neg, steps):
        h_pos, h_neg = x_pos, x_neg
        for layer in self.layers:
            h_pos, h_neg = layer.train_layer(h_pos, h_neg, steps)


x = torch.rand(16, 1, 8, 8).flatten(1)
x = (x - 0.1307) / 0.3081
y = torch.randint(0, 10, (16,))
net = FFNet([64, 32, 32])
x_pos = overlay(x, y)
rnd = torch.randperm(x.size(0))
x_neg = overlay(x, y[rnd])
net.train_net(x_pos, x_neg, steps=3)
with torch.no_grad():
    train_error = 1.0 - net.predict(x).eq(y).float().mean().item()
print("train error", train_error)
