"""Preallocated `out=` buffers across operator families.

Evaluation and bookkeeping code often writes into buffers it allocated
once: a batch buffer filled by `cat`/`stack`, float64 accumulators for
running sums and means, index buffers for `argmax`/`topk`/`sort`, a
hand-written optimizer step through `addcmul`/`lerp`/`sqrt` into scratch.
Buffers come empty (resized on first use), of the right shape but
transposed (written through their strides), and of a wider dtype (sums and
means accumulate in the buffer's dtype; other results are cast).
"""

import torch

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
params = list(net.parameters())
exp_avg = [torch.zeros_like(p) for p in params]
exp_sq = [torch.zeros_like(p) for p in params]
scratch = [torch.empty(0) for _ in params]
denom = [torch.empty(0) for _ in params]

batch = torch.empty(0)
labels = torch.empty(0, dtype=torch.int64)
loss_sum = torch.zeros((), dtype=torch.float64)
seen = torch.zeros(4, dtype=torch.float64)
for step in range(3):
    xs = [torch.randn(6) for _ in range(5)]
    torch.stack(xs, out=batch)
    ys = [torch.randint(0, 4, (2,)), torch.randint(0, 4, (3,))]
    torch.cat(ys, out=labels)
    logits = net(batch)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        torch.add(loss_sum, loss.detach(), out=loss_sum)
        counts = torch.bincount(labels, minlength=4).to(torch.float64)
        torch.add(seen, counts, out=seen)
        for p, m, v, s, d in zip(params, exp_avg, exp_sq, scratch, denom):
            torch.lerp(m, p.grad, 0.1, out=m)
            torch.mul(p.grad, p.grad, out=s)
            torch.lerp(v, s, 0.001, out=v)
            torch.sqrt(v, out=d)
            torch.add(d, 1e-8, out=d)
            torch.addcdiv(p, m, d, value=-0.01, out=p)

