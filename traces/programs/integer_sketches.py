"""Near-duplicate detection bookkeeping in int64, as deduplication pipelines
for web text do it: rolling polynomial hashes of token n-grams computed as
integer matrix products (modulo 2^64, far beyond 2^53), MinHash signatures
per document with index_reduce, a count-min sketch of n-gram frequencies
filled by scatter reductions, and per-document statistics of the hashes.
Every value is exact integer arithmetic; nothing is printed but lists and
scalars."""

import torch

torch.manual_seed(7)
MASK = (1 << 64) - 1


def signed(v):
    """A 64-bit pattern as the int64 PyTorch stores."""
    v &= MASK
    return v - (1 << 64) if v >= 1 << 63 else v


# -- a small corpus of token ids: 6 documents, some sharing passages --------
vocab, width = 50_000, 5
docs = [torch.randint(0, vocab, (int(n),)) for n in torch.randint(18, 30, (6,))]
docs[3][4:16] = docs[0][2:14]  # a copied passage
docs[5] = docs[1].clone()  # an exact duplicate
docs[5][-3:] = torch.tensor([11, 12, 13])
lengths = torch.tensor([len(d) for d in docs])
tokens = torch.cat(docs)

# -- n-gram windows and their rolling hashes (int64 mm / mv / matmul) --------
windows, owner = [], []
for i, d in enumerate(docs):
    w = d.unfold(0, width, 1)  # [n - width + 1, width]
    windows.append(w)
    owner.append(torch.full((w.shape[0],), i, dtype=torch.int64))
windows = torch.cat(windows).contiguous()
owner = torch.cat(owner)

bases = [1_000_003, 0x100000001B3, 0x9E3779B97F4A7C15 & ((1 << 63) - 1), 31]
powers = torch.tensor(
    [[signed(b ** (width - 1 - j)) for b in bases] for j in range(width)],
    dtype=torch.int64,
)  # [width, hashes]
hashes = windows @ powers  # mm: wraps modulo 2^64
print("hash[0]", hashes[0].tolist())
print("hash[-1]", hashes[-1].tolist())
salt = torch.tensor([signed(0xDEADBEEFCAFEBABE), 7, signed(1 << 62), -5], dtype=torch.int64)
salted = torch.addmm(salt.expand(windows.shape[0], -1), windows, powers, beta=3, alpha=-1)
print("salted", salted[:3].tolist())
single = torch.mv(windows, powers[:, 1].contiguous())
print("mv equals column", bool((single == hashes[:, 1]).all()))
seed = torch.full((windows.shape[0],), 2**60 + 1, dtype=torch.int64)
print("addmv", torch.addmv(seed, windows, powers[:, 0].contiguous(), alpha=2**40 + 3)[:4].tolist())

# batched per-document hashing: bmm / baddbmm / addbmm on padded windows
pad = max(w for w in (lengths - width + 1).tolist())
batch = torch.zeros(len(docs), pad, width, dtype=torch.int64)
for i, d in enumerate(docs):
    w = d.unfold(0, width, 1)
    batch[i, : w.shape[0]] = w
per_doc_powers = powers.unsqueeze(0).expand(len(docs), -1, -1).contiguous()
bh = torch.bmm(batch, per_doc_powers)
print("bmm matches mm", bool((bh[0, : lengths[0] - width + 1] == hashes[: lengths[0] - width + 1]).all()))
print("bmm last", bh[-1, 0].tolist())
bias = torch.full((len(docs), pad, len(bases)), signed(0x0123456789ABCDEF), dtype=torch.int64)
print("baddbmm", torch.baddbmm(bias, batch, per_doc_powers, beta=-1, alpha=5)[2, :2].tolist())
print("addbmm", torch.addbmm(bias[0], batch, per_doc_powers)[:2].tolist())
print("matmul 3d", torch.matmul(batch, per_doc_powers)[4, 1].tolist())
print("einsum", torch.einsum("dnk,kh->dh", batch[:, :3], powers).tolist())

# -- MinHash signatures per document: index_reduce over windows -------------
sig_init = torch.zeros(len(docs), len(bases), dtype=torch.int64)
minhash = sig_init.index_reduce(0, owner, hashes, "amin", include_self=False)
maxhash = sig_init.index_reduce(0, owner, hashes, "amax", include_self=False)
print("minhash", minhash.tolist())
print("maxhash", maxhash.tolist())
agree = (minhash.unsqueeze(1) == minhash.unsqueeze(0)).sum(-1)
print("signature agreement", agree.tolist())
ones = torch.ones(len(docs), len(bases), dtype=torch.int64)
fold = ones.index_reduce(0, owner, hashes | 1, "prod")  # odd products wrap
print("product fold", fold.tolist())
mean = sig_init.index_reduce(0, owner, hashes >> 20, "mean", include_self=False)
print("mean >> 20", mean.tolist())
seg = torch.zeros(3, len(docs), dtype=torch.int64)
seg.index_reduce_(1, owner, hashes.t().contiguous()[:3], "amax", include_self=False)
print("index_reduce_", seg.tolist())

