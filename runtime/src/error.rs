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

    /// A dtype, device, layout or memory format name that is not known at all.
    #[error("unknown {kind} `{name}`")]
    UnknownName {
        /// `dtype`, `device`, `layout` or `memory format`.
        kind: &'static str,
        /// The name given.
        name: String,
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

    /// A tensor saved for backward was modified in place before backward ran.
    #[error(
        "one of the variables needed for gradient computation has been modified by an inplace \
         operation: {node} saved a tensor at version {saved}; it is now at version {current}"
    )]
    SavedTensorModified {
        /// Node that saved the tensor.
        node: String,
        /// Version when saved.
        saved: u64,
        /// Version now.
        current: u64,
    },

    /// Backward reached a node whose saved tensors were already freed.
    #[error(
        "trying to backward through the graph a second time (or directly access saved tensors \
         after they have already been freed) in {node}; pass retain_graph=true the first time"
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
}

/// Result alias used throughout the crate.
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;
