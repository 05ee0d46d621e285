//! Mutation test of MulBackward1's conjugated scalar. In the
//! `complex_conv_rnn` golden a complex convolution rebuilds its result as
//! `real_part + 1j * imag_part`; PyTorch multiplies that product's
//! gradient by `conj(1j) = -1j` before keeping its real part. A node that
//! keeps the scalar as it is dispatches `mul.Scalar(·, 1j)`, which the
//! replay reports as a changed dispatch at that `mul`, free-running and
//! anchored.

use super::support::assert_fault_reported_both_ways;

#[test]
fn a_scalar_product_gradient_without_the_conjugate_is_caught() {
    assert_fault_reported_both_ways(
        "complex_conv_rnn.torch.ftr",
        "mul-scalar-grad-unconjugated",
        1,
        &[
            "first divergence: [dispatch changed] expected seq 425",
            "aten.mul.Scalar(T173[2,2,4,4])",
            "MulBackward1",
            "`other=-1j",
        ],
    );
}
