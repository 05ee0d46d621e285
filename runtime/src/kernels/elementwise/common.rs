//! Shared machinery of the elementwise kernels: n-ary broadcasting with
//! PyTorch's output layout, in-place writes with the casting check, exact
//! integer paths, and the dtype rules of "floating" unary operators.
//!
//! Values are computed in f64 and cast once to the result dtype (see
//! [`crate::kernels::pointwise`]); operators whose integer results must be
//! exact beyond 2^53 or that divide integers (`floor_divide`, `remainder`,
//! rounding `div`, bitwise operators) use the i64 path.

use crate::cpu::CpuProfile;
use crate::dispatch::args::{Operand, round_columns_to_float32};
use crate::error::{Result, RuntimeError};
use crate::faults::Faults;
use crate::kernels::KernelCtx;
use crate::kernels::dense;
use crate::kernels::iter::{Geometry, broadcast_view, operand_values, output_strides};
use crate::kernels::loop_plan::{self, VectorLoop};
use crate::kernels::pointwise::result_type;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote;
use crate::tensor::strides::{broadcast_shapes, numel};

/// The geometry of an operand (a wrapped number is 0-dim).
pub(crate) fn geometry<'a>(o: &Operand<'a>) -> Geometry<'a> {
    match o {
        Operand::Tensor(t) => (t.shape(), t.stride()),
        Operand::Scalar(..) | Operand::BigInt(_) => (&[], &[]),
    }
}

/// The dtype an operand takes part in arithmetic with.
pub(crate) fn operand_dtype(o: &Operand<'_>) -> DType {
    match o {
        Operand::Tensor(t) => t.dtype(),
        Operand::Scalar(_, d) => *d,
        Operand::BigInt(_) => DType::Int64,
    }
}

fn check_devices(ctx: &KernelCtx<'_>, operands: &[Operand<'_>]) -> Result<()> {
    for o in operands {
        if let Operand::Tensor(t) = o {
            ctx.check(t, "self")?;
        }
    }
    Ok(())
}

/// The broadcast shape of all operands, with PyTorch's message.
pub(crate) fn broadcast_all(op: &str, operands: &[Operand<'_>]) -> Result<Vec<i64>> {
    let mut shape: Vec<i64> = Vec::new();
    for o in operands {
        let (s, _) = geometry(o);
        shape = broadcast_shapes(&shape, s).ok_or_else(|| broadcast_mismatch(op, &shape, s))?;
    }
    Ok(shape)
}

/// PyTorch's broadcast error (`infer_size`) for the first mismatching
/// dimension counted from the last: `The size of tensor a (3) must match the
/// size of tensor b (4) at non-singleton dimension 1`.
pub(crate) fn broadcast_mismatch(op: &str, a: &[i64], b: &[i64]) -> RuntimeError {
    let n = a.len().max(b.len());
    for k in 0..n {
        let da = a.len().checked_sub(k + 1).map_or(1, |i| a[i]);
        let db = b.len().checked_sub(k + 1).map_or(1, |i| b[i]);
        if da != db && da != 1 && db != 1 {
            return RuntimeError::shape(
                op,
                format!(
                    "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {}",
                    n - 1 - k
                ),
            );
        }
    }
    RuntimeError::shape(op, format!("shapes {a:?} and {b:?} do not broadcast"))
}

/// All operands' values broadcast to `shape`, each in logical C order.
pub(crate) fn values_f64(
    op: &str,
    operands: &[Operand<'_>],
    shape: &[i64],
) -> Result<Vec<Vec<f64>>> {
    operands
        .iter()
        .map(|o| operand_values(op, *o, shape))
        .collect()
}

/// The operands as a kernel computing in `computed` reads them
/// ([`Operand::computed_in`]; unchanged under the `numbers-in-double`
/// fault).
pub(crate) fn computed_operands<'a>(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'a>],
    computed: DType,
) -> Vec<Operand<'a>> {
    if ctx.faults.numbers_in_double {
        return operands.to_vec();
    }
    operands.iter().map(|o| o.computed_in(computed)).collect()
}

