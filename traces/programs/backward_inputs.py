"""backward(inputs=[...]) in a training loop: only the named parameters
accumulate gradients, the others keep `.grad` None.

Two SGD steps fine-tune the head of a two-layer network (the body is frozen
by naming only the head's parameters): the engine runs only the nodes that
lead to the head's AccumulateGrads, so the body's nodes are never pushed
and the head's AddmmBackward0 computes its weight's and bias's gradients but
not its input's. A third step names one body parameter as well; a last
backward names the hidden activation (a non-leaf: PyTorch retains its
gradient, which then lands in `hidden.grad`).
"""

import torch
from torch import nn

torch.manual_seed(0)
body = nn.Linear(4, 3)
head = nn.Linear(3, 2)
optimizer = torch.optim.SGD(list(body.parameters()) + list(head.parameters()), lr=0.1)
x = torch.randn(6, 4)
y = torch.randn(6, 2)

for step in range(2):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(head(torch.relu(body(x))), y)
    loss.backward(inputs=list(head.parameters()))
    optimizer.step()
assert body.weight.grad is None

optimizer.zero_grad()
loss = nn.functional.mse_loss(head(torch.relu(body(x))), y)
torch.autograd.backward(loss, inputs=[head.weight, body.bias])
optimizer.step()

hidden = torch.relu(body(x))
loss = nn.functional.mse_loss(head(hidden), y)
loss.backward(inputs=[hidden, head.bias])
print(loss.item(), hidden.grad.sum().item(), hidden.retains_grad)
