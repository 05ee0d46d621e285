"""Autograd features a trace cannot hold are refused, never recorded
silently wrong (exit 4, one line naming them; CAPTURE.md §10):
`torch.autograd.graph.increment_version`, which arms the saved-tensor
version check without an operator, node pre-hooks
(`grad_fn.register_prehook`), whose run the capture does not record, and
node post-hooks (`grad_fn.register_hook`) that run operators or replace the
node's gradients. What they leave alone still records: `increment_version`
of inference tensors only (no version counter), a pre-hook registered and
removed before backward, and post-hooks that only look (CAPTURE.md §6.4)."""

from __future__ import annotations

import subprocess
import sys

import torch

import ftr
from conftest import events_named, run_cli


def capture(tmp_path, name: str, source: str):
    program = tmp_path / f"{name}.py"
    program.write_text(source)
    out = tmp_path / f"{name}.ftr"
    return run_cli(str(program), "-o", str(out), "--values", "none", "--zero-timestamps"), out


def last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


SAVED_WRITTEN_BEHIND_PYTORCH = """\
import torch
w = torch.randn(4, 3, requires_grad=True)
y = (torch.randn(5, 4) @ w).tanh()  # TanhBackward0 saves y
loss = y.sum()
y.data.mul_(0.5)  # a write PyTorch does not see
torch.autograd.graph.increment_version({target})
try:
    loss.backward()
except RuntimeError as e:
    print("caught", e)
"""


def test_increment_version_is_refused(tmp_path):
    # PyTorch raises at backward; a replay without the bump would not.
    program = tmp_path / "uncaptured.py"
    program.write_text(SAVED_WRITTEN_BEHIND_PYTORCH.format(target="y"))
    plain = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=300)
    assert "caught one of the variables needed for gradient computation has been modified" in plain.stdout
    result, out = capture(tmp_path, "bump", SAVED_WRITTEN_BEHIND_PYTORCH.format(target="y"))
    assert result.returncode == 4, result.stderr
    assert "unsupported: torch.autograd.graph.increment_version" in last_line(result)
    assert "caught" not in result.stdout  # refused before the backward ran


def test_increment_version_of_a_list_and_through_the_c_entry_is_refused(tmp_path):
    for name, target in (("bump_list", "[w, y]"), ("bump_c", "y")):
        source = SAVED_WRITTEN_BEHIND_PYTORCH.format(target=target)
        if name == "bump_c":
            source = source.replace("torch.autograd.graph.increment_version(y)", "torch._C._increment_version([y])")
        result, _ = capture(tmp_path, name, source)
        assert result.returncode == 4, (name, result.stderr)
        assert "increment_version" in last_line(result), name


def test_increment_version_of_inference_tensors_only_records(tmp_path):
    source = (
        "import torch\n"
        "with torch.inference_mode():\n"
        "    t = torch.ones(3)\n"
        "torch.autograd.graph.increment_version(t)\n"
        "x = torch.ones(2, requires_grad=True)\n"
        "(x * 2).sum().backward()\n"
        "print(x.grad)\n"
    )
    result, out = capture(tmp_path, "bump_inference", source)
    assert result.returncode == 0, result.stderr
    assert len(events_named(ftr.TraceReader(str(out)), "graph_task_end")) == 1


NODE_PRE_HOOK = """\
import torch
x = torch.randn(3, requires_grad=True)
y = (x * 2).sin()
handle = y.grad_fn.register_prehook(lambda grads: (grads[0] * 3,))
{after}
y.sum().backward()
print("grad", x.grad)
"""


def test_a_node_pre_hook_that_runs_is_refused(tmp_path):
    result, _ = capture(tmp_path, "prehook", NODE_PRE_HOOK.format(after=""))
    assert result.returncode == 4, result.stderr
    line = last_line(result)
    assert "unsupported: a node pre-hook" in line and "register_prehook" in line, line
    assert "grad" not in result.stdout


