"""A small transformer classifier trained with its forward under CPU autocast.

The recipe of mixed-precision training on CPU: parameters stay float32, the
forward runs in `torch.autocast("cpu", dtype=torch.bfloat16)` (linear layers
and attention matmuls in bfloat16, their weights cast once per region and
cached), the attention softmax is taken in float32 inside a nested
`enabled=False` region, and the loss is computed in float32 outside the
region from the logits cast back. AdamW steps, gradient clipping. Then a
float16 autocast region (`torch.amp.autocast`, the weight-cast cache off)
scores a held-out batch, and an inference pass runs under `torch.no_grad()`
with autocast as a decorator.
"""

import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        # Softmax in full precision, as numerically careful code does.
        with torch.autocast("cpu", enabled=False):
            attn = torch.softmax(scores.float(), dim=-1)
        y = (attn @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.out(y)
        return x + self.mlp(self.ln2(x))


class Classifier(nn.Module):
    def __init__(self, vocab, d, heads, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.block = Block(d, heads)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        h = self.block(self.embed(tokens))
        return self.head(self.norm(h).mean(dim=1))


model = Classifier(vocab=20, d=16, heads=2, classes=3)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
tokens = torch.randint(0, 20, (4, 6))
labels = torch.randint(0, 3, (4,))

for step in range(3):
    opt.zero_grad()
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        logits = model(tokens)
    loss = F.cross_entropy(logits.float(), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    print("step", step, "loss", round(loss.item(), 4), "logits dtype", logits.dtype)

held_out = torch.randint(0, 20, (2, 6))
with torch.no_grad(), torch.amp.autocast("cpu", dtype=torch.float16, cache_enabled=False):
    scores = model(held_out)
print("float16 scores", scores.dtype, [round(s, 2) for s in scores.float().flatten().tolist()])


@torch.autocast("cpu", dtype=torch.bfloat16)
def predict(batch):
    return model(batch).argmax(dim=-1)


model.eval()
with torch.no_grad():
    print("predictions", predict(tokens).tolist())
