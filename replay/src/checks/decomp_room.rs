//! How far apart two correct pseudo-inverses may be.
//!
//! `linalg_pinv` is `V·diag(S⁺)·Uᴴ` from a singular value (or, Hermitian,
//! eigen) decomposition. PyTorch's CPU kernel runs LAPACK's `gesdd`/`syevd`
//! in the input's precision; the runtime decomposes in double precision
//! and rounds once. A backward-stable decomposition is the exact one of
//! `A + E` with `‖E‖₂ ≤ γ_N·‖A‖_F` (`N = max(m, n)`, Higham §19–20), and
//! for a full-rank `A` the pseudo-inverse moves by at most
//! `√2·‖A⁺‖₂·‖(A+E)⁺‖₂·‖E‖₂` (Wedin); the final product `V·S⁺·Uᴴ` adds
//! `γ_N·‖A⁺‖_F`. So every element of one batch matrix lies within
//! `2·γ_N·(√2·‖A‖_F·‖A⁺‖_F² + ‖A⁺‖_F)` of the other correct result (twice
//! one result's bound; Frobenius norms bound the spectral ones, and
//! PyTorch's recorded `A⁺` stands in for both pseudo-inverses).
//!
//! The room grows with the conditioning `‖A‖·‖A⁺‖`, as the error of any
//! correct pseudo-inverse does; a wrong one (a dropped or wrongly
//! thresholded singular value, a transposed factor) errs by a whole term
//! `~1/σ`, far beyond it at the conditioning a program can rely on.

use ft_trace::{OpCall, TensorRef, Value};

/// Whether `op` is a pseudo-inverse that gets this room.
pub fn is_pseudo_inverse(op: &str) -> bool {
    op == "aten.linalg_pinv.atol_rtol_tensor"
}

/// The per-element room of output `k` of a pseudo-inverse, row-major;
/// `None` when `call` is not one or a value is not known.
pub fn room(
    call: &OpCall,
    k: usize,
    value: impl Fn(&TensorRef) -> Option<Vec<f64>>,
) -> Option<Vec<f64>> {
    if k != 0 || !is_pseudo_inverse(&call.op) {
        return None;
    }
    let input = call
        .args
        .iter()
        .find(|(n, _)| n.as_str() == "self")
        .and_then(|(_, v)| match v {
            Value::Tensor(t) => Some(t),
            _ => None,
        })?;
    let out = call.outputs.iter().flat_map(Value::tensors).next()?;
    let u = match out.dtype.as_str() {
        "float64" => f64::EPSILON / 2.0,
        "float32" => f64::from(f32::EPSILON) / 2.0,
        _ => return None,
    };
    let rank = input.shape.len();
    if rank < 2 {
        return None;
    }
    let m = usize::try_from(input.shape[rank - 2]).ok()?;
    let n = usize::try_from(input.shape[rank - 1]).ok()?;
    let a = value(input)?;
    let p = value(out)?;
    let per = m * n;
    if per == 0 || a.len() % per != 0 || p.len() != a.len() {
        return None;
    }
    let big = m.max(n) as f64 * u;
    let gamma = big / (1.0 - big);
    let frob = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut room = Vec::with_capacity(p.len());
    for (am, pm) in a.chunks_exact(per).zip(p.chunks_exact(per)) {
        let (na, np) = (frob(am), frob(pm));
        let r = 2.0 * gamma * (std::f64::consts::SQRT_2 * na * np * np + np);
        room.extend(std::iter::repeat_n(r, per));
    }
    Some(room)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ft_trace::Name;

    /// diag(2, 0.5) in float32: ‖A‖_F = √4.25, ‖A⁺‖_F = √4.25; the room is
    /// about 2·2u·(√2·4.25^1.5 + 4.25^0.5) ≈ 3.2e-6, far below a dropped
    /// singular value (an error of 2 in one element).
    #[test]
    fn room_scales_with_conditioning_and_stays_below_a_dropped_value() {
        let t = |id| {
            Value::from(TensorRef {
                id,
                dtype: Name::from("float32"),
                shape: vec![2, 2].into(),
                stride: vec![2, 1].into(),
                offset: 0,
                storage: id,
                device: Name::from("cpu"),
                requires_grad: false,
                version: 0,
                value: None,
                sparse: None,
                nested: None,
            })
        };
        let call = OpCall {
            op: Name::from("aten.linalg_pinv.atol_rtol_tensor"),
            keyset: Vec::new().into(),
            chain: Vec::new().into(),
            args: vec![(Name::from("self"), t(1))],
            outputs: vec![t(2)],
            context: ft_trace::Context::TopLevel,
        };
        let r = room(&call, 0, |x| {
            Some(if x.id == 1 {
                vec![2.0, 0.0, 0.0, 0.5]
            } else {
                vec![0.5, 0.0, 0.0, 2.0]
            })
        })
        .unwrap_or_default();
        assert_eq!(r.len(), 4);
        assert!(r[0] > 1e-6 && r[0] < 1e-5, "{}", r[0]);
    }
}
