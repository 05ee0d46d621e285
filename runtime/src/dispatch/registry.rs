//! The operator registry: schemas ingested from `native_functions.yaml`
//! lines, each with its kernel and its per-key handlers.
//!
//! The table is [`NATIVE_FUNCTIONS`] (the files in `native_functions/` next
//! to this module, one per operator family; an overload may appear in only
//! one of them). Each entry is a `- func:` line and an optional
//! `dispatch:` line. Which handler each dispatch key has for an operator is
//! derived from the schema the way PyTorch's code generator derives it, and
//! was checked against `torch._C._dispatch_dump_table` for every operator here:
//!
//! * `Autograd<Backend>`: an autograd kernel, or `math` for
//!   CompositeImplicitAutograd operators (which have no other kernel);
//! * `ADInplaceOrView`: a kernel for in-place operators (`Tensor(a!)`
//!   self), `out=` variants (a keyword-only `Tensor(a!) out`) and views
//!   (`-> Tensor(a)`) that are not composites, otherwise a fallthrough;
//! * `BackendSelect`: a kernel for operators with the TensorOptions group
//!   (`dtype, layout, device, pin_memory`) except `*_like` and `new_*`,
//!   composites included, otherwise a fallthrough;
//! * `AutocastCPU`: a kernel for the operators on autocast's lists
//!   ([`super::autocast::CPU_KERNELS`]), otherwise a fallthrough;
//! * backend keys (`CPU`, `Meta`): the kernel;
//! * `SparseCPU`: a kernel for the operators the sparse COO layout has
//!   ([`crate::kernels::sparse_ops`]), otherwise a fallthrough;
//! * `NestedTensorCPU`: a kernel for the operators the runtime has for
//!   nested tensors ([`crate::kernels::nested_ops`]), otherwise a
//!   fallthrough;
//! * `Negative`: the boxed fallback (a kernel) unless ATen registers a
//!   fallthrough ([`super::negative`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::key::DispatchKey;
use super::schema::{FunctionSchema, SchemaError};
use crate::error::{Result, RuntimeError};

/// The built-in operator table: `(file, text)` per operator family.
pub const NATIVE_FUNCTIONS: &[(&str, &str)] = &[
    ("core.yaml", include_str!("native_functions/core.yaml")),
    (
        "elementwise.yaml",
        include_str!("native_functions/elementwise.yaml"),
    ),
    ("reduce.yaml", include_str!("native_functions/reduce.yaml")),
    ("shape.yaml", include_str!("native_functions/shape.yaml")),
    ("nn.yaml", include_str!("native_functions/nn.yaml")),
    ("rnn.yaml", include_str!("native_functions/rnn.yaml")),
    ("linalg.yaml", include_str!("native_functions/linalg.yaml")),
    (
        "factory.yaml",
        include_str!("native_functions/factory.yaml"),
    ),
    (
        "foreach.yaml",
        include_str!("native_functions/foreach.yaml"),
    ),
    (
        "composite.yaml",
        include_str!("native_functions/composite.yaml"),
    ),
    (
        "complex.yaml",
        include_str!("native_functions/complex.yaml"),
    ),
    ("fft.yaml", include_str!("native_functions/fft.yaml")),
    (
        "special.yaml",
        include_str!("native_functions/special.yaml"),
    ),
    (
        "utility.yaml",
        include_str!("native_functions/utility.yaml"),
    ),
    (
        "statistics.yaml",
        include_str!("native_functions/statistics.yaml"),
    ),
    (
        "distributions.yaml",
        include_str!("native_functions/distributions.yaml"),
    ),
    ("sparse.yaml", include_str!("native_functions/sparse.yaml")),
    ("nested.yaml", include_str!("native_functions/nested.yaml")),
    ("image.yaml", include_str!("native_functions/image.yaml")),
    (
        "torchvision.yaml",
        include_str!("native_functions/torchvision.yaml"),
    ),
    ("out.yaml", include_str!("native_functions/out.yaml")),
    (
        "composite_out.yaml",
        include_str!("native_functions/composite_out.yaml"),
    ),
];

/// How a dispatch key handles an operator (the `handler` of a chain step).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Handler {
    /// Autograd kernel: records the graph, redispatches below autograd.
    Autograd,
    /// The key is skipped.
    Fallthrough,
    /// A real kernel (backend, BackendSelect, ADInplaceOrView).
    Kernel,
    /// A composite kernel that decomposes into further operator calls.
    Math,
}

