"""A tabular regressor in the style of TabTransformer / FT-Transformer that
feeds raw continuous columns straight into LayerNorm: a year (2010 ± 6), a
price in the hundreds with cents, a latitude; LayerNorm over such rows in
float32 has a large common offset, so PyTorch's own statistics (vectorised
Welford moments in float32) are far from exact and every output depends on
computing them its way. Also pins LayerNorm without bias, without affine
parameters, over a long row (1000 features) and in float64, trained for two
Adam steps with an MSE loss."""

import torch
import torch.nn as nn

torch.manual_seed(0)
rows = 6


def raw_columns(n):
    year = 2010.0 + torch.randint(-6, 7, (n, 1)).float()
    price = 250.0 + 0.01 * torch.randint(0, 5000, (n, 1)).float()
    lat = 47.6 + 0.05 * torch.randn(n, 1)
    # Readings around a large baseline: 300 ± 0.05 per sensor.
    sensors = 300.0 + 0.05 * torch.randn(n, 13)
    return torch.cat([year, price, lat, sensors], dim=1)


class TabularRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.raw_norm = nn.LayerNorm(16)
        self.sensor_norm = nn.LayerNorm(13, bias=False)
        self.embed = nn.Linear(16 + 13, 32)
        self.block_norm = nn.LayerNorm(32, elementwise_affine=False)
        self.wide = nn.Linear(32, 1000)
        self.wide_norm = nn.LayerNorm(1000)
        self.head = nn.Linear(1000, 1)

    def forward(self, x):
        h = torch.cat([self.raw_norm(x), self.sensor_norm(x[:, 3:])], dim=1)
        h = torch.relu(self.block_norm(self.embed(h)))
        h = self.wide_norm(self.wide(h))
        return self.head(h).squeeze(-1)


model = TabularRegressor()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(2):
    x = raw_columns(rows)
    target = torch.randn(rows)
    loss = nn.functional.mse_loss(model(x), target)
    opt.zero_grad()
    loss.backward()
    opt.step()

# A float64 calibration head on the same raw columns.
calib = nn.LayerNorm(16, dtype=torch.float64)
with torch.no_grad():
    calib.weight.uniform_(0.5, 1.5)
x64 = raw_columns(4).double().requires_grad_()
calib(x64).pow(2).sum().backward()
