"""`torch.autograd.gradcheck` of custom autograd Functions, as the
"Extending PyTorch" tutorial checks a hand-written backward: a Function in
the `setup_context` style (saves its output) and one in the classic `ctx`
style with two inputs (one a non-tensor constant), each checked in
float64 with `check_undefined_grad=False` (the undefined-gradient check
builds an operator-less node a trace cannot hold). The numerical Jacobian
perturbs the input in place; the analytical one calls
`torch.autograd.grad` once per output element with a one-hot
`grad_outputs` tensor the program keeps across calls, which the Function's
backward receives as it is. A `gradgradcheck` of the first Function and a
short fit through both Functions follow."""

import torch

torch.manual_seed(0)


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x.exp()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result


class ScaledCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ctx.scale * 3 * x**2, None


x = torch.randn(3, dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(Exp.apply, (x,), check_undefined_grad=False))
y = torch.randn(2, 2, dtype=torch.double, requires_grad=True)
print(
    torch.autograd.gradcheck(
        lambda t: ScaledCube.apply(t, 0.5), (y,), check_undefined_grad=False
    )
)
print(torch.autograd.gradgradcheck(Exp.apply, (x,), check_undefined_grad=False))

w = torch.randn(4, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.05)
for _ in range(2):
    loss = ScaledCube.apply(Exp.apply(w), 0.1).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
