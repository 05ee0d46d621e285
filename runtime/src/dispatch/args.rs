//! Binding positional arguments to a schema, and typed access to them.
//!
//! [`bind`] checks every value against its schema type and fills the
//! defaults of trailing arguments that were not passed, so that kernels and
//! the trace always see the complete argument list ("every argument of the
//! operator's schema, in schema order, with defaults filled in", FORMAT §3.3).
//! [`Args`] then gives kernels typed accessors whose errors name the operator
//! and the argument.

use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::{Layout, MemoryFormat};

use super::schema::{DefaultValue, FunctionSchema, SchemaType};

/// Type-checks `values` against `schema` and fills missing trailing arguments
/// from their defaults.
pub fn bind(op: &str, schema: &FunctionSchema, mut values: Vec<IValue>) -> Result<Vec<IValue>> {
    if values.len() > schema.arguments.len() {
        return Err(RuntimeError::TooManyArguments {
            op: op.to_owned(),
            given: values.len(),
            max: schema.arguments.len(),
        });
    }
    for arg in &schema.arguments[values.len()..] {
        let default = arg
            .default
            .as_ref()
            .ok_or_else(|| RuntimeError::MissingArgument {
                op: op.to_owned(),
                arg: arg.name.clone(),
            })?;
        values.push(default_value(op, &arg.name, &arg.ty, default)?);
    }
    for (arg, value) in schema.arguments.iter().zip(values.iter_mut()) {
        floats_for_float_list(&arg.ty, value);
        if !accepts(&arg.ty, value) {
            return Err(RuntimeError::ArgumentType {
                op: op.to_owned(),
                arg: arg.name.clone(),
                expected: arg.ty.to_string(),
                got: value.kind().to_owned(),
            });
        }
    }
    Ok(values)
}

/// A `float[]` argument takes a list mixing ints and floats as floats.
fn floats_for_float_list(ty: &SchemaType, value: &mut IValue) {
    if let (SchemaType::List { elem, .. }, IValue::ScalarList(items)) =
        (ty.unwrap_optional(), &*value)
        && matches!(elem.as_ref(), SchemaType::Float)
    {
        let floats = items
            .iter()
            .map(|v| match v {
                IValue::Int(i) => *i as f64,
                IValue::Float(x) => *x,
                IValue::Bool(b) => f64::from(u8::from(*b)),
                _ => 0.0,
            })
            .collect();
        *value = IValue::FloatList(floats);
    }
}

/// Whether `value` is acceptable for an argument of type `ty`.
fn accepts(ty: &SchemaType, value: &IValue) -> bool {
    match (ty, value) {
        (SchemaType::Optional(_), IValue::None) => true,
        (SchemaType::Optional(inner), v) => accepts(inner, v),
        // Python numbers become wrapped-number tensors.
        (
            SchemaType::Tensor,
            IValue::Tensor(_)
            | IValue::Int(_)
            | IValue::Float(_)
            | IValue::Bool(_)
            | IValue::Complex(..),
        ) => true,
        (SchemaType::Int | SchemaType::SymInt, IValue::Int(_)) => true,
        (SchemaType::Float, IValue::Float(_) | IValue::Int(_)) => true,
        (SchemaType::Bool, IValue::Bool(_)) => true,
        (SchemaType::Str, IValue::Str(_)) => true,
        (
            SchemaType::Scalar,
            IValue::Int(_) | IValue::Float(_) | IValue::Bool(_) | IValue::Complex(..),
        ) => true,
        (SchemaType::ScalarType, IValue::Dtype(_)) => true,
        (SchemaType::Layout, IValue::Layout(_)) => true,
        (SchemaType::Device, IValue::Device(_)) => true,
        (SchemaType::MemoryFormat, IValue::MemoryFormat(_)) => true,
        // A recorded `torch.Generator` (`generator:cpu`): random operators
        // replay their recorded values, so only its presence matters.
        (SchemaType::Generator, IValue::Str(s)) => s.starts_with("generator:"),
        (SchemaType::List { elem, .. }, v) => match (elem.as_ref(), v) {
            (
                SchemaType::Optional(inner),
                IValue::TensorList(_) | IValue::OptionalTensorList(_),
            ) if matches!(inner.as_ref(), SchemaType::Tensor) => true,
            (SchemaType::Int | SchemaType::SymInt, IValue::IntList(_) | IValue::Int(_)) => true,
            (SchemaType::Float, IValue::FloatList(_) | IValue::IntList(_)) => true,
            // `Scalar[]` (`_foreach_*.ScalarList`): a list of Python numbers.
            (SchemaType::Scalar, IValue::FloatList(_) | IValue::IntList(_)) => true,
            (SchemaType::Scalar, IValue::ScalarList(_)) => true,
            (SchemaType::Bool, IValue::BoolList(_)) => true,
            (SchemaType::Tensor, IValue::TensorList(_)) => true,
            (_, IValue::IntList(l)) => l.is_empty(),
            _ => false,
        },
        _ => false,
    }
}

