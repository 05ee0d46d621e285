"""Two optimizer steps of a tiny GPT-style decoder language model.

Token + position embeddings, two pre-LayerNorm blocks (the first attends
through F.scaled_dot_product_attention(is_causal=True), the second through an
explicit masked softmax with attention dropout), a GELU MLP, dropout 0.1, no
biases (nanoGPT's bias=False), the LM head tied to the token embedding, cross
entropy over int64 targets, AdamW with a decay and a no-decay parameter group,
gradient-norm clipping, and loss.item() as a training loop logs it.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

VOCAB, BLOCK, EMBD, HEADS = 11, 6, 4, 2
BATCH, SEQ = 2, 5
DROPOUT = 0.1
BIAS = False  # nanoGPT's bias=False setting: no bias in Linear and LayerNorm


class CausalSelfAttention(nn.Module):
    def __init__(self, fused: bool) -> None:
        super().__init__()
        self.fused = fused
        self.qkv = nn.Linear(EMBD, 3 * EMBD, bias=BIAS)
        self.proj = nn.Linear(EMBD, EMBD, bias=BIAS)
        self.attn_drop = nn.Dropout(DROPOUT)
        self.resid_drop = nn.Dropout(DROPOUT)
        if not fused:
            mask = torch.tril(torch.ones(BLOCK, BLOCK)).view(1, 1, BLOCK, BLOCK)
            self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.size()
        q, k, v = self.qkv(x).split(EMBD, dim=2)
        q = q.view(b, t, HEADS, c // HEADS).transpose(1, 2)
        k = k.view(b, t, HEADS, c // HEADS).transpose(1, 2)
        v = v.view(b, t, HEADS, c // HEADS).transpose(1, 2)
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            att = self.attn_drop(att)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(EMBD, 4 * EMBD, bias=BIAS)
        self.gelu = nn.GELU()
        self.proj = nn.Linear(4 * EMBD, EMBD, bias=BIAS)
        self.drop = nn.Dropout(DROPOUT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(self.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, fused: bool) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(EMBD, bias=BIAS)
        self.attn = CausalSelfAttention(fused)
        self.ln_2 = nn.LayerNorm(EMBD, bias=BIAS)
        self.mlp = MLP()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(VOCAB, EMBD)
        self.wpe = nn.Embedding(BLOCK, EMBD)
        self.drop = nn.Dropout(DROPOUT)
        self.blocks = nn.ModuleList([Block(fused=True), Block(fused=False)])
        self.ln_f = nn.LayerNorm(EMBD, bias=BIAS)
        self.lm_head = nn.Linear(EMBD, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss


model = GPT()
model.train()
decay = [p for p in model.parameters() if p.dim() >= 2]
no_decay = [p for p in model.parameters() if p.dim() < 2]
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
    lr=1e-3,
    betas=(0.9, 0.95),
)

data = torch.randint(0, VOCAB, (BATCH, SEQ + 1))
x, y = data[:, :-1], data[:, 1:]
for step in range(2):
    logits, loss = model(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
