//! Values are judged by the precision they were computed in: a float64
//! value made from float32 ones gets float32's tolerance when the replay
//! runs free, and its own dtype's when every op runs on PyTorch's inputs.

mod support;

use support::{ft_replay, golden};

fn mixed_precision() -> String {
    golden("mixed_precision.torch.ftr")
        .to_str()
        .expect("utf-8")
        .to_owned()
}

#[test]
fn float64_values_computed_from_float32_match_when_running_free() {
    let path = mixed_precision();
    let (code, out) = ft_replay(&["--against", &path]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("values computed from a lower-precision dtype judged at its tolerance"),
        "{out}"
    );
}

#[test]
fn a_float64_kernel_off_by_float32_rounding_is_caught_anchored_not_free() {
    let path = mixed_precision();
    let fault = "perturb=aten._log_softmax.default:0.000001";
    let (code, out) = ft_replay(&["--against", &path, "--inject-fault", fault]);
    assert_eq!(
        code,
        Some(0),
        "within float32 rounding when running free: {out}"
    );
    let (code, out) = ft_replay(&["--against", &path, "--anchor", "--inject-fault", fault]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._log_softmax.default"),
        "{out}"
    );
}

#[test]
fn a_float64_kernel_wrong_beyond_float32_rounding_is_caught_free_running() {
    let path = mixed_precision();
    let fault = "perturb=aten._log_softmax.default:0.001";
    let (code, out) = ft_replay(&["--against", &path, "--inject-fault", fault]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._log_softmax.default"),
        "{out}"
    );
}
