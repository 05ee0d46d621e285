"""Monte-Carlo dropout uncertainty of a trained classifier, evaluated under
`torch.inference_mode()` with the dropout layers left in training mode.

A 1-d convolutional classifier with `Dropout1d`, `AlphaDropout` after a
SELU layer and `Dropout` trains two Adam steps with autograd on, then, in
`train()` mode inside `torch.inference_mode()`, runs eight stochastic
forward passes whose softmax outputs are averaged (prediction) and whose
standard deviation is the uncertainty. There the dropout family is seen
whole (`feature_dropout`, `alpha_dropout`, `dropout`), and the calls
`F.dropout`, `F.alpha_dropout`, `F.feature_alpha_dropout`, `F.dropout1d`/
`2d`/`3d`, in-place `F.dropout` and `F.rrelu(training=True)` follow. The
capture records each one's result (random operators), and the replay
recovers the masks and slopes from it.
"""
import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3, padding=1)
        self.fc1 = nn.Linear(32, 16); self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(16, 3); self.d1 = nn.Dropout1d(0.2)
        self.ad = nn.AlphaDropout(0.2)
    def forward(self, x):
        h = self.d1(torch.relu(self.conv(x)))
        h = self.ad(F.selu(self.fc1(h.flatten(1))))
        return self.fc2(self.drop(h))
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
x = torch.randn(5, 2, 8); y = torch.tensor([0, 1, 2, 1, 0])
for _ in range(2):
    opt.zero_grad(); F.cross_entropy(net(x), y).backward(); opt.step()
net.train()
with torch.inference_mode():
    probs = torch.stack([F.softmax(net(x), -1) for _ in range(8)])
    mean, std = probs.mean(0), probs.std(0)
    a = F.dropout(x, 0.5, training=True)
    b = F.alpha_dropout(x, 0.4, training=True)
    c = F.feature_alpha_dropout(x, 0.4, training=True)
    d = F.dropout2d(x.unsqueeze(-1), 0.5, training=True)
    e = F.dropout3d(x.unsqueeze(-1).unsqueeze(-1), 0.5, training=True)
    f = F.rrelu(x, training=True)
    g = x.clone(); F.dropout(g, 0.5, training=True, inplace=True)
    h = F.dropout1d(x, 0.5, training=True)
print(mean.sum(1), float(std.mean()), float(a.sum() + b.sum() + c.sum() + d.sum() + e.sum() + f.sum() + g.sum() + h.sum()))
