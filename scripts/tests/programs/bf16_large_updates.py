"""bfloat16 and float16 parameters of more than 32 768 elements updated by
`add_` with an alpha, as SGD with momentum does (`param.add_(buf, alpha=-lr)`).

From 32 768 elements PyTorch's CPU loop is split over its intra-op threads,
each part with its own vectorised body and scalar remainder, and the
remainder rounds `alpha·buf` before the sum: which elements round twice
depends on the thread count and the vector width the capture ran with. The
sizes leave different remainders for one and two threads and for 16- and
32-lane vectors (64 031, 40 001, 33 000 + 17).
"""

import torch

torch.manual_seed(0)

params = [
    torch.nn.Parameter(torch.randn(64_031).to(torch.bfloat16)),
    torch.nn.Parameter(torch.randn(40_001).to(torch.float16)),
    torch.nn.Parameter(torch.randn(33_017).to(torch.bfloat16)),
]
opt = torch.optim.SGD(params, lr=0.0123, momentum=0.9, foreach=False)
for step in range(3):
    opt.zero_grad()
    loss = sum((p.float() * torch.linspace(-1, 1, p.numel())).sin().sum() for p in params)
    loss.backward()
    opt.step()
