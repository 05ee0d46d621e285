"""The last op's result dies when main() returns, before the program ends.

`x * 2` saves no tensor of its own, so nothing but `y` holds its output;
`loss` keeps the first graph, and with it x's AccumulateGrad, alive.
"""

import torch


def main():
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    y = x * 2  # noqa: F841 -- it dies unused


main()
