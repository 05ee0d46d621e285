//! The CPU whose PyTorch the runtime reproduces, as far as a kernel's
//! rounding depends on it.
//!
//! A few CPU kernels of PyTorch give results that depend on the machine that
//! ran them, not only on their inputs: whether a bfloat16/float16 `add` with
//! an `alpha` rounds the product before the sum follows the kernels PyTorch
//! selected (`torch.backends.cpu.get_cpu_capability()`: its vectorised AVX2
//! and AVX-512 kernels round it for most elements once, the `DEFAULT` build's
//! for every element twice), and how a loop is cut into parts (the same
//! `add` from 32 768 elements on, layer norm's weight gradient) follows the
//! intra-op thread count (`torch.get_num_threads()`). The capture records
//! both in its META attributes; a replay takes them from there, and from this
//! machine when a trace does not hold them (PyTorch's defaults here).

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// META attribute holding `torch.backends.cpu.get_cpu_capability()`.
pub const CAPABILITY_ATTR: &str = "cpu_capability";
/// META attribute holding `torch.get_num_threads()` at the capture's start.
pub const THREADS_ATTR: &str = "intra_op_threads";
/// META attribute `"1"` when the capturing PyTorch ran float16 convolutions
/// on oneDNN (a CPU with AVX-512-FP16 or AMX-FP16); absent (or `"0"`) when
/// it ran its own float16 loops.
pub const FLOAT16_ONEDNN_ATTR: &str = "float16_conv_onednn";
/// META attribute `"abramowitz_stegun"` when the capturing PyTorch's oneDNN
/// computed the erf form of GELU with Abramowitz and Stegun's erf (its
/// kernels below AVX-512); absent for the minimax polynomial of its
/// AVX-512 kernels.
pub const ONEDNN_GELU_ATTR: &str = "onednn_gelu";
/// META attribute naming the square root the capturing PyTorch's
/// float32/float64 `sqrt` computed (MKL's vector math picks its code by the
/// CPU): `rsqrt14` (MKL's AVX-512 code: an `rsqrt14` estimate corrected
/// once), `correctly_rounded`, or `other`. Absent: `rsqrt14` where the
/// trace's capability is AVX-512, else `correctly_rounded`.
pub const VML_SQRT_ATTR: &str = "vml_sqrt";

/// What a kernel's rounding may depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuProfile {
    /// PyTorch's name of its kernels' instruction set (`AVX512`, `AVX2`,
    /// `DEFAULT`, ...).
    pub capability: String,
    /// Threads an intra-op parallel loop is split over.
    pub intra_op_threads: NonZeroUsize,
    /// PyTorch ran float16 convolutions on oneDNN (a CPU with float16
    /// instructions), which round each result once, rather than on its
    /// `Slow2d` loops (one float16 rounding per batch sample's GEMM): as
    /// [`FLOAT16_ONEDNN_ATTR`] says. Taken for traces that record no CPU
    /// profile: their float16 convolutions were all rounded once. This
    /// machine and profiled traces without the attribute: `Slow2d`.
    pub float16_conv_onednn: bool,
    /// oneDNN's GELU forward (erf form) took its AVX-512 minimax
    /// polynomial for erf, as [`ONEDNN_GELU_ATTR`] says: false where it
    /// took Abramowitz and Stegun's formula (oneDNN below AVX-512).
    pub onednn_gelu_minimax: bool,
    /// PyTorch's float32/float64 `sqrt` was MKL's AVX-512 root (an
    /// `rsqrt14` estimate corrected once), as [`VML_SQRT_ATTR`] says; false
    /// where it was the correctly rounded root (or one the runtime does not
    /// model, for which the correctly rounded root is the nearest).
    pub vml_sqrt_rsqrt14: bool,
}

/// A META attribute of the CPU profile that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("META attribute {key} is {value:?}: {expected}")]
pub struct CpuProfileError {
    /// The attribute.
    pub key: &'static str,
    /// Its value.
    pub value: String,
    /// What it should be.
    pub expected: &'static str,
}

