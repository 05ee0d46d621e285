//! `IValue`: an operator argument or result (PyTorch's boxed value).
//!
//! [`crate::Runtime::call`] takes and returns `IValue`s positionally in schema
//! order. A Python number passed where the schema says `Tensor` (`x * 2`)
//! stays an `Int`/`Float`: PyTorch turns it into a "wrapped number" tensor
//! that the dispatch mode — and therefore the trace — shows as the plain
//! number, and so do we.

use ft_trace::{TensorRef, Value};

use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::{Layout, MemoryFormat};

/// A boxed operator argument or result.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum IValue {
    /// `None` (absent optional).
    None,
    /// `bool`.
    Bool(bool),
    /// `int` / `SymInt` (also a wrapped-number tensor argument).
    Int(i64),
    /// `float` (also a wrapped-number tensor argument).
    Float(f64),
    /// A Python `complex` `(re, im)` given for a `Scalar` or `Tensor`
    /// argument (PolarBackward0's `result * 1j`; format 2.2 value tag 11).
    Complex(f64, f64),
    /// `str`.
    Str(String),
    /// A tensor.
    Tensor(Tensor),
    /// `Tensor[]`.
    TensorList(Vec<Tensor>),
    /// `Tensor?[]` with at least one `None` entry (`x[:, idx]`'s indices);
    /// a `Tensor?[]` without `None` is a [`IValue::TensorList`].
    OptionalTensorList(Vec<Option<Tensor>>),
    /// `int[]` / `SymInt[]`.
    IntList(Vec<i64>),
    /// `float[]`.
    FloatList(Vec<f64>),
    /// `Scalar[]` mixing Python ints and floats (`[1, 2.5]`): each element
    /// an `Int`, `Float` or `Bool`, so that each keeps its kind (it decides
    /// type promotion and how the trace records it).
    ScalarList(Vec<IValue>),
    /// `bool[]`.
    BoolList(Vec<bool>),
    /// `ScalarType`.
    Dtype(DType),
    /// `Device`.
    Device(Device),
    /// `Layout`.
    Layout(Layout),
    /// `MemoryFormat`.
    MemoryFormat(MemoryFormat),
}

impl IValue {
    /// Short type description for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            IValue::None => "None",
            IValue::Bool(_) => "bool",
            IValue::Int(_) => "int",
            IValue::Float(_) => "float",
            IValue::Complex(..) => "complex",
            IValue::Str(_) => "str",
            IValue::Tensor(_) => "Tensor",
            IValue::TensorList(_) => "Tensor[]",
            IValue::OptionalTensorList(_) => "Tensor?[]",
            IValue::IntList(_) => "int[]",
            IValue::FloatList(_) => "float[]",
            IValue::ScalarList(_) => "Scalar[]",
            IValue::BoolList(_) => "bool[]",
            IValue::Dtype(_) => "ScalarType",
            IValue::Device(_) => "Device",
            IValue::Layout(_) => "Layout",
            IValue::MemoryFormat(_) => "MemoryFormat",
        }
    }

    /// The tensor, if this is one.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            IValue::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// The tensor, if this is one.
    pub fn into_tensor(self) -> Option<Tensor> {
        match self {
            IValue::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// Every tensor inside this value, in order, by value.
    pub fn into_tensors(self) -> Vec<Tensor> {
        match self {
            IValue::Tensor(t) => vec![t],
            IValue::TensorList(ts) => ts,
            IValue::OptionalTensorList(ts) => ts.into_iter().flatten().collect(),
            _ => Vec::new(),
        }
    }

    /// Every tensor inside this value, in order.
    pub fn tensors(&self) -> Vec<&Tensor> {
        match self {
            IValue::Tensor(t) => vec![t],
            IValue::TensorList(ts) => ts.iter().collect(),
            IValue::OptionalTensorList(ts) => ts.iter().flatten().collect(),
            _ => Vec::new(),
        }
    }

    /// Converts a recorded trace value, resolving tensor references with
    /// `resolve` (replay maps recorded ids to its live tensors).
    pub fn from_trace_value(
        value: &Value,
        resolve: &mut dyn FnMut(&TensorRef) -> Result<Tensor>,
    ) -> Result<IValue> {
        Ok(match value {
            Value::None => IValue::None,
            Value::Bool(b) => IValue::Bool(*b),
            Value::Int(i) => IValue::Int(*i),
            Value::Float(x) => IValue::Float(*x),
            Value::Complex { re, im } => IValue::Complex(*re, *im),
            Value::Str(s) => IValue::Str(s.to_string()),
            Value::Tensor(t) => IValue::Tensor(resolve(t)?),
            Value::Dtype(s) => IValue::Dtype(DType::from_name(s)?),
            Value::Device(s) => IValue::Device(Device::from_name(s)?),
            Value::Layout(s) => IValue::Layout(Layout::from_name(s)?),
            Value::MemoryFormat(s) => IValue::MemoryFormat(MemoryFormat::from_name(s)?),
            Value::List(items) => list_from_trace(items, resolve)?,
            other => {
                return Err(RuntimeError::unsupported(
                    "IValue::from_trace_value",
                    format!("trace value {other}"),
                ));
            }
        })
    }
}

fn list_from_trace(
    items: &[Value],
    resolve: &mut dyn FnMut(&TensorRef) -> Result<Tensor>,
) -> Result<IValue> {
    if items.iter().all(|v| matches!(v, Value::Int(_))) {
        return Ok(IValue::IntList(
            items
                .iter()
                .filter_map(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })
                .collect(),
        ));
    }
    if items.iter().all(|v| matches!(v, Value::Bool(_))) {
        return Ok(IValue::BoolList(
            items
                .iter()
                .filter_map(|v| match v {
                    Value::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect(),
        ));
    }
    let numbers = items
        .iter()
        .all(|v| matches!(v, Value::Int(_) | Value::Float(_)));
    if numbers && items.iter().any(|v| matches!(v, Value::Int(_))) {
        // Ints among floats: a `Scalar[]` (a `float[]` argument takes it as
        // floats when bound).
        return Ok(IValue::ScalarList(
            items
                .iter()
                .map(|v| match v {
                    Value::Int(i) => IValue::Int(*i),
                    Value::Float(x) => IValue::Float(*x),
                    _ => IValue::None,
                })
                .collect(),
        ));
    }
    if numbers {
        return Ok(IValue::FloatList(
            items
                .iter()
                .filter_map(|v| match v {
                    Value::Int(i) => Some(*i as f64),
                    Value::Float(x) => Some(*x),
                    _ => None,
                })
                .collect(),
        ));
    }
    if items.iter().all(|v| matches!(v, Value::Tensor(_))) {
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            if let Value::Tensor(t) = v {
                out.push(resolve(t)?);
            }
        }
        return Ok(IValue::TensorList(out));
    }
    if items
        .iter()
        .all(|v| matches!(v, Value::Tensor(_) | Value::None))
    {
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            out.push(match v {
                Value::Tensor(t) => Some(resolve(t)?),
                _ => None,
            });
        }
        return Ok(IValue::OptionalTensorList(out));
    }
    Err(RuntimeError::unsupported(
        "IValue::from_trace_value",
        "a list mixing element kinds",
    ))
}

