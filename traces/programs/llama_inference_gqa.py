"""A Llama-style decoder (`nn.RMSNorm`, rotary embeddings, grouped-query
attention through `F.scaled_dot_product_attention(enable_gqa=True)`,
SwiGLU) trained two AdamW steps in float32, then cast to bfloat16 and run
greedily under `torch.inference_mode()`, where `rms_norm` and
`scaled_dot_product_attention` are composites a dispatch mode sees whole.

In training both decompose before the mode (`pow`, `mean`, `add_`,
`rsqrt`, `mul` for the norm; the CPU flash kernel with two key/value heads
for four query heads). In inference mode the runtime runs ATen's
decompositions itself: the norm in float32 for a bfloat16 model (the
weight multiplied before the result is rounded back), grouped-query
attention by the flash kernel. `F.rms_norm` is also called directly on a
float64 batch with the default `eps` and on a float16 batch normalised
over its last two dimensions without a weight.
"""

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, DIM, HEADS, KV_HEADS, LAYERS, CONTEXT = 32, 16, 4, 2, 2, 8
HEAD_DIM = DIM // HEADS


def rotary_tables(length):
    inv = 1.0 / (10000 ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
    angles = torch.outer(torch.arange(length).float(), inv)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def rotate(x, cos, sin):
    first, second = x.chunk(2, dim=-1)
    return x * cos + torch.cat((-second, first), dim=-1) * sin


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(DIM, HEADS * HEAD_DIM, bias=False)
        self.kv = nn.Linear(DIM, 2 * KV_HEADS * HEAD_DIM, bias=False)
        self.out = nn.Linear(DIM, DIM, bias=False)

    def forward(self, x, cos, sin):
        batch, length, _ = x.shape
        q = self.q(x).view(batch, length, HEADS, HEAD_DIM).transpose(1, 2)
        k, v = self.kv(x).view(batch, length, 2 * KV_HEADS, HEAD_DIM).transpose(1, 2).split(KV_HEADS, dim=1)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        return self.out(y.transpose(1, 2).reshape(batch, length, DIM))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.attention = Attention()
        self.mlp_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.gate = nn.Linear(DIM, 2 * DIM, bias=False)
        self.up = nn.Linear(DIM, 2 * DIM, bias=False)
        self.down = nn.Linear(2 * DIM, DIM, bias=False)

    def forward(self, x, cos, sin):
        x = x + self.attention(self.attention_norm(x), cos, sin)
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = nn.RMSNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB, bias=False)
        cos, sin = rotary_tables(CONTEXT)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, tokens):
        length = tokens.shape[1]
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, self.cos[:length], self.sin[:length])
        return self.head(self.norm(x))


model = Decoder()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
text = torch.randint(0, VOCAB, (64,))
for step in range(2):
    starts = torch.randint(0, len(text) - CONTEXT - 1, (2,))
    inputs = torch.stack([text[s : s + CONTEXT] for s in starts])
    targets = torch.stack([text[s + 1 : s + CONTEXT + 1] for s in starts])
    logits = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print("step", step, "loss", round(loss.item(), 4))

model = model.to(torch.bfloat16).eval()
with torch.inference_mode():
    tokens = text[:3].unsqueeze(0)
    for _ in range(4):
        logits = model(tokens[:, -CONTEXT:])
        tokens = torch.cat([tokens, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    print("generated", tokens.tolist())
    wide = torch.randn(4, 6, 16, dtype=torch.float64)
    print("float64 rms", F.rms_norm(wide, (16,)).pow(2).mean(-1)[0].tolist())
    half = torch.randn(3, 5, 8).half()
    print("float16 rms", F.rms_norm(half, (5, 8), eps=1e-3).float().abs().max().item())
