"""Threads that never call a torch operator (a progress monitor, logging)."""
import logging
import queue
import threading

import torch

log = queue.Queue()
stop = threading.Event()


def monitor():
    while not stop.wait(0.001):
        pass


def logger():
    while (item := log.get()) is not None:
        logging.getLogger("quiet").debug("%s", item)


threads = [threading.Thread(target=monitor, daemon=True), threading.Thread(target=logger)]
for t in threads:
    t.start()
x = torch.randn(3, requires_grad=True)
for step in range(3):
    loss = (x * x).sum()
    loss.backward()
    log.put(f"step {step}")
log.put(None)
stop.set()
for t in threads:
    t.join()