impl Handler {
    /// The wire name (`autograd`, `fallthrough`, `kernel`, `math`).
    pub fn name(self) -> &'static str {
        match self {
            Handler::Autograd => "autograd",
            Handler::Fallthrough => "fallthrough",
            Handler::Kernel => "kernel",
            Handler::Math => "math",
        }
    }
}

/// One registered operator.
#[derive(Clone, Debug)]
pub struct OpEntry {
    /// The parsed schema.
    pub schema: FunctionSchema,
    /// `aten.<name>.<overload>`.
    pub python_name: String,
    /// The `dispatch:` line (where PyTorch registers the backend kernel).
    pub dispatch: String,
}

impl OpEntry {
    /// Whether the operator is CompositeImplicitAutograd.
    pub fn is_composite_implicit(&self) -> bool {
        self.dispatch == "CompositeImplicitAutograd"
    }

    /// Whether a program calls this operator through one of PyTorch's Python
    /// tensor-factory bindings (`torch.randn`, `torch.empty`,
    /// `torch.ones_like`, ...): a `*_like` function, or a function with the
    /// TensorOptions group and no tensor argument. Those bindings run the
    /// operator below autograd and ADInplaceOrView
    /// (`AutoDispatchBelowADInplaceOrView`); verified in torch 2.15 by
    /// registering probes at both keys, which `torch.randn` never reaches.
    /// Operators with a tensor argument and TensorOptions (`_to_copy`,
    /// `new_empty_strided`) are reached from methods or C++ and dispatch
    /// normally.
    pub fn is_python_factory(&self) -> bool {
        self.schema.name.ends_with("_like")
            || (self.schema.has_tensor_options()
                && !self.schema.arguments.iter().any(|a| a.ty.is_tensor_like()))
    }

    /// The handler `key` has for this operator.
    pub fn handler(&self, key: DispatchKey) -> Handler {
        let composite = self.is_composite_implicit();
        if key.is_autograd() {
            return if composite {
                Handler::Math
            } else {
                Handler::Autograd
            };
        }
        match key {
            // `_foreach_*_` (a `Tensor(a!)[]` self) have no ADInplaceOrView
            // kernel: observed fallthrough in torch 2.15's dispatch tables.
            // `lift_fresh` (`Tensor(a) self -> Tensor(a)`, what `torch.tensor`
            // hands its result through) has no ADInplaceOrView kernel either:
            // observed fallthrough in torch 2.15. `detach_` neither (its
            // autograd kernel is VariableTypeManual's and stops there).
            DispatchKey::ADInplaceOrView
                if !composite
                    && ((self.schema.is_inplace()
                        && !self.schema.self_is_list()
                        && self.schema.name != "detach_")
                        || self.schema.is_out()
                        || (self.schema.is_view() && self.schema.name != "lift_fresh")) =>
            {
                Handler::Kernel
            }
            // Three composites are the exception: `chunk` and `narrow` have
            // ADInplaceOrView kernels in torch 2.15 (their pieces are views
            // of the input), seen in the chain when inference_mode shows
            // them whole on a normal tensor; so has `matmul.out`, alone of
            // the composites' `out=` overloads.
            DispatchKey::ADInplaceOrView
                if composite
                    && matches!(
                        self.python_name.as_str(),
                        "aten.chunk.default" | "aten.narrow.default" | "aten.matmul.out"
                    ) =>
            {
                Handler::Kernel
            }
            // Composites are no exception: `to.dtype_layout` and the sparse
            // constructors (CompositeImplicitAutograd) have BackendSelect
            // kernels in torch 2.15, seen when inference_mode shows them whole.
            DispatchKey::BackendSelect
                if self.schema.has_tensor_options()
                    && !self.schema.name.ends_with("_like")
                    && !self.schema.name.starts_with("new_") =>
            {
                Handler::Kernel
            }
            k if k.is_dense_backend() => {
                if composite {
                    Handler::Math
                } else {
                    Handler::Kernel
                }
            }
            // A composite fills every backend slot of PyTorch's table,
            // the sparse ones too (`to_dense`'s SparseCPU: math).
            DispatchKey::SparseCPU if composite => Handler::Math,
            DispatchKey::SparseCPU if crate::kernels::sparse_ops::has_kernel(&self.python_name) => {
                Handler::Kernel
            }
            DispatchKey::NestedTensorCPU
                if crate::kernels::nested_ops::has_kernel(&self.python_name) =>
            {
                Handler::Kernel
            }
            k if super::autocast::has_kernel(k, &self.python_name) => Handler::Kernel,
            // The Negative fallback is a boxed kernel for everything it
            // does not let through.
            DispatchKey::Negative if !super::negative::falls_through(&self.python_name) => {
                Handler::Kernel
            }
            _ => Handler::Fallthrough,
        }
    }
}

