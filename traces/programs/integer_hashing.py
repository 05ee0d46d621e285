"""Feature hashing as recommendation and language models do it: token and
user ids mixed into embedding buckets with 64-bit multiplicative hashes
(products far beyond 2^53, which only exact integer arithmetic gets right),
a linear congruential generator stepped in int64 with wrap-around, int32
products that wrap, in-place integer updates, and bit shifts (sign-filling right shifts,
counts out of range). The hashed buckets index an EmbeddingBag trained with Adagrad."""
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)

BUCKETS = 97
GOLDEN = 0x9E3779B97F4A7C15 - (1 << 64)  # the 64-bit golden-ratio constant, as a signed int64
MIX = 0x5851F42D4C957F2D  # a 64-bit LCG multiplier


def hash_ids(ids: torch.Tensor, salt: int) -> torch.Tensor:
    h = ids * GOLDEN + salt  # wraps modulo 2^64
    h = h ^ (h >> 29)
    h = h * MIX
    return torch.remainder(h, BUCKETS)


ids = torch.randint(0, 1 << 40, (6, 4), dtype=torch.int64)
users = torch.randint(0, 1 << 31, (6,), dtype=torch.int64)
buckets = hash_ids(ids, 12345)
user_buckets = hash_ids(users, 777)
print("buckets", buckets.tolist())
print("user buckets", user_buckets.tolist())

# An LCG stepped in place, wrapping in int64.
state = torch.tensor([1, 2**62, -(2**62), 123456789123], dtype=torch.int64)
for _ in range(3):
    state.mul_(MIX).add_(1442695040888963407)
print("lcg", state.tolist())
state.sub_(torch.tensor([3, 5, 7, 11]), alpha=2**40)
print("lcg minus", state.tolist())

# int32 products that overflow wrap in 32 bits.
a32 = torch.tensor([123456789, -987654321, 2**30, 46341], dtype=torch.int32)
print("int32", (a32 * a32).tolist(), (a32 * 4).tolist(), (a32 - a32 * 3).tolist())
# Shifts: every overload, counts out of range, negative values, in place.
mixed = buckets * 0x2545F4914F6CDD1D
print("shifts", (mixed >> 7).tolist()[0], (mixed << 3).tolist()[0], (mixed >> 70).tolist()[0], (mixed << 64).tolist()[0])
counts = torch.tensor([0, 1, 31, 63], dtype=torch.int64)
print("shift by tensor", torch.bitwise_right_shift(state, counts).tolist(), torch.bitwise_left_shift(state, counts).tolist())
print("scalar shifted", torch.bitwise_left_shift(1, counts).tolist(), (a32 >> 33).tolist(), (a32 << 31).tolist())
state >>= 5
state <<= torch.tensor([1, 2, 3, 4])
state.bitwise_right_shift_(2)
print("in place", state.tolist())
u8 = torch.tensor([200, 17, 255], dtype=torch.uint8)
print("uint8 shifts", (u8 >> 1).tolist(), (u8 << 1).tolist(), (u8 >> 9).tolist())
print("uint8", (u8 * 3).tolist(), (u8 + u8).tolist())

bag = nn.EmbeddingBag(BUCKETS, 8, mode="sum")
users_table = nn.Embedding(BUCKETS, 8)
head = nn.Linear(16, 1)
params = list(bag.parameters()) + list(users_table.parameters()) + list(head.parameters())
opt = torch.optim.Adagrad(params, lr=0.1)
labels = torch.rand(6, 1)
for step in range(3):
    opt.zero_grad()
    features = torch.cat([bag(buckets), users_table(user_buckets)], dim=1)
    loss = F.binary_cross_entropy_with_logits(head(features), labels)
    loss.backward()
    opt.step()
    print("step", step, round(loss.item(), 6))

# Extrema of int64 values beyond 2^53 (as doubles, neighbours would tie).
near = torch.tensor([2**60, 2**60 + 1, 2**60 - 1, -(2**62) - 3], dtype=torch.int64)
print("extrema", near.max().item(), near.min().item(), near.argmax().item(), near.argmin().item())
print("per row", torch.amax(near.view(2, 2), dim=1).tolist(), near.view(2, 2).max(dim=1).indices.tolist())
print("sorted", near.sort().values.tolist(), near.argsort(descending=True).tolist(), near.topk(2).indices.tolist())
print("unique", torch.unique(torch.cat([near, near + 1])).tolist())
print("elementwise", (-near).tolist(), near.abs().tolist(), torch.clamp(near, min=2**60).tolist(), torch.minimum(near, near.flip(0)).tolist())
