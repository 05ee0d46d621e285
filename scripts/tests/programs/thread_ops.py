"""A worker thread (a Thread subclass overriding run) runs an operator."""
import threading

import torch


class Worker(threading.Thread):
    def run(self):
        self.result = torch.ones(2) * 3


x = torch.ones(2)
w = Worker(name="side-worker")
w.start()
w.join()
z = x + w.result
