"""nanoGPT-style generate(): temperature, top-k and top-p cropping, multinomial, argmax,
after a step trained through gather, scatter_add, one_hot, cumsum and cumprod."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
V = 11
emb = nn.Embedding(V, 8)
head = nn.Linear(8, V)
opt = torch.optim.SGD(list(emb.parameters()) + list(head.parameters()), lr=0.1)

# a training step using gather / scatter_add / one_hot / cumsum
idx = torch.randint(0, V, (2, 4))
logits = head(emb(idx))
logp = F.log_softmax(logits, -1)
tgt = torch.roll(idx, -1, 1)
picked = torch.gather(logp, 2, tgt.unsqueeze(-1)).squeeze(-1)
oh = F.one_hot(tgt, V).float()
loss = -(picked.mean()) + 0.1 * (oh * logp.exp()).sum(-1).mean()
acc = torch.zeros(2, V).scatter_add(1, tgt, picked.detach())
cp = torch.cumprod(torch.sigmoid(logits[:, :, 0]), 1)
loss = loss + cp.sum() * 0.01 + torch.cumsum(logits[:, :, 1], 1).mean() * 0.01
opt.zero_grad()
loss.backward()
opt.step()

with torch.no_grad():
    x = idx[:, :2]
    for step in range(4):
        logits = head(emb(x))[:, -1, :] / 0.8
        v, _ = torch.topk(logits, 3)
        logits[logits < v[:, [-1]]] = -float("Inf")
        probs = F.softmax(logits, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1)
        x = torch.cat((x, nxt), dim=1)
    # top-p
    logits = head(emb(x))[:, -1, :]
    sl, si = torch.sort(logits, descending=True)
    cum = torch.cumsum(F.softmax(sl, dim=-1), dim=-1)
    remove = cum > 0.9
    remove[..., 1:] = remove[..., :-1].clone()
    remove[..., 0] = False
    rm = remove.scatter(1, si, remove)
    logits = logits.masked_fill(rm, float("-inf"))
    probs = F.softmax(logits, -1)
    nxt = torch.multinomial(probs, 1)
    greedy = torch.argmax(logits, dim=-1, keepdim=True)
    worst = torch.argmin(probs, dim=1, keepdim=True)
    order = torch.argsort(probs, dim=-1)
    sel = torch.where(probs > 0.1, probs, torch.zeros_like(probs))
    x = torch.cat([x, nxt, greedy, worst], 1)