fn default_value(op: &str, arg: &str, ty: &SchemaType, default: &DefaultValue) -> Result<IValue> {
    let bad = || RuntimeError::ArgumentType {
        op: op.to_owned(),
        arg: arg.to_owned(),
        expected: ty.to_string(),
        got: format!("default {default:?}"),
    };
    let base = ty.unwrap_optional();
    Ok(match default {
        DefaultValue::None => IValue::None,
        DefaultValue::Bool(b) => IValue::Bool(*b),
        DefaultValue::Int(i) => match base {
            SchemaType::Float => IValue::Float(*i as f64),
            // `ScalarType? dtype=4` (randint, randperm): c10's enum index.
            SchemaType::ScalarType => IValue::Dtype(scalar_type_at(*i).ok_or_else(bad)?),
            SchemaType::List { .. } => IValue::IntList(vec![*i]),
            _ => IValue::Int(*i),
        },
        DefaultValue::Float(x) => IValue::Float(*x),
        DefaultValue::Str(s) => IValue::Str(s.clone()),
        DefaultValue::List(items) => {
            let ints: Option<Vec<i64>> = items
                .iter()
                .map(|d| match d {
                    DefaultValue::Int(i) => Some(*i),
                    _ => None,
                })
                .collect();
            match (base, ints) {
                (SchemaType::List { elem, .. }, Some(ints))
                    if matches!(elem.as_ref(), SchemaType::Float) =>
                {
                    IValue::FloatList(ints.into_iter().map(|i| i as f64).collect())
                }
                (_, Some(ints)) => IValue::IntList(ints),
                _ => return Err(bad()),
            }
        }
        DefaultValue::Ident(name) => match (base, name.as_str()) {
            (SchemaType::MemoryFormat, n) => {
                IValue::MemoryFormat(MemoryFormat::from_name(n).map_err(|_| bad())?)
            }
            (SchemaType::Int, "Mean") => IValue::Int(1),
            (SchemaType::Int, "Sum") => IValue::Int(2),
            (SchemaType::ScalarType, "long") => IValue::Dtype(DType::Int64),
            (SchemaType::ScalarType, "float") => IValue::Dtype(DType::Float32),
            (SchemaType::Layout, "strided") => IValue::Layout(Layout::Strided),
            _ => return Err(bad()),
        },
    })
}

/// The dtype at index `i` of c10's `ScalarType` enum (the dtypes the
/// runtime has).
fn scalar_type_at(i: i64) -> Option<DType> {
    DType::from_scalar_type_index(i)
}

/// A tensor operand of a pointwise operator: a tensor or a wrapped Python
/// number with its natural dtype (bool, int64 or float64), which decides how
/// it takes part in type promotion.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Operand<'a> {
    Tensor(&'a Tensor),
    Scalar(f64, DType),
    /// A Python int beyond 2^53, which an f64 cannot hold exactly: an
    /// int64 number to the integer kernels, its nearest double elsewhere.
    BigInt(i64),
}

/// The largest integer magnitude an f64 holds exactly.
const EXACT_IN_F64: u64 = 1 << 53;

