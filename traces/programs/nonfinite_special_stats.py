# Special functions and order statistics met by non-finite values, as a
# robust-statistics pass sees them: every torch.special function a
# likelihood uses (digamma, polygamma, lgamma, erfinv, ndtri, log_ndtr,
# erfcx, xlogy/xlog1py, entr, sinc, logit with and without eps, the Bessel
# i0/i0e/i1/i1e, mvlgamma below its old domain bound) evaluated at ±0,
# poles, ±inf and NaN with their gradients, in float32 and float64; then
# median/nanmedian/mode/kthvalue/cummax/cummin/quantile/nanquantile,
# std/var with correction past the sample size, logsumexp of rows that are
# all -inf or mix NaN with -inf (an action-masked policy whose only legal
# action has a NaN score), aminmax, nanmean/nansum, histc and bincount;
# and in bfloat16/float16: remainder/fmod of a Python number, a
# logcumsumexp backward (finfo.min of the dtype), GELU of ±inf.

import torch
from torch import nn

torch.manual_seed(8)
sp = torch.special
for dt in (torch.float32, torch.float64):
    v = torch.tensor([0.0, -0.0, 1.0, -1.0, -2.5, 1e-8, 30.0, -30.0, float('inf'), float('-inf'), float('nan'), 0.5], dtype=dt)
    x = nn.Parameter(v.clone())
    outs = {}
    outs['digamma'] = sp.digamma(x)
    outs['polygamma1'] = sp.polygamma(1, x)
    outs['polygamma3'] = sp.polygamma(3, x)
    outs['lgamma'] = torch.lgamma(x)
    outs['erfinv'] = sp.erfinv(x)
    outs['ndtri'] = sp.ndtri(x)
    outs['log_ndtr'] = sp.log_ndtr(x)
    outs['erfcx'] = sp.erfcx(x)
    outs['xlogy'] = sp.xlogy(x, x.abs())
    outs['xlogy0'] = sp.xlogy(torch.zeros_like(x), x)
    outs['xlog1py'] = sp.xlog1py(x, x)
    outs['entr'] = sp.entr(x)
    outs['sinc'] = sp.sinc(x)
    outs['logit'] = sp.logit(x, eps=0.1)
    outs['logit_n'] = sp.logit(x)
    outs['i0'] = sp.i0(x)
    outs['i0e'] = sp.i0e(x)
    outs['i1'] = sp.i1(x)
    outs['i1e'] = sp.i1e(x)
    outs['ndtr'] = sp.ndtr(x)
    outs['erfc'] = sp.erfc(x)
    outs['expit'] = sp.expit(x)
    outs['log1p'] = sp.log1p(x)
    outs['expm1'] = sp.expm1(x)
    outs['exp2'] = sp.exp2(x)
    outs['mvlgamma'] = torch.mvlgamma(x.abs() + 2, 2)
    outs['mvlgamma_low'] = torch.mvlgamma(x * 0.25 + 0.5, 3)
    outs['zeta'] = sp.zeta(x.detach().abs() + 1, 2.0)
    outs['gammaln'] = sp.gammaln(x)
    outs['sigmoid'] = torch.sigmoid(x)
    outs['logsig'] = torch.nn.functional.logsigmoid(x)
    outs['softplus'] = torch.nn.functional.softplus(x, beta=2, threshold=5)
    for k, o in outs.items():
        g, = torch.autograd.grad(o.sum(), x, allow_unused=True) if o.requires_grad else (None,)
        print(dt, k, o.tolist(), None if g is None else g.tolist())
    xi = torch.tensor([0, 1, 2, 5], dtype=torch.int64)
    print(sp.digamma(xi), sp.i0(xi), sp.erfinv(torch.tensor([0, 1])), sp.entr(xi), torch.lgamma(xi), sp.sinc(xi), sp.xlogy(xi, 2))