/// All registered operators, by Python overload name.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    entries: BTreeMap<String, OpEntry>,
}

impl Registry {
    /// Parses a `native_functions.yaml`-style table: `- func: <schema>` lines,
    /// each optionally followed by an indented `dispatch: <kind>` line.
    /// Comments and blank lines are ignored; anything else is an error.
    pub fn parse(text: &str) -> Result<Registry, SchemaError> {
        let mut entries = BTreeMap::new();
        let mut last: Option<String> = None;
        for (lineno, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(func) = line.strip_prefix("- func:") {
                let schema = FunctionSchema::parse(func.trim())?;
                let python_name = schema.python_name();
                if entries.contains_key(&python_name) {
                    return Err(SchemaError {
                        schema: func.trim().to_owned(),
                        reason: format!("line {}: duplicate operator {python_name}", lineno + 1),
                    });
                }
                if entries.contains_key(&python_name) {
                    return Err(SchemaError {
                        schema: line.to_owned(),
                        reason: format!("line {}: `{python_name}` is registered twice", lineno + 1),
                    });
                }
                entries.insert(
                    python_name.clone(),
                    OpEntry {
                        schema,
                        python_name: python_name.clone(),
                        dispatch: "CPU, Meta".into(),
                    },
                );
                last = Some(python_name);
            } else if let Some(kind) = line.strip_prefix("dispatch:") {
                let entry = last
                    .as_ref()
                    .and_then(|n| entries.get_mut(n))
                    .ok_or_else(|| SchemaError {
                        schema: line.to_owned(),
                        reason: format!("line {}: `dispatch:` before any `- func:`", lineno + 1),
                    })?;
                entry.dispatch = kind.trim().to_owned();
            } else {
                return Err(SchemaError {
                    schema: line.to_owned(),
                    reason: format!("line {}: expected `- func:` or `dispatch:`", lineno + 1),
                });
            }
        }
        Ok(Registry { entries })
    }

    /// Parses several tables (`(file, text)`) into one; errors name the file,
    /// and an overload registered in two files is an error.
    pub fn parse_files(files: &[(&str, &str)]) -> Result<Registry, SchemaError> {
        let mut entries = BTreeMap::new();
        for (file, text) in files {
            let part = Registry::parse(text).map_err(|e| SchemaError {
                schema: e.schema,
                reason: format!("{file}: {}", e.reason),
            })?;
            for (name, entry) in part.entries {
                if entries.insert(name.clone(), entry).is_some() {
                    return Err(SchemaError {
                        schema: name,
                        reason: format!("{file}: registered in another file too"),
                    });
                }
            }
        }
        Ok(Registry { entries })
    }

