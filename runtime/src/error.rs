//! The one error type of `ft-runtime`.
//!
//! Every failure that input can cause — an operator name the registry does not
//! know, an argument of the wrong type, shapes that do not broadcast, a dtype
//! the kernels do not implement, a saved tensor modified in place — is a
//! [`RuntimeError`] variant that names the operator (or API call) and the
//! argument involved. The runtime never panics on input-derived data.

use crate::dispatch::schema::SchemaError;

/// What went wrong, with the operator and argument it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// No schema is registered under this overload name (fail closed).
    #[error("unknown operator `{op}`: no schema is registered under this overload name")]
    UnknownOp {
        /// The overload name as given (`aten.foo.default`).
        op: String,
    },

    /// The operator exists but this use of it is not implemented.
    #[error("`{op}`: {what} is not supported by ft-runtime")]
    Unsupported {
        /// Operator (or API call) name.
        op: String,
        /// What is missing.
        what: String,
    },

    /// An argument does not have the type the schema asks for.
    #[error("`{op}`: argument `{arg}` expected {expected}, got {got}")]
    ArgumentType {
        /// Operator name.
        op: String,
        /// Schema argument name.
        arg: String,
        /// Schema type.
        expected: String,
        /// What was passed.
        got: String,
    },

    /// More positional arguments than the schema has.
    #[error("`{op}`: {given} arguments given, the schema takes at most {max}")]
    TooManyArguments {
        /// Operator name.
        op: String,
        /// Arguments passed.
        given: usize,
        /// Schema arity.
        max: usize,
    },

    /// A required argument (one without a default) was not passed.
    #[error("`{op}`: missing required argument `{arg}`")]
    MissingArgument {
        /// Operator name.
        op: String,
        /// Schema argument name.
        arg: String,
    },

    /// Shapes, strides, dimensions or sizes are inconsistent.
    #[error("`{op}`: {message}")]
    Shape {
        /// Operator (or API call) name.
        op: String,
        /// PyTorch-style description of the mismatch.
        message: String,
    },

    /// An index out of range where PyTorch raises `IndexError`
    /// (`index.Tensor`, `embedding`, `nll_loss` targets).
    #[error("`{op}`: {message}")]
    Index {
        /// Operator name.
        op: String,
        /// PyTorch's message (`index 5 is out of bounds for dimension 0 with size 3`).
        message: String,
    },

    /// The dtype is known but no kernel implements it for this operator.
    #[error("`{op}`: dtype {dtype} is not supported (argument `{arg}`)")]
    UnsupportedDtype {
        /// Operator name.
        op: String,
        /// Argument that carried the dtype.
        arg: String,
        /// dtype name.
        dtype: String,
    },

    /// A computed result type cannot be written into the output's dtype
    /// (PyTorch's in-place casting rule).
    #[error("`{op}`: {message}")]
    TypeCast {
        /// Operator name.
        op: String,
        /// PyTorch's message (`result type Float can't be cast to ...`).
        message: String,
    },

    /// A kernel PyTorch compiles for some dtypes only refused this one, as
    /// PyTorch's CPU kernel refuses it too (`"cdist" not implemented for
    /// 'Half'`, a NotImplementedError): an error of the program, not a gap
    /// of the runtime.
    #[error("`{op}`: {message}")]
    KernelDtype {
        /// Operator name.
        op: String,
        /// PyTorch's message.
        message: String,
    },

    /// A linear-algebra routine failed on the values it was given (a matrix
    /// that is not positive-definite, a singular matrix): PyTorch's
    /// `torch.linalg.LinAlgError` (class `_LinAlgError`), the program's
    /// error.
    #[error("`{op}`: {message}")]
    LinAlg {
        /// Operator name.
        op: String,
        /// PyTorch's message.
        message: String,
    },

    /// A dtype, device, layout or memory format name that is not known at all.
    #[error("unknown {kind} `{name}`")]
    UnknownName {
        /// `dtype`, `device`, `layout` or `memory format`.
        kind: &'static str,
        /// The name given.
        name: String,
    },

    /// Program code the runtime called back (a backward hook) raised this
    /// exception, as Python shows it (`"ValueError: gradient rejected"`).
    #[error("a hook raised {exception}")]
    Raised {
        /// `"Type: message"`.
        exception: String,
    },

    /// Tensors on different devices met in one operator.
    #[error(
        "`{op}`: expected all tensors to be on the same device, but found {first} and {second}"
    )]
    DeviceMismatch {
        /// Operator name.
        op: String,
        /// First device seen.
        first: String,
        /// The conflicting device.
        second: String,
    },

    /// Data was requested from a tensor that has none (a `meta` tensor).
    #[error("`{op}`: cannot read data of a meta tensor; it has no data")]
    NoData {
        /// Operator (or API call) name.
        op: String,
    },

    /// An autograd rule was violated (PyTorch raises the same condition).
    #[error("autograd: {message}")]
    Autograd {
        /// PyTorch-style message.
        message: String,
    },

    /// A tensor saved for backward was modified in place before backward
    /// ran; the message is PyTorch's (observed in torch 2.15).
    #[error(
        "one of the variables needed for gradient computation has been modified by an inplace \
         operation: {tensor}{} is at version {current}; expected version {saved} instead. Hint: \
         {}",
        .output_of.as_ref().map(|o| format!(", which is {o},")).unwrap_or_default(),
        if *.anomaly {
            "the backtrace further above shows the operation that failed to compute its \
             gradient. The variable in question was changed in there or anywhere later. Good luck!"
        } else {
            "enable anomaly detection to find the operation that failed to compute its \
             gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
        }
    )]
    SavedTensorModified {
        /// Node that saved the tensor.
        node: String,
        /// The tensor as PyTorch describes it: `[torch.FloatTensor [2, 3]]`.
        tensor: String,
        /// `output 0 of Exp`: the tensor's history (the saving node for a
        /// saved output, the current `grad_fn` for a saved input); `None`
        /// for a tensor without history.
        output_of: Option<String>,
        /// Version when saved.
        saved: u64,
        /// Version now.
        current: u64,
        /// Whether anomaly mode was on: PyTorch's hint then points at the
        /// forward stack trace it printed instead of recommending the mode.
        anomaly: bool,
    },

    /// Backward reached a node whose saved tensors were already freed
    /// (PyTorch's message; `node` is not part of it).
    #[error(
        "Trying to backward through the graph a second time (or directly access saved tensors \
         after they have already been freed). Saved intermediate values of the graph are freed \
         when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to \
         backward through the graph a second time or if you need to access saved tensors after \
         calling backward."
    )]
    GraphFreed {
        /// The node.
        node: String,
    },

    /// Values handed to [`crate::Runtime::provide_random_values`] do not fit the next random op.
    #[error("`{op}`: {expected} random values needed, {got} were provided")]
    RandomValues {
        /// The random operator.
        op: String,
        /// Elements of its output.
        expected: usize,
        /// Values provided.
        got: usize,
    },

    /// The operator schema table could not be parsed.
    #[error("schema: {0}")]
    Schema(#[from] SchemaError),
}