def test_a_pre_hook_on_a_custom_function_node_is_refused(tmp_path):
    source = (
        "import torch\n"
        "class Double(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x * 2\n"
        "    @staticmethod\n"
        "    def backward(ctx, g):\n"
        "        return g * 2\n"
        "x = torch.randn(3, requires_grad=True)\n"
        "y = Double.apply(x)\n"
        "y.grad_fn.register_prehook(lambda grads: None)\n"
        "y.sum().backward()\n"
    )
    result, _ = capture(tmp_path, "prehook_function", source)
    assert result.returncode == 4, result.stderr
    assert "unsupported: a node pre-hook" in last_line(result)


def test_a_removed_pre_hook_and_post_hooks_still_record(tmp_path):
    source = NODE_PRE_HOOK.format(after="handle.remove()\ny.grad_fn.register_hook(lambda gi, go: None)")
    result, out = capture(tmp_path, "prehook_removed", source)
    assert result.returncode == 0, result.stderr
    assert "grad" in result.stdout
    assert len(events_named(ftr.TraceReader(str(out)), "graph_task_end")) == 1


POST_HOOK = """\
import torch
x = torch.linspace(-1, 1, 4, requires_grad=True)
y = (x * 2).sin()
seen = []
y.grad_fn.register_hook({hook})
y.sum().backward()
print(len(seen), repr(x.grad.tolist()))
"""


def test_a_node_post_hook_that_replaces_gradients_is_refused(tmp_path):
    # Its results would replace the node's in PyTorch's run and not in the
    # replay, which would then blame the runtime.
    result, _ = capture(tmp_path, "posthook_replaces", POST_HOOK.format(hook="lambda gi, go: go"))
    assert result.returncode == 4, result.stderr
    line = last_line(result)
    assert "unsupported: a node post-hook (<lambda>, registered with grad_fn.register_hook) replaced" in line, line


def test_a_node_post_hook_that_runs_operators_is_refused(tmp_path):
    result, _ = capture(tmp_path, "posthook_ops", POST_HOOK.format(hook="lambda gi, go: seen.append(go[0].norm())"))
    assert result.returncode == 4, result.stderr
    assert "node post-hook (<lambda>, registered with grad_fn.register_hook) ran operators" in last_line(result)


def test_a_node_post_hook_that_only_looks_records_and_computes_the_same(tmp_path):
    # Storing the gradients, or returning them as they are, runs no operator:
    # the capture records, and the program computes what it does without it.
    hook = "lambda gi, go: seen.append(gi) or gi"
    result, out = capture(tmp_path, "posthook_looks", POST_HOOK.format(hook=hook))
    assert result.returncode == 0, result.stderr
    plain = subprocess.run([sys.executable, "-c", POST_HOOK.format(hook=hook)], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == plain.stdout.strip() == "1 " + repr((torch.cos(torch.linspace(-1, 1, 4) * 2) * 2).tolist())
    assert len(events_named(ftr.TraceReader(str(out)), "graph_task_end")) == 1


ONE_SAVED_TENSOR_HOOKED = """\
import torch
x = torch.randn(5, requires_grad=True)
y = x.pow(2)
y.grad_fn._raw_saved_self.register_hooks(lambda t: t.detach().clone(), lambda t: t)
y.sum().backward()
"""

GRADCHECK = """\
import torch
x = torch.tensor([0.5, -0.7], dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(torch.sin, x{options}))
"""


def test_hooks_on_one_saved_tensor_are_refused(tmp_path):
    # The node would unpack the hook's clone, which no event records.
    result, _ = capture(tmp_path, "raw_saved_hooks", ONE_SAVED_TENSOR_HOOKED)
    assert result.returncode == 4, result.stderr
    assert "unsupported: hooks on one saved tensor" in last_line(result)


def test_gradcheck_is_refused_at_its_undefined_grad_check_and_records_without_it(tmp_path):
    # UndefinedGrad makes a node (a sequence number) without an operator.
    result, _ = capture(tmp_path, "gradcheck", GRADCHECK.format(options=""))
    assert result.returncode == 4, result.stderr
    assert "unsupported: torch._C._functions.UndefinedGrad" in last_line(result)
    assert "check_undefined_grad=False" in last_line(result)
    result, out = capture(tmp_path, "gradcheck_defined", GRADCHECK.format(options=", check_undefined_grad=False"))
    assert result.returncode == 0, result.stderr
    assert "True" in result.stdout
    assert any(p[1] == "SinBackward0" for p in events_named(ftr.TraceReader(str(out)), "node"))
