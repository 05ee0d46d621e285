"""Layers whose composites `torch.inference_mode()` sees whole, as a
trained model's evaluation pass meets them: a 3-d volume denoiser
(`nn.Conv3d` with replicate padding, per-channel `nn.PReLU`, `MaxPool3d`,
`ConvTranspose3d`, `AdaptiveAvgPool3d` to 1×1×1 and 2×2×2), a 1-d signal
branch (`nn.Conv1d(padding='same')` with an even kernel, so the input is
padded on the far side first, grouped `ConvTranspose1d`, `nn.RReLU`), a 2-d
branch (`Conv2d(padding='same')`, `ConvTranspose2d` with `output_size`,
`Conv2d(padding='valid')`) and a multi-label head (`multilabel_margin_loss`)
with a `pdist` spread penalty; trained two Adam steps, then evaluated under
`inference_mode` in float32 and float64 and with a batch of one, the
unbatched `conv1d`/`conv_transpose1d` and a scalar `PReLU` on a 1-d input."""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(11)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.vol = nn.Conv3d(1, 4, 3, padding=1, padding_mode="replicate")
        self.vol_act = nn.PReLU(4)
        self.vol_pool = nn.MaxPool3d(2, ceil_mode=True)
        self.vol_up = nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, output_padding=1)
        self.vol_gap = nn.AdaptiveAvgPool3d(1)
        self.vol_pool2 = nn.AdaptiveAvgPool3d(2)
        self.sig = nn.Conv1d(2, 4, 4, padding="same", dilation=1)
        self.sig_act = nn.RReLU(0.1, 0.3)
        self.sig_up = nn.ConvTranspose1d(4, 4, 3, stride=2, groups=2, padding=1)
        self.img = nn.Conv2d(3, 4, (3, 4), padding="same")
        self.img_up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
        self.img_valid = nn.Conv2d(2, 2, 3, padding="valid")
        self.head = nn.Linear(4 + 16 + 4 + 2, 5)

    def forward(self, vol, sig, img):
        v = self.vol_pool(self.vol_act(self.vol(vol)))
        v_up = self.vol_up(v)
        v_feat = torch.cat([self.vol_gap(v).flatten(1), self.vol_pool2(v_up).flatten(1)], 1)
        s = self.sig_up(self.sig_act(self.sig(sig)))
        i = self.img_up(self.img(img), output_size=[10, 10])
        i = self.img_valid(i)
        feat = torch.cat([v_feat, s.mean(-1), i.mean((-1, -2))], 1)
        return self.head(feat), feat


model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
vol = torch.randn(3, 1, 5, 6, 6)
sig = torch.randn(3, 2, 9)
img = torch.randn(3, 3, 5, 5)
labels = torch.tensor([[1, 3, -1, 0, 0], [0, -1, 2, 2, 2], [4, 2, 1, -1, 0]])
for step in range(2):
    logits, feat = model(vol, sig, img)
    spread = F.pdist(feat).mean()
    loss = F.multilabel_margin_loss(logits, labels) - 1e-3 * spread
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 6))

model.eval()
with torch.inference_mode():
    logits, feat = model(vol, sig, img)
    print(round(F.multilabel_margin_loss(logits, labels).item(), 6))
    print(F.multilabel_margin_loss(logits, labels, reduction="none").tolist())
    print(F.pdist(feat, p=1).sum().item())
    one_logits, _ = model(vol[:1], sig[:1], img[:1])
    print(one_logits.argmax(1).tolist())
    # unbatched signals and a scalar PReLU on a 1-d input
    print(model.sig(sig[0]).shape, model.sig_up(model.sig(sig[0])).shape)
    print(F.prelu(torch.linspace(-2, 2, 5), torch.tensor([0.2])).tolist())
    print(F.rrelu(torch.linspace(-2, 2, 5), 0.2, 0.4, training=False).tolist())

model64 = Net().double().eval()
with torch.inference_mode():
    logits64, feat64 = model64(vol.double(), sig.double(), img.double())
    print(logits64.sum().item(), F.pdist(feat64).max().item())
    print(F.multilabel_margin_loss(logits64, labels, reduction="sum").item())
