"""Phase features of complex signals through the imaginary part of a
conjugated tensor, which PyTorch returns as a view with the negative bit
(`_conj`, `view_as_real`, `_neg_view`, `select`): used directly in
arithmetic (the Negative fallback clones it first), stacked with other
features (a tensor list holding the view), resolved with `resolve_neg`,
and differentiated (NegViewBackward0: `grad.neg()`, after
SelectBackward0 and before ViewAsRealBackward0 and the two
ConjBackward0). Also `torch.fft.ihfft(x).imag` (the inverse Hermitian
transform is the conjugate of a forward one) feeding a per-feature
linear regressor, trained two SGD steps."""
import torch

torch.manual_seed(0)

# Cross-spectrum phase between two complex signals.
z = torch.randn(4, 6, dtype=torch.complex64, requires_grad=True)
w = torch.randn(4, 6, dtype=torch.complex64)
zc = z.conj()
quad = zc.imag  # negative-bit view
print(quad.is_neg())
cross = quad * w.real + zc.real * w.imag
features = torch.stack([cross, quad, zc.real], dim=-1)
loss = features.pow(2).sum() + quad.sum()
loss.backward()
print(z.grad)

# resolve_neg materializes the negation.
r = z.detach().conj().imag.resolve_neg()
print(r.is_neg(), r)

# A float64 view: strided selection through the negative bit.
q = torch.randn(3, 5, dtype=torch.complex128, requires_grad=True)
part = q.conj().imag[:, 1::2]
(part.exp() * torch.arange(3.0, dtype=torch.float64).unsqueeze(1)).sum().backward()
print(q.grad)

# ihfft features of a real sequence into a per-feature linear regressor.
weight = torch.zeros(7, requires_grad=True)
bias = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([weight, bias], lr=0.1)
signal = torch.randn(8, 12)
target = torch.randn(8)
for step in range(2):
    spec = torch.fft.ihfft(signal)  # conjugate view, 7 bins
    feats = spec.imag * 4.0 + spec.real  # the imaginary part a negative-bit view
    pred = (feats * weight).sum(dim=1) + bias
    loss = torch.nn.functional.mse_loss(pred, target)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
