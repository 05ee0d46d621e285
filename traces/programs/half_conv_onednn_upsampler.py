"""A float16 upsampling decoder trained on a CPU whose PyTorch runs float16
convolutions on oneDNN (AVX-512 FP16 / AMX FP16), rounding each result once.

A pixel-art style decoder: a 3x3 convolution, two `ConvTranspose2d(kernel 4,
stride 2, padding 1)` upsamplers and a 1x1 head, trained two SGD steps in
float16 on a batch of two, then a batch-of-one eval pass. The capture
records the CPU's float16 convolution backend in META
(`float16_conv_onednn`), which the replay follows.
"""
# cpu-dependent-values: its float16 convolutions round once on oneDNN where the CPU has AVX-512-FP16 or AMX-FP16 (the golden's) and per batch sample and column addition on PyTorch's own loops elsewhere; META float16_conv_onednn says which

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

decoder = nn.Sequential(
    nn.Conv2d(4, 8, 3, padding=1),
    nn.ReLU(),
    nn.ConvTranspose2d(8, 6, 4, stride=2, padding=1),
    nn.ReLU(),
    nn.ConvTranspose2d(6, 4, 4, stride=2, padding=1, bias=False),
    nn.ReLU(),
    nn.Conv2d(4, 3, 1),
).half()
opt = torch.optim.SGD(decoder.parameters(), lr=0.05)
codes = torch.randn(2, 4, 3, 3, dtype=torch.float16)
target = torch.rand(2, 3, 12, 12, dtype=torch.float16)
for step in range(2):
    out = decoder(codes)
    loss = F.mse_loss(out.float(), target.float())
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())

decoder.eval()
with torch.no_grad():
    print(decoder(torch.randn(1, 4, 3, 3, dtype=torch.float16)).abs().mean().item())
