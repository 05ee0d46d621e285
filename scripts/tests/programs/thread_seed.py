"""torch.manual_seed called on another thread (the generator is global)."""
import threading

import torch

t = threading.Thread(target=torch.manual_seed, args=(3,), name="seeder")
t.start()
t.join()
x = torch.randn(2)
