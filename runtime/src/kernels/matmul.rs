//! Matrix products of float32 and float64 operands computed straight from
//! their storage: `matrixmultiply`'s blocked GEMM (through `ndarray`'s safe
//! interface) reads each operand through its own strides — a transposed
//! weight is not copied — and writes the contiguous result, with no
//! conversion to a wider type.
//!
//! float32 products accumulate in float32 as PyTorch's CPU sgemm (MKL) does,
//! and `addmm`'s bias enters as GEMM's `beta * C` term, as in PyTorch's
//! `addmm_impl_cpu_` (the result is filled with the broadcast bias, then
//! `gemm` runs with `beta`). float64 accumulates in float64. Other dtypes
//! (float16/bfloat16, which PyTorch accumulates in float32, and integers)
//! take [`super::linalg`]'s f64 path: the functions here return `None` for
//! them.
//!
//! A rank-one `mm` (`[n, 1] @ [1, m]` with `n, m > 1`) is the one product
//! that does not accumulate: [`rank_one`] writes each `a[i] * b[j]` as it
//! is, so a zero product keeps its sign as PyTorch's does. An `addmm` with
//! `k = 1` (`nn.Linear(1, n)`) rounds once per element: see [`single_term`].

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, LinalgScalar, ShapeBuilder};

use super::iter::broadcast_view;
use crate::error::{Result, RuntimeError};
use crate::tensor::dtype::DType;
use crate::tensor::{StorageData, Tensor, check_alloc};

/// Where one matrix of an operand sits in its storage.
#[derive(Clone, Copy, Debug)]
struct MatrixLayout {
    offset: usize,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl MatrixLayout {
    /// The `batch`-th matrix of a 3-D tensor, or the matrix of a 2-D one
    /// (`batch` 0); `None` for other ranks or negative geometry.
    fn of(t: &Tensor, batch: usize) -> Option<MatrixLayout> {
        let (shape, strides) = (t.shape(), t.stride());
        let (lead, d) = match shape.len() {
            2 => (0, 0),
            3 => (usize::try_from(strides[0]).ok()?.checked_mul(batch)?, 1),
            _ => return None,
        };
        Some(MatrixLayout {
            offset: usize::try_from(t.storage_offset())
                .ok()?
                .checked_add(lead)?,
            rows: usize::try_from(shape[d]).ok()?,
            cols: usize::try_from(shape[d + 1]).ok()?,
            row_stride: usize::try_from(strides[d]).ok()?,
            col_stride: usize::try_from(strides[d + 1]).ok()?,
        })
    }

    fn view<'a, T>(&self, buf: &'a [T]) -> Option<ArrayView2<'a, T>> {
        let shape = (self.rows, self.cols).strides((self.row_stride, self.col_stride));
        ArrayView2::from_shape(shape, buf.get(self.offset..)?).ok()
    }
}

/// A floating element type GEMM runs in.
trait GemmScalar: LinalgScalar + Default {
    fn from_f64(v: f64) -> Self;
    /// `self * a + b` rounded once.
    fn fused(self, a: Self, b: Self) -> Self;
    fn slice(data: &StorageData) -> Option<&[Self]>;
    fn read(op: &str, t: &Tensor) -> Result<Vec<Self>>;
    fn wrap(values: Vec<Self>) -> StorageData;
}

impl GemmScalar for f32 {
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn fused(self, a: f32, b: f32) -> f32 {
        self.mul_add(a, b)
    }
    fn slice(data: &StorageData) -> Option<&[f32]> {
        match data {
            StorageData::F32(v) => Some(v),
            _ => None,
        }
    }
    fn read(op: &str, t: &Tensor) -> Result<Vec<f32>> {
        t.read_f32(op)
    }
    fn wrap(values: Vec<f32>) -> StorageData {
        StorageData::F32(values)
    }
}

impl GemmScalar for f64 {
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn fused(self, a: f64, b: f64) -> f64 {
        self.mul_add(a, b)
    }
    fn slice(data: &StorageData) -> Option<&[f64]> {
        match data {
            StorageData::F64(v) => Some(v),
            _ => None,
        }
    }
    fn read(op: &str, t: &Tensor) -> Result<Vec<f64>> {
        t.read_f64(op)
    }
    fn wrap(values: Vec<f64>) -> StorageData {
        StorageData::F64(values)
    }
}

/// `mm` of an `[n, 1]` and a `[1, m]` float32 or float64 operand with
/// `n > 1` and `m > 1`: every element is the single product `a[i] * b[j]`,
/// sign of zero included (observed in torch 2.15, both dtypes, every
/// operand layout: `0 * -x` is `-0.0` there, where an accumulation from
/// `+0.0` gives `+0.0`). A single row or column, or `k > 1`, accumulates
/// from `+0.0` in PyTorch too and takes [`product`]. `None` when the
/// operands are not such a pair.
pub(crate) fn rank_one(
    op: &str,
    m1: &Tensor,
    m2: &Tensor,
    shape: &[i64],
) -> Result<Option<Tensor>> {
    match m1.dtype() {
        DType::Float32 => rank_one_in::<f32>(op, m1, m2, shape),
        DType::Float64 => rank_one_in::<f64>(op, m1, m2, shape),
        _ => Ok(None),
    }
}

