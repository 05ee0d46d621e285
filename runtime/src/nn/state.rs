//! State dicts: PyTorch's names, and `load_state_dict` with PyTorch's
//! checks and messages (observed in torch 2.15):
//!
//! ```text
//! Error(s) in loading state_dict for Sequential:
//!     Missing key(s) in state_dict: "0.bias".
//!     Unexpected key(s) in state_dict: "extra.w", "zzz".
//!     size mismatch for 0.weight: copying a param with shape torch.Size([4, 3]) from checkpoint, the shape in current model is torch.Size([2, 3]).
//! ```
//!
//! (lines after the first start with a tab; each of the key lines ends
//! with `". "`). As in PyTorch, the
//! entries that match are copied even when others make it fail. Size
//! mismatches are
//! errors in strict and non-strict mode; missing and unexpected keys only
//! in strict mode, otherwise they are returned. Missing keys are listed in
//! the module's state-dict order, unexpected keys by the module that would
//! own them (pre-order), then in the given order. A missing
//! `num_batches_tracked` is not an error (PyTorch fills it in for state
//! dicts without version metadata; the module keeps its count).

use crate::error::RuntimeError;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// An ordered state dict: `(name, tensor)` pairs.
pub type StateDict = Vec<(String, Tensor)>;

/// Errors of the nn layer that are not operator errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NnError {
    /// `load_state_dict` refused the state dict (PyTorch's
    /// `RuntimeError` text).
    #[error("Error(s) in loading state_dict for {module}:\n\t{}", .errors.join("\n\t"))]
    LoadStateDict {
        /// The module's class name.
        module: String,
        /// One message per problem, in PyTorch's order.
        errors: Vec<String>,
    },
    /// Random values could not be read from a recording.
    #[error("random values from {path}: {detail}")]
    RandomSource {
        /// The trace.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// A native program's trace could not be written.
    #[error("cannot write {path}: {detail}")]
    Output {
        /// The trace.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// An operator failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// What a non-strict `load_state_dict` did not match
/// (`_IncompatibleKeys`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncompatibleKeys {
    /// Module entries the state dict lacks.
    pub missing_keys: Vec<String>,
    /// State dict entries the module lacks.
    pub unexpected_keys: Vec<String>,
}

fn torch_size(shape: &[i64]) -> String {
    let dims: Vec<String> = shape.iter().map(i64::to_string).collect();
    format!("torch.Size([{}])", dims.join(", "))
}

fn quoted(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The module (by pre-order index) that owns `key`: the one with the
/// longest prefix `key` starts with.
fn owner(key: &str, prefixes: &[(String, Vec<&'static str>)]) -> usize {
    let mut best = (0, 0);
    for (i, (p, _)) in prefixes.iter().enumerate() {
        if !p.is_empty()
            && key.starts_with(p.as_str())
            && key[p.len()..].starts_with('.')
            && p.len() > best.1
        {
            best = (i, p.len());
        }
    }
    best.0
}

fn is_optional(key: &str, prefixes: &[(String, Vec<&'static str>)]) -> bool {
    prefixes.iter().any(|(p, keys)| {
        keys.iter().any(|k| {
            if p.is_empty() {
                key == *k
            } else {
                key.strip_prefix(p.as_str())
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|r| r == *k)
            }
        })
    })
}

/// `load_state_dict` for a module whose own state dict is `own`, with
/// module prefixes `prefixes` (pre-order, root first).
pub(crate) fn load(
    type_name: &str,
    own: &[(String, Tensor)],
    prefixes: &[(String, Vec<&'static str>)],
    rt: &mut Runtime,
    given: &[(String, Tensor)],
    strict: bool,
) -> Result<IncompatibleKeys, NnError> {
    let lookup = |k: &str| given.iter().find(|(n, _)| n == k).map(|(_, t)| t);
    let mut errors = Vec::new();
    let mut missing = Vec::new();
    let mut copies = Vec::new();
    for (name, t) in own {
        match lookup(name) {
            Some(src) if src.shape() != t.shape() => errors.push(format!(
                "size mismatch for {name}: copying a param with shape {} from checkpoint, the \
                 shape in current model is {}.",
                torch_size(src.shape()),
                torch_size(t.shape())
            )),
            Some(src) => copies.push((t.clone(), src.clone())),
            None if is_optional(name, prefixes) => {}
            None => missing.push(name.clone()),
        }
    }
    let mut unexpected: Vec<(usize, usize, String)> = given
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| !own.iter().any(|(o, _)| o == n))
        .map(|(i, (n, _))| (owner(n, prefixes), i, n.clone()))
        .collect();
    unexpected.sort();
    let unexpected: Vec<String> = unexpected.into_iter().map(|(_, _, n)| n).collect();
    if strict {
        if !unexpected.is_empty() {
            errors.insert(
                0,
                format!("Unexpected key(s) in state_dict: {}. ", quoted(&unexpected)),
            );
        }
        if !missing.is_empty() {
            errors.insert(
                0,
                format!("Missing key(s) in state_dict: {}. ", quoted(&missing)),
            );
        }
    }
    if !strict
        && (!missing.is_empty() || !unexpected.is_empty())
        && rt.faults().nonstrict_load_copies_nothing
    {
        copies.clear();
    }
    let mode = rt.grad_mode();
    rt.set_grad_mode(false, mode.1);
    let mut result = Ok(());
    for (dst, src) in &copies {
        if let Err(e) = rt.call("aten.copy_.default", vec![IValue::from(dst), src.into()]) {
            result = Err(e);
            break;
        }
    }
    rt.set_grad_mode(mode.0, mode.1);
    result?;
    if !errors.is_empty() {
        return Err(NnError::LoadStateDict {
            module: type_name.to_owned(),
            errors,
        });
    }
    Ok(IncompatibleKeys {
        missing_keys: missing,
        unexpected_keys: unexpected,
    })
}
