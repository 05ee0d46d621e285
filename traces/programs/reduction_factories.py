"""Factories and random operators around a small model with dropout.

Ranges and fills infer their dtypes as PyTorch does: `arange` of ints is
int64 and of floats the default dtype, `full` follows its fill value
(bool, int64, float), `scalar_tensor` is always the default dtype;
`torch.tensor` hands its result through `lift_fresh`; `eye`, `new_zeros`,
`new_ones`, `new_full`, `full_like` and `zeros`/`ones` of several dtypes.
Random operators replay from PyTorch's recorded outputs: `randint` (both
overloads, int64 and int32), `randperm`, `multinomial`, `rand_like`,
`randn_like`, `randint_like`, `bernoulli` and the `bernoulli_` that
`F.dropout` dispatches in training mode (with its backward through the
mask; also channel, alpha and in-place dropout), `random_`, `exponential_`,
and the zero gradients of `bernoulli` / `bernoulli_`. A small network
trained one step on the meta device (random init, `randn`, `randint`,
dropout) draws nothing and records no values.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 3))
x = torch.randn(4, 5)
labels = torch.randint(0, 3, (4,))
model.train()
for step in range(2):
    model.zero_grad()
    out = model(x)
    hidden = F.dropout(out, p=0.5, training=True)
    picked = hidden[torch.arange(4), labels]
    loss = -picked.mean() + hidden.pow(2).mean()
    loss.backward()

positions = torch.arange(6)
offsets = torch.arange(2, 11, 3)
ramp = torch.arange(0.0, 1.0, 0.25)
halves = torch.arange(4, dtype=torch.float16)
filled = [torch.full((2, 2), 1.5), torch.full((3,), 7), torch.full((2,), True), torch.full((2,), 3, dtype=torch.int8)]
like = [torch.full_like(x, 0.5), torch.full_like(labels, 2), x.new_zeros(2, 3), x.new_ones((3,)), x.new_full((2,), -1.0), labels.new_zeros(2, dtype=torch.int32)]
scalars = [torch.scalar_tensor(3), torch.tensor(2.5), torch.tensor([1, 2, 3]), torch.tensor([[True, False]]), torch.tensor(1.0, dtype=torch.float64)]
eyes = [torch.eye(3), torch.eye(2, 4), torch.eye(2, dtype=torch.int64)]
for dtype in (torch.float64, torch.bfloat16, torch.int16, torch.uint8, torch.bool):
    pair = (torch.zeros(2, dtype=dtype), torch.ones(2, 2, dtype=dtype))

draws = [
    torch.randint(5, (3,)),
    torch.randint(-2, 2, (2, 2), dtype=torch.int32),
    torch.randperm(6),
    torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 2),
    torch.multinomial(torch.ones(2, 4), 3, replacement=True),
    torch.rand_like(x),
    torch.randn_like(x, dtype=torch.float64),
    torch.randint_like(x, 10),
    torch.randint_like(labels, 2, 5),
    torch.bernoulli(torch.full((5,), 0.3)),
    torch.ones(3).bernoulli(0.5),
    torch.empty(4).bernoulli_(torch.tensor([0.0, 0.5, 0.5, 1.0])),
]

with torch.device("meta"):
    shadow = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
    shadow_x = torch.randn(4, 5)
    shadow_y = torch.randint(0, 3, (4,))
shadow_out = shadow(shadow_x)
shadow_loss = shadow_out.var(0).mean() + shadow_out.max(1)[0].sum() + shadow_out.logsumexp(1).mean()
shadow_loss.backward()
shadow_pred = shadow_out.argmax(1)

# A draw has zero gradient: BernoulliBackward0 (bernoulli), BernoulliBackward2
# (bernoulli_ with a float p) and BernoulliBackward1 (bernoulli_ with a
# tensor p, whose gradient is zeros of p's size and options).
probs = torch.full((3,), 0.5, requires_grad=True)
(torch.bernoulli(probs) * probs).sum().backward()
masked = probs * 1
masked.bernoulli_(0.5)
(masked * probs).sum().backward()
rates = torch.full((3,), 0.3, requires_grad=True)
resampled = probs * 1
resampled.bernoulli_(rates)
(resampled * probs).sum().backward()

# Channel dropout (`new_empty` noise, one draw per channel), alpha dropout,
# in-place dropout; `random_` (three overloads) and `exponential_`.
feature_maps = torch.randn(2, 3, 4, 4, requires_grad=True)
nn.Dropout2d(0.5)(feature_maps).sum().backward()
F.dropout(feature_maps * 1, 0.3, training=True, inplace=True).sum().backward()
alpha = nn.AlphaDropout(0.2)(torch.randn(4, 5))
integers = [torch.empty(3, dtype=torch.int64).random_(0, 10), torch.empty(3).random_(5), torch.empty(2, dtype=torch.uint8).random_()]
huge = [torch.empty(3, dtype=torch.int64).random_(), torch.randint(-2**62, 2**62, (3,))]  # beyond 2^53: exact
waits = torch.empty(3).exponential_(2.0)
