"""Hogwild style: a tensor moved to shared memory and written by a child process."""
import torch
import torch.multiprocessing as mp


def train(w):
    w.add_(1)


if __name__ == "__main__":
    torch.manual_seed(0)
    w = torch.zeros(3)
    w.share_memory_()
    p = mp.Process(target=train, args=(w,))
    p.start()
    p.join()
    y = w * 2