impl CpuProfile {
    /// PyTorch's defaults on this machine: as many intra-op threads as the
    /// machine offers, AVX-512 kernels where the CPU has the instructions
    /// PyTorch requires for them. Found once per process (the thread count
    /// reads the scheduler's affinity and cgroup quota), as PyTorch does.
    pub fn this_machine() -> CpuProfile {
        static THIS_MACHINE: OnceLock<CpuProfile> = OnceLock::new();
        THIS_MACHINE
            .get_or_init(|| CpuProfile {
                capability: this_machine_capability().into(),
                intra_op_threads: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
                float16_conv_onednn: false,
                onednn_gelu_minimax: true,
                vml_sqrt_rsqrt14: this_machine_capability() == "AVX512",
            })
            .clone()
    }

    /// The profile a trace's META attributes describe; what they leave out
    /// is this machine's.
    pub fn from_attrs(attrs: &[(String, String)]) -> Result<CpuProfile, CpuProfileError> {
        let mut profile = CpuProfile::this_machine();
        let find = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        profile.float16_conv_onednn =
            find(CAPABILITY_ATTR).is_none() && find(THREADS_ATTR).is_none();
        if let Some(capability) = find(CAPABILITY_ATTR) {
            if capability.is_empty() || !capability.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(CpuProfileError {
                    key: CAPABILITY_ATTR,
                    value: capability.clone(),
                    expected: "expected a capability name such as AVX512, AVX2 or DEFAULT",
                });
            }
            profile.capability = capability.clone();
        }
        if let Some(onednn) = find(FLOAT16_ONEDNN_ATTR) {
            profile.float16_conv_onednn = match onednn.as_str() {
                "1" => true,
                "0" => false,
                _ => {
                    return Err(CpuProfileError {
                        key: FLOAT16_ONEDNN_ATTR,
                        value: onednn.clone(),
                        expected: "expected 1 or 0",
                    });
                }
            };
        }
        if let Some(form) = find(ONEDNN_GELU_ATTR) {
            profile.onednn_gelu_minimax = match form.as_str() {
                "abramowitz_stegun" => false,
                "minimax" => true,
                _ => {
                    return Err(CpuProfileError {
                        key: ONEDNN_GELU_ATTR,
                        value: form.clone(),
                        expected: "expected abramowitz_stegun or minimax",
                    });
                }
            };
        }
        profile.vml_sqrt_rsqrt14 = match find(VML_SQRT_ATTR).map(String::as_str) {
            None => profile.capability == "AVX512",
            Some("rsqrt14") => true,
            Some("correctly_rounded" | "other") => false,
            Some(form) => {
                return Err(CpuProfileError {
                    key: VML_SQRT_ATTR,
                    value: form.to_owned(),
                    expected: "expected rsqrt14, correctly_rounded or other",
                });
            }
        };
        if let Some(threads) = find(THREADS_ATTR) {
            profile.intra_op_threads =
                threads
                    .parse::<NonZeroUsize>()
                    .map_err(|_| CpuProfileError {
                        key: THREADS_ATTR,
                        value: threads.clone(),
                        expected: "expected a positive integer",
                    })?;
        }
        Ok(profile)
    }

    /// Whether PyTorch ran vectorised kernels: every capability but
    /// `DEFAULT` (measured for AVX2 and AVX-512, which round alike where
    /// the runtime models them; others are taken to do the same).
    pub fn vectorised(&self) -> bool {
        self.capability != "DEFAULT"
    }

    /// Lanes of PyTorch's vectorised float32 kernels, where the runtime
    /// reproduces their lane order and SLEEF's functions: 16 with AVX-512,
    /// 8 with AVX2 (both measured on torch 2.15: softmax, log-softmax and
    /// their gradients bit for bit). `None` for other capabilities: the
    /// `DEFAULT` build adds its lanes in another order and takes the C
    /// library's `exp` and `log`.
    pub fn float32_lanes(&self) -> Option<usize> {
        match self.capability.as_str() {
            "AVX512" => Some(16),
            "AVX2" => Some(8),
            _ => None,
        }
    }

    /// Threads as a count.
    pub fn threads(&self) -> usize {
        self.intra_op_threads.get()
    }
}

impl Default for CpuProfile {
    fn default() -> CpuProfile {
        CpuProfile::this_machine()
    }
}

