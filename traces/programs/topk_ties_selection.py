"""Top-k selection whose order and tie-breaking come from PyTorch's CPU kernel.

`torch.topk` on CPU selects with libstdc++: `std::partial_sort` of the first
k when 64 k <= n, otherwise `std::nth_element` at k - 1, then (sorted=True)
`std::sort` of the first k - 1; `torch.sort` without `stable` is
`std::sort`. Both compare values only, so the positions of equal values and
the order `sorted=False` leaves are whatever those algorithms' moves leave.
Exercised in training code:

* Informer's ProbSparse attention: queries ranked by a sparsity score and
  the top ones picked with `topk(n_top, sorted=False)` (nth_element order),
  gathered by advanced indexing and written back into a mean context.
* A k-sparse autoencoder (k-WTA on ReLU codes, many exact zeros): `topk`
  over 128 hidden units with k = 2 (partial_sort; ties among zeros) and a
  `scatter` of the kept values; a top-k of the smallest (largest=False).
* A Mixtral-style router choosing 2 of 6 experts with `sorted=False` and
  quantised gate scores (ties), softmax over the chosen logits.
* A listwise ranking loss over relevance labels sorted by `torch.sort`
  (unstable, 24 items per list with tied grades, descending) and
  `argsort`, int32 grades, `gather` of the predicted scores in that order,
  and an interquartile spread by `torch.quantile` over the batch dim (a
  sort of a transposed view: its results keep the view's strides).

Three Adam steps, batch sizes 3 and 1.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)


def prob_sparse_attention(q, k, v, n_sample, n_top):
    B, H, L, E = q.shape
    k_expand = k.unsqueeze(-3).expand(B, H, L, L, E)
    idx = torch.randint(L, (L, n_sample))
    k_sample = k_expand[:, :, torch.arange(L).unsqueeze(1), idx, :]
    qk_sample = torch.matmul(q.unsqueeze(-2), k_sample.transpose(-2, -1)).squeeze(-2)
    sparsity = qk_sample.max(-1)[0] - qk_sample.sum(-1) / L
    top = sparsity.topk(n_top, sorted=False)[1]
    b_idx = torch.arange(B)[:, None, None]
    h_idx = torch.arange(H)[None, :, None]
    scores = torch.matmul(q[b_idx, h_idx, top], k.transpose(-2, -1)) / E ** 0.5
    context = v.mean(-2, keepdim=True).expand(B, H, L, E).clone()
    context[b_idx, h_idx, top] = torch.softmax(scores, -1) @ v
    return context


class Informer(nn.Module):
    def __init__(self, d=8, heads=2):
        super().__init__()
        self.heads = heads
        self.inp = nn.Linear(1, d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.out = nn.Linear(d, 1)

    def forward(self, x):
        h = self.inp(x)
        B, L, D = h.shape
        q, k, v = self.qkv(h).view(B, L, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        ctx = prob_sparse_attention(q, k, v, n_sample=4, n_top=3)
        return self.out(h + ctx.transpose(1, 2).reshape(B, L, D))


class KSparseAE(nn.Module):
    def __init__(self, n_in=12, n_hidden=128, k=2):
        super().__init__()
        self.k = k
        self.enc = nn.Linear(n_in, n_hidden)
        self.dec = nn.Linear(n_hidden, n_in)

    def forward(self, x):
        z = F.relu(self.enc(x))
        vals, idx = z.topk(self.k, dim=-1)
        sparse = torch.zeros_like(z).scatter(-1, idx, vals)
        weakest = z.topk(3, dim=-1, largest=False).values.sum()
        return self.dec(sparse), weakest


class Router(nn.Module):
    def __init__(self, d=12, experts=6):
        super().__init__()
        self.gate = nn.Linear(d, experts, bias=False)
        self.experts = nn.ModuleList(nn.Linear(d, d) for _ in range(experts))

    def forward(self, x):
        logits = torch.round(self.gate(x) * 4) / 4 + self.gate(x) * 0.0
        top_logits, top_idx = logits.topk(2, dim=-1, sorted=False)
        weights = torch.softmax(top_logits, -1)
        out = torch.zeros_like(x)
        for slot in range(2):
            for e, expert in enumerate(self.experts):
                sel = top_idx[:, slot] == e
                if sel.any():
                    out[sel] += weights[sel, slot, None] * expert(x[sel])
        return out


def listwise_loss(scores, grades):
    order = torch.sort(grades, dim=-1, descending=True)[1]
    ranked = scores.gather(-1, order)
    back = torch.argsort(grades.float(), dim=-1)
    gains = (2.0 ** grades.gather(-1, order).float() - 1) / torch.log2(torch.arange(2, grades.shape[-1] + 2).float())
    log_cum = torch.logcumsumexp(ranked.flip(-1), -1).flip(-1)
    quartiles = torch.quantile(scores, torch.tensor([0.25, 0.75]), dim=0)
    spread = (quartiles[1] - quartiles[0]).mean()
    return (log_cum - ranked).mean() - 0.01 * (gains * ranked).mean() + 0.0 * scores.gather(-1, back).sum() + 0.01 * spread


informer = Informer()
ae = KSparseAE()
router = Router()
ranker = nn.Linear(5, 1)
params = [*informer.parameters(), *ae.parameters(), *router.parameters(), *ranker.parameters()]
opt = torch.optim.Adam(params, lr=1e-2)
for step, batch in enumerate((3, 3, 1)):
    series = torch.sin(torch.arange(10.0)[None, :, None] * 0.5 + torch.rand(batch, 1, 1) * 3)
    forecast = informer(series)
    loss = F.mse_loss(forecast[:, :-1], series[:, 1:])
    x = torch.rand(batch, 12)
    recon, weakest = ae(x)
    loss = loss + F.mse_loss(recon, x) + 1e-3 * weakest
    tokens = torch.randn(batch * 2, 12)
    loss = loss + router(tokens).pow(2).mean()
    feats = torch.randn(batch, 24, 5)
    grades = torch.randint(0, 3, (batch, 24), dtype=torch.int32)
    loss = loss + listwise_loss(ranker(feats).squeeze(-1), grades)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
