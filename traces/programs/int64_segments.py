"""Segment bookkeeping on 64-bit token fingerprints, as text pipelines do it.

Documents of different lengths are flattened into one token stream; the
segment ids come from `repeat_interleave` of the lengths, offsets from
`cumsum`, positions from per-document `arange`s. Tokens are 64-bit fingerprints (salted with `^`, far beyond
2^53, where a double can no longer tell neighbours apart) looked up in a
sorted table with `searchsorted`, deduplicated per document with
`scatter_reduce` (amax, amin, sum, prod), scanned with `cummax`/`cummin`,
ranked with `kthvalue`/`median`/`mode`, padded with a 64-bit sentinel
(`full`, `new_full`, `fill_`, `masked_fill`), bucketed by length
(`bucketize`), and a batch period from `gcd`/`lcm`. The rows found feed
an embedding whose per-document mean (`index_add`) trains a linear
classifier for two SGD steps.
"""

import torch
from torch import nn

torch.manual_seed(21)

BASE = 2**60
SALT = 0x5BD1E995 << 29
PAD = 2**62 + 1

lengths = torch.tensor([3, 1, 4, 2])
ndoc, total = lengths.numel(), int(lengths.sum())
seg = torch.repeat_interleave(torch.arange(ndoc), lengths)
seg_again = torch.repeat_interleave(lengths)
offsets = lengths.cumsum(0) - lengths
pos = torch.cat([torch.arange(int(n)) for n in lengths])
starts = torch.arange(total) - offsets.repeat_interleave(lengths)
print(seg.tolist(), seg_again.tolist(), offsets.tolist(), (starts == pos).all().item())

# a sorted table of 64-bit keys, neighbours one apart beyond 2^53
table = torch.arange(BASE, BASE + 12, 1)
raw = torch.tensor([BASE + 3, BASE + 4, BASE + 11, BASE + 1, BASE, BASE + 7, BASE + 8, BASE + 2, BASE + 5, BASE + 9])
salted = raw ^ SALT
keys = salted.bitwise_xor(SALT)
print((keys == raw).all().item(), (salted - raw).abs().min().item() > 0)
rows = torch.searchsorted(table, keys)
rows_right = torch.searchsorted(table, keys, right=True)
found = torch.where(table[rows.clamp(max=table.numel() - 1)] == keys, rows, -1)
print(rows.tolist(), rows_right.tolist(), found.tolist())

# per-document reductions of the fingerprints
init = torch.full((ndoc,), PAD)
print(init.tolist(), raw.new_full((2,), PAD).tolist())
hi = init.scatter_reduce(0, seg, keys, reduce="amax", include_self=False)
lo = init.scatter_reduce(0, seg, keys, reduce="amin", include_self=False)
sm = torch.zeros(ndoc, dtype=torch.long).scatter_reduce(0, seg, keys - BASE, reduce="sum")
pr = torch.ones(ndoc, dtype=torch.long).scatter_reduce(0, seg, pos + 2**20, reduce="prod")
cnt = torch.zeros(ndoc, dtype=torch.long).index_add(0, seg, torch.ones_like(seg))
print(hi.tolist(), lo.tolist(), sm.tolist(), pr.tolist(), cnt.tolist())
print(keys.cummax(0).values.tolist(), keys.cummin(0).indices.tolist())
print(keys.kthvalue(3).values.item(), keys.median().item(), keys.view(2, 5).median(1).values.tolist())
print(torch.cat([keys, keys[:3]]).mode().values.item())

# padding to a [ndoc, maxlen] grid with the sentinel
maxlen = int(lengths.max())
grid = torch.empty(ndoc, maxlen, dtype=torch.long).fill_(PAD)
grid[seg, pos] = keys
valid = torch.arange(maxlen)[None, :] < lengths[:, None]
grid = grid.masked_fill(~valid, PAD)
flat_t = grid.t().contiguous().view(-1)
print(grid.tolist(), flat_t[:4].tolist(), grid.clone().tolist() == grid.tolist())
print(torch.bucketize(lengths, torch.tensor([1, 2, 4])).tolist(), torch.bucketize(keys, table[::4].contiguous(), right=True).tolist())
period = torch.gcd(lengths, torch.tensor([6, 4, 6, 4]))
print(period.tolist(), torch.lcm(lengths, torch.tensor([2, 3, 2, 3])).tolist())
marks = keys.clone()
marks ^= SALT
marks &= (1 << 61) - 1
marks |= 1
print(marks.tolist(), (keys - BASE).dot(torch.arange(1, 11)).item())

# the rows found train an embedding classifier
emb = nn.Embedding(table.numel(), 6)
head = nn.Linear(6, 2)
opt = torch.optim.SGD(list(emb.parameters()) + list(head.parameters()), lr=0.5)
labels = torch.tensor([0, 1, 1, 0])
for step in range(2):
    vecs = emb(found.clamp(min=0))
    doc = torch.zeros(ndoc, 6).index_add(0, seg, vecs) / cnt.unsqueeze(1)
    loss = nn.functional.cross_entropy(head(doc), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
