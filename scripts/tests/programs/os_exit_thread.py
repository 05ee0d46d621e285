"""A watchdog thread ends the process with os._exit while the main thread works."""
import os
import threading
import time

import torch

x = torch.ones(2)
threading.Thread(target=lambda: os._exit(0), name="watchdog").start()
while True:
    time.sleep(0.01)