# -- count-min sketch of n-gram frequencies ---------------------------------
depth, buckets = len(bases), 64
mixed = hashes * torch.tensor(signed(0xBF58476D1CE4E5B9), dtype=torch.int64)
rows = (mixed >> 58) & (buckets - 1)  # [windows, depth]
sketch = torch.zeros(depth, buckets, dtype=torch.int64)
sketch.scatter_(1, rows.t().contiguous(), 1, reduce="add")  # scatter_.value_reduce
print("sketch (value add) total", sketch.sum().item())
sketch = torch.zeros(depth, buckets, dtype=torch.int64)
sketch.scatter_add_(1, rows.t().contiguous(), torch.ones_like(rows.t().contiguous()))
estimate = sketch.gather(1, rows.t().contiguous()).amin(0)
print("estimated counts", estimate.tolist())
heavy = torch.zeros(depth, buckets, dtype=torch.int64).scatter(
    1, rows.t().contiguous()[:, :6], 2**60 + 1, reduce="add"
)
print("big value add", heavy[heavy != 0].tolist())
weights = torch.full((depth, buckets), 3, dtype=torch.int64)
weights.scatter_(1, rows.t().contiguous()[:, :5], 2**31 + 11, reduce="multiply")
print("value multiply", weights[weights != 3].tolist())
src = hashes.t().contiguous()
stamped = torch.ones(depth, buckets, dtype=torch.int64)
stamped.scatter_(1, rows.t().contiguous(), src, reduce="multiply")  # scatter_.reduce
print("src multiply", stamped[:, :4].tolist())
marked = torch.zeros(depth, buckets, dtype=torch.int64).scatter(1, rows.t()[:, :2].contiguous(), 2**62 + 5)
print("scatter big value", marked[marked != 0].tolist())

# -- bookkeeping in narrower integer types (wrapping as PyTorch does) --------
h32 = (hashes & 0x7FFFFFFF).to(torch.int32)
p32 = (powers & 0xFFFF).to(torch.int32)
print("int32 mm", torch.mm(h32[:3, :4], p32[:4, :3]).tolist())
print("int32 bmm", torch.bmm(h32[:4].reshape(2, 2, 4), p32[:4, :3].unsqueeze(0).expand(2, -1, -1).contiguous()).tolist())
print("int32 dot", torch.dot(h32[:, 0].contiguous(), h32[:, 1].contiguous()).item())
print("int32 addmm", torch.addmm(h32[:3, :3], h32[:3, :4], p32[:4, :3], beta=-7, alpha=2**30).tolist())
u8 = (hashes & 0xFF).to(torch.uint8)
print("uint8 mv", torch.mv(u8[:4], u8[0]).tolist())
print("uint8 index_reduce", torch.ones(len(docs), len(bases), dtype=torch.uint8).index_reduce(0, owner, u8 | 1, "prod").tolist())
i16 = (hashes & 0x7FFF).to(torch.int16)
print("int16 addcmul", torch.addcmul(i16[:2], i16[2:4], i16[4:6], value=-3).tolist())
print("int32 scatter multiply", h32[:2].scatter(1, torch.tensor([[0, 0], [1, 1]]), 2**31 - 1, reduce="multiply").tolist())

# -- other exact int64 helpers ----------------------------------------------
print("addcmul", torch.addcmul(hashes[:2], hashes[2:4], hashes[4:6], value=3).tolist())
print("cross", torch.linalg.cross(hashes[:2, :3], hashes[2:4, :3]).tolist())
print("outer", torch.outer(hashes[:3, 0], hashes[:3, 1]).tolist())
print("kron", torch.kron(hashes[:2, :2], hashes[2:4, :2]).tolist())
print("tensordot", torch.tensordot(batch[:2, :2], per_doc_powers[:2], dims=([0, 2], [0, 1])).tolist())
print("trace", torch.trace(hashes[:4, :4]).item())
print("cumsum/cumprod", hashes[:4, 0].cumsum(0).tolist(), (hashes[:4, 1] | 1).cumprod(0).tolist())
print("sum/prod", hashes.sum(0).tolist(), (hashes[:6] | 1).prod(0).tolist())
print("ids", tokens[:5].tolist(), lengths.tolist())

# -- values a narrower integer dtype cannot hold are refused ----------------
small = h32[:2, :2].contiguous()
refusals = [
    ("addmm alpha", lambda: torch.addmm(small, small, small, alpha=2**31)),
    ("baddbmm beta", lambda: torch.baddbmm(u8[:2].reshape(2, 1, 4), u8[:2].reshape(2, 1, 4), u8[:8].reshape(2, 4, 4), beta=256)),
    ("scatter value", lambda: small.scatter(1, torch.tensor([[0], [1]]), 2**40)),
    ("scatter value add", lambda: small.scatter(1, torch.tensor([[0], [1]]), -2**31 - 1, reduce="add")),
    ("addcmul value", lambda: torch.addcmul(i16[:2], i16[:2], i16[:2], value=2**15)),
    ("full", lambda: torch.full((2,), 2**31, dtype=torch.int32)),
    ("fill_", lambda: torch.zeros(2, dtype=torch.uint8).fill_(-1.0)),
    ("fill_ nan", lambda: torch.zeros(2, dtype=torch.int64).fill_(float("nan"))),
]
for name, make in refusals:
    try:
        make()
        print(name, "accepted")
    except RuntimeError as e:
        print(name, "refused:", e)
print("accepted edges", torch.full((2,), -1, dtype=torch.uint8).tolist(),
      torch.addmm(small, small, small, beta=-2**31, alpha=2.9).tolist(),
      torch.zeros(2, dtype=torch.uint8).fill_(255.9).tolist())