fn rank_one_in<T: GemmScalar>(
    op: &str,
    m1: &Tensor,
    m2: &Tensor,
    shape: &[i64],
) -> Result<Option<Tensor>> {
    let (Some(la), Some(lb)) = (MatrixLayout::of(m1, 0), MatrixLayout::of(m2, 0)) else {
        return Ok(None);
    };
    let (n, m) = match *shape {
        [n, m] if m1.dim() == 2 && m2.dim() == 2 => (n, m),
        [1, n, m] if m1.dim() == 3 && m2.dim() == 3 => (n, m),
        _ => return Ok(None),
    };
    if la.cols != 1 || lb.rows != 1 || n <= 1 || m <= 1 {
        return Ok(None);
    }
    let numel = crate::tensor::strides::checked_numel(shape)
        .ok_or_else(|| RuntimeError::shape(op, format!("invalid shape {shape:?}")))?;
    check_alloc(op, numel)?;
    let values = m1.with_storage(|a| {
        m2.with_storage(|b| {
            let (a, b) = (la.view(T::slice(a)?)?, lb.view(T::slice(b)?)?);
            let column: Vec<T> = a.column(0).to_vec();
            let row: Vec<T> = b.row(0).to_vec();
            Some(
                column
                    .iter()
                    .flat_map(|&x| row.iter().map(move |&y| x * y))
                    .collect::<Vec<T>>(),
            )
        })
    });
    match values {
        Some(Some(Some(values))) if values.len() == numel => {
            Tensor::from_storage_data(op, shape, T::wrap(values)).map(Some)
        }
        _ => Ok(None),
    }
}

/// Below this many multiply-adds (`batch` aside) PyTorch's CPU `bmm`
/// runs its own loop, which accumulates every element from `+0.0`; at or
/// above it a batch of one is a single GEMM.
const BMM_LOOP_MAX_WORK: i64 = 400;

/// `bmm` of a `[1, n, 1]` and a `[1, 1, m]` float32 or float64 operand with
/// `n, m > 1` and `n * m >= 400`: one GEMM of a rank-one product, written
/// product by product as [`rank_one`] (measured on torch 2.15, both dtypes,
/// every operand layout). A smaller product, or a batch of more than one
/// (a batched GEMM there), accumulates from `+0.0`: `0 * -x` gives `+0.0`
/// and takes [`product`]. `None` when the operands are not such a pair.
pub(crate) fn single_batch_rank_one(
    op: &str,
    b1: &Tensor,
    b2: &Tensor,
    shape: &[i64],
) -> Result<Option<Tensor>> {
    match *shape {
        [1, n, m] if n.saturating_mul(m) >= BMM_LOOP_MAX_WORK => rank_one(op, b1, b2, shape),
        _ => Ok(None),
    }
}

/// `addmm` of an `[n, 1]` and a `[1, m]` float32 or float64 operand with
/// `n > 1`, `m > 1` and a non-zero `beta`: each element has one product,
/// which PyTorch's GEMM (MKL) joins to the bias in a single rounding.
/// Measured on torch 2.15 (every operand layout, bias `[m]`, `[n, m]`,
/// `[n, 1]` and 0-d, both dtypes, 0 mismatches in 20 random shapes each):
/// with `beta == 1` every element is `fma(alpha * a[i], b[j], bias)`
/// (`alpha * a[i]` rounded first; `alpha == 1` is `fma(a[i], b[j], bias)`);
/// with `alpha == 1` and another `beta` it is `fma(beta, bias, a[i] *
/// b[j])`, the product rounded first. Rounding the product and the sum
/// apart differs in about one element of five. `alpha != 1` with
/// `beta != 1`, a single row or column (PyTorch's gemv, whose fusion
/// depends on the layout) and `beta == 0` take [`product`]. `None` when
/// the operands are not such a pair.
pub(crate) fn single_term(
    op: &str,
    m1: &Tensor,
    m2: &Tensor,
    bias: &Bias<'_>,
    alpha: f64,
    shape: &[i64],
) -> Result<Option<Tensor>> {
    match m1.dtype() {
        DType::Float32 => single_term_in::<f32>(op, m1, m2, bias, alpha, shape),
        DType::Float64 => single_term_in::<f64>(op, m1, m2, bias, alpha, shape),
        _ => Ok(None),
    }
}

