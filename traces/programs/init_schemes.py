"""Parameter initialisation as GPT/ResNet code does it: model.apply(_init_weights) with
normal_/zeros_, kaiming_normal_(fan_out), ones_/zeros_ on BatchNorm, xavier_uniform_, xavier_normal_
with a tanh gain, trunc_normal_, kaiming_uniform_(a=sqrt(5)), constant_, and a seeded
re-initialisation under no_grad; then two SGD steps."""
import math
import torch
from torch import nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 6)
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.l1 = nn.Linear(6, 8)
        self.l2 = nn.Linear(8, 8)
        self.l3 = nn.Linear(8, 4)
        self.l4 = nn.Linear(4, 3)
        self.ln = nn.LayerNorm(3)

    def forward(self, idx, img):
        h = self.emb(idx).mean(1)
        h = torch.relu(self.l1(h))
        h = torch.tanh(self.l2(h))
        h = self.l3(h)
        c = self.bn(self.conv(img)).mean((1, 2, 3))
        return self.ln(self.l4(h + c[:, None]))


def _init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Embedding):
        nn.init.normal_(m.weight, mean=0.0, std=0.02)


net = Net()
net.apply(_init_weights)
nn.init.kaiming_normal_(net.conv.weight, mode="fan_out", nonlinearity="relu")
nn.init.ones_(net.bn.weight)
nn.init.zeros_(net.bn.bias)
nn.init.xavier_uniform_(net.l1.weight)
nn.init.xavier_normal_(net.l2.weight, gain=nn.init.calculate_gain("tanh"))
nn.init.trunc_normal_(net.l4.weight, std=0.02, a=-0.04, b=0.04)
nn.init.kaiming_uniform_(net.l4.weight, a=math.sqrt(5))
nn.init.constant_(net.l4.bias, 0.1)
with torch.no_grad():
    torch.manual_seed(1)
    for n, p in net.named_parameters():
        if n.endswith("l2.weight"):
            p.normal_(0.0, 0.02 / math.sqrt(2 * 2))
    net.l3.bias.uniform_(-0.1, 0.1)

opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
idx = torch.randint(0, 10, (4, 5))
img = torch.randn(4, 1, 5, 5)
y = torch.randn(4, 3)
for _ in range(2):
    opt.zero_grad()
    loss = nn.functional.mse_loss(net(idx, img), y)
    loss.backward()
    opt.step()
