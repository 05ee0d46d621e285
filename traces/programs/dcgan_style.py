"""DCGAN-style adversarial steps on 8x8 images.

Generator: ConvTranspose2d + BatchNorm2d + ReLU and a Tanh output;
discriminator: Conv2d + LeakyReLU(0.2) + BatchNorm2d and a Sigmoid; BCELoss
with labels made by full/fill_; the weights_init of the example (normal_ on
conv weights, normal_/zeros_ on batch norm); two Adam optimizers with
betas=(0.5, 0.999); the fake batch detached for the discriminator step.
"""

import torch
from torch import nn

torch.manual_seed(7)

NZ, NGF, NDF, NC, B = 3, 2, 2, 1, 2


def weights_init(m):
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.constant_(m.bias, 0)


netG = nn.Sequential(
    nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False),
    nn.BatchNorm2d(NGF * 2),
    nn.ReLU(True),
    nn.ConvTranspose2d(NGF * 2, NC, 4, 2, 1, bias=False),
    nn.Tanh(),
)
netD = nn.Sequential(
    nn.Conv2d(NC, NDF * 2, 4, 2, 1, bias=False),
    nn.BatchNorm2d(NDF * 2),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False),
    nn.Sigmoid(),
)
netG.apply(weights_init)
netD.apply(weights_init)

criterion = nn.BCELoss()
fixed_noise = torch.randn(B, NZ, 1, 1)
real_label, fake_label = 1.0, 0.0
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

real = torch.rand(B, NC, 8, 8) * 2 - 1
for i in range(2):
    netD.zero_grad()
    label = torch.full((B,), real_label, dtype=torch.float)
    output = netD(real).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().detach()  # D(x), kept as a tensor

    noise = torch.randn(B, NZ, 1, 1)
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    errD = errD_real + errD_fake
    optimizerD.step()

    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    optimizerG.step()
    print(f"iteration {i} done")

with torch.no_grad():
    sample = netG(fixed_noise).detach()
print(sample.shape)
