"""Vision and generative-model code's defensive checks: errors caught, int32 indices.

A test-suite-style sweep over the mistakes vision backbones and diffusion
code make, each caught and printed, so the replay must raise PyTorch's
exception type and message for every one: non-contiguous `view`,
convolution channel/group/kernel-size/dtype mismatches (a bfloat16
depthwise weight under a float32 input names `CPUBFloat16Type`; a weight
dtype mismatch on a batch-of-one float32 or a float64 input, which PyTorch
runs on its Slow2d loops, says "expected scalar type Float but found
Double", on oneDNN the "Input type" message; a bias mismatch prints C++
type names; "Given
groups=3 ... weight of size [[4, 3, 3, 3]]"), `layer_norm` weight and bias
shapes, GroupNorm divisibility, `cat`/`roll`/`gather`/indexing/`interpolate`/
pooling/`masked_fill` (a float mask: "mask with dtype float") errors,
`lerp` with a float64 `end` ("expected dtype float for `end` but got dtype
double"), a zero-sum `multinomial`, a `bernoulli` probability above one,
negative constant padding larger than the dimension ("narrow(): length must
be non-negative."), `kthvalue`'s k out of range (a RuntimeError), bitwise
operators on floats (`"bitwise_and_cpu" not implemented for 'Float'`),
autograd misuse, and factory errors.

Then gathers and scatters with int32 indices, as relative-position-bias
tables and top-k routing code build them: `gather`, `scatter`,
`scatter_add`, `scatter_reduce` (all take int32 as well as int64; int16 is
refused with "Expected dtype int32/int64 for index"), with the gradient
flowing back through GatherBackward0 (`scatter_add` of an int32 index).
"""

import torch
import torch.nn.functional as F

torch.manual_seed(0)


def attempt(name, fn):
    try:
        fn()
        print(name, "OK")
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        print(name, "|", type(err).__name__, str(err).splitlines()[0][:150])


