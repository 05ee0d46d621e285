//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the neural-network operators (softmax, losses, normalization, convolution, pooling, attention) and batched matrix products.
