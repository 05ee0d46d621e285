//! `repeat_interleave.Tensor(repeats, *, output_size=None)`: the index
//! vector `torch.repeat_interleave` gathers with (`index_select`), each
//! position `i` repeated `repeats[i]` times, in the dtype of `repeats`
//! (int64 or int32). PyTorch's CPU kernel (torch 2.15) with its checks.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;

/// `repeat_interleave.Tensor(Tensor repeats, *, SymInt? output_size=None)`.
pub(crate) fn repeat_interleave(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let repeats = a.tensor(0)?;
    ctx.check(repeats, "repeats")?;
    if repeats.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            "repeat_interleave only accept 1D vector as repeat",
        ));
    }
    if !matches!(repeats.dtype(), DType::Int64 | DType::Int32) {
        return Err(RuntimeError::shape(
            ctx.op,
            "repeats has to be Long or Int tensor",
        ));
    }
    let output_size = match a.values.get(1) {
        Some(IValue::Int(n)) => Some(*n),
        _ => None,
    };
    let counts = repeats.read_i64(ctx.op)?;
    if counts.iter().any(|&c| c < 0) {
        return Err(RuntimeError::shape(ctx.op, "repeats can not be negative"));
    }
    let total = counts
        .iter()
        .try_fold(0i64, |acc, &c| acc.checked_add(c))
        .ok_or_else(|| RuntimeError::shape(ctx.op, "repeats sum overflows int64"))?;
    if output_size.is_some_and(|n| n != total) {
        return Err(RuntimeError::shape(
            ctx.op,
            "allocated size does not match required size",
        ));
    }
    let mut index: Vec<i64> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| std::iter::repeat_n(i as i64, c as usize))
        .collect();
    if ctx.faults.repeat_interleave_reversed {
        index.reverse();
    }
    let out = ctx.output_i64(&[total], &[1], repeats.dtype(), || Ok(index))?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::dtype::DType;

    fn run(
        repeats: &[i64],
        dtype: DType,
        output_size: Option<i64>,
    ) -> crate::error::Result<Vec<i64>> {
        let mut rt = Runtime::new();
        let bytes: Vec<u8> = match dtype {
            DType::Int32 => repeats
                .iter()
                .flat_map(|&v| (v as i32).to_le_bytes())
                .collect(),
            _ => repeats.iter().flat_map(|v| v.to_le_bytes()).collect(),
        };
        let t = rt.introduce_tensor(
            dtype.name(),
            &[repeats.len() as i64],
            &[1],
            0,
            &bytes,
            false,
        )?;
        let size = output_size.map_or(IValue::None, IValue::Int);
        let out = rt.call("aten.repeat_interleave.Tensor", vec![t.into(), size])?;
        let o = out
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("tensor");
        assert_eq!(o.dtype(), dtype);
        o.to_i64_vec()
    }

    #[test]
    fn each_position_repeats_its_count() {
        // torch 2.15: repeat_interleave(tensor([1, 0, 2, 1])) → [0, 2, 2, 3]
        assert_eq!(
            run(&[1, 0, 2, 1], DType::Int64, None).ok(),
            Some(vec![0, 2, 2, 3])
        );
        assert_eq!(
            run(&[2, 1], DType::Int32, Some(3)).ok(),
            Some(vec![0, 0, 1])
        );
        assert_eq!(run(&[], DType::Int64, None).ok(), Some(vec![]));
    }

    #[test]
    fn bad_repeats_are_refused() {
        let msg =
            |r: crate::error::Result<Vec<i64>>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg(run(&[1, -1], DType::Int64, None)).contains("repeats can not be negative"));
        assert!(msg(run(&[1, 2], DType::Int64, Some(4))).contains("allocated size does not match"));
    }
}
