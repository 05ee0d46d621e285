"""Block floating-point quantisation in bfloat16 and float16 with
`torch.frexp`: each activation split into mantissa and int32 exponent, the
mantissa rounded to a few bits and scaled back with `ldexp`, trained
through the mantissa (FrexpBackward0: `grad / exponent.exp2()`, `exp2` of
the int32 exponent giving float32, the float32 quotient cast back to the
half type by the engine). Covers normal, subnormal, zero, infinite and NaN
inputs of both half types, the exponent's dtype, and frexp of a float16
view with strides."""
import torch

torch.manual_seed(0)


def quantize(x, bits=3):
    mantissa, exponent = torch.frexp(x)
    scale = 2.0 ** bits
    q = torch.round(mantissa * scale) / scale
    return torch.ldexp(q, exponent.to(x.dtype)), mantissa, exponent


for dtype in (torch.bfloat16, torch.float16):
    w = (torch.randn(6, 5) * 40).to(dtype).requires_grad_()
    x = torch.randn(4, 6).to(dtype)
    for step in range(2):
        _, mantissa, exponent = quantize(w)
        # a straight-through style surrogate: train the mantissa directly
        loss = (x @ (mantissa * exponent.to(dtype))).float().pow(2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.5 * w.grad
            w.grad = None
    print(dtype, exponent.dtype, mantissa.dtype, loss.item())

# Special and subnormal values of both half types.
specials = [0.0, -0.0, 1.0, -3.5, 1e-7, 6e-8, 65504.0, float("inf"), float("-inf"), float("nan")]
for dtype in (torch.float16, torch.bfloat16):
    v = torch.tensor(specials, dtype=dtype)
    tiny = torch.tensor([1e-39, 3e-40, -2e-38], dtype=torch.float32).to(dtype)
    m, e = torch.frexp(torch.cat([v, tiny]))
    print(m, e)

# A strided float16 view with grad through a reduction.
base = torch.randn(5, 8).to(torch.float16).requires_grad_()
m, e = torch.frexp(base.t()[1:6:2])
(m.float() * torch.linspace(-1, 1, 5)).sum().backward()
print(base.grad.abs().sum())