/// [`values_f64`], each tensor of a wider dtype than a float32
/// computation rounded to float32 as TensorIterator's cast does.
pub(crate) fn computed_values(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    shape: &[i64],
    computed: DType,
) -> Result<Vec<Vec<f64>>> {
    let mut columns = values_f64(ctx.op, operands, shape)?;
    if computed == DType::Float32 && !ctx.faults.numbers_in_double {
        round_columns_to_float32(operands, &mut columns);
    }
    Ok(columns)
}

/// An operand's exact integer values broadcast to `shape`.
pub(crate) fn operand_i64(op: &str, o: &Operand<'_>, shape: &[i64]) -> Result<Vec<i64>> {
    match o {
        Operand::Tensor(t) => broadcast_view(op, t, shape)?.read_i64(op),
        Operand::Scalar(v, _) => Ok(vec![*v as i64; numel(shape)]),
        Operand::BigInt(v) => Ok(vec![*v; numel(shape)]),
    }
}

/// [`operand_i64`] cast to the integer dtype the operator computes in, as
/// TensorIterator casts every input to the common dtype before the kernel
/// sees it: a number or a wider 0-dim tensor wraps to that width (observed
/// in torch 2.15: `uint8_tensor // -3` divides by 253, `% -3` by 253 and
/// `fmod(.., -3)` by 253). Numbers that are parameters of the kernel
/// (`pow`'s exponent, `clamp`'s bounds) keep their value; a bool result
/// (a comparison) keeps the operands' values.
fn operand_i64_as(
    ctx: &KernelCtx<'_>,
    o: &Operand<'_>,
    shape: &[i64],
    numbers: Numbers,
    dtype: DType,
) -> Result<Vec<i64>> {
    let mut values = operand_i64(ctx.op, o, shape)?;
    let is_param = numbers == Numbers::Parameters && !matches!(o, Operand::Tensor(_));
    if !is_param && !ctx.faults.integer_numbers_unwrapped {
        for v in &mut values {
            *v = wrap_to_width(dtype, *v);
        }
    }
    Ok(values)
}

/// `v` converted to the integer `dtype` the way C++ converts a wider
/// integer (two's complement truncation); int64 and non-integer dtypes
/// leave it alone.
fn wrap_to_width(dtype: DType, v: i64) -> i64 {
    match dtype {
        DType::Int32 => i64::from(v as i32),
        DType::Int16 => i64::from(v as i16),
        DType::Int8 => i64::from(v as i8),
        DType::UInt8 => i64::from(v as u8),
        _ => v,
    }
}