/// The capability PyTorch would pick on this CPU (its AVX-512 kernels need
/// the F, BW, VL and DQ extensions; AVX2 kernels AVX2 and FMA).
fn this_machine_capability() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            return "AVX512";
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return "AVX2";
        }
    }
    "DEFAULT"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn sqrt_form_follows_its_attribute_or_the_capability() {
        let profile =
            |pairs: &[(&str, &str)]| CpuProfile::from_attrs(&attrs(pairs)).expect("valid");
        assert!(profile(&[("cpu_capability", "AVX512")]).vml_sqrt_rsqrt14);
        assert!(!profile(&[("cpu_capability", "AVX2")]).vml_sqrt_rsqrt14);
        assert!(profile(&[("cpu_capability", "AVX2"), ("vml_sqrt", "rsqrt14")]).vml_sqrt_rsqrt14);
        for form in ["correctly_rounded", "other"] {
            assert!(!profile(&[("cpu_capability", "AVX512"), ("vml_sqrt", form)]).vml_sqrt_rsqrt14);
        }
        let err =
            CpuProfile::from_attrs(&attrs(&[("vml_sqrt", "newton")])).expect_err("unknown form");
        assert_eq!(err.key, VML_SQRT_ATTR);
    }

    #[test]
    fn onednn_gelu_form_follows_its_attribute() {
        let profile = |form: &str| CpuProfile::from_attrs(&attrs(&[("onednn_gelu", form)]));
        assert!(
            !profile("abramowitz_stegun")
                .expect("valid")
                .onednn_gelu_minimax
        );
        assert!(profile("minimax").expect("valid").onednn_gelu_minimax);
        assert!(
            CpuProfile::from_attrs(&[])
                .expect("valid")
                .onednn_gelu_minimax
        );
        let err = profile("taylor").expect_err("unknown form");
        assert_eq!(err.key, ONEDNN_GELU_ATTR);
    }

    #[test]
    fn attributes_override_this_machine() {
        let profile = CpuProfile::from_attrs(&attrs(&[
            ("cpu_capability", "AVX2"),
            ("intra_op_threads", "3"),
        ]))
        .expect("valid");
        assert_eq!(profile.capability, "AVX2");
        assert_eq!(profile.threads(), 3);
        assert!(profile.vectorised());
        let scalar =
            CpuProfile::from_attrs(&attrs(&[("cpu_capability", "DEFAULT")])).expect("valid");
        assert!(!scalar.vectorised());
    }

    #[test]
    fn a_trace_without_them_gets_this_machine() {
        let profile =
            CpuProfile::from_attrs(&attrs(&[("torch_version", "2.15.0")])).expect("valid");
        let this = CpuProfile::this_machine();
        assert_eq!(profile.capability, this.capability);
        assert_eq!(profile.intra_op_threads, this.intra_op_threads);
        // and float16 convolutions rounded once, as their captures' were
        assert!(profile.float16_conv_onednn && !this.float16_conv_onednn);
    }

    #[test]
    fn a_profiled_trace_says_whether_float16_convolutions_ran_on_onednn() {
        let profiled = [("cpu_capability", "AVX512"), ("intra_op_threads", "2")];
        let slow2d = CpuProfile::from_attrs(&attrs(&profiled)).expect("valid");
        assert!(!slow2d.float16_conv_onednn);
        let onednn = CpuProfile::from_attrs(&attrs(&[
            profiled[0],
            profiled[1],
            ("float16_conv_onednn", "1"),
        ]))
        .expect("valid");
        assert!(onednn.float16_conv_onednn);
        let err =
            CpuProfile::from_attrs(&attrs(&[("float16_conv_onednn", "yes")])).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "META attribute float16_conv_onednn is \"yes\": expected 1 or 0"
        );
    }

    #[test]
    fn malformed_attributes_are_named() {
        for bad in ["0", "-1", "two", ""] {
            let err =
                CpuProfile::from_attrs(&attrs(&[("intra_op_threads", bad)])).expect_err("refused");
            assert_eq!(err.key, "intra_op_threads");
            assert!(err.to_string().contains("positive integer"), "{err}");
        }
        let err =
            CpuProfile::from_attrs(&attrs(&[("cpu_capability", "AVX 2")])).expect_err("refused");
        assert!(
            err.to_string()
                .starts_with("META attribute cpu_capability is \"AVX 2\""),
            "{err}"
        );
    }
}
