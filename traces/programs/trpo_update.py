"""A TRPO policy update as RL code writes it: a categorical policy's
surrogate advantage, the Fisher-vector product of the mean KL through
`torch.autograd.grad(kl, policy.parameters(), create_graph=True)` and a
second `grad` of the gradient-vector dot (double backward of Categorical's
log-softmax and KL), conjugate gradient on flat vectors (`dot`, in-place
`+=`/`-=`), the step size from `sqrt(shs / max_kl)`, a backtracking line
search writing trial parameters with `vector_to_parameters` under
`no_grad` and reading them with `parameters_to_vector`; then the value
function fitted by LBFGS with a closure.

The parameters reach `torch.autograd.grad` as the generator
`policy.parameters()`: the capture reads it for the trace and hands the
call the same tensors (it consumed the generator before, and the call
raised `inputs argument to grad() cannot be empty`)."""
import torch
from torch import nn
from torch.distributions import Categorical, kl_divergence
from torch.nn.utils import parameters_to_vector, vector_to_parameters

torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))
value = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
vopt = torch.optim.LBFGS(value.parameters(), lr=0.5, max_iter=3)
obs = torch.randn(12, 4)
with torch.no_grad():
    old_dist = Categorical(logits=policy(obs))
    actions = old_dist.sample()
    old_logp = old_dist.log_prob(actions)
returns = torch.randn(12)
with torch.no_grad():
    adv = returns - value(obs).squeeze(-1)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)


def surrogate():
    logp = Categorical(logits=policy(obs)).log_prob(actions)
    return (torch.exp(logp - old_logp) * adv).mean()


def kl():
    d = Categorical(logits=policy(obs))
    return kl_divergence(old_dist, d).mean()


def fvp(v, damping=0.1):
    grads = torch.autograd.grad(kl(), policy.parameters(), create_graph=True)
    flat = torch.cat([g.view(-1) for g in grads])
    gv = (flat * v).sum()
    hv = torch.autograd.grad(gv, policy.parameters())
    return torch.cat([h.contiguous().view(-1) for h in hv]) + damping * v


def conjugate_gradient(b, iters=4):
    x = torch.zeros_like(b)
    r, p = b.clone(), b.clone()
    rr = torch.dot(r, r)
    for _ in range(iters):
        Ap = fvp(p)
        alpha = rr / torch.dot(p, Ap)
        x += alpha * p
        r -= alpha * Ap
        new_rr = torch.dot(r, r)
        p = r + new_rr / rr * p
        rr = new_rr
    return x


loss = surrogate()
g = torch.autograd.grad(loss, policy.parameters())
g = torch.cat([t.view(-1) for t in g]).detach()
step = conjugate_gradient(g)
shs = 0.5 * (step * fvp(step)).sum(0, keepdim=True)
lm = torch.sqrt(shs / 0.01)
full = step / lm[0]
old = parameters_to_vector(policy.parameters()).detach()
with torch.no_grad():
    for frac in [0.5 ** i for i in range(4)]:
        vector_to_parameters(old + frac * full, policy.parameters())
        if kl() < 0.015 and surrogate() > loss:
            break
    else:
        vector_to_parameters(old, policy.parameters())


def closure():
    vopt.zero_grad()
    l = (value(obs).squeeze(-1) - returns).pow(2).mean() + 1e-3 * sum(p.pow(2).sum() for p in value.parameters())
    l.backward()
    return l


vopt.step(closure)
