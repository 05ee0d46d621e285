"""A float16 convolutional autoencoder trained on CPU, with a 1-d upsampler.

The encoder is Conv2d → GroupNorm → ReLU → Conv2d (stride 2), the decoder
two `nn.ConvTranspose2d(kernel 4, stride 2, padding 1)` (overlapping
taps); a waveform branch upsamples with `nn.ConvTranspose1d(kernel 3,
stride 2)`. Two SGD-with-momentum steps in float16, then a bfloat16 copy and
evaluation under `torch.inference_mode()`.

PyTorch's float16 CPU transposed convolution stores the columns `Wᵀ x` as
float16 and adds them into the output plane one float16 addition at a time
(col2im), then adds the bias as one more float16 addition; the input
gradient of a float16 convolution is formed the same way. Overlapping taps
therefore round after every addition, unlike a once-rounded sum (bfloat16
goes through oneDNN and rounds once).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, 6, 3, padding=1),
            nn.GroupNorm(2, 6),
            nn.ReLU(),
            nn.Conv2d(6, 8, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 3, stride=1, padding=1, groups=1),
        )
        self.wave = nn.ConvTranspose1d(8, 2, 3, stride=2, groups=2)

    def forward(self, x):
        z = self.enc(x)
        image = self.dec(z)
        wave = self.wave(z.mean(-1))
        return image, wave


model = AutoEncoder().half()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(2, 1, 8, 8).half()
wave_target = torch.randn(2, 2, 9).half()
for step in range(2):
    image, wave = model(x)
    loss = F.mse_loss(image.float(), x.float()) + F.l1_loss(wave.float(), wave_target.float())
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("step", step, "loss", round(loss.item(), 4))

model.eval()
with torch.inference_mode():
    image, wave = model(x)
    print("half", image.float().abs().mean().item(), wave.float().sum().item())
    bf = AutoEncoder().bfloat16()
    bf.load_state_dict({k: v.bfloat16() for k, v in model.state_dict().items()})
    image, wave = bf(x.bfloat16())
    print("bfloat16", image.float().abs().mean().item(), wave.float().sum().item())
