"""Input gradients through modules with full backward hooks, as saliency
maps and adversarial (FGSM) training compute them: the input is a leaf that
requires grad, so each hooked module's input passes through a
BackwardHookFunction whose node returns the gradient it received and whose
node hook hands it to the module hooks. A pre-hook that doubles
`grad_output`, a hook that only logs (returns None), one that rescales
`grad_input`, and a global module hook; the input's first gradient is then
stolen by AccumulateGrad (`detach`), later ones added. Three Adam steps on
clean plus adversarial examples."""

import torch
import torch.nn as nn
from torch.nn.modules.module import register_module_full_backward_hook

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
norms = []


def double_grad_output(module, grad_output):
    return (grad_output[0] * 2,)


def log_norm(module, grad_input, grad_output):
    # None when the module's input needs no gradient.
    if grad_input[0] is not None:
        norms.append(grad_input[0].norm().item())


def rescale(module, grad_input, grad_output):
    return (grad_input[0] * 0.5,)


model[0].register_full_backward_pre_hook(double_grad_output)
model[0].register_full_backward_hook(log_norm)
model[2].register_full_backward_hook(rescale)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(5, 6)
y = torch.tensor([0, 2, 1, 1, 0])

for step in range(3):
    # Saliency: the gradient of the loss with respect to the input.
    xi = x.clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(xi), y)
    opt.zero_grad()
    loss.backward()
    saliency = xi.grad.abs().amax(dim=1)
    # FGSM: a second backward accumulates into the same input's gradient.
    model(xi).logsumexp(dim=1).sum().backward()
    adv = (x + 0.05 * xi.grad.sign()).detach()
    opt.zero_grad()
    total = nn.functional.cross_entropy(model(x), y) + nn.functional.cross_entropy(model(adv), y)
    total.backward()
    opt.step()

handle = register_module_full_backward_hook(lambda m, gi, go: None)
xi = x[:2].clone().requires_grad_(True)
model(xi).sum().backward()
handle.remove()
print(saliency, xi.grad.sum(), len(norms))
