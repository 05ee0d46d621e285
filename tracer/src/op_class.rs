//! Operator classes the format gives special treatment (docs/FORMAT.md §3.1):
//! operators whose outputs are uninitialised memory never carry a value, and
//! random operators are the only ones whose outputs the `inputs` policy
//! keeps — replay feeds those recorded values back. One list for every Rust
//! producer and consumer; `scripts/capture_torch.py` mirrors it.

use crate::format::ValuePolicy;

/// Base names of operators whose outputs are uninitialised memory.
pub const UNINITIALIZED_OPS: &[&str] = &[
    "empty",
    "empty_like",
    "empty_strided",
    "new_empty",
    "new_empty_strided",
];

/// Single outputs that are a kernel's uninitialised scratch: `(base name,
/// output index, reason)`. They never carry a value, like the outputs of
/// [`UNINITIALIZED_OPS`], and the replay never compares them.
pub const OPAQUE_OUTPUTS: &[(&str, usize, &str)] = &[
    (
        "mkldnn_rnn_layer",
        3,
        "oneDNN workspace: scratch whose bytes oneDNN leaves partly uninitialised",
    ),
    (
        "_ctc_loss",
        1,
        "CTC log_alpha: uninitialised outside each sample's input and target lengths",
    ),
];

/// Base names of random operators.
pub const RANDOM_OPS: &[&str] = &[
    "uniform_",
    "normal_",
    "normal",
    "randn",
    "rand",
    "randint",
    "randperm",
    "bernoulli",
    "bernoulli_",
    "dropout",
    "native_dropout",
    "exponential_",
    "cauchy_",
    "log_normal_",
    "geometric_",
    "random_",
    "multinomial",
    "rand_like",
    "randn_like",
    "randint_like",
    "_standard_gamma",
    "_sample_dirichlet",
    "poisson",
    "binomial",
    // Its result carries the slopes drawn for non-positive elements.
    "rrelu_with_noise",
    "rrelu_with_noise_",
    // The dropout family and rrelu seen whole (inside inference_mode): their
    // results carry the masks and slopes drawn inside the composite.
    "dropout_",
    "alpha_dropout",
    "alpha_dropout_",
    "feature_dropout",
    "feature_dropout_",
    "feature_alpha_dropout",
    "feature_alpha_dropout_",
    "rrelu",
    "rrelu_",
];

/// `aten.uniform_.default` → `uniform_` (every overload shares its base name).
pub fn base_name(op: &str) -> &str {
    let rest = op.strip_prefix("aten.").unwrap_or(op);
    rest.split('.').next().unwrap_or(rest)
}

/// Whether `op` (any overload) is a random operator.
pub fn is_random(op: &str) -> bool {
    RANDOM_OPS.contains(&base_name(op))
}

/// Whether `op` (a full overload name) returns data from outside the process:
/// torchvision's `image.read_file` gives a file's bytes. Replay feeds its
/// recorded output back, as for a random operator (the file is the
/// recording machine's).
pub fn is_external_input(op: &str) -> bool {
    op == "image.read_file.default"
}

/// Whether `op`'s outputs are uninitialised memory.
pub fn is_uninitialized(op: &str) -> bool {
    UNINITIALIZED_OPS.contains(&base_name(op))
}

/// Why output `index` of `op` is opaque scratch, if it is
/// ([`OPAQUE_OUTPUTS`]).
pub fn opaque_output(op: &str, index: usize) -> Option<&'static str> {
    let base = base_name(op);
    OPAQUE_OUTPUTS
        .iter()
        .find(|(name, i, _)| *name == base && *i == index)
        .map(|(_, _, reason)| *reason)
}

/// Whether a recording under `policy` stores output `index` of `op`.
pub fn keeps_output_value_at(op: &str, index: usize, policy: ValuePolicy) -> bool {
    keeps_output_value(op, policy) && opaque_output(op, index).is_none()
}

/// Whether a recording under `policy` stores the outputs of `op`.
pub fn keeps_output_value(op: &str, policy: ValuePolicy) -> bool {
    match policy {
        ValuePolicy::All | ValuePolicy::Stats => !is_uninitialized(op),
        ValuePolicy::Inputs => is_random(op),
        ValuePolicy::None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overloads_share_their_class() {
        assert_eq!(base_name("aten.sum.dim_IntList"), "sum");
        assert!(is_random("aten.random_.from"));
        assert!(is_random("aten.randint.low"));
        assert!(is_random("aten.randint_like.low_dtype"));
        assert!(is_random("aten.multinomial.default"));
        assert!(is_random("aten._standard_gamma.default"));
        assert!(is_random("aten._sample_dirichlet.default"));
        assert!(is_random("aten.poisson.default"));
        assert!(is_random("aten.binomial.default"));
        assert!(is_uninitialized("aten.empty.memory_format"));
        assert!(!is_random("aten.relu.default"));
        assert!(opaque_output("aten.mkldnn_rnn_layer.default", 3).is_some());
        assert!(opaque_output("aten.mkldnn_rnn_layer.default", 0).is_none());
        assert!(opaque_output("aten._ctc_loss.Tensor", 1).is_some());
        assert!(opaque_output("aten._ctc_loss.default", 1).is_some());
        assert!(opaque_output("aten._ctc_loss.default", 0).is_none());
        assert!(!keeps_output_value_at(
            "aten.mkldnn_rnn_layer.default",
            3,
            ValuePolicy::All
        ));
        assert!(keeps_output_value_at(
            "aten.mkldnn_rnn_layer.default",
            1,
            ValuePolicy::All
        ));
    }

    #[test]
    fn policies() {
        assert!(keeps_output_value("aten.relu.default", ValuePolicy::All));
        assert!(!keeps_output_value(
            "aten.empty.memory_format",
            ValuePolicy::All
        ));
        assert!(keeps_output_value(
            "aten.uniform_.default",
            ValuePolicy::Inputs
        ));
        assert!(!keeps_output_value(
            "aten.relu.default",
            ValuePolicy::Inputs
        ));
        assert!(!keeps_output_value("aten.randn.default", ValuePolicy::None));
    }
}
