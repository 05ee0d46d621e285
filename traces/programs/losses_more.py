"""KLDiv (both log_target), BCE-with-logits pos_weight, weighted NLL with ignore_index,
margin ranking and cosine embedding losses, trained by NAdam and RAdam."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
net = nn.Linear(6, 4)
emb = nn.Linear(6, 5)
x = torch.randn(8, 6)
tgt = torch.tensor([0, 1, 2, 3, -100, 1, 2, 0])
soft = F.softmax(torch.randn(8, 4), -1)
yb = (torch.rand(8, 4) > 0.5).float()
optims = [
    torch.optim.NAdam(net.parameters(), lr=1e-2),
    torch.optim.RAdam(emb.parameters(), lr=1e-2),
]
crit = [
    nn.KLDivLoss(reduction="batchmean"),
    nn.KLDivLoss(reduction="batchmean", log_target=True),
    nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 0.5, 3.0])),
    nn.NLLLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.5]), ignore_index=-100),
    nn.MarginRankingLoss(margin=0.2),
    nn.CosineEmbeddingLoss(margin=0.1),
]
for step in range(2):
    for o in optims:
        o.zero_grad()
    out = net(x)
    e = emb(x)
    lp = F.log_softmax(out, -1)
    loss = crit[0](lp, soft) + crit[1](lp, soft.log())
    loss = loss + crit[2](out, yb) + crit[3](lp, tgt)
    loss = loss + crit[4](out[:, 0], out[:, 1], torch.sign(torch.randn(8)))
    loss = loss + crit[5](e[:4], e[4:], torch.tensor([1.0, -1.0, 1.0, -1.0]))
    loss.backward()
    for o in optims:
        o.step()
