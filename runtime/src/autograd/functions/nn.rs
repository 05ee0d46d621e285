//! Backward functions of the neural-network operators (softmax, losses, normalization, convolution, pooling, attention) and batched matrix products.
