"""Operators submitted to a ThreadPoolExecutor."""
from concurrent.futures import ThreadPoolExecutor

import torch

x = torch.ones(2)
with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pool") as pool:
    y = pool.submit(torch.mul, x, 2).result()
z = x + y
