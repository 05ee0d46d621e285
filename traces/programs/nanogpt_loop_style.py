"""nanoGPT train.py loop patterns on CPU with a tiny bigram-style model.

numpy token data sliced into batches with torch.from_numpy, gradient
accumulation over micro-steps (loss / steps), a disabled GradScaler as
train.py builds it for float32 (scale, unscale_, step, update), clip_grad_norm_,
a cosine learning-rate schedule written into the param groups, zero_grad(set_to_none=True),
and estimate_loss under @torch.no_grad() with eval/train switches and
losses[k] = loss.item().
"""

import math
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(1337)
VOCAB, BLOCK, BATCH, ACCUM, EVAL_ITERS = 9, 4, 2, 2, 2
rng = np.random.default_rng(0)
train_data = rng.integers(0, VOCAB, size=40).astype(np.uint16)
val_data = rng.integers(0, VOCAB, size=20).astype(np.uint16)


def get_batch(split):
    data = train_data if split == "train" else val_data
    ix = torch.randint(len(data) - BLOCK, (BATCH,))
    x = torch.stack([torch.from_numpy((data[i : i + BLOCK]).astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy((data[i + 1 : i + 1 + BLOCK]).astype(np.int64)) for i in ix])
    return x, y


class Bigram(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 8)
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(8, VOCAB)

    def forward(self, idx, targets=None):
        logits = self.head(self.drop(self.emb(idx)))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


@torch.no_grad()
def estimate_loss(model, ctx):
    out = {}
    model.eval()
    for split in ["train", "val"]:
        losses = torch.zeros(EVAL_ITERS)
        for k in range(EVAL_ITERS):
            X, Y = get_batch(split)
            with ctx:
                _, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean()
    model.train()
    return out


def get_lr(it, warmup=1, decay_iters=4, lr=1e-3, min_lr=1e-4):
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


model = Bigram()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
scaler = torch.amp.GradScaler("cpu", enabled=False)
ctx = nullcontext()

X, Y = get_batch("train")
for it in range(2):
    lr = get_lr(it)
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
    if it == 1:
        losses = estimate_loss(model, ctx)
        print(f"step {it}: train/val evaluated {sorted(losses)}")
    for micro_step in range(ACCUM):
        with ctx:
            logits, loss = model(X, Y)
            loss = loss / ACCUM
        X, Y = get_batch("train")
        scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
