//! Parameter-free layers: ReLU, GELU, Tanh, Sigmoid, Dropout, MaxPool2d.

use super::{Module, call_n, call1, call1_cpp};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

macro_rules! pointwise {
    ($(#[$doc:meta])* $name:ident, $type_name:literal, $op:literal) => {
        $(#[$doc])*
        pub struct $name {
            training: bool,
        }

        impl $name {
            /// The layer, in training mode.
            pub fn new() -> $name {
                $name { training: true }
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl Module for $name {
            fn type_name(&self) -> &'static str {
                $type_name
            }

            fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
                call1(rt, $op, vec![input.into()])
            }

            fn is_training(&self) -> bool {
                self.training
            }

            fn set_local_training(&mut self, training: bool) {
                self.training = training;
            }
        }
    };
}

pointwise!(
    /// `nn.ReLU()`: `aten.relu`.
    Relu,
    "ReLU",
    "aten.relu.default"
);
pointwise!(
    /// `nn.Tanh()`: `aten.tanh`.
    Tanh,
    "Tanh",
    "aten.tanh.default"
);
pointwise!(
    /// `nn.Sigmoid()`: `aten.sigmoid`.
    Sigmoid,
    "Sigmoid",
    "aten.sigmoid.default"
);

/// `nn.GELU(approximate)`: `aten.gelu`, exact (`'none'`, the default, not
/// passed) or with the tanh approximation (`approximate='tanh'`).
pub struct Gelu {
    /// `approximate='tanh'`.
    pub tanh: bool,
    training: bool,
}

impl Gelu {
    /// `nn.GELU()`: the exact erf form.
    pub fn new() -> Gelu {
        Gelu {
            tanh: false,
            training: true,
        }
    }

    /// `nn.GELU(approximate='tanh')`.
    pub fn tanh() -> Gelu {
        Gelu {
            tanh: true,
            training: true,
        }
    }
}

impl Default for Gelu {
    fn default() -> Gelu {
        Gelu::new()
    }
}

impl Module for Gelu {
    fn type_name(&self) -> &'static str {
        "GELU"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        let mut args = vec![input.into()];
        if self.tanh {
            args.push(IValue::Str("tanh".into()));
        }
        call1(rt, "aten.gelu.default", args)
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// `nn.Dropout(p)`. In training, PyTorch's CPU dropout is a composite:
/// `empty_like(x)`, `bernoulli_(1 - p)` (the mask — a random draw),
/// `div_(1 - p)`, `mul(x, mask)`; in eval it returns its input.
pub struct Dropout {
    /// Probability of zeroing an element.
    pub p: f64,
    training: bool,
}

impl Dropout {
    /// `nn.Dropout(p)`, in training mode.
    pub fn new(p: f64) -> Dropout {
        Dropout { p, training: true }
    }
}

impl Module for Dropout {
    fn type_name(&self) -> &'static str {
        "Dropout"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        if !self.training || self.p == 0.0 {
            return Ok(input.clone());
        }
        let keep = 1.0 - self.p;
        let mask = call1_cpp(rt, "aten.empty_like.default", vec![input.into()])?;
        call1(
            rt,
            "aten.bernoulli_.float",
            vec![(&mask).into(), IValue::Float(keep)],
        )?;
        call1(
            rt,
            "aten.div_.Scalar",
            vec![(&mask).into(), IValue::Float(keep)],
        )?;
        let out = call1(rt, "aten.mul.Tensor", vec![input.into(), (&mask).into()])?;
        rt.drop_tensor(mask);
        Ok(out)
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// `nn.MaxPool2d(kernel_size, stride=kernel_size)`:
/// `max_pool2d_with_indices`, the indices dropped.
pub struct MaxPool2d {
    /// Window size.
    pub kernel_size: i64,
    /// Step between windows.
    pub stride: i64,
    training: bool,
}

impl MaxPool2d {
    /// `nn.MaxPool2d(kernel_size)`.
    pub fn new(kernel_size: i64) -> MaxPool2d {
        MaxPool2d {
            kernel_size,
            stride: kernel_size,
            training: true,
        }
    }
}

impl Module for MaxPool2d {
    fn type_name(&self) -> &'static str {
        "MaxPool2d"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        let k = self.kernel_size;
        let s = self.stride;
        let mut out = call_n(
            rt,
            "aten.max_pool2d_with_indices.default",
            vec![
                input.into(),
                IValue::IntList(vec![k, k]),
                IValue::IntList(vec![s, s]),
                IValue::IntList(vec![0, 0]),
                IValue::IntList(vec![1, 1]),
                IValue::Bool(false),
            ],
        )?
        .into_iter();
        let (Some(values), Some(indices)) = (out.next(), out.next()) else {
            return Err(crate::error::RuntimeError::unsupported(
                "aten.max_pool2d_with_indices.default",
                "a result without values and indices",
            ));
        };
        rt.drop_tensor(indices);
        Ok(values)
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}