impl RuntimeError {
    pub(crate) fn shape(op: &str, message: impl Into<String>) -> RuntimeError {
        RuntimeError::Shape {
            op: op.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn unsupported(op: &str, what: impl Into<String>) -> RuntimeError {
        RuntimeError::Unsupported {
            op: op.to_owned(),
            what: what.into(),
        }
    }

    pub(crate) fn autograd(message: impl Into<String>) -> RuntimeError {
        RuntimeError::Autograd {
            message: message.into(),
        }
    }

    pub(crate) fn index(op: &str, message: impl Into<String>) -> RuntimeError {
        RuntimeError::Index {
            op: op.to_owned(),
            message: message.into(),
        }
    }

    /// The Python exception class PyTorch raises for this error. A
    /// dimension out of range is an `IndexError` wherever it is checked
    /// (observed in torch 2.15: `sum`, `transpose`, `softmax` with a bad
    /// `dim`).
    pub fn python_class(&self) -> &'static str {
        match self {
            RuntimeError::Index { .. } => "IndexError",
            RuntimeError::Shape { message, .. }
                if message.starts_with("Dimension out of range") =>
            {
                "IndexError"
            }
            RuntimeError::ArgumentType { .. }
            | RuntimeError::TooManyArguments { .. }
            | RuntimeError::MissingArgument { .. } => "TypeError",
            RuntimeError::UnknownName { .. } => "ValueError",
            RuntimeError::LinAlg { .. } => "_LinAlgError",
            RuntimeError::UnknownOp { .. }
            | RuntimeError::Unsupported { .. }
            | RuntimeError::UnsupportedDtype { .. }
            | RuntimeError::KernelDtype { .. } => "NotImplementedError",
            _ => "RuntimeError",
        }
    }

    /// The exception as Python shows it, `"Type: message"` — what an
    /// `op_error`, `graph_task_error` or `program_error` event records. The
    /// message is PyTorch's own for the errors it shares with PyTorch
    /// (shapes, indices, casts, autograd); the operator name is not
    /// prepended (PyTorch puts it in the message where it does: `mm: ...`).
    pub fn python_message(&self) -> String {
        if let RuntimeError::Raised { exception } = self {
            return exception.clone();
        }
        let message = match self {
            RuntimeError::Shape { message, .. }
            | RuntimeError::Index { message, .. }
            | RuntimeError::TypeCast { message, .. }
            | RuntimeError::KernelDtype { message, .. }
            | RuntimeError::LinAlg { message, .. }
            | RuntimeError::Autograd { message } => message.clone(),
            other => other.to_string(),
        };
        format!("{}: {message}", self.python_class())
    }

    /// Whether the error says the runtime lacks something (an operator, a
    /// kernel, a dtype) rather than what PyTorch would raise too.
    pub fn is_capability_gap(&self) -> bool {
        matches!(
            self,
            RuntimeError::UnknownOp { .. }
                | RuntimeError::Unsupported { .. }
                | RuntimeError::UnsupportedDtype { .. }
                | RuntimeError::Schema(_)
        )
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;