impl Operand<'_> {
    /// How this operand takes part in type promotion.
    pub(crate) fn promote(&self) -> crate::tensor::promote::PromoteOperand {
        use crate::tensor::promote::PromoteOperand;
        match self {
            Operand::Tensor(t) => PromoteOperand::Tensor {
                dtype: t.dtype(),
                dim: t.dim(),
            },
            Operand::Scalar(_, d) => PromoteOperand::Number(*d),
            Operand::BigInt(_) => PromoteOperand::Number(DType::Int64),
        }
    }

    /// This operand as a kernel computing in `computed` reads it. PyTorch's
    /// TensorIterator casts every input to the common dtype before the
    /// kernel runs, so in a float32 computation a Python number is a
    /// float32 number (`x * 0.9` multiplies by `0.9f`, not by the double
    /// and then rounds). Half and bfloat16 kernels keep some numbers in
    /// float32 and round others to the element type, operator by operator
    /// (see the foreach kernels); they are left to their kernels.
    pub(crate) fn computed_in(self, computed: DType) -> Self {
        match (self, computed) {
            (Operand::Scalar(v, d), DType::Float32) => Operand::Scalar(f64::from(v as f32), d),
            (Operand::BigInt(v), DType::Float32) => {
                Operand::Scalar(f64::from(v as f32), DType::Int64)
            }
            _ => self,
        }
    }

    /// Whether this operand's values change when cast to float32: a Python
    /// number, or a tensor of a dtype float32 does not hold exactly
    /// (float64, and integers beyond 2^24).
    pub(crate) fn rounds_to_float32(&self) -> bool {
        match self {
            Operand::Tensor(t) => matches!(t.dtype(), DType::Float64 | DType::Int64 | DType::Int32),
            Operand::Scalar(..) | Operand::BigInt(_) => true,
        }
    }
}

/// Rounds the value columns of the operands float32 does not hold exactly,
/// as TensorIterator's cast to a float32 common dtype does (`columns[i]`
/// holds `operands[i]`'s values).
pub(crate) fn round_columns_to_float32(operands: &[Operand<'_>], columns: &mut [Vec<f64>]) {
    for (o, column) in operands.iter().zip(columns.iter_mut()) {
        if o.rounds_to_float32() {
            for v in column.iter_mut() {
                *v = f64::from(*v as f32);
            }
        }
    }
}

/// Typed access to bound arguments.
#[derive(Clone, Copy)]
pub(crate) struct Args<'a> {
    pub(crate) op: &'a str,
    pub(crate) schema: &'a FunctionSchema,
    pub(crate) values: &'a [IValue],
}

