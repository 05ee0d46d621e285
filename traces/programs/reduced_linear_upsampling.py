"""Linear, bilinear and trilinear upsampling in bfloat16 and float16.

A bfloat16 audio upsampler (a conv stack that resamples its hidden signal
by 1.5x and to an explicit length with `mode="linear"`, both
align_corners settings) takes two SGD steps; a float16 decoder resizes
feature maps bilinearly: a small map (PyTorch's channels-last kernel,
float weights summed with fused multiply-adds), a channels-last map with
eight channels, and a large output (height + width above 128, the generic
kernel with its weights stored in float16); a bfloat16 video block is
resized trilinearly. A float16 bicubic resize's backward accumulates
in float like the linear modes'. Non-dyadic factors make the reduced-precision
weights and their rounding visible, forward and backward.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


class AudioUpsampler(nn.Module):
    def __init__(self, channels=4):
        super().__init__()
        self.pre = nn.Conv1d(1, channels, 5, padding=2)
        self.post = nn.Conv1d(channels, 1, 3, padding=1)

    def forward(self, wave, align_corners):
        h = torch.tanh(self.pre(wave))
        h = F.interpolate(h, scale_factor=1.5, mode="linear", align_corners=align_corners)
        h = F.interpolate(h, size=37, mode="linear", align_corners=align_corners)
        return self.post(h)


model = AudioUpsampler().to(torch.bfloat16)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step, align_corners in enumerate((False, True)):
    wave = torch.randn(2, 1, 17, dtype=torch.bfloat16)
    target = torch.randn(2, 1, 37, dtype=torch.bfloat16)
    opt.zero_grad()
    loss = F.mse_loss(model(wave, align_corners).float(), target.float())
    loss.backward()
    opt.step()

decoder = nn.Conv2d(3, 8, 3, padding=1).to(torch.float16)
feat = torch.randn(1, 3, 6, 7, dtype=torch.float16, requires_grad=True)
maps = decoder(feat)
small = F.interpolate(maps, scale_factor=(1.7, 1.3), mode="bilinear")
nhwc = F.interpolate(
    maps.contiguous(memory_format=torch.channels_last), size=(11, 9), mode="bilinear", align_corners=True
)
large = F.interpolate(maps, size=(66, 70), mode="bilinear")
noise = torch.randn(large.shape, dtype=torch.float16)
pooled = F.avg_pool2d(large * noise, (11, 10))
smooth = F.interpolate(maps[:, :3], size=(9, 11), mode="bicubic", align_corners=True)
score = (smooth * torch.randn(smooth.shape, dtype=torch.float16)).float().mean() + small.float().pow(2).mean() + nhwc.float().mean() + pooled.float().pow(2).mean()
score.backward()

video = torch.randn(1, 2, 3, 5, 4, dtype=torch.bfloat16, requires_grad=True)
clip = F.interpolate(video, scale_factor=(1.5, 1.4, 1.75), mode="trilinear")
clip_ac = F.interpolate(video, size=(4, 7, 6), mode="trilinear", align_corners=True)
(clip.float().square().sum() + clip_ac.float().sum()).backward()
