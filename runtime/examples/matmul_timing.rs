//! Timing of the matrix-product kernels (`mm`, `bmm`) through the public
//! runtime API, for comparing GEMM implementations:
//!
//! ```sh
//! cargo run --release -p ft-runtime --example matmul_timing
//! ```
//!
//! Prints the best mean wall time per call for square float32 and float64
//! products of a few sizes (the call includes reading the operands and
//! writing the result, as every kernel call does).

use std::time::Instant;

use ft_runtime::{IValue, Runtime};

fn operand(rt: &mut Runtime, dtype: &str, shape: &[i64]) -> ft_runtime::Result<IValue> {
    let numel: i64 = shape.iter().product();
    let mut strides = vec![1i64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let bytes: Vec<u8> = (0..numel)
        .flat_map(|i| {
            let v = ((i % 13) as f64 - 6.0) * 0.1;
            if dtype == "float64" {
                v.to_le_bytes().to_vec()
            } else {
                (v as f32).to_le_bytes().to_vec()
            }
        })
        .collect();
    Ok(rt
        .introduce_tensor(dtype, shape, &strides, 0, &bytes, false)?
        .into())
}

/// The best mean time per call over seven batches (the minimum is robust
/// to other load on the machine).
fn time(rt: &mut Runtime, op: &str, a: &IValue, b: &IValue, flops: f64) -> ft_runtime::Result<f64> {
    let reps = ((2e7 / flops) as usize).clamp(3, 5_000);
    let mut best = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..reps {
            rt.call(op, vec![a.clone(), b.clone()])?;
        }
        best = best.min(start.elapsed().as_secs_f64() / reps as f64);
    }
    Ok(best)
}

fn main() -> ft_runtime::Result<()> {
    let mut rt = Runtime::new();
    for dtype in ["float32", "float64"] {
        for n in [4i64, 16, 64, 128, 256] {
            let a = operand(&mut rt, dtype, &[n, n])?;
            let b = operand(&mut rt, dtype, &[n, n])?;
            let flops = 2.0 * (n * n * n) as f64;
            let t = time(&mut rt, "aten.mm.default", &a, &b, flops)?;
            println!("mm  {dtype} {n:>3}x{n:<3}        {:>10.2} us", t * 1e6);
        }
        for (batch, n) in [(8i64, 16i64), (8, 64)] {
            let a = operand(&mut rt, dtype, &[batch, n, n])?;
            let b = operand(&mut rt, dtype, &[batch, n, n])?;
            let flops = 2.0 * (batch * n * n * n) as f64;
            let t = time(&mut rt, "aten.bmm.default", &a, &b, flops)?;
            println!("bmm {dtype} {batch}x{n:>3}x{n:<3}    {:>10.2} us", t * 1e6);
        }
    }
    Ok(())
}