impl<'a> Args<'a> {
    fn value(&self, i: usize) -> Result<&'a IValue> {
        self.values
            .get(i)
            .ok_or_else(|| RuntimeError::MissingArgument {
                op: self.op.to_owned(),
                arg: self.name(i),
            })
    }

    fn name(&self, i: usize) -> String {
        self.schema
            .arguments
            .get(i)
            .map_or_else(|| format!("#{i}"), |a| a.name.clone())
    }

    fn wrong(&self, i: usize, expected: &str) -> RuntimeError {
        RuntimeError::ArgumentType {
            op: self.op.to_owned(),
            arg: self.name(i),
            expected: expected.to_owned(),
            got: self
                .values
                .get(i)
                .map_or("nothing", IValue::kind)
                .to_owned(),
        }
    }

    /// Argument `i` as a tensor (wrapped numbers are rejected here).
    pub(crate) fn tensor(&self, i: usize) -> Result<&'a Tensor> {
        match self.value(i)? {
            IValue::Tensor(t) => Ok(t),
            _ => Err(self.wrong(i, "Tensor")),
        }
    }

    /// Argument `i` as a tensor list (`Tensor[]`).
    pub(crate) fn tensor_list(&self, i: usize) -> Result<&'a [Tensor]> {
        match self.value(i)? {
            IValue::TensorList(ts) => Ok(ts),
            // A recorded empty list carries no element type and decodes as
            // `int[]`; in a `Tensor[]` slot it is the empty tensor list.
            IValue::IntList(v) if v.is_empty() => Ok(&[]),
            _ => Err(self.wrong(i, "Tensor[]")),
        }
    }

    /// Argument `i` as an optional-tensor list (`Tensor?[]`).
    pub(crate) fn opt_tensor_list(&self, i: usize) -> Result<Vec<Option<&'a Tensor>>> {
        match self.value(i)? {
            IValue::TensorList(ts) => Ok(ts.iter().map(Some).collect()),
            IValue::OptionalTensorList(ts) => Ok(ts.iter().map(Option::as_ref).collect()),
            _ => Err(self.wrong(i, "Tensor?[]")),
        }
    }

    /// Argument `i` as a pointwise operand.
    pub(crate) fn operand(&self, i: usize) -> Result<Operand<'a>> {
        match self.value(i)? {
            IValue::Tensor(t) => Ok(Operand::Tensor(t)),
            IValue::Int(v) if v.unsigned_abs() > EXACT_IN_F64 => Ok(Operand::BigInt(*v)),
            IValue::Int(v) => Ok(Operand::Scalar(*v as f64, DType::Int64)),
            IValue::Float(v) => Ok(Operand::Scalar(*v, DType::Float64)),
            IValue::Bool(b) => Ok(Operand::Scalar(f64::from(u8::from(*b)), DType::Bool)),
            _ => Err(self.wrong(i, "Tensor")),
        }
    }

    /// Argument `i` as a Scalar / float (ints and bools widen).
    pub(crate) fn scalar(&self, i: usize) -> Result<f64> {
        match self.value(i)? {
            IValue::Int(v) => Ok(*v as f64),
            IValue::Float(v) => Ok(*v),
            IValue::Bool(b) => Ok(f64::from(u8::from(*b))),
            _ => Err(self.wrong(i, "Scalar")),
        }
    }

    /// Argument `i` when it is a Python int (a `Scalar` an integer tensor
    /// takes exactly, int64 beyond 2^53 included); `None` for a float or
    /// bool.
    pub(crate) fn exact_int(&self, i: usize) -> Result<Option<i64>> {
        match self.value(i)? {
            IValue::Int(v) => Ok(Some(*v)),
            _ => Ok(None),
        }
    }

    /// Scalar argument `i` as an element of the integer `dtype` (not bool),
    /// as PyTorch's `Scalar::to<scalar_t>()` converts a kernel's `alpha`,
    /// `beta` or `value`: a Python int exactly (int64 beyond 2^53), a float
    /// truncated toward zero, and PyTorch's error when the value overflows
    /// the dtype (uint8 also takes the ints -255..-1, which wrap when
    /// stored).
    pub(crate) fn int_scalar(&self, op: &str, i: usize, dtype: DType) -> Result<i64> {
        let (lo, hi, name): (i128, i128, &str) = match dtype {
            DType::UInt8 => (-255, 255, "uint8_t"),
            DType::Int8 => (i8::MIN.into(), i8::MAX.into(), "int8_t"),
            DType::Int16 => (i16::MIN.into(), i16::MAX.into(), "int16_t"),
            DType::Int32 => (i32::MIN.into(), i32::MAX.into(), "int"),
            _ => (i64::MIN.into(), i64::MAX.into(), "int64_t"),
        };
        let float_lowest = if dtype == DType::UInt8 { 0 } else { lo };
        let value = match self.value(i)? {
            IValue::Int(v) => Some(i128::from(*v)),
            IValue::Bool(b) => Some(i128::from(*b)),
            // A float must truncate into [lowest, max] (uint8: no negative
            // floats); NaN and infinities overflow (observed in torch 2.15).
            IValue::Float(v) if *v >= float_lowest as f64 && *v < hi as f64 + 1.0 => {
                Some(*v as i128)
            }
            IValue::Float(_) => None,
            _ => return Err(self.wrong(i, "Scalar")),
        };
        match value {
            Some(v) if (lo..=hi).contains(&v) => Ok(v as i64),
            _ => Err(RuntimeError::shape(
                op,
                format!("value cannot be converted to type {name} without overflow"),
            )),
        }
    }

    /// Argument `i` as an int.
    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        match self.value(i)? {
            IValue::Int(v) => Ok(*v),
            _ => Err(self.wrong(i, "int")),
        }
    }

    /// Argument `i` as a bool.
    pub(crate) fn bool(&self, i: usize) -> Result<bool> {
        match self.value(i)? {
            IValue::Bool(b) => Ok(*b),
            _ => Err(self.wrong(i, "bool")),
        }
    }

    /// Argument `i` as an int list (a single int counts as a one-element list).
    pub(crate) fn int_list(&self, i: usize) -> Result<Vec<i64>> {
        match self.value(i)? {
            IValue::IntList(v) => Ok(v.clone()),
            IValue::Int(v) => Ok(vec![*v]),
            _ => Err(self.wrong(i, "int[]")),
        }
    }

    /// Argument `i` as an optional int list.
    pub(crate) fn opt_int_list(&self, i: usize) -> Result<Option<Vec<i64>>> {
        match self.value(i)? {
            IValue::None => Ok(None),
            _ => self.int_list(i).map(Some),
        }
    }

    /// Argument `i` as an optional dtype.
    pub(crate) fn opt_dtype(&self, i: usize) -> Result<Option<DType>> {
        match self.value(i)? {
            IValue::None => Ok(None),
            IValue::Dtype(d) => Ok(Some(*d)),
            _ => Err(self.wrong(i, "ScalarType?")),
        }
    }

    /// Argument `i` as an optional device.
    pub(crate) fn opt_device(&self, i: usize) -> Result<Option<Device>> {
        match self.value(i)? {
            IValue::None => Ok(None),
            IValue::Device(d) => Ok(Some(*d)),
            _ => Err(self.wrong(i, "Device?")),
        }
    }

    /// Argument `i` as an optional layout.
    pub(crate) fn opt_layout(&self, i: usize) -> Result<Option<Layout>> {
        match self.value(i)? {
            IValue::None => Ok(None),
            IValue::Layout(l) => Ok(Some(*l)),
            _ => Err(self.wrong(i, "Layout?")),
        }
    }

    /// Argument `i` as an optional memory format.
    pub(crate) fn opt_memory_format(&self, i: usize) -> Result<Option<MemoryFormat>> {
        match self.value(i)? {
            IValue::None => Ok(None),
            IValue::MemoryFormat(m) => Ok(Some(*m)),
            _ => Err(self.wrong(i, "MemoryFormat?")),
        }
    }

    /// Fails unless argument `i` is `None` (e.g. an explicit `Generator`).
    /// A `Generator?` argument: `None` (the global generator) or a recorded
    /// `torch.Generator` on the CPU. Replay feeds every random operator the
    /// values PyTorch recorded, so the generator only names the stream they
    /// came from; a generator of another device is refused.
    pub(crate) fn cpu_generator(&self, i: usize) -> Result<()> {
        match self.value(i)? {
            IValue::None => Ok(()),
            IValue::Str(s) if s == "generator:cpu" => Ok(()),
            IValue::Str(s) => Err(RuntimeError::unsupported(
                self.op,
                format!(
                    "a Generator on device {}",
                    s.strip_prefix("generator:").unwrap_or(s)
                ),
            )),
            other => Err(RuntimeError::unsupported(
                self.op,
                format!(
                    "argument '{}' of kind {other:?} as a Generator",
                    self.name(i)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> FunctionSchema {
        FunctionSchema::parse(text).expect("schema")
    }

    #[test]
    fn fills_defaults_in_schema_order() {
        let s = schema(
            "sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
        );
        let t = Tensor::from_f32_contiguous("t", &[2], vec![1., 2.]).expect("tensor");
        let bound = bind(
            "aten.sum.dim_IntList",
            &s,
            vec![t.into(), IValue::IntList(vec![0])],
        )
        .expect("bind");
        assert_eq!(bound.len(), 4);
        assert!(matches!(bound[2], IValue::Bool(false)));
        assert!(matches!(bound[3], IValue::None));

        let s = schema(
            "uniform_(Tensor(a!) self, float from=0., float to=1., *, Generator? generator=None) -> Tensor(a!)",
        );
        let t = Tensor::from_f32_contiguous("t", &[2], vec![1., 2.]).expect("tensor");
        let bound = bind("aten.uniform_.default", &s, vec![t.into()]).expect("bind");
        assert!(matches!(bound[1], IValue::Float(x) if x == 0.0));
        assert!(matches!(bound[2], IValue::Float(x) if x == 1.0));

        let s = schema("add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor");
        let t = Tensor::from_f32_contiguous("t", &[2], vec![1., 2.]).expect("tensor");
        // `x + 2`: the other operand is a Python number.
        let bound = bind("aten.add.Tensor", &s, vec![t.into(), IValue::Int(2)]).expect("bind");
        assert!(matches!(bound[2], IValue::Int(1)));
    }

    #[test]
    fn reports_missing_extra_and_mistyped_arguments() {
        let s = schema("mm(Tensor self, Tensor mat2) -> Tensor");
        let t = Tensor::from_f32_contiguous("t", &[1, 1], vec![1.]).expect("tensor");
        assert!(matches!(
            bind("aten.mm.default", &s, vec![t.clone().into()]),
            Err(RuntimeError::MissingArgument { arg, .. }) if arg == "mat2"
        ));
        assert!(matches!(
            bind(
                "aten.mm.default",
                &s,
                vec![t.clone().into(), t.clone().into(), t.clone().into()]
            ),
            Err(RuntimeError::TooManyArguments {
                given: 3,
                max: 2,
                ..
            })
        ));
        assert!(matches!(
            bind("aten.mm.default", &s, vec![t.into(), IValue::Str("x".into())]),
            Err(RuntimeError::ArgumentType { arg, .. }) if arg == "mat2"
        ));
    }
}