    /// The built-in table ([`NATIVE_FUNCTIONS`]).
    pub fn builtin() -> Result<&'static Registry> {
        static BUILTIN: LazyLock<Result<Registry, SchemaError>> =
            LazyLock::new(|| Registry::parse_files(NATIVE_FUNCTIONS));
        BUILTIN
            .as_ref()
            .map_err(|e| RuntimeError::Schema(e.clone()))
    }

    /// The operator called `op` (`aten.addmm.default`), or
    /// [`RuntimeError::UnknownOp`].
    pub fn get(&self, op: &str) -> Result<&OpEntry> {
        self.entries
            .get(op)
            .ok_or_else(|| RuntimeError::UnknownOp { op: op.to_owned() })
    }

    /// Every operator, by name.
    pub fn ops(&self) -> impl Iterator<Item = &OpEntry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DispatchKey::*;

    fn registry() -> &'static Registry {
        Registry::builtin().expect("builtin table parses")
    }

    #[test]
    fn unknown_op_fails_closed_and_names_it() {
        let err = registry()
            .get("aten.frobnicate.default")
            .expect_err("unknown");
        assert!(matches!(&err, RuntimeError::UnknownOp { op } if op == "aten.frobnicate.default"));
        assert!(err.to_string().contains("aten.frobnicate.default"));
        // An existing name with an unknown overload is unknown too.
        assert!(registry().get("aten.sum.dim_DimnameList").is_err());
    }

    #[test]
    fn table_rejects_garbage() {
        assert!(Registry::parse("- func: f(Quaternion q) -> Tensor").is_err());
        assert!(Registry::parse("  dispatch: CPU").is_err());
        assert!(
            Registry::parse("- func: f(Tensor a) -> Tensor\n- func: f(Tensor b) -> Tensor")
                .is_err()
        );
        assert!(Registry::parse("func f").is_err());
    }

    /// Handlers for (AutogradCPU, ADInplaceOrView, BackendSelect, CPU), as
    /// `torch._C._dispatch_dump_table` prints them in torch 2.15
    /// ("autograd kernel" / "fallthrough" / "kernel" / "math kernel").
    #[test]
    fn handlers_match_torch_dispatch_tables() {
        use Handler::{Autograd as A, Fallthrough as F, Kernel as K, Math as M};
        let expected: &[(&str, [Handler; 4])] = &[
            ("aten.t.default", [A, K, F, K]),
            ("aten.addmm.default", [A, F, F, K]),
            ("aten.relu.default", [A, F, F, K]),
            ("aten.mse_loss.default", [A, F, F, K]),
            ("aten.empty.memory_format", [A, F, K, K]),
            ("aten.uniform_.default", [A, K, F, K]),
            ("aten.randn.default", [A, F, K, K]),
            ("aten.detach.default", [A, K, F, K]),
            ("aten.add_.Tensor", [A, K, F, K]),
            ("aten.ones_like.default", [A, F, F, K]),
            ("aten.mse_loss_backward.default", [A, F, F, K]),
            ("aten.mm.default", [A, F, F, K]),
            ("aten.sum.dim_IntList", [A, F, F, K]),
            ("aten.view.default", [A, K, F, K]),
            ("aten.threshold_backward.default", [A, F, F, K]),
            ("aten.expand.default", [A, K, F, K]),
            ("aten.sum.default", [A, F, F, K]),
            ("aten.mul.Tensor", [A, F, F, K]),
            ("aten.add.Tensor", [A, F, F, K]),
            ("aten.new_empty_strided.default", [A, F, F, K]),
            ("aten.copy_.default", [A, K, F, K]),
            ("aten._to_copy.default", [A, F, K, K]),
            ("aten.mul.Scalar", [A, F, F, K]),
            ("aten.clone.default", [A, F, F, K]),
            ("aten.linear.default", [M, F, F, M]),
            ("aten.to.dtype_layout", [M, F, K, M]),
            ("aten.to.dtype", [M, F, F, M]),
            ("aten.chunk.default", [M, K, F, M]),
            ("aten.narrow.default", [M, K, F, M]),
            ("aten.narrow.Tensor", [M, F, F, M]),
            ("aten.max.other", [M, F, F, M]),
            ("aten.zeros_like.default", [A, F, F, K]),
            ("aten.empty_like.default", [A, F, F, K]),
            ("aten.unsqueeze.default", [A, K, F, K]),
            ("aten.zero_.default", [A, K, F, K]),
            ("aten.fill_.Scalar", [A, K, F, K]),
            ("aten.empty_strided.default", [A, F, K, K]),
            ("aten.sub.Tensor", [A, F, F, K]),
            ("aten.neg.default", [A, F, F, K]),
            ("aten.rand.default", [A, F, K, K]),
            ("aten.normal_.default", [A, K, F, K]),
            ("aten.zeros.default", [A, F, K, K]),
            ("aten.ones.default", [A, F, K, K]),
            ("aten._foreach_add_.List", [A, F, F, K]),
            ("aten._foreach_sqrt.default", [A, F, F, K]),
        ];
        for (op, want) in expected {
            let e = registry().get(op).expect("registered");
            let got = [AutogradCPU, ADInplaceOrView, BackendSelect, CPU].map(|k| e.handler(k));
            assert_eq!(&got, want, "{op}");
            assert_eq!(e.handler(AutogradMeta), want[0], "{op} on meta");
            assert_eq!(e.handler(Meta), want[3], "{op} on meta");
        }
    }

    #[test]
    fn python_factories() {
        for op in [
            "aten.randn.default",
            "aten.empty.memory_format",
            "aten.ones_like.default",
        ] {
            assert!(registry().get(op).expect("op").is_python_factory(), "{op}");
        }
        for op in [
            "aten.new_empty_strided.default",
            "aten.add.Tensor",
            "aten._to_copy.default",
        ] {
            assert!(!registry().get(op).expect("op").is_python_factory(), "{op}");
        }
    }
}