impl From<Tensor> for IValue {
    fn from(t: Tensor) -> IValue {
        IValue::Tensor(t)
    }
}

impl From<&Tensor> for IValue {
    fn from(t: &Tensor) -> IValue {
        IValue::Tensor(t.clone())
    }
}

impl From<i64> for IValue {
    fn from(i: i64) -> IValue {
        IValue::Int(i)
    }
}

impl From<f64> for IValue {
    fn from(x: f64) -> IValue {
        IValue::Float(x)
    }
}

impl From<bool> for IValue {
    fn from(b: bool) -> IValue {
        IValue::Bool(b)
    }
}

impl From<Vec<i64>> for IValue {
    fn from(v: Vec<i64>) -> IValue {
        IValue::IntList(v)
    }
}

impl From<&[i64]> for IValue {
    fn from(v: &[i64]) -> IValue {
        IValue::IntList(v.to_vec())
    }
}

impl From<Device> for IValue {
    fn from(d: Device) -> IValue {
        IValue::Device(d)
    }
}

impl From<DType> for IValue {
    fn from(d: DType) -> IValue {
        IValue::Dtype(d)
    }
}

impl From<MemoryFormat> for IValue {
    fn from(m: MemoryFormat) -> IValue {
        IValue::MemoryFormat(m)
    }
}

impl From<Layout> for IValue {
    fn from(l: Layout) -> IValue {
        IValue::Layout(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_values_convert() {
        let mut no_tensors =
            |_: &TensorRef| -> Result<Tensor> { Err(RuntimeError::unsupported("test", "tensors")) };
        let v = IValue::from_trace_value(
            &Value::List(vec![Value::Int(16), Value::Int(4)]),
            &mut no_tensors,
        )
        .expect("convert");
        assert!(matches!(v, IValue::IntList(ref l) if l == &[16, 4]));
        let v = IValue::from_trace_value(&Value::Device("cpu".into()), &mut no_tensors)
            .expect("convert");
        assert!(matches!(v, IValue::Device(Device::Cpu)));
        let v = IValue::from_trace_value(
            &Value::MemoryFormat("preserve_format".into()),
            &mut no_tensors,
        )
        .expect("convert");
        assert!(matches!(v, IValue::MemoryFormat(MemoryFormat::Preserve)));
        assert!(IValue::from_trace_value(&Value::Dtype("qint8".into()), &mut no_tensors).is_err());
    }
}