for dt in (torch.float32, torch.float64):
    base = torch.tensor([[1.0, 2.0, 2.0, 1.0, 3.0], [float('nan'), 0.0, -1.0, 5.0, 5.0], [4.0, 4.0, 4.0, 4.0, 4.0]], dtype=dt)
    x = nn.Parameter(base.clone())
    terms = []
    m, i = x.median(dim=1)
    print('median', m.tolist(), i.tolist())
    terms.append(m)
    m, i = x.nanmedian(dim=1)
    print('nanmedian', m.tolist(), i.tolist())
    terms.append(m)
    m, i = x.nanmedian(dim=0)
    print('nanmedian0', m.tolist(), i.tolist())
    terms.append(m)
    terms.append(x.nanmedian().view(1))
    terms.append(x.median().view(1))
    mo, mi = torch.mode(x, dim=1)
    print('mode', mo.tolist(), mi.tolist())
    terms.append(mo)
    k, ki = torch.kthvalue(x, 3, dim=1, keepdim=True)
    print('kth', k.tolist(), ki.tolist())
    terms.append(k.flatten())
    cm, cmi = torch.cummax(x, 1)
    cn, cni = torch.cummin(x, 1)
    print('cummax', cmi.tolist(), cni.tolist())
    terms += [cm.flatten(), cn.flatten()]
    q = torch.quantile(x, 0.25, dim=1, keepdim=True)
    nq = torch.nanquantile(x, 0.4, dim=1, interpolation='nearest')
    print('q', q.tolist(), nq.tolist())
    terms += [q.flatten(), nq]
    s1 = x[2:, :1].std(dim=1)
    v2, m2 = torch.var_mean(x[:, :2], dim=1, correction=2)
    s3, m3 = torch.std_mean(x[:, :3], dim=1, correction=2, keepdim=True)
    print('std', s1.tolist(), v2.tolist(), s3.tolist())
    terms += [s1, v2, m2, s3.flatten(), m3.flatten()]
    lse = torch.logsumexp(x.masked_fill(x == 4.0, float('-inf')), dim=1)
    lse2 = torch.logsumexp(torch.full((2, 3), float('-inf'), dtype=dt) + x[:2, :3], dim=(0, 1))
    print('lse', lse.tolist(), lse2.tolist())
    terms += [lse, lse2.view(1)]
    amin, amax = torch.aminmax(x, dim=0)
    terms += [amin, amax]
    terms.append(torch.amax(x, dim=1) + torch.amin(x, dim=1))
    terms.append(x.nanmean(dim=1) + x.nansum(dim=1))
    terms.append(torch.max(x, dim=1).values + torch.min(x, dim=0).values[:3])
    for j, t in enumerate(terms):
        g, = torch.autograd.grad(t.sum(), x, retain_graph=True)
        print(j, g.tolist())
    print(torch.histc(base.nan_to_num(), bins=3, min=0, max=4), torch.histc(base[2], bins=2), torch.histc(torch.tensor([1.0, 1.0], dtype=dt), bins=4))
    print(torch.bincount(torch.tensor([], dtype=torch.int64), minlength=3), torch.bincount(torch.tensor([2, 2, 0]), weights=torch.tensor([1.0, 2.0, 3.0], dtype=dt)))
    print(torch.bincount(torch.tensor([2, 2, 0], dtype=torch.uint8), weights=torch.tensor([1, 2, 3], dtype=torch.int32)))

# Reduced-precision pieces of the same pass: phases wrapped by remainder/
# fmod of a Python number (rounded to the element dtype first), a
# logcumsumexp over log-weights whose backward fills the logs of zero
# gradients with the dtype's finfo.min, and GELU features of readings that
# overflowed to ±inf.
for dt in (torch.bfloat16, torch.float16, torch.float32):
    phase = nn.Parameter((torch.arange(-12, 28, dtype=torch.float32) * 0.35).to(dt))
    wrapped = torch.remainder(phase, 0.7) + torch.fmod(phase, 0.7) + torch.remainder(phase, -1.3)
    logw = nn.Parameter(torch.linspace(-3, 3, 40).to(dt).view(4, 10))
    lcse = torch.logcumsumexp(logw, dim=1)
    target = torch.zeros(4, 10, dtype=dt)
    target[:, ::3] = 1.0
    readings = torch.tensor([float('inf'), float('-inf'), 1.0, -2.0] * 10, dtype=dt)
    feats = torch.nn.functional.gelu(readings) + torch.nn.functional.gelu(readings, approximate='tanh')
    loss = wrapped.sum() + (lcse * target).sum()
    loss.backward()
    print(dt, wrapped.tolist(), phase.grad.tolist(), logw.grad.tolist(), feats.tolist())
print(torch.nn.functional.gelu(torch.tensor([float('inf'), float('-inf')], dtype=torch.float64)).tolist())
