"""A single-process gloo group (a file store, no port) and one all_reduce:
the collective takes its process group as a ScriptObject, which the capture
refuses by name."""

import tempfile

import torch
import torch.distributed as dist

store = tempfile.NamedTemporaryFile(delete=False)
dist.init_process_group("gloo", init_method=f"file://{store.name}", rank=0, world_size=1)
t = torch.ones(3)
dist.all_reduce(t)
dist.destroy_process_group()
