# Gradients through the target of binary_cross_entropy_with_logits: a
# Bernoulli policy with probs= and an entropy bonus (torch.distributions
# computes Bernoulli.entropy() as BCE-with-logits of logits against probs),
# mutual distillation of two multi-label heads whose soft targets both
# train (weight and pos_weight, mean/sum/none), and a Bernoulli-Beta model
# whose success probability is learned through a sampled Beta.
import torch
from torch import nn
import torch.nn.functional as F
from torch.distributions import Bernoulli, Beta

torch.manual_seed(41)

# Bernoulli policy over 5 binary switches, REINFORCE with entropy bonus.
policy = nn.Sequential(nn.Linear(6, 24), nn.Tanh(), nn.Linear(24, 5))
opt = torch.optim.Adam(policy.parameters(), lr=3e-3)
for step in range(4):
    obs = torch.randn(16, 6)
    dist = Bernoulli(probs=torch.sigmoid(policy(obs)))
    act = dist.sample()
    reward = (act * torch.tensor([1.0, -1.0, 0.5, 0.0, 2.0])).sum(-1) - obs[:, 0]
    adv = reward - reward.mean()
    loss = -(dist.log_prob(act).sum(-1) * adv).mean() - 0.05 * dist.entropy().sum(-1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("policy", step, loss.item())

# Deep mutual learning of two multi-label heads: each one's probabilities
# are the other's target, and both directions carry gradient.
a = nn.Linear(8, 4)
b = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4))
opt2 = torch.optim.SGD(list(a.parameters()) + list(b.parameters()), lr=0.1, momentum=0.9)
x = torch.randn(12, 8)
y = (torch.rand(12, 4) > 0.6).float()
pos_weight = torch.tensor([1.0, 2.0, 3.0, 0.5])
class_weight = torch.tensor([1.0, 0.5, 1.5, 1.0])
for step in range(3):
    la, lb = a(x), b(x)
    sup = F.binary_cross_entropy_with_logits(la, y) + F.binary_cross_entropy_with_logits(lb, y, pos_weight=pos_weight)
    mutual = F.binary_cross_entropy_with_logits(la, torch.sigmoid(lb), weight=class_weight)
    mutual = mutual + F.binary_cross_entropy_with_logits(lb, torch.sigmoid(la), weight=class_weight, pos_weight=pos_weight, reduction="sum") / 12
    per = F.binary_cross_entropy_with_logits(la, torch.sigmoid(lb), pos_weight=pos_weight, reduction="none")
    loss = sup + 0.5 * mutual + 0.01 * per.mean()
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    print("mutual", step, loss.item())

# Soft targets from a learned Beta: success probabilities sampled with
# rsample are the BCE target, and autograd.grad reaches the concentrations.
conc = nn.Parameter(torch.tensor([2.0, 3.0]))
logits = torch.randn(10, 2, requires_grad=True)
p = Beta(conc[0].expand(10, 2), conc[1].expand(10, 2)).rsample()
l = F.binary_cross_entropy_with_logits(logits, p, reduction="sum")
g_conc, g_logits = torch.autograd.grad(l, [conc, logits], retain_graph=True)
print("beta", l.item(), g_conc.tolist(), g_logits.abs().sum().item())
ent = Bernoulli(probs=p).entropy().mean()
ent.backward()
print("entropy", ent.item(), conc.grad.tolist())
