"""backward() called on another thread."""
import threading

import torch

x = torch.randn(3, requires_grad=True)
loss = (x * 2).sum()
t = threading.Thread(target=loss.backward, name="bw")
t.start()
t.join()
