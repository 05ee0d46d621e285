//! Mutation test of how a float32 operator reads a Python number, on the
//! `custom_function` golden (a custom `autograd.Function` whose backward
//! scales the gradient by a Python float). PyTorch's TensorIterator casts
//! the number to float32 before the kernel multiplies, so the runtime's
//! product is PyTorch's bit for bit: an anchored replay at zero tolerance
//! matches every tensor. Multiplying by the double and rounding once (fault
//! `numbers-in-double`) puts one element of each scaled gradient an ulp
//! off, which zero tolerance fails at the product and the report's list of
//! operators that are not bit-identical names.

use super::support::run;

const TRACE: &str = "custom_function.torch.ftr";

fn replay_exactly(fault: Option<&str>) -> (Option<i32>, String) {
    let mut args = vec!["--anchor", "--rtol", "0", "--atol", "0"];
    if let Some(fault) = fault {
        args.extend(["--inject-fault", fault]);
    }
    run(TRACE, &args)
}

#[test]
fn numbers_read_as_float32_match_pytorch_bit_for_bit() {
    let (code, out) = replay_exactly(None);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("159 tensors compared (159 bit-identical"),
        "{out}"
    );
    assert!(
        !out.contains("not bit-identical on PyTorch's inputs"),
        "{out}"
    );
}

#[test]
fn numbers_in_double_are_an_ulp_off_at_the_product() {
    let (code, out) = replay_exactly(Some("numbers-in-double"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(
            "drift starts at aten.mul.Tensor (expected seq 296, actual seq 296): its inputs agree, its output does not"
        ),
        "{out}"
    );
    assert!(
        out.contains("not bit-identical on PyTorch's inputs: 1 operator(s): aten.mul.Tensor ×2"),
        "{out}"
    );
}
