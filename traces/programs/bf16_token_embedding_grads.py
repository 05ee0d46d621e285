"""A bfloat16 GPT (model.to(torch.bfloat16)) over a 9-token vocabulary, so every
batch repeats each token many times: the gradient of the token embedding
(embedding_dense_backward) adds the rows of all occurrences of a token one at
a time into a bfloat16 row, rounding after every add, as PyTorch's CPU kernel
does. The token table is tied to the LM head; a segment embedding with
padding_idx and scale_grad_by_freq=True scales each occurrence by bfloat16(1/count);
a float16 copy of the token table is trained on the same tokens. Attention is
F.scaled_dot_product_attention(is_causal=True), the MLP uses GELU(tanh),
LayerNorm has no bias; AdamW(foreach=False) with decay / no-decay groups, a
hand-written warmup + cosine learning rate, two micro-batches of gradient
accumulation and clip_grad_norm_; then an eval loss under torch.no_grad and
top-k sampling with torch.multinomial.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(7)
VOCAB, BLOCK, EMBD, HEADS = 9, 12, 16, 2


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(EMBD, bias=False)
        self.c_attn = nn.Linear(EMBD, 3 * EMBD, bias=False)
        self.c_proj = nn.Linear(EMBD, EMBD, bias=False)
        self.ln_2 = nn.LayerNorm(EMBD, bias=False)
        self.mlp = nn.Sequential(
            nn.Linear(EMBD, 4 * EMBD, bias=False),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * EMBD, EMBD, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(EMBD, dim=2)
        q, k, v = (z.view(b, t, HEADS, c // HEADS).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))
        return x + self.mlp(self.ln_2(x))


class TinyGPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(VOCAB, EMBD)
        self.wpe = nn.Embedding(BLOCK, EMBD)
        self.seg = nn.Embedding(3, EMBD, padding_idx=0, scale_grad_by_freq=True)
        self.block = Block()
        self.ln_f = nn.LayerNorm(EMBD, bias=False)
        self.lm_head = nn.Linear(EMBD, VOCAB, bias=False)
        self.wte.weight = self.lm_head.weight  # weight tying

    def forward(self, idx: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.size(1))
        x = self.wte(idx) + self.wpe(pos) + self.seg(seg)
        return self.lm_head(self.ln_f(self.block(x)))


def lr_at(it: int, warmup: int = 1, total: int = 3, top: float = 3e-3) -> float:
    if it < warmup:
        return top * (it + 1) / (warmup + 1)
    ratio = (it - warmup) / (total - warmup)
    return 1e-4 + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (top - 1e-4)


model = TinyGPT().to(torch.bfloat16)
decay = [p for p in model.parameters() if p.dim() >= 2]
no_decay = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
    lr=3e-3,
    betas=(0.9, 0.95),
    foreach=False,
)
data = torch.randint(0, VOCAB, (120,))


def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ix = torch.randint(len(data) - BLOCK, (4,))
    x = torch.stack([data[i : i + BLOCK] for i in ix])
    y = torch.stack([data[i + 1 : i + 1 + BLOCK] for i in ix])
    seg = (x % 3 == 0).long() + (x > 6).long()
    return x, y, seg


for it in range(3):
    for group in opt.param_groups:
        group["lr"] = lr_at(it)
    for _ in range(2):
        x, y, seg = batch()
        logits = model(x, seg)
        loss = F.cross_entropy(logits.view(-1, VOCAB), y.view(-1)) / 2
        loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)

# the float16 copy of the token table, trained on the same tokens
table16 = nn.Embedding(VOCAB, EMBD, dtype=torch.float16)
x, y, _ = batch()
(table16(x).float().pow(2).sum(-1) * y.float()).mean().backward()
assert table16.weight.grad is not None
table16.weight.grad.mul_(0.5)

model.eval()
with torch.no_grad():
    x, y, seg = batch()
    eval_loss = F.cross_entropy(model(x, seg).view(-1, VOCAB), y.view(-1))
    idx = torch.zeros((1, 1), dtype=torch.long)
    for _ in range(4):
        logits = model(idx, torch.zeros_like(idx))[:, -1, :].float() / 0.8
        v, _ = torch.topk(logits, 3)
        logits[logits < v[:, [-1]]] = -float("inf")
        nxt = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
        idx = torch.cat((idx, nxt), dim=1)
print(f"eval loss {eval_loss.item():.4f}, sample {idx.tolist()}")
