"""A nanoGPT-style training step and a sampling step on a tiny character model.

LayerNorm without bias through F.layer_norm, fused causal attention through
F.scaled_dot_product_attention with dropout in training, a GELU MLP, weight
tying, cross entropy with ignore_index=-1, AdamW (fused=False) with decay and
no-decay groups built from named parameters, gradient clipping, then a
generate step under no_grad: the last position via `x[:, [-1], :]`,
temperature, top-k cropping and torch.multinomial sampling.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(1)

VOCAB, CTX, WIDTH, NHEAD, DEPTH = 7, 4, 4, 2, 1
P_DROP = 0.1


class Norm(nn.Module):
    """LayerNorm whose bias can be switched off."""

    def __init__(self, width: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.in_proj = nn.Linear(WIDTH, 3 * WIDTH, bias=False)
        self.out_proj = nn.Linear(WIDTH, WIDTH, bias=False)
        self.drop = nn.Dropout(P_DROP)

    def forward(self, x):
        n, t, w = x.shape
        q, k, v = self.in_proj(x).split(WIDTH, dim=2)
        heads = lambda z: z.view(n, t, NHEAD, w // NHEAD).transpose(1, 2)  # noqa: E731
        q, k, v = heads(q), heads(k), heads(v)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=None, dropout_p=P_DROP if self.training else 0.0, is_causal=True
        )
        y = y.transpose(1, 2).contiguous().view(n, t, w)
        return self.drop(self.out_proj(y))


class Layer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm1 = Norm(WIDTH, bias=False)
        self.attn = Attention()
        self.norm2 = Norm(WIDTH, bias=False)
        self.up = nn.Linear(WIDTH, 4 * WIDTH, bias=False)
        self.down = nn.Linear(4 * WIDTH, WIDTH, bias=False)
        self.drop = nn.Dropout(P_DROP)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.drop(self.down(F.gelu(self.up(self.norm2(x)))))


class TinyGPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Embedding(CTX, WIDTH)
        self.drop = nn.Dropout(P_DROP)
        self.layers = nn.ModuleList([Layer() for _ in range(DEPTH)])
        self.norm = Norm(WIDTH, bias=False)
        self.head = nn.Linear(WIDTH, VOCAB, bias=False)
        self.tok.weight = self.head.weight
        for name, p in self.named_parameters():
            if name.endswith("down.weight") or name.endswith("out_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * DEPTH))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        t = idx.size(1)
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.drop(self.tok(idx) + self.pos(pos))
        for layer in self.layers:
            x = layer(x)
        x = self.norm(x)
        if targets is not None:
            logits = self.head(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        else:
            logits = self.head(x[:, [-1], :])
            loss = None
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, steps, temperature=1.0, top_k=None):
        for _ in range(steps):
            cond = idx if idx.size(1) <= CTX else idx[:, -CTX:]
            logits, _ = self(cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            nxt = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, nxt), dim=1)
        return idx


model = TinyGPT()
params = {n: p for n, p in model.named_parameters() if p.requires_grad}
groups = [
    {"params": [p for p in params.values() if p.dim() >= 2], "weight_decay": 0.1},
    {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95), fused=False)

data = torch.randint(0, VOCAB, (24,))
ix = torch.randint(len(data) - CTX, (1,))
xb = torch.stack([data[i : i + CTX] for i in ix])
yb = torch.stack([data[i + 1 : i + 1 + CTX] for i in ix])
yb[0, -1:] = -1  # padded targets are ignored

model.train()
for it in range(1):
    _, loss = model(xb, yb)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    print(f"iter {it} done")

model.eval()
start = torch.zeros((1, 1), dtype=torch.long)
print(model.generate(start, 1, temperature=0.8, top_k=3).tolist())
