//! Mutation tests of `sqrt`: PyTorch's float32/float64 roots come from
//! MKL's vector math, which on an AVX-512 CPU starts from the `rsqrt14`
//! estimate and corrects it once — one ulp below the correctly rounded
//! root for about 0.6% of inputs. The golden's Adam (`_foreach_sqrt`),
//! RMSprop and RMS norm roots are bit-identical on PyTorch's inputs; the
//! correctly rounded root is listed.

use super::support::inexact_anchored_on;

const ROOTS: &str = "adaptive_optimizer_roots.torch.ftr";

/// Whether this CPU has the estimate (without it the runtime takes the
/// correctly rounded root, within one ulp of PyTorch's).
fn has_estimate() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[test]
fn roots_are_bit_identical_on_pytorch_inputs() {
    let clean = inexact_anchored_on(ROOTS, None);
    if !has_estimate() {
        return;
    }
    for op in ["aten.sqrt.default", "aten._foreach_sqrt.default"] {
        assert!(clean.get(op).is_none(), "{op} inexact: {clean}");
    }
}

#[test]
fn correctly_rounded_roots_are_listed() {
    let broken = inexact_anchored_on(ROOTS, Some("sqrt-correctly-rounded"));
    for op in ["aten.sqrt.default", "aten._foreach_sqrt.default"] {
        assert!(broken.get(op).is_some(), "{op} not caught: {broken}");
    }
}
