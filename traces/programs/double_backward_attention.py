"""Double backward around `F.scaled_dot_product_attention`, whose CPU
backward kernel has no derivative formula in PyTorch: under
`create_graph=True` it records PyTorch's `NotImplemented` fallback node
(edges for the tensors that require grad, no sequence number), so gradients
of the attention's inputs have history; a penalty on them raises "derivative
for aten::_scaled_dot_product_flash_attention_for_cpu_backward is not
implemented", which the program catches, while a penalty that does not
go through the create_graph backward's attention node (the output
projection's weight gradient: the attention's output, whose history is the
forward graph) trains on.
"""

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

proj_in = nn.Linear(4, 12)
proj_out = nn.Linear(4, 1)
x = torch.randn(1, 3, 4, requires_grad=True)
q, k, v = proj_in(x).chunk(3, dim=-1)
att = F.scaled_dot_product_attention(q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1), is_causal=True)
out = proj_out(att.squeeze(1).tanh()).sum()
out.backward(create_graph=True)

try:
    x.grad.pow(2).sum().backward(retain_graph=True)
except RuntimeError as e:
    print("caught:", e)

proj_in.zero_grad()
x.grad = None
penalty = proj_out.weight.grad.pow(2).sum()
proj_out.zero_grad()
penalty.backward()
print(proj_in.weight.grad.sum().item())
