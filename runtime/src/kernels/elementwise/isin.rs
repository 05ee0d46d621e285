//! `isin`: whether each element occurs among the test elements (what
//! `generate`'s stopping criteria ask of every new token).
//!
//! The overloads take a tensor or a Scalar on either side; a Scalar is a
//! wrapped number, so the comparison dtype is `result_type(elements,
//! test_elements)` and a value is rounded to it before comparing (an int64
//! tensor against `2.5` compares in the default dtype). The result has the
//! elements' shape, contiguous, bool. Bool and complex inputs are refused
//! with PyTorch's message.
//!
//! PyTorch's CPU kernel takes one of two paths, NumPy's heuristic choosing:
//! with fewer than `trunc(10 · numel(elements)^0.145)` test elements, each
//! element is compared against every test element (`==`, so a NaN is never
//! found); otherwise the elements (made unique first unless
//! `assume_unique`) and the test elements are concatenated, stably sorted
//! (NaN last, `-0.0` equal to `0.0`), and an element is found when the next
//! sorted value equals it. The two agree except when `assume_unique` is
//! given elements that repeat: then the sorting path finds an element that
//! is followed by its own duplicate, and this kernel does the same.

use super::common::{promoted, round_to};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

use std::cmp::Ordering;

/// `isin.Tensor_Tensor(elements, test_elements, *, assume_unique=False,
/// invert=False)`, `isin.Tensor_Scalar(elements, test_element, ...)` and
/// `isin.Scalar_Tensor(element, test_elements, ...)`.
pub(crate) fn isin(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (elements, tests) = (a.operand(0)?, a.operand(1)?);
    for o in [&elements, &tests] {
        let dtype = match o {
            Operand::Tensor(t) => {
                ctx.check(t, "elements")?;
                t.dtype()
            }
            Operand::Scalar(_, d) => *d,
            Operand::BigInt(_) => DType::Int64,
        };
        if dtype == DType::Bool || dtype.is_complex() {
            return Err(RuntimeError::TypeCast {
                op: ctx.op.to_owned(),
                message: format!(
                    "Unsupported input type encountered for isin(): {}",
                    dtype.scalar_type_name()
                ),
            });
        }
    }
    let (assume_unique, invert) = (a.bool(2)?, a.bool(3)?);
    let shape = match &elements {
        Operand::Tensor(t) => t.shape().to_vec(),
        Operand::Scalar(..) | Operand::BigInt(_) => Vec::new(),
    };
    let common = promoted(ctx, &[elements, tests]);
    let broken = ctx.faults.isin_ignores_last_test_element;
    let op = ctx.op;
    let out = ctx.output_i64(&shape, &contiguous_strides(&shape), DType::Bool, || {
        let found = if common.is_integral(false) {
            let (e, mut t) = (read_i64(op, &elements)?, read_i64(op, &tests)?);
            if broken {
                t.pop();
            }
            membership(&e, &t, assume_unique, |x, y| x.cmp(y))
        } else {
            let read = |o: &Operand<'_>| -> Result<Vec<f64>> {
                Ok(read_f64(op, o)?
                    .into_iter()
                    .map(|v| round_to(common, v))
                    .collect())
            };
            let (e, mut t) = (read(&elements)?, read(&tests)?);
            if broken {
                t.pop();
            }
            membership(&e, &t, assume_unique, nan_last)
        };
        Ok(found.into_iter().map(|f| i64::from(f != invert)).collect())
    })?;
    Ok(vec![out.into()])
}

fn read_i64(op: &str, o: &Operand<'_>) -> Result<Vec<i64>> {
    match o {
        Operand::Tensor(t) => t.read_i64(op),
        Operand::Scalar(v, _) => Ok(vec![*v as i64]),
        Operand::BigInt(v) => Ok(vec![*v]),
    }
}

fn read_f64(op: &str, o: &Operand<'_>) -> Result<Vec<f64>> {
    match o {
        Operand::Tensor(t) => t.read_f64(op),
        Operand::Scalar(v, _) => Ok(vec![*v]),
        Operand::BigInt(v) => Ok(vec![*v as f64]),
    }
}

/// The order of PyTorch's CPU sort: NaN after every number, `-0.0` and
/// `0.0` equal.
fn nan_last(x: &f64, y: &f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
    }
}

/// Whether each element is found, by the path PyTorch's CPU kernel takes
/// (`order` is its sort order; two values are equal when `==` holds, which
/// a NaN never does).
fn membership<T: Copy + PartialEq>(
    elements: &[T],
    tests: &[T],
    assume_unique: bool,
    order: impl Fn(&T, &T) -> Ordering,
) -> Vec<bool> {
    if elements.is_empty() {
        return Vec::new();
    }
    let threshold = (10.0 * (elements.len() as f64).powf(0.145)) as usize;
    if tests.len() < threshold || !assume_unique {
        // The compare-all path; the sorting path on unique elements finds
        // exactly the elements equal to some test element too.
        return elements
            .iter()
            .map(|e| tests.iter().any(|t| t == e))
            .collect();
    }
    let all: Vec<T> = elements.iter().chain(tests).copied().collect();
    let mut sorted: Vec<usize> = (0..all.len()).collect();
    sorted.sort_by(|&i, &j| order(&all[i], &all[j]));
    let mut found = vec![false; all.len()];
    for pair in sorted.windows(2) {
        found[pair[0]] = all[pair[1]] == all[pair[0]];
    }
    found.truncate(elements.len());
    found
}

#[cfg(test)]
mod tests {
    use super::{membership, nan_last};

    #[test]
    fn both_paths_find_what_pytorch_finds() {
        // torch 2.15: isin([1, 1, 50, 50], arange(100, 120), assume_unique=True)
        // takes the sorting path and finds each first duplicate.
        let tests: Vec<i64> = (100..120).collect();
        let e = [1i64, 1, 50, 50];
        assert_eq!(
            membership(&e, &tests, true, |x, y| x.cmp(y)),
            vec![true, false, true, false]
        );
        assert_eq!(
            membership(&e, &tests, false, |x, y| x.cmp(y)),
            vec![false; 4]
        );
        // [1, nan, nan, -0, 0] in arange(100, 120) ++ [nan, 0]: NaN is never
        // found, both zeros are.
        let e = [1.0, f64::NAN, f64::NAN, -0.0, 0.0];
        let mut t: Vec<f64> = (100..120).map(f64::from).collect();
        t.extend([f64::NAN, 0.0]);
        let want = vec![false, false, false, true, true];
        assert_eq!(membership(&e, &t, true, nan_last), want);
        assert_eq!(membership(&e, &t, false, nan_last), want);
        // Few test elements: compare all.
        assert_eq!(
            membership(&[3i64, 4], &[4], true, |x, y| x.cmp(y)),
            vec![false, true]
        );
        assert!(membership::<i64>(&[], &[1], false, |x, y| x.cmp(y)).is_empty());
    }
}
