"""A forked child that runs ops and returns from the program (no os._exit)."""
import os

import torch

x = torch.ones(2)
pid = os.fork()
if pid == 0:
    y = x * 3
else:
    os.waitpid(pid, 0)
    z = x + 1
