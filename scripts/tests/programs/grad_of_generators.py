"""`torch.autograd.grad` and `backward` given one-shot iterators, as
optimisation code writes them: `inputs=model.parameters()`, roots from a
generator expression, `backward(inputs=...)` of a generator. The capture
reads each for the trace; the call must still see every tensor."""
import torch

torch.manual_seed(0)
model = torch.nn.Linear(3, 2)
x = torch.randn(4, 3)
loss = model(x).pow(2).sum()
grads = torch.autograd.grad(loss, model.parameters(), create_graph=True)
flat = torch.cat([g.view(-1) for g in grads])
hv = torch.autograd.grad((t.sum() for t in [flat.pow(2)]), model.parameters())
model(x).sum().backward(inputs=(p for p in model.parameters()))