x = torch.randn(2, 8, 4, 4)
attempt("view noncontig", lambda: x.permute(0, 2, 3, 1).view(2, -1))
attempt("conv channels", lambda: F.conv2d(x, torch.randn(4, 3, 3, 3)))
attempt("conv groups", lambda: F.conv2d(x, torch.randn(4, 3, 3, 3), groups=3))
attempt("conv small", lambda: F.conv2d(x, torch.randn(4, 8, 5, 5)))
attempt("conv dw bf16 mix", lambda: F.conv2d(x, torch.randn(8, 1, 3, 3, dtype=torch.bfloat16), groups=8))
attempt("conv bias dtype", lambda: F.conv2d(x, torch.randn(8, 8, 3, 3), torch.randn(8, dtype=torch.float64)))
x1 = torch.randn(1, 2, 4, 4)
attempt("conv slow2d weight dtype", lambda: F.conv2d(x1, torch.randn(2, 2, 3, 3, dtype=torch.float64)))
attempt("conv slow2d pointwise", lambda: F.conv2d(x1.double(), torch.randn(2, 2, 1, 1)))
attempt("conv onednn weight dtype", lambda: F.conv2d(x1.repeat(2, 1, 1, 1), torch.randn(2, 2, 3, 3, dtype=torch.float64)))
attempt("conv bf16 input", lambda: F.conv2d(x1.bfloat16(), torch.randn(2, 2, 3, 3)))
attempt("conv bias bf16", lambda: F.conv2d(x1, torch.randn(2, 2, 3, 3), torch.randn(2, dtype=torch.bfloat16)))
attempt("conv complex input", lambda: F.conv2d(x1.to(torch.complex64), torch.randn(2, 2, 3, 3)))
attempt("layer_norm", lambda: F.layer_norm(x, (8,)))
attempt("layer_norm w", lambda: F.layer_norm(x, (4,), torch.ones(3)))
attempt("group_norm div", lambda: F.group_norm(x, 3))
attempt("group_norm w", lambda: F.group_norm(x, 2, torch.ones(4)))
attempt("cat dims", lambda: torch.cat([x, torch.randn(2, 8, 4, 3)], 1))
attempt("cat rank", lambda: torch.cat([x, torch.randn(2, 8, 4)], 1))
attempt("cat dtype", lambda: torch.cat([x, torch.randn(2, 8, 4, 4, dtype=torch.bfloat16)], 1).dtype)
attempt("roll", lambda: torch.roll(x, shifts=(1, 2), dims=(1,)))
attempt("gather oob", lambda: torch.gather(torch.randn(4, 3), 0, torch.tensor([[5, 0, 0]])))
attempt("gather rank", lambda: torch.gather(torch.randn(4, 3), 0, torch.tensor([5, 0, 0])))
attempt("gather dtype", lambda: torch.gather(torch.randn(4, 3), 0, torch.tensor([[1, 0, 0]], dtype=torch.int32)))
attempt("index oob", lambda: torch.randn(4, 3)[torch.tensor([7])])
attempt("index_select oob", lambda: torch.randn(4, 3).index_select(0, torch.tensor([7])))
attempt("interp size", lambda: F.interpolate(x, size=(2, 2, 2)))
attempt("interp none", lambda: F.interpolate(x))
attempt("interp bilinear 3d", lambda: F.interpolate(torch.randn(1, 2, 4), scale_factor=2, mode="bilinear"))
attempt("avg_pool big", lambda: F.avg_pool2d(x, 5))
attempt("max_pool pad", lambda: F.max_pool2d(x, 2, padding=2))
attempt("masked_fill mask dtype", lambda: x.masked_fill(torch.ones(2, 8, 4, 4), -100.0))
attempt("masked_fill shape", lambda: x.masked_fill(torch.ones(3, 4, dtype=torch.bool), -100.0))
attempt("masked_fill tensor val", lambda: x.masked_fill(x > 0, torch.ones(2)))
attempt("linear shape", lambda: F.linear(torch.randn(2, 5), torch.randn(3, 4)))
attempt("matmul shape", lambda: torch.randn(2, 3, 4) @ torch.randn(2, 5, 4))
attempt("bmm batch", lambda: torch.bmm(torch.randn(2, 3, 4), torch.randn(3, 4, 5)))
attempt("reshape", lambda: x.reshape(3, -1))
attempt("view -1 -1", lambda: x.view(-1, -1))
attempt("expand", lambda: torch.randn(3, 1).expand(2, 4))
attempt("broadcast add", lambda: torch.randn(3, 4) + torch.randn(2, 4))
attempt("mse shape warn", lambda: F.mse_loss(torch.randn(3, 4), torch.randn(4)))
attempt("ce target dtype", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([1.0, 0.0, 2.0])))
attempt("ce target oob", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([1, 0, 7])))
attempt("ce shape", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([1, 0])))
attempt("bn channels", lambda: F.batch_norm(x, torch.zeros(4), torch.ones(4)))
attempt("embedding oob", lambda: F.embedding(torch.tensor([9]), torch.randn(4, 3)))
attempt("embedding float", lambda: F.embedding(torch.tensor([1.0]), torch.randn(4, 3)))
attempt("chunk 0", lambda: x.chunk(0))
attempt("split", lambda: x.split([3, 3], 1))
attempt("permute dims", lambda: x.permute(0, 1, 2))
attempt("permute repeat", lambda: x.permute(0, 1, 1, 2))
attempt("transpose oob", lambda: x.transpose(0, 4))
attempt("softmax dim", lambda: x.softmax(5))
attempt("sum dim", lambda: x.sum(4))
attempt("stack", lambda: torch.stack([x, x[:, :4]]))
attempt("pixel_shuffle", lambda: F.pixel_shuffle(x, 3))
attempt("unfold", lambda: F.unfold(torch.randn(1, 2, 3, 3), 5))
attempt("scatter index dtype", lambda: torch.zeros(3).scatter_(0, torch.tensor([0.0]), 1.0))
attempt("where dtype", lambda: torch.where(x > 0, x, torch.zeros(1, dtype=torch.float64)).dtype)
attempt("clamp none", lambda: x.clamp())
attempt("lerp dtype", lambda: torch.lerp(x, x.double(), 0.5))
attempt("addcmul shape", lambda: torch.randn(3).addcmul_(torch.randn(4), torch.randn(4)))
attempt("inplace broadcast", lambda: torch.randn(3, 1).add_(torch.randn(3, 4)))
attempt("inplace dtype", lambda: torch.zeros(3, dtype=torch.long).add_(torch.randn(3)))
attempt("leaf inplace", lambda: torch.randn(3, requires_grad=True).add_(1))
attempt("backward twice", lambda: [l := (torch.randn(3, requires_grad=True) * 2).sum(), l.backward(), l.backward()])
attempt("grad nonscalar", lambda: (torch.randn(3, requires_grad=True) * 2).backward())
attempt("grad no req", lambda: torch.randn(3).sum().backward())
attempt("numpy grad", lambda: torch.randn(3, requires_grad=True).tolist())
attempt("item multi", lambda: x.item())
attempt("randint bad", lambda: torch.randint(5, 2, (3,)))
attempt("linspace steps", lambda: torch.linspace(0, 1, -1))
attempt("arange step", lambda: torch.arange(0, 1, 0))
attempt("multinomial", lambda: torch.multinomial(torch.tensor([0.0, 0.0]), 1))
attempt("bernoulli p", lambda: torch.bernoulli(torch.tensor([1.5])))
attempt("normal std", lambda: torch.normal(torch.zeros(2), torch.tensor([-1.0, 1.0])))
attempt("cumprod dim", lambda: torch.cumprod(x, 4))
attempt("sdpa shape", lambda: F.scaled_dot_product_attention(torch.randn(1, 2, 3, 4), torch.randn(1, 2, 3, 5), torch.randn(1, 2, 3, 4)))
attempt("sdpa dtype", lambda: F.scaled_dot_product_attention(torch.randn(1, 2, 3, 4), torch.randn(1, 2, 3, 4, dtype=torch.bfloat16), torch.randn(1, 2, 3, 4)))
attempt("conv_t shape", lambda: F.conv_transpose2d(x, torch.randn(4, 4, 3, 3)))
attempt("adaptive pool neg", lambda: F.adaptive_avg_pool2d(x, (-1, 2)))
attempt("pad neg too big", lambda: F.pad(x, (-5, 0)))
attempt("pad reflect big", lambda: F.pad(x, (4, 4), mode="reflect"))
attempt("one_hot", lambda: F.one_hot(torch.tensor([3]), 2))
attempt("topk k", lambda: torch.randn(3).topk(5))
attempt("kthvalue", lambda: torch.randn(3).kthvalue(5))
attempt("diag", lambda: torch.diag(torch.randn(2, 2, 2)))
attempt("slogdet nonsq", lambda: torch.slogdet(torch.randn(2, 3)))
attempt("cholesky", lambda: torch.linalg.cholesky(-torch.eye(2)))
attempt("inv singular", lambda: torch.linalg.inv(torch.zeros(2, 2)))
attempt("normalize int", lambda: F.normalize(torch.ones(2, dtype=torch.long), dim=0))
attempt("mean int", lambda: torch.ones(2, dtype=torch.long).mean())
attempt("std int", lambda: torch.ones(2, dtype=torch.long).std())
attempt("exp int ok", lambda: torch.ones(2, dtype=torch.long).exp().dtype)
attempt("sqrt bool", lambda: torch.ones(2, dtype=torch.bool).sqrt().dtype)
attempt("bitwise float", lambda: torch.ones(2) & torch.ones(2))
attempt("sub bool", lambda: torch.ones(2, dtype=torch.bool) - torch.ones(2, dtype=torch.bool))
attempt("neg bool", lambda: -torch.ones(2, dtype=torch.bool))

src = torch.randn(4, 3, requires_grad=True)
i32 = torch.tensor([[1, 0, 3], [2, 2, 0]], dtype=torch.int32)
g = torch.gather(src, 0, i32)
s = torch.zeros(4, 3).scatter(0, i32, g)
sa = torch.zeros(4, 3).scatter_add(0, i32, g * 2)
sr = torch.zeros(4, 3).scatter_reduce(0, i32, g, "amax", include_self=False)
(s.sum() + sa.pow(2).sum() + sr.sum()).backward()
bad = torch.tensor([[1]], dtype=torch.int16)
attempt("gather int16", lambda: torch.gather(src, 0, bad))
attempt("scatter_add int16", lambda: torch.zeros(4, 3).scatter_add_(0, bad, src[:1, :1]))
table = torch.randn(9, 2, requires_grad=True)
rel = torch.arange(4, dtype=torch.int32).view(-1, 1).expand(-1, 2).contiguous()
bias = torch.gather(table, 0, rel)
bias.square().sum().backward()
print(src.grad.sum().item(), table.grad.sum().item())
