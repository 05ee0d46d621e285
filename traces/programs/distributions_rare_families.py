"""The less common `torch.distributions` families in a likelihood.

Each family gets parameters from one learnable vector and contributes
`log_prob` (and `rsample` where it has one) to a single loss, as a
probabilistic model mixing likelihoods does: Cauchy, Gumbel, Weibull,
Kumaraswamy, StudentT, ContinuousBernoulli and Pareto reparameterised
samples; VonMises `log_prob` (its Bessel-function normaliser) and a
rejection-sampled draw; NegativeBinomial, Multinomial and Binomial count
likelihoods (with the Binomial's entropy); FisherSnedecor; InverseGamma
and LogisticNormal through their transforms; LKJCholesky (onion-method
sample and `log_prob`) and a Wishart `rsample` with its `log_prob`. Adam
takes two steps.
"""

import torch
from torch.distributions import (
    Binomial,
    Cauchy,
    ContinuousBernoulli,
    FisherSnedecor,
    Gumbel,
    InverseGamma,
    Kumaraswamy,
    LKJCholesky,
    LogisticNormal,
    Multinomial,
    NegativeBinomial,
    Pareto,
    StudentT,
    VonMises,
    Weibull,
    Wishart,
)

torch.manual_seed(9)
raw = torch.rand(4).requires_grad_()
opt = torch.optim.Adam([raw], lr=0.01)
counts = torch.tensor([0.0, 1.0, 3.0, 2.0])
for step in range(2):
    p = raw
    s = p + 0.5
    total = 0
    for d in (
        Cauchy(p, s),
        Gumbel(p, s),
        Weibull(s, s + 1),
        Kumaraswamy(s, s + 1),
        StudentT(s + 2, p, s),
        ContinuousBernoulli(logits=p),
        Pareto(s, s + 1),
    ):
        x = d.rsample()
        total = total + d.log_prob(x.detach()).sum() + x.sum()
    vm = VonMises(p, s * 3)
    total = total + vm.log_prob(torch.zeros(4)).sum()
    angles = vm.sample()
    nb = NegativeBinomial(total_count=s * 5, logits=p)
    total = total + nb.log_prob(counts).sum()
    mn = Multinomial(10, logits=p)
    total = total + mn.log_prob(mn.sample())
    bi = Binomial(total_count=torch.tensor(6.0), logits=p)
    total = total + bi.log_prob(torch.tensor([0.0, 2.0, 6.0, 3.0])).sum() + bi.entropy().sum()
    fs = FisherSnedecor(s + 2, s + 3)
    total = total + fs.log_prob(torch.tensor([0.5, 1.0, 2.0, 0.3])).sum()
    ig = InverseGamma(s + 1, s)
    total = total + ig.log_prob(ig.rsample()).sum()
    ln = LogisticNormal(p[:3], s[:3])
    total = total + ln.log_prob(ln.rsample()).sum()
    lkj = LKJCholesky(3, concentration=torch.tensor(2.0))
    total = total + lkj.log_prob(lkj.sample())
    wi = Wishart(df=torch.tensor(5.0), covariance_matrix=torch.eye(3) * (1 + p[0]))
    W = wi.rsample()
    total = total + wi.log_prob(W.detach()) + W.sum()
    loss = -total
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step}: {loss.item():.5f} angles {angles.tolist()}")