# Evaluation into preallocated buffers.
with torch.no_grad():
    x = torch.randn(7, 6)
    h = torch.empty(0)
    torch.addmm(net[0].bias, x, net[0].weight.t(), out=h)
    torch.tanh(h, out=h)
    logits = torch.empty(4, 7).t()  # right shape, transposed: written through its strides
    torch.addmm(net[2].bias, h, net[2].weight.t(), out=logits)
    prob = torch.empty(0)
    torch._softmax(logits, 1, False, out=prob)
    logp = torch.empty(0)
    torch._log_softmax(logits, 1, False, out=logp)
    best = torch.empty(0, dtype=torch.int64)
    torch.argmax(prob, 1, out=best)
    vals, idx = torch.empty(0), torch.empty(0, dtype=torch.int64)
    torch.max(prob, 1, out=(vals, idx))
    tv, ti = torch.empty(0), torch.empty(0, dtype=torch.int64)
    torch.topk(prob, 2, 1, out=(tv, ti))
    sv, si = torch.empty(0), torch.empty(0, dtype=torch.int64)
    torch.sort(logits[:, 0], descending=True, out=(sv, si))
    scores = torch.randn(4096) * 100 + 3
    score_total = torch.empty((), dtype=torch.float64)
    torch.sum(scores, 0, out=score_total)  # a float64 accumulator over a long float32 metric
    ent = torch.empty(0, dtype=torch.float64)
    torch.sum(prob * logp, 1, out=ent)  # accumulates in float64
    mean64 = torch.empty((), dtype=torch.float64)
    torch.mean(logits, out=mean64)
    csum = torch.empty(0, dtype=torch.float64)
    torch.cumsum(prob[:, 0], 0, out=csum)
    cprod = torch.empty(0, dtype=torch.float64)
    torch.cumprod(prob[:, 1] + 0.5, 0, out=cprod)
    total = torch.empty(0)
    torch.prod(prob + 0.5, 1, out=total)
    nsum = torch.empty(0)
    torch.nansum(logp, 0, out=nsum)
    sd, var = torch.empty(0), torch.empty(0)
    torch.std(logits, 0, out=sd)
    torch.var(logits, 0, correction=0, out=var)
    amin, amax = torch.empty(0), torch.empty(0)
    torch.aminmax(logits, dim=0, out=(amin, amax))
    hit = torch.empty(0, dtype=torch.bool)
    torch.eq(best, torch.randint(0, 4, (7,)), out=hit)
    hit_i = torch.empty(7, dtype=torch.int64)
    torch.gt(prob[:, 0], 0.25, out=hit_i)  # bool results cast into int64
    both = torch.empty(0, dtype=torch.bool)
    torch.logical_and(hit, prob[:, 1] > 0.2, out=both)
    picked = torch.empty(0)
    torch.gather(prob, 1, best.unsqueeze(1), out=picked)
    rows = torch.empty(0)
    torch.index_select(logits, 0, torch.tensor([6, 0, 3]), out=rows)
    flat = torch.empty(0)
    torch.take(logits, torch.tensor([0, 5, 27]), out=flat)
    masked = torch.empty(0)
    torch.masked_select(logits, logits > 0, out=masked)
    nz = torch.empty(0, dtype=torch.int64)
    torch.nonzero(hit_i, out=nz)
    clipped = torch.empty(0)
    torch.clamp(logits, -0.5, 0.5, out=clipped)
    chosen = torch.empty(0)
    torch.where(logits > 0, logits, torch.zeros(()), out=chosen)
    edges = torch.linspace(-1, 1, 5)
    bins = torch.empty(0, dtype=torch.int64)
    torch.bucketize(logits, edges, out=bins)
    pos = torch.empty(0, dtype=torch.int64)
    torch.searchsorted(edges, logits.flatten().contiguous(), out=pos)
    hist = torch.empty(0)
    torch.histc(logits, bins=4, min=-1, max=1, out=hist)
    low = torch.empty(0)
    torch.tril(logits[:4], out=low)
    rolled, flipped = torch.empty(0), torch.empty(0)
    torch.neg(logits, out=rolled)
    torch.abs(logits, out=flipped)
    gram = torch.empty(0)
    torch.bmm(logits.view(7, 4, 1), logits.view(7, 1, 4), out=gram)
    acc = torch.zeros(7, 4, 4)
    torch.baddbmm(acc, logits.view(7, 4, 1), logits.view(7, 1, 4), beta=0.5, out=acc)
    mv = torch.empty(0)
    torch.mv(net[2].weight, h[0], out=mv)
    dot = torch.empty(())
    torch.dot(h[0], h[1], out=dot)
    nrm = torch.empty(())
    torch.linalg.vector_norm(logits, 2, out=nrm)
    ex, lg, sg, pw = torch.empty(0), torch.empty(0), torch.empty(0), torch.empty(0)
    torch.exp(logits, out=ex)
    torch.log1p(prob, out=lg)
    torch.sigmoid(logits, out=sg)
    torch.pow(logits, 2, out=pw)
    blend = torch.empty(0)
    torch.addcmul(logits, prob, logp, value=0.5, out=blend)
    summary = torch.empty(0)
    torch.cat([vals, tv[:, 0], sd, var, amin, amax, nsum, total, picked.flatten(), rows.flatten(), flat, masked,
               clipped.flatten(), chosen.flatten(), hist, low.flatten(), rolled.flatten(), flipped.flatten(),
               gram.flatten(), acc.flatten(), mv, dot.view(1), nrm.view(1), ex.flatten(), lg.flatten(),
               sg.flatten(), pw.flatten(), blend.flatten(), sv], out=summary)

# The same buffers refilled under inference_mode.
with torch.inference_mode():
    y = torch.randn(3, 6)
    out = torch.empty(0)
    torch.addmm(net[0].bias, y, net[0].weight.t(), out=out)
    torch.clamp_min(out, 0, out=out)
    s64 = torch.empty(0, dtype=torch.float64)
    torch.sum(out, 0, out=s64)
    srt, order = torch.empty(0), torch.empty(0, dtype=torch.int64)
    torch.sort(s64.float(), stable=True, out=(srt, order))

print(score_total.item(), loss_sum.item(), seen.tolist(), ent.tolist(), mean64.item(), csum[-1].item(), cprod[-1].item())
print(best.tolist(), idx.tolist(), ti.tolist(), si.tolist(), hit.tolist(), hit_i.tolist(), both.tolist())
print(nz.flatten().tolist(), bins.sum().item(), pos.sum().item(), summary.sum().item(), s64.sum().item(), order.tolist())
