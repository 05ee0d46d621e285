"""Skip-gram with negative sampling as word2vec ports write it: noise
words drawn from the unigram distribution raised to 3/4 by
`torch.multinomial(..., replacement=True)`, `nn.Embedding(sparse=True)`
input and output tables (the output one initialised to zero through
`.data`), positive and negative scores by an elementwise product and `bmm`,
`F.logsigmoid` losses, three SparseAdam steps, then nearest neighbours by
cosine similarity under `no_grad`.

The output table gets two sparse gradients per step (the context words'
and the negatives'); AccumulateGrad sums them (`add` of two uncoalesced
tensors merges their entry lists, here 36 + 144 entries into 179, in parts
with room for 180) and clones the sum: the clone's indices keep the row
stride 180 (each part is copied as `to(copy=True)` does, preserving a
dense layout); fault `sparse-clone-contiguous` (contiguous parts) is named
at that clone both ways."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)
V, D, K = 30, 8, 4
counts = torch.randint(1, 50, (V,)).float()
noise = counts.pow(0.75)
noise = noise / noise.sum()


class SGNS(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Embedding(V, D, sparse=True)
        self.out = nn.Embedding(V, D, sparse=True)
        init = 0.5 / D
        self.inp.weight.data.uniform_(-init, init)
        self.out.weight.data.zero_()

    def forward(self, center, ctx, neg):
        c = self.inp(center)
        o = self.out(ctx)
        n = self.out(neg)
        pos = F.logsigmoid((c * o).sum(-1))
        negs = F.logsigmoid(-torch.bmm(n, c.unsqueeze(2)).squeeze(2)).sum(1)
        return -(pos + negs).mean()


model = SGNS()
opt = torch.optim.SparseAdam(list(model.parameters()), lr=0.05)
corpus = torch.multinomial(counts / counts.sum(), 40, replacement=True)
for step in range(3):
    center = corpus[2:-2]
    ctx = corpus[torch.arange(2, 38) + torch.randint(-2, 3, (36,)).clamp(min=-2)]
    neg = torch.multinomial(noise, 36 * K, replacement=True).view(36, K)
    loss = model(center, ctx, neg)
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    w = F.normalize(model.inp.weight, dim=1)
    print((w @ w[3]).topk(5).indices)
