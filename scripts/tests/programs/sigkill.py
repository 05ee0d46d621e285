"""Killed by SIGKILL after enough work to fill several events chunks."""
import os
import signal

import torch

x = torch.randn(2)
for _ in range(2500):
    x = x + 1
os.kill(os.getpid(), signal.SIGKILL)
