"""Byte-level hashing of text into buckets with uint8/int8/int32 tensor
arithmetic, the way a feature-hashing tokenizer is written.

Covers integer semantics PyTorch defines per dtype: uint8 and int8
wraparound of `*`, `+`, `-` and shifts, Python `//` and `%` with a
negative number (cast to the tensor's dtype: -7 is 249 for uint8),
a 0-dim int64 modulus wider than the uint8 tensor (300 wraps to 44),
`fmod` and `div(rounding_mode='trunc'|'floor')` on negative int8,
int32 rolling hashes, sums and cumsums of uint8/bool promoted to int64,
`argmax` ties, and the refusals a program catches and recovers from
(`mean` of an integer tensor, `-` of two bool tensors, `1 - mask`:
NotImplementedError).
"""

import torch

torch.manual_seed(0)

texts = ["the quick brown fox", "jumps over the lazy dog!", "tensor bytes & buckets", "zz top"]
width = max(len(t) for t in texts)
rows = [list(t.encode()) + [0] * (width - len(t)) for t in texts]
raw = torch.tensor(rows, dtype=torch.uint8)
present = raw != 0

# uint8 mixing: wraps mod 256 like C
mixed = raw * 31 + 7
rotated = (mixed << 3) | (mixed >> 5)
salted = rotated ^ 0xA5
skew = salted - 200

# Python ints meet uint8: -7 becomes 249 before dividing
wrapped_div = salted // -7
wrapped_rem = salted % -7
wrapped_fmod = torch.fmod(salted, -7)

# a 0-dim int64 modulus keeps the uint8 dtype, and 300 wraps to 44
modulus = torch.tensor(300)
bucket_u8 = salted % modulus
bucket_hi = salted // modulus

# signed bytes: floor vs trunc on negatives
signed = salted.to(torch.int8)
floor_q = signed // 16
floor_r = signed % 16
trunc_q = torch.div(signed, 16, rounding_mode="trunc")
floor_q2 = torch.div(signed, -16, rounding_mode="floor")
c_rem = torch.fmod(signed, 5)
neg_rem = signed % -5
halves = signed >> 1
abs_min = torch.tensor([-128, -1, 127], dtype=torch.int8).abs()
neg_min = -torch.tensor([-128, 0, 127], dtype=torch.int8)

# int32 rolling hash over the bytes (wraps at 2^31)
h = torch.zeros(len(texts), dtype=torch.int32)
for j in range(width):
    step = raw[:, j].to(torch.int32)
    h = torch.where(present[:, j], h * 16777619 ^ step, h)
buckets = h % 1009
signed_buckets = h // -1009
lanes = torch.bitwise_and(h, 0xFF).to(torch.uint8)

# counting: uint8 and bool sums are int64
byte_total = raw.sum(dim=1)
nonzero = present.sum(dim=1)
running = present.cumsum(dim=1)
prod_small = (raw[:, :3] % 3 + 1).prod(dim=1)
hist = torch.zeros(16, dtype=torch.int64).scatter_add_(0, (salted.flatten() % 16).long(), torch.ones(raw.numel(), dtype=torch.int64))
top = hist.argmax()
first_tie = torch.tensor([2, 5, 5, 1, 5], dtype=torch.uint8).argmax()

# refusals a program recovers from
try:
    avg = byte_total.mean()
except NotImplementedError:
    avg = byte_total.float().mean()
try:
    changed = present[1:] - present[:-1]
except NotImplementedError:
    changed = present[1:] ^ present[:-1]
try:
    padding = 1 - present
except NotImplementedError:
    padding = ~present

# true division of integers gives the default float dtype
density = nonzero / width
share = hist / hist.sum()
features = torch.nn.functional.one_hot(buckets.long() % 8, 8).float() * density.unsqueeze(1)