fn single_term_in<T: GemmScalar>(
    op: &str,
    m1: &Tensor,
    m2: &Tensor,
    bias: &Bias<'_>,
    alpha: f64,
    shape: &[i64],
) -> Result<Option<Tensor>> {
    let (Some(la), Some(lb)) = (MatrixLayout::of(m1, 0), MatrixLayout::of(m2, 0)) else {
        return Ok(None);
    };
    let [n, m] = *shape else {
        return Ok(None);
    };
    let scaled_product = bias.beta == 1.0;
    let scaled_bias = alpha == 1.0 && bias.beta != 0.0 && bias.beta.is_finite();
    if m1.dim() != 2
        || m2.dim() != 2
        || la.cols != 1
        || lb.rows != 1
        || n <= 1
        || m <= 1
        || !(scaled_product || scaled_bias)
    {
        return Ok(None);
    }
    let numel = crate::tensor::strides::checked_numel(shape)
        .ok_or_else(|| RuntimeError::shape(op, format!("invalid shape {shape:?}")))?;
    check_alloc(op, numel)?;
    let c = T::read(op, &broadcast_view(op, bias.tensor, shape)?)?;
    let (alpha, beta) = (T::from_f64(alpha), T::from_f64(bias.beta));
    let values = m1.with_storage(|a| {
        m2.with_storage(|b| {
            let (a, b) = (la.view(T::slice(a)?)?, lb.view(T::slice(b)?)?);
            let column: Vec<T> = a.column(0).to_vec();
            let row: Vec<T> = b.row(0).to_vec();
            let terms = column
                .iter()
                .flat_map(|&x| row.iter().map(move |&y| (x, y)))
                .zip(&c);
            Some(if scaled_product {
                terms.map(|((x, y), &c)| (alpha * x).fused(y, c)).collect()
            } else {
                terms.map(|((x, y), &c)| beta.fused(c, x * y)).collect()
            })
        })
    });
    match values {
        Some(Some(Some(values))) if Vec::<T>::len(&values) == numel => {
            Tensor::from_storage_data(op, shape, T::wrap(values)).map(Some)
        }
        _ => Ok(None),
    }
}

/// A `beta * self` term of an `add*` product.
pub(crate) struct Bias<'a> {
    /// `self`, broadcastable to the result.
    pub(crate) tensor: &'a Tensor,
    /// Its factor (`0` ignores it, NaN and inf included).
    pub(crate) beta: f64,
}

/// `beta * bias + alpha * Σ_b m1[b] @ m2[b]` per batch entry, for float32 or
/// float64 operands on CPU: `shape` is the result's (`[n, m]` for 2-D
/// operands, `[batch, n, m]` for 3-D). `None` when the dtype has no direct
/// path (the caller computes in f64).
pub(crate) fn product(
    op: &str,
    m1: &Tensor,
    m2: &Tensor,
    bias: Option<Bias<'_>>,
    alpha: f64,
    shape: &[i64],
) -> Result<Option<Tensor>> {
    match m1.dtype() {
        DType::Float32 => product_in::<f32>(op, m1, m2, bias, alpha, shape),
        DType::Float64 => product_in::<f64>(op, m1, m2, bias, alpha, shape),
        _ => Ok(None),
    }
}

fn product_in<T: GemmScalar>(
    op: &str,
    m1: &Tensor,
    m2: &Tensor,
    bias: Option<Bias<'_>>,
    alpha: f64,
    shape: &[i64],
) -> Result<Option<Tensor>> {
    let numel = crate::tensor::strides::checked_numel(shape)
        .ok_or_else(|| RuntimeError::shape(op, format!("invalid shape {shape:?}")))?;
    check_alloc(op, numel)?;
    let (batches, n, m) = match *shape {
        [n, m] => (1, n, m),
        [b, n, m] => (b, n, m),
        _ => return Ok(None),
    };
    let (Ok(batches), Ok(n), Ok(m)) = (
        usize::try_from(batches),
        usize::try_from(n),
        usize::try_from(m),
    ) else {
        return Ok(None);
    };
    let (mut out, beta) = match bias {
        Some(b) if b.beta != 0.0 => (
            T::read(op, &broadcast_view(op, b.tensor, shape)?)?,
            T::from_f64(b.beta),
        ),
        _ => (vec![T::default(); numel], T::zero()),
    };
    let alpha = T::from_f64(alpha);
    let done = m1.with_storage(|a| {
        m2.with_storage(|b| {
            let (a, b) = (T::slice(a)?, T::slice(b)?);
            for (i, c) in out
                .chunks_exact_mut((n * m).max(1))
                .enumerate()
                .take(batches)
            {
                let (la, lb) = (MatrixLayout::of(m1, i)?, MatrixLayout::of(m2, i)?);
                let mut c = ArrayViewMut2::from_shape((n, m), c).ok()?;
                general_mat_mul(alpha, &la.view(a)?, &lb.view(b)?, beta, &mut c);
            }
            Some(())
        })
    });
    if !matches!(done, Some(Some(Some(())))) {
        return Ok(None);
    }
    Tensor::from_storage_data(op, shape, T::wrap(out)).map(Some)
}