/// A broadcasting operator over any number of operands: `f` gets one value
/// per operand (in f64) and the result is cast to `dtype`. The layout is
/// TensorIterator's for these inputs, a number among them a 0-dim input (as
/// PyTorch wraps `add.Scalar`'s or `mul.Tensor`'s number).
pub(crate) fn nary(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    dtype: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Tensor> {
    nary_laid_out(ctx, operands, Numbers::Inputs, dtype, f)
}

/// As [`nary`] for an operator whose numbers are parameters, not inputs of
/// its TensorIterator (`pow.Tensor_Scalar`, `pow.Scalar`, `clamp`,
/// `clamp_min`, `clamp_max`, `lerp.Scalar`): the result is laid out from the
/// tensors alone, so a contiguous `self` with a stray size-1 stride gives a
/// contiguous result where a wrapped number would keep that stride.
pub(crate) fn nary_params(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    dtype: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Tensor> {
    nary_laid_out(ctx, operands, Numbers::Parameters, dtype, f)
}

/// Whether an operator's numbers take part in its result's layout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// Wrapped into 0-dim inputs (binary operators with a Scalar overload).
    Inputs,
    /// Kept out of the TensorIterator (unary operators with parameters).
    Parameters,
}

/// The result's strides: TensorIterator's layout over the operands that are
/// its inputs (every one under the `numbers-as-iterator-inputs` fault).
fn layout(
    ctx: &KernelCtx<'_>,
    shape: &[i64],
    operands: &[Operand<'_>],
    numbers: Numbers,
) -> Vec<i64> {
    let numbers = if ctx.faults.numbers_as_iterator_inputs {
        Numbers::Inputs
    } else {
        numbers
    };
    let geometries: Vec<Geometry<'_>> = operands
        .iter()
        .filter(|o| matches!(numbers, Numbers::Inputs) || matches!(o, Operand::Tensor(_)))
        .map(geometry)
        .collect();
    if geometries.is_empty() {
        let all: Vec<Geometry<'_>> = operands.iter().map(geometry).collect();
        return output_strides(shape, &all);
    }
    output_strides(shape, &geometries)
}

fn nary_laid_out(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    numbers: Numbers,
    dtype: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Tensor> {
    check_devices(ctx, operands)?;
    let shape = broadcast_all(ctx.op, operands)?;
    let strides = layout(ctx, &shape, operands, numbers);
    let operands = &computed_operands(ctx, operands, dtype);
    if ctx.has_data()
        && let Some(out) = dense::pointwise(ctx.op, operands, &shape, &strides, dtype, &f)?
    {
        return Ok(out);
    }
    ctx.output(&shape, &strides, dtype, || {
        let columns = computed_values(ctx, operands, &shape, dtype)?;
        Ok(apply_columns(&columns, numel(&shape), &f))
    })
}

/// Whether PyTorch's vectorised CPU loop (`cpu_kernel_vec`), rather than
/// its scalar loop, computes each element of an elementwise result, in
/// row-major order over `shape` (a few kernels' two loops treat NaN
/// differently).
///
/// The split is TensorIterator's ([`loop_plan`]: runs of the coalesced
/// innermost dimension, thread parts from the grain on) with steps of
/// `vectors` vectors of the CPU's width (per 64-byte vector 16 float32, 8
/// float64, 32 half/bfloat16 lanes): one for `hardtanh_backward` and the
/// shrink backward, two for `elu_backward`, `hardswish_backward` and
/// `logit_backward` (observed in torch 2.15 on x86 with AVX-512).
pub(crate) fn vector_lanes(
    faults: &Faults,
    cpu: &CpuProfile,
    shape: &[i64],
    out_strides: &[i64],
    inputs: &[Geometry<'_>],
    dtype: DType,
    vectors: usize,
) -> Vec<bool> {
    let vector_loop = VectorLoop::of_vectors(cpu, vectors, dtype.element_size());
    match loop_plan::scalar_elements(
        faults,
        shape,
        out_strides,
        inputs,
        cpu.threads(),
        vector_loop,
    ) {
        Some(scalar) => scalar.iter().map(|&s| !s).collect(),
        None => vec![false; numel(shape)],
    }
}

/// As [`nary`] for a kernel whose vectorised loop and scalar loop differ:
/// `f` also gets whether the element is vectorised ([`vector_lanes`], in
/// chunks of `vectors` vectors).
pub(crate) fn nary_lanes(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    dtype: DType,
    vectors: usize,
    f: impl Fn(&[f64], bool) -> f64,
) -> Result<Tensor> {
    check_devices(ctx, operands)?;
    let shape = broadcast_all(ctx.op, operands)?;
    let strides = layout(ctx, &shape, operands, Numbers::Inputs);
    let computed = &computed_operands(ctx, operands, dtype);
    ctx.output(&shape, &strides, dtype, || {
        let inputs: Vec<Geometry<'_>> = operands.iter().map(geometry).collect();
        let lanes = vector_lanes(
            ctx.faults, ctx.cpu, &shape, &strides, &inputs, dtype, vectors,
        );
        let columns = computed_values(ctx, computed, &shape, dtype)?;
        Ok(map_rows(&lanes, &columns, &f))
    })
}

/// `f(row, lane)` of each element: its operands' values (one column per
/// operand) and whether it is computed in a vector lane.
fn map_rows(lanes: &[bool], columns: &[Vec<f64>], f: &impl Fn(&[f64], bool) -> f64) -> Vec<f64> {
    let mut row = vec![0.0; columns.len()];
    lanes
        .iter()
        .enumerate()
        .map(|(i, &lane)| {
            for (slot, col) in row.iter_mut().zip(columns) {
                *slot = col[i];
            }
            f(&row, lane)
        })
        .collect()
}

/// As [`nary`] with exact i64 arithmetic; `f` may fail (integer division
/// by zero).
pub(crate) fn nary_i64(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    dtype: DType,
    f: impl Fn(&[i64]) -> Result<i64>,
) -> Result<Tensor> {
    nary_i64_laid_out(ctx, operands, Numbers::Inputs, dtype, f)
}

/// [`nary_i64`] laid out as [`nary_params`].
pub(crate) fn nary_i64_params(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    dtype: DType,
    f: impl Fn(&[i64]) -> Result<i64>,
) -> Result<Tensor> {
    nary_i64_laid_out(ctx, operands, Numbers::Parameters, dtype, f)
}

fn nary_i64_laid_out(
    ctx: &KernelCtx<'_>,
    operands: &[Operand<'_>],
    numbers: Numbers,
    dtype: DType,
    f: impl Fn(&[i64]) -> Result<i64>,
) -> Result<Tensor> {
    check_devices(ctx, operands)?;
    let shape = broadcast_all(ctx.op, operands)?;
    let strides = layout(ctx, &shape, operands, numbers);
    ctx.output_i64(&shape, &strides, dtype, || {
        let columns = operands
            .iter()
            .map(|o| operand_i64_as(ctx, o, &shape, numbers, dtype))
            .collect::<Result<Vec<_>>>()?;
        apply_columns_i64(&columns, numel(&shape), &f)
    })
}

fn apply_columns(columns: &[Vec<f64>], n: usize, f: &impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut row = vec![0.0; columns.len()];
    (0..n)
        .map(|i| {
            for (slot, col) in row.iter_mut().zip(columns) {
                *slot = col[i];
            }
            f(&row)
        })
        .collect()
}

fn apply_columns_i64(
    columns: &[Vec<i64>],
    n: usize,
    f: &impl Fn(&[i64]) -> Result<i64>,
) -> Result<Vec<i64>> {
    let mut row = vec![0; columns.len()];
    (0..n)
        .map(|i| {
            for (slot, col) in row.iter_mut().zip(columns) {
                *slot = col[i];
            }
            f(&row)
        })
        .collect()
}

/// Checks an in-place operator: `self` must hold the broadcast shape of all
/// operands and a result of type `computed` must cast to its dtype.
pub(crate) fn check_inplace(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    operands: &[Operand<'_>],
    computed: DType,
) -> Result<()> {
    check_devices(ctx, operands)?;
    promote::check_inplace_cast(ctx.op, computed, this.dtype())?;
    let shape = broadcast_all(ctx.op, operands)?;
    if shape != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {shape:?}",
                this.shape()
            ),
        ));
    }
    Ok(())
}

/// An in-place n-ary operator: `operands[0]` is `self`; `f` gets one value
/// per operand and the result is written back (cast to `self`'s dtype).
/// `computed` is the dtype PyTorch computes in (checked castable to `self`).
pub(crate) fn nary_(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    operands: &[Operand<'_>],
    computed: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<()> {
    check_inplace(ctx, this, operands, computed)?;
    let operands = &computed_operands(ctx, operands, computed);
    if ctx.has_data() && dense::pointwise_inplace(this, operands, &f) {
        return Ok(());
    }
    ctx.write(this, || {
        let columns = computed_values(ctx, operands, this.shape(), computed)?;
        Ok(apply_columns(&columns, this.numel(), &f))
    })
}

/// As [`nary_`] for a kernel whose vectorised loop and scalar loop differ
/// ([`nary_lanes`]): the split is that of the loop writing into `this`
/// (an in-place `self` or an `out=` tensor, with its own strides) over
/// vectors of the computed dtype.
pub(crate) fn nary_lanes_(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    operands: &[Operand<'_>],
    computed: DType,
    vectors: usize,
    f: impl Fn(&[f64], bool) -> f64,
) -> Result<()> {
    check_inplace(ctx, this, operands, computed)?;
    let operands = &computed_operands(ctx, operands, computed);
    ctx.write(this, || {
        let inputs: Vec<Geometry<'_>> = operands.iter().map(geometry).collect();
        let lanes = vector_lanes(
            ctx.faults,
            ctx.cpu,
            this.shape(),
            this.stride(),
            &inputs,
            computed,
            vectors,
        );
        let columns = computed_values(ctx, operands, this.shape(), computed)?;
        Ok(map_rows(&lanes, &columns, &f))
    })
}

/// As [`nary_`] with exact i64 arithmetic.
pub(crate) fn nary_i64_(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    operands: &[Operand<'_>],
    computed: DType,
    f: impl Fn(&[i64]) -> Result<i64>,
) -> Result<()> {
    check_inplace(ctx, this, operands, computed)?;
    if !ctx.has_data() {
        return Ok(());
    }
    let columns = operands
        .iter()
        .map(|o| operand_i64_as(ctx, o, this.shape(), Numbers::Inputs, computed))
        .collect::<Result<Vec<_>>>()?;
    let values = apply_columns_i64(&columns, this.numel(), &f)?;
    this.write_i64(ctx.op, &values)
}

/// `torch.result_type` of the operands.
pub(crate) fn promoted(ctx: &KernelCtx<'_>, operands: &[Operand<'_>]) -> DType {
    result_type(ctx, operands)
}

/// The result dtype of a "floating" operator (`sqrt`, `exp`, true
/// division...): floating types stay, integers and bool become the default
/// dtype (observed in torch 2.15: `int_tensor.sqrt()` is float32).
pub(crate) fn to_floating(ctx: &KernelCtx<'_>, dtype: DType) -> DType {
    if dtype.is_floating() {
        dtype
    } else {
        ctx.default_dtype
    }
}

/// `1 / sqrt(x)` of a float16/bfloat16 element as PyTorch's CPU loops take
/// it, rounded to `dtype`: the vectorised loop computes it in float32 and
/// rounds once, the scalar loop (`vector` false: the elements after the
/// last whole chunk) computes `sqrt` as a value of the dtype and then its
/// reciprocal (observed bit for bit in torch 2.15 for `rsqrt` in chunks of
/// 32 lanes and bfloat16 `pow(x, -0.5)` in chunks of 64).
pub(crate) fn reduced_inverse_root(dtype: DType, x: f64, vector: bool) -> f64 {
    let root = (x as f32).sqrt();
    let root = if vector {
        root
    } else {
        round_to(dtype, f64::from(root)) as f32
    };
    round_to(dtype, f64::from(1.0f32 / root))
}

/// `value` rounded to what `dtype` can hold (comparisons compare in the
/// common dtype: `half_tensor > 0.1` compares with half(0.1)).
pub(crate) fn round_to(dtype: DType, value: f64) -> f64 {
    crate::tensor::storage::cast_value(dtype, value)
}

/// PyTorch's "not implemented for 'Long'" refusal of a floating-only kernel.
pub(crate) fn require_floating(ctx: &KernelCtx<'_>, dtype: DType) -> Result<()> {
    if dtype.is_floating() {
        Ok(())
    } else {
        Err(RuntimeError::UnsupportedDtype {
            op: ctx.op.to_owned(),
            arg: "self".into(),
            dtype: dtype.scalar_type_name().into(),
        })
    }
}

/// PyTorch's check before any subtraction (`sub`, `sub_`, `rsub`,
/// `_foreach_sub`, complex or real): two bool operands are refused with
/// one message, one bool operand (a bool tensor, or a Python bool, which
/// PyTorch wraps as a bool 0-dim tensor) with another, whatever the result
/// type would be (observed in torch 2.15: `1 - mask`, `x - True` and
/// `int_tensor - mask` raise; NotImplementedError).
pub(crate) fn sub_check(op: &str, operands: &[Operand<'_>]) -> Result<()> {
    let bools = operands
        .iter()
        .filter(|o| match o {
            Operand::Tensor(t) => t.dtype() == DType::Bool,
            Operand::Scalar(_, d) => *d == DType::Bool,
            Operand::BigInt(_) => false,
        })
        .count();
    let message = match bools {
        0 => return Ok(()),
        1 => {
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        }
        _ => {
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
        }
    };
    Err(RuntimeError::KernelDtype {
        op: op.to_owned(),
        message: message.into(),
    })
}

/// The integer division by zero PyTorch reports as `ZeroDivisionError`.
pub(crate) fn zero_division(op: &str) -> RuntimeError {
    RuntimeError::TypeCast {
        op: op.to_owned(),
        message: "ZeroDivisionError".into(),
    }
}

/// Whether PyTorch computes `dtype` in double precision. Its CPU kernels
/// compute float64 in double and every other floating dtype in float
/// (float16 and bfloat16 are widened to float, "opmath"); a compound
/// formula rounds after each step in that precision, which decides ties
/// when the result is rounded to half (observed in torch 2.15:
/// `tanh_backward` in float16 rounds `g * (1 - y * y)` computed in float).
pub(crate) fn wide(dtype: DType) -> bool {
    !matches!(dtype, DType::Float32 | DType::Float16 | DType::BFloat16)
}

/// `erf` in the precision of its argument.
pub(crate) trait Erf {
    /// The error function.
    fn erf(self) -> Self;
}

impl Erf for f64 {
    fn erf(self) -> f64 {
        libm::erf(self)
    }
}

impl Erf for f32 {
    fn erf(self) -> f32 {
        libm::erff(self)
    }
}

/// A per-element formula evaluated in PyTorch's compute precision:
/// `opmath!(wide, |v: [T]| body)` gives a `Fn(&[f64]) -> f64` whose body
/// sees the operands as `v: &[T]`, with `T` = f64 when `wide` and f32
/// otherwise (parameters enter the body as `p as T`). At most four operands.
macro_rules! opmath {
    ($wide:expr, |$v:ident : [$t:ident]| $body:expr) => {{
        let wide: bool = $wide;
        move |row: &[f64]| -> f64 {
            if wide {
                #[allow(dead_code)]
                type $t = f64;
                let $v: &[f64] = row;
                $body
            } else {
                #[allow(dead_code)]
                type $t = f32;
                let buf: [f32; 4] =
                    std::array::from_fn(|i| row.get(i).copied().unwrap_or(0.0) as f32);
                let $v: &[f32] = &buf[..row.len().min(4)];
                f64::from($body)
            }
        }
    }};
}
pub(crate) use opmath;

#[cfg(test)]
mod tests {
    use super::*;

    fn avx512() -> CpuProfile {
        let attrs = [
            ("cpu_capability".to_string(), "AVX512".to_string()),
            ("intra_op_threads".to_string(), "1".to_string()),
        ];
        CpuProfile::from_attrs(&attrs).expect("valid profile")
    }

    /// How many elements [`vector_lanes`] puts in the vectorised loop.
    fn vectorised(shape: &[i64], out: &[i64], inputs: &[Geometry<'_>], dtype: DType) -> usize {
        vector_lanes(&Faults::default(), &avx512(), shape, out, inputs, dtype, 1)
            .iter()
            .filter(|&&v| v)
            .count()
    }

    #[test]
    fn whole_vectors_of_contiguous_runs_are_vectorised() {
        // torch 2.15, hardtanh_backward of a NaN input: 0 in the vectorised
        // loop, the gradient in the scalar loop. float32 [40]: the first 32
        // are vectorised (16 lanes); float64 [5, 7]: 32 of 35 (8 lanes);
        // bfloat16 [40]: 32 (32 lanes).
        let (s40, c40): (&[i64], &[i64]) = (&[40], &[1]);
        assert_eq!(vectorised(s40, c40, &[(s40, c40); 2], DType::Float32), 32);
        let lanes = vector_lanes(
            &Faults::default(),
            &avx512(),
            s40,
            c40,
            &[(s40, c40); 2],
            DType::Float32,
            1,
        );
        assert!(lanes[31] && !lanes[32]);
        // chunks of two vectors (elu_backward): float32 [63] has 32
        // vectorised, float64 [31] 16, bfloat16 [63] none
        let (s, c): (&[i64], &[i64]) = (&[63], &[1]);
        let two = |shape: &[i64], dtype| {
            vector_lanes(
                &Faults::default(),
                &avx512(),
                shape,
                c,
                &[(shape, c); 2],
                dtype,
                2,
            )
            .iter()
            .filter(|&&v| v)
            .count()
        };
        assert_eq!(two(s, DType::Float32), 32);
        assert_eq!(two(&[31], DType::Float64), 16);
        assert_eq!(two(s, DType::BFloat16), 0);
        let (s, c): (&[i64], &[i64]) = (&[5, 7], &[7, 1]);
        assert_eq!(vectorised(s, c, &[(s, c); 2], DType::Float64), 32);
        assert_eq!(vectorised(s40, c40, &[(s40, c40); 2], DType::BFloat16), 32);
        // fewer elements than one vector: all scalar
        let (s5, c5): (&[i64], &[i64]) = (&[5], &[1]);
        assert_eq!(vectorised(s5, c5, &[(s5, c5); 2], DType::Float32), 0);
    }

    #[test]
    fn broadcasts_transposes_and_strided_inputs() {
        // a gradient expanded from one element ([6, 9], strides [0, 0]):
        // 48 of 54 float32 vectorised
        let (s, c): (&[i64], &[i64]) = (&[6, 9], &[9, 1]);
        let one: Geometry<'_> = (&[1], &[1]);
        assert_eq!(vectorised(s, c, &[one, (s, c)], DType::Float32), 48);
        // transposed [6, 20] (strides [1, 6]) everywhere: one run of 120
        let (s, t): (&[i64], &[i64]) = (&[6, 20], &[1, 6]);
        assert_eq!(vectorised(s, t, &[(s, t); 2], DType::Float32), 112);
        // rows of 20 inside rows of 40: each row is a run, 16 vectorised
        let (s, wide): (&[i64], &[i64]) = (&[6, 20], &[40, 1]);
        assert_eq!(vectorised(s, &[20, 1], &[(s, wide); 2], DType::Float32), 96);
        // every other element, or one input transposed: all scalar
        let (s, step): (&[i64], &[i64]) = (&[20], &[2]);
        assert_eq!(vectorised(s, &[1], &[(s, step); 2], DType::Float32), 0);
        let (s, c): (&[i64], &[i64]) = (&[6, 20], &[20, 1]);
        assert_eq!(vectorised(s, c, &[(s, c), (s, &[1, 6])], DType::Float32), 0);
    }

    #[test]
    fn rounding_follows_the_dtype() {
        assert_eq!(round_to(DType::Float16, 0.1), 0.0999755859375);
        assert_eq!(round_to(DType::Int8, 200.0), -56.0);
        assert_eq!(round_to(DType::Bool, 0.5), 1.0);
    }

    #[test]
    fn broadcast_error_names_the_dimension() {
        let a = Tensor::from_f32_contiguous("t", &[3], vec![1., 2., 3.]).expect("t");
        let b = Tensor::from_f32_contiguous("t", &[2], vec![1., 2.]).expect("t");
        let err = broadcast_all(
            "aten.where.self",
            &[Operand::Tensor(&a), Operand::Tensor(&b)],
        )
        .expect_err("mismatch");
        assert!(err.to_string().contains(
            "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"
        ));
    }
}
