"""A VAE-style step: encoder to (mu, logvar), reparameterization with randn_like, BCE + KLD, Adam."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(8)

IN, HID, Z = 20, 8, 3


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(IN, HID)
        self.fc21 = nn.Linear(HID, Z)
        self.fc22 = nn.Linear(HID, Z)
        self.fc3 = nn.Linear(Z, HID)
        self.fc4 = nn.Linear(HID, IN)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, IN))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, IN), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


model = VAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
data = torch.rand(4, 1, 4, 5)
model.train()
for step in range(2):
    optimizer.zero_grad()
    recon, mu, logvar = model(data)
    loss = loss_function(recon, data, mu, logvar)
    loss.backward()
    optimizer.step()
    print("step", step, "done")

model.eval()
with torch.no_grad():
    sample = model.decode(torch.randn(2, Z))
    recon, mu, logvar = model(data)
    eval_loss = loss_function(recon, data, mu, logvar)
    comparison = torch.cat([data.view(-1, IN)[:2], recon.view(-1, IN)[:2]])
print(sample.shape, comparison.shape, eval_loss.dim())
