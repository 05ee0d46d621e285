//! `_ctc_loss` and `_ctc_loss_backward` (both overloads: lengths as `int[]`
//! or as integral tensors): the connectionist temporal classification loss
//! of `F.ctc_loss` / `nn.CTCLoss` on CPU.
//!
//! Observed in torch 2.15: `ctc_loss` is composite; under a dispatch mode it
//! records `_ctc_loss` (`.Tensor` when the lengths are tensors, `.default`
//! for int lists), then `where(eq(loss, inf), zeros, loss)` for
//! `zero_infinity`, then the reduction as ordinary operators. `log_probs` is
//! `(T, N, C)` (an unbatched `(T, C)` input is `unsqueeze`d first);
//! `targets` is padded `(N, S)` or the `N` target sequences concatenated.
//!
//! The recursions are PyTorch's CPU kernel's (Graves et al. 2006, in log
//! space), in the tensor's dtype, with its order of operations:
//!
//! * forward: `alpha[0][0] = lp[0][blank]`, `alpha[0][1] = lp[0][l'_1]`,
//!   every other `alpha[0][s] = -inf`; for `t ≥ 1` and `s ≤ 2·len`,
//!   `alpha[t][s] = log(Σ exp(a_i − max)) + max + lp[t][l'_s]` over
//!   `a = alpha[t−1][s], alpha[t−1][s−1]` and `alpha[t−1][s−2]` when
//!   `l'_{s−2} ≠ l'_s` (a blank between equal labels cannot be skipped), the
//!   max replaced by 0 when it is `-inf`; the loss is minus the log-sum of the
//!   last two states (of the last state for an empty target; 0 or `inf`
//!   for an empty input). `log_alpha` outside `t < input_length`,
//!   `s ≤ 2·target_length` is uninitialised memory in PyTorch (an opaque
//!   output, `ft_trace::op_class::OPAQUE_OUTPUTS`): the backward never reads
//!   it, and here it is `-inf`.
//! * backward: beta mirrors alpha from `t = input_length − 1`; per `(t, s)`
//!   `alpha + beta` is log-added into the slot of label `l'_s`; then
//!   `grad[t][c] = (exp(lp) − exp(collected + nll − lp)) · grad_out[b]` for
//!   `t < input_length`, 0 beyond. With `zero_infinity` a sample whose loss
//!   is `inf` gets an all-zero gradient.

use super::super::{Kernel, KernelCtx};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;
use std::ops::{Add, Mul, Sub};

/// The kernel of `op` if it is a CTC operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._ctc_loss.default" | "aten._ctc_loss.Tensor" => ctc_loss,
        "aten._ctc_loss_backward.default" | "aten._ctc_loss_backward.Tensor" => ctc_loss_backward,
        _ => return None,
    })
}

/// `ctc_loss_allocate_outputs`, where PyTorch's checks name themselves.
const CHECKED_FROM: &str = "ctc_loss_allocate_outputs";

/// The scalar type of the recursions (float32 or float64).
trait CtcFloat:
    Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    const NEG_INF: Self;
    const INF: Self;
    const ZERO: Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn neg(self) -> Self;
    fn read(t: &Tensor, op: &str) -> Result<Vec<Self>>;
    fn widen(self) -> f64;
}

/// `impl CtcFloat` for a primitive float type, reading tensors with `$read`
/// and widening with `$widen`.
macro_rules! impl_ctc_float {
    ($t:ty, $read:ident, $widen:expr) => {
        impl CtcFloat for $t {
            const NEG_INF: $t = <$t>::NEG_INFINITY;
            const INF: $t = <$t>::INFINITY;
            const ZERO: $t = 0.0;
            fn exp(self) -> $t {
                <$t>::exp(self)
            }
            fn ln(self) -> $t {
                <$t>::ln(self)
            }
            fn neg(self) -> $t {
                -self
            }
            fn read(t: &Tensor, op: &str) -> Result<Vec<$t>> {
                t.$read(op)
            }
            fn widen(self) -> f64 {
                $widen(self)
            }
        }
    };
}

impl_ctc_float!(f32, read_f32, f64::from);
impl_ctc_float!(f64, read_f64, std::convert::identity);

/// `std::max(a, b)`: `b` only when `a < b`.
fn cpp_max<F: CtcFloat>(a: F, b: F) -> F {
    if a < b { b } else { a }
}

/// `log(exp(a − m) + exp(b − m) + exp(c − m)) + m` with `m` the largest of
/// the three (0 when all are `-inf`), as the kernel sums the transitions.
fn log_add3<F: CtcFloat>(a: F, b: F, c: F) -> F {
    let mut m = a;
    if b > m {
        m = b;
    }
    if c > m {
        m = c;
    }
    if m == F::NEG_INF {
        m = F::ZERO;
    }
    ((a - m).exp() + (b - m).exp() + (c - m).exp()).ln() + m
}

/// The lengths argument `i`: an `int[]`, or (`.Tensor` overloads) an
/// integral tensor read as int64.
fn lengths(a: &Args<'_>, i: usize, name: &str) -> Result<Vec<i64>> {
    match a.values.get(i) {
        Some(IValue::Tensor(t)) => {
            if !t.dtype().is_integral(false) {
                return Err(RuntimeError::shape(
                    a.op,
                    format!("{name} must be integral"),
                ));
            }
            t.read_i64(a.op)
        }
        _ => a.int_list(i),
    }
}

/// One validated call: sizes, lengths and where each target sequence starts
/// in the logical order of `targets`.
struct Problem {
    time: usize,
    batch: usize,
    classes: usize,
    blank: usize,
    input_lengths: Vec<usize>,
    target_lengths: Vec<usize>,
    /// Logical offset of sample `b`'s first label in `targets`.
    offsets: Vec<usize>,
    /// States per time step in `log_alpha`: `2·max target length + 1`.
    states: usize,
}

impl Problem {
    /// `l'_s`: the blank at even `s`, label `s / 2` at odd `s`.
    fn prime(&self, targets: &[i64], b: usize, s: usize) -> usize {
        if s.is_multiple_of(2) {
            self.blank
        } else {
            // Checked to be a class index when the problem was built.
            targets[self.offsets[b] + s / 2] as usize
        }
    }

    fn lp_at(&self, t: usize, b: usize, c: usize) -> usize {
        (t * self.batch + b) * self.classes + c
    }

    fn la_at(&self, b: usize, t: usize, s: usize) -> usize {
        (b * self.time + t) * self.states + s
    }
}

fn dims_error(op: &str, message: String) -> RuntimeError {
    RuntimeError::shape(
        op,
        format!("{message} (while checking arguments for {CHECKED_FROM})"),
    )
}

fn check_dtype(op: &str, kernel: &str, dtype: DType) -> Result<()> {
    match dtype {
        DType::Float32 | DType::Float64 => Ok(()),
        other => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"{kernel}\" not implemented for '{}'",
                other.scalar_type_name()
            ),
        }),
    }
}

/// PyTorch's `ctc_loss_allocate_outputs` checks, in its order, plus a
/// range check of every label the recursion reads (PyTorch reads whatever
/// memory an out-of-range label points at).
fn problem(
    op: &str,
    log_probs: &Tensor,
    targets: &Tensor,
    targets_data: Option<&[i64]>,
    input_lengths: &[i64],
    target_lengths: &[i64],
    blank: i64,
) -> Result<Problem> {
    if !matches!(targets.dtype(), DType::Int64 | DType::Int32) {
        return Err(dims_error(
            op,
            format!(
                "Expected tensor for argument #2 'targets' to have scalar type Long; but got {} instead",
                targets.dtype().scalar_type_name()
            ),
        ));
    }
    if log_probs.dim() != 3 {
        return Err(dims_error(
            op,
            format!(
                "Expected 3-dimensional tensor, but got {}-dimensional tensor for argument #1 'log_probs'",
                log_probs.dim()
            ),
        ));
    }
    if !(1..3).contains(&targets.dim()) {
        return Err(dims_error(
            op,
            format!(
                "Expected 1 to 2 dimensions, but got {}-dimensional tensor for argument #2 'targets'",
                targets.dim()
            ),
        ));
    }
    let shape = log_probs.shape();
    let (time, batch, classes) = (shape[0], shape[1], shape[2]);
    if !(0..classes).contains(&blank) {
        return Err(RuntimeError::shape(op, "blank must be in label range"));
    }
    if input_lengths.len() as i64 != batch {
        return Err(RuntimeError::shape(
            op,
            "input_lengths must be of size batch_size",
        ));
    }
    if target_lengths.len() as i64 != batch {
        return Err(RuntimeError::shape(
            op,
            "target_lengths must be of size batch_size",
        ));
    }
    let mut offsets = Vec::with_capacity(target_lengths.len());
    let mut max_target = 0i64;
    let mut pos = 0i64;
    let padded_width = targets.shape().get(1).copied().unwrap_or(0);
    for (b, &len) in target_lengths.iter().enumerate() {
        if len < 0 {
            return Err(dims_error(
                op,
                format!("Expected target_lengths to have value at least 0, but got value {len}"),
            ));
        }
        if targets.dim() == 1 {
            offsets.push(pos as usize);
            pos += len;
        } else {
            offsets.push(b * padded_width.max(0) as usize);
        }
        max_target = max_target.max(len);
    }
    let first = targets.shape()[0];
    if targets.dim() == 1 {
        if first != pos {
            return Err(dims_error(
                op,
                format!(
                    "Expected tensor to have size {pos} at dimension 0, but got size {first} for argument #2 'targets'"
                ),
            ));
        }
    } else {
        if first != batch {
            return Err(dims_error(
                op,
                format!(
                    "Expected tensor to have size {batch} at dimension 0, but got size {first} for argument #2 'targets'"
                ),
            ));
        }
        if padded_width < max_target {
            return Err(dims_error(
                op,
                format!(
                    "Expected tensor to have size at least {max_target} at dimension 1, but got size {padded_width} for argument #2 'targets'"
                ),
            ));
        }
    }
    for &len in input_lengths {
        if len < 0 {
            return Err(dims_error(
                op,
                format!("Expected input_lengths to have value at least 0, but got value {len}"),
            ));
        }
        if len > time {
            return Err(dims_error(
                op,
                format!("Expected input_lengths to have value at most {time}, but got value {len}"),
            ));
        }
    }
    let pr = Problem {
        time: time as usize,
        batch: batch as usize,
        classes: classes as usize,
        blank: blank as usize,
        input_lengths: input_lengths.iter().map(|&l| l as usize).collect(),
        target_lengths: target_lengths.iter().map(|&l| l as usize).collect(),
        offsets,
        states: 2 * max_target as usize + 1,
    };
    if let Some(data) = targets_data {
        for b in 0..pr.batch {
            for k in 0..pr.target_lengths[b] {
                let label = data[pr.offsets[b] + k];
                if !(0..classes).contains(&label) {
                    return Err(RuntimeError::index(
                        op,
                        format!(
                            "target label {label} of sample {b} is out of range for {classes} classes"
                        ),
                    ));
                }
            }
        }
    }
    Ok(pr)
}

/// Whether the `s − 2` transition into state `s` is allowed: never into a
/// blank, nor between equal labels (unless the fault
/// `ctc-skip-repeat-transition` allows the latter).
fn skip_allowed(pr: &Problem, targets: &[i64], b: usize, s: usize, allow_repeat: bool) -> bool {
    let (from, to) = (pr.prime(targets, b, s - 2), pr.prime(targets, b, s));
    from != to || (allow_repeat && s % 2 == 1)
}

/// The forward recursion: `(neg_log_likelihood [N], log_alpha [N, T, S])`.
fn forward<F: CtcFloat>(
    pr: &Problem,
    lp: &[F],
    targets: &[i64],
    allow_repeat: bool,
) -> (Vec<F>, Vec<F>) {
    let mut la = vec![F::NEG_INF; pr.batch * pr.time * pr.states];
    let mut nll = vec![F::ZERO; pr.batch];
    for b in 0..pr.batch {
        let (il, tl) = (pr.input_lengths[b], pr.target_lengths[b]);
        if il == 0 {
            let ll = if tl == 0 { F::ZERO } else { F::NEG_INF };
            nll[b] = ll.neg();
            continue;
        }
        la[pr.la_at(b, 0, 0)] = lp[pr.lp_at(0, b, pr.blank)];
        if tl > 0 {
            la[pr.la_at(b, 0, 1)] = lp[pr.lp_at(0, b, pr.prime(targets, b, 1))];
        }
        for t in 1..il {
            for s in 0..=2 * tl {
                let la1 = la[pr.la_at(b, t - 1, s)];
                let la2 = if s > 0 {
                    la[pr.la_at(b, t - 1, s - 1)]
                } else {
                    F::NEG_INF
                };
                let la3 = if s > 1 && skip_allowed(pr, targets, b, s, allow_repeat) {
                    la[pr.la_at(b, t - 1, s - 2)]
                } else {
                    F::NEG_INF
                };
                let c = pr.prime(targets, b, s);
                la[pr.la_at(b, t, s)] = log_add3(la1, la2, la3) + lp[pr.lp_at(t, b, c)];
            }
        }
        nll[b] = if tl == 0 {
            la[pr.la_at(b, il - 1, 0)].neg()
        } else {
            let l1 = la[pr.la_at(b, il - 1, 2 * tl)];
            let l2 = la[pr.la_at(b, il - 1, 2 * tl - 1)];
            let mut m = cpp_max(l1, l2);
            if m == F::NEG_INF {
                m = F::ZERO;
            }
            (((l1 - m).exp() + (l2 - m).exp()).ln() + m).neg()
        };
    }
    (nll, la)
}

/// What the backward reads besides the problem.
struct BackwardInputs<'v, F> {
    lp: &'v [F],
    targets: &'v [i64],
    nll: &'v [F],
    la: &'v [F],
    grad_out: &'v [F],
    zero_infinity: bool,
    allow_repeat: bool,
}

/// The backward: the gradient with respect to `log_probs`, `[T, N, C]`.
fn backward<F: CtcFloat>(pr: &Problem, v: &BackwardInputs<'_, F>) -> Vec<F> {
    let mut grad = vec![F::NEG_INF; pr.time * pr.batch * pr.classes];
    let mut beta = vec![F::NEG_INF; pr.time * pr.states];
    let lb = |t: usize, s: usize| t * pr.states + s;
    let targets = v.targets;
    for b in 0..pr.batch {
        let nll = v.nll[b];
        if v.zero_infinity && nll == F::INF {
            for t in 0..pr.time {
                for c in 0..pr.classes {
                    grad[pr.lp_at(t, b, c)] = F::ZERO;
                }
            }
            continue;
        }
        let (il, tl) = (pr.input_lengths[b], pr.target_lengths[b]);
        if il > 0 {
            let last = il - 1;
            for s in 0..pr.states {
                beta[lb(last, s)] = F::NEG_INF;
            }
            beta[lb(last, 2 * tl)] = v.lp[pr.lp_at(last, b, pr.blank)];
            grad[pr.lp_at(last, b, pr.blank)] =
                v.la[pr.la_at(b, last, 2 * tl)] + beta[lb(last, 2 * tl)];
            if tl > 0 {
                let c = pr.prime(targets, b, 2 * tl - 1);
                beta[lb(last, 2 * tl - 1)] = v.lp[pr.lp_at(last, b, c)];
                grad[pr.lp_at(last, b, c)] =
                    v.la[pr.la_at(b, last, 2 * tl - 1)] + beta[lb(last, 2 * tl - 1)];
            }
        }
        for t in (0..il.saturating_sub(1)).rev() {
            for s in (0..=2 * tl).rev() {
                let c = pr.prime(targets, b, s);
                let lb1 = beta[lb(t + 1, s)];
                let lb2 = if s < 2 * tl {
                    beta[lb(t + 1, s + 1)]
                } else {
                    F::NEG_INF
                };
                let lb3 = if s + 1 < 2 * tl && skip_allowed(pr, targets, b, s + 2, v.allow_repeat) {
                    beta[lb(t + 1, s + 2)]
                } else {
                    F::NEG_INF
                };
                beta[lb(t, s)] = log_add3(lb1, lb2, lb3) + v.lp[pr.lp_at(t, b, c)];
                let alpha_beta = v.la[pr.la_at(b, t, s)] + beta[lb(t, s)];
                let slot = &mut grad[pr.lp_at(t, b, c)];
                if *slot == F::NEG_INF {
                    *slot = alpha_beta;
                } else {
                    let m = cpp_max(*slot, alpha_beta);
                    *slot = ((*slot - m).exp() + (alpha_beta - m).exp()).ln() + m;
                }
            }
        }
        let gr = v.grad_out[b];
        for t in 0..il {
            for c in 0..pr.classes {
                let at = pr.lp_at(t, b, c);
                let lp = v.lp[at];
                grad[at] = (lp.exp() - (grad[at] + nll - lp).exp()) * gr;
            }
        }
        for t in il..pr.time {
            for c in 0..pr.classes {
                grad[pr.lp_at(t, b, c)] = F::ZERO;
            }
        }
    }
    grad
}

fn widen<F: CtcFloat>(v: Vec<F>) -> Vec<f64> {
    v.into_iter().map(CtcFloat::widen).collect()
}

/// The targets' labels in logical order (int32 or int64).
fn read_targets(op: &str, targets: &Tensor) -> Result<Vec<i64>> {
    targets.read_i64(op)
}

/// The targets' labels when the context carries data, `None` when it only
/// tracks shapes.
fn labels_if_data(ctx: &KernelCtx<'_>, targets: &Tensor) -> Result<Option<Vec<i64>>> {
    if ctx.has_data() {
        Ok(Some(read_targets(ctx.op, targets)?))
    } else {
        Ok(None)
    }
}

/// The labels (when the context carries data), then the validated problem
/// of `(log_probs, targets)` with the blank at argument `blank_at`.
fn labels_and_problem(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    (log_probs, targets): (&Tensor, &Tensor),
    input_lengths: &[i64],
    target_lengths: &[i64],
    blank_at: usize,
) -> Result<(Option<Vec<i64>>, Problem)> {
    let data = labels_if_data(ctx, targets)?;
    let pr = problem(
        ctx.op,
        log_probs,
        targets,
        data.as_deref(),
        input_lengths,
        target_lengths,
        a.int(blank_at)?,
    )?;
    Ok((data, pr))
}

/// The forward recursion in `F`, reading `log_probs` and widening
/// `(neg_log_likelihood, log_alpha)` to f64.
fn forward_widened<F: CtcFloat>(
    pr: &Problem,
    op: &str,
    log_probs: &Tensor,
    labels: &[i64],
    allow_repeat: bool,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let (nll, la) = forward(pr, &F::read(log_probs, op)?, labels, allow_repeat);
    Ok((widen(nll), widen(la)))
}

/// The tensors `_ctc_loss_backward` reads, besides the targets.
struct BackwardTensors<'t> {
    log_probs: &'t Tensor,
    nll: &'t Tensor,
    log_alpha: &'t Tensor,
    grad_out: &'t Tensor,
}

/// The backward in `F`: reads `log_probs`, `neg_log_likelihood`,
/// `log_alpha` and `grad` (in that order) and widens the gradient to f64.
fn backward_widened<F: CtcFloat>(
    pr: &Problem,
    op: &str,
    tensors: &BackwardTensors<'_>,
    labels: &[i64],
    zero_infinity: bool,
    allow_repeat: bool,
) -> Result<Vec<f64>> {
    let (lp, nll, la, g) = (
        F::read(tensors.log_probs, op)?,
        F::read(tensors.nll, op)?,
        F::read(tensors.log_alpha, op)?,
        F::read(tensors.grad_out, op)?,
    );
    Ok(widen(backward(
        pr,
        &BackwardInputs {
            lp: &lp,
            targets: labels,
            nll: &nll,
            la: &la,
            grad_out: &g,
            zero_infinity,
            allow_repeat,
        },
    )))
}

/// `_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
/// zero_infinity=False) -> (neg_log_likelihood, log_alpha)`.
pub(crate) fn ctc_loss(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let op = ctx.op;
    let (log_probs, targets) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(log_probs, "log_probs")?;
    ctx.check(targets, "targets")?;
    let input_lengths = lengths(&a, 2, "input_lengths")?;
    let target_lengths = lengths(&a, 3, "target_lengths")?;
    check_dtype(op, "ctc_loss_cpu", log_probs.dtype())?;
    if log_probs.numel() == 0 {
        return Err(RuntimeError::shape(
            op,
            "log_probs tensor must not be empty",
        ));
    }
    let (data, pr) = labels_and_problem(
        ctx,
        &a,
        (log_probs, targets),
        &input_lengths,
        &target_lengths,
        4,
    )?;
    // The recursion's `log_alpha` is allocated before `ctx.output` sees it.
    crate::tensor::check_alloc(op, pr.batch * pr.time * pr.states)?;
    let allow_repeat = ctx.faults.ctc_skip_repeat_transition;
    let dtype = log_probs.dtype();
    let computed = match &data {
        Some(labels) if dtype == DType::Float32 => Some(forward_widened::<f32>(
            &pr,
            op,
            log_probs,
            labels,
            allow_repeat,
        )?),
        Some(labels) => Some(forward_widened::<f64>(
            &pr,
            op,
            log_probs,
            labels,
            allow_repeat,
        )?),
        None => None,
    };
    let (nll, la) = match computed {
        Some((nll, la)) => (Some(nll), Some(la)),
        None => (None, None),
    };
    let nll_shape = [pr.batch as i64];
    let la_shape = [pr.batch as i64, pr.time as i64, pr.states as i64];
    let out0 = ctx.output(&nll_shape, &contiguous_strides(&nll_shape), dtype, || {
        Ok(nll.unwrap_or_default())
    })?;
    let out1 = ctx.output(&la_shape, &contiguous_strides(&la_shape), dtype, || {
        Ok(la.unwrap_or_default())
    })?;
    Ok(vec![out0.into(), out1.into()])
}

/// `_ctc_loss_backward(grad, log_probs, targets, input_lengths,
/// target_lengths, neg_log_likelihood, log_alpha, blank, zero_infinity)`.
pub(crate) fn ctc_loss_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let op = ctx.op;
    let (grad_out, log_probs, targets) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let (nll, log_alpha) = (a.tensor(5)?, a.tensor(6)?);
    for (t, name) in [
        (grad_out, "grad"),
        (log_probs, "log_probs"),
        (targets, "targets"),
        (nll, "neg_log_likelihood"),
        (log_alpha, "log_alpha"),
    ] {
        ctx.check(t, name)?;
    }
    let input_lengths = lengths(&a, 3, "input_lengths")?;
    let target_lengths = lengths(&a, 4, "target_lengths")?;
    check_dtype(op, "ctc_loss_backward_cpu", log_probs.dtype())?;
    // PyTorch trusts the forward's checks; the runtime repeats them so a
    // hand-made call cannot index out of bounds.
    let (data, pr) = labels_and_problem(
        ctx,
        &a,
        (log_probs, targets),
        &input_lengths,
        &target_lengths,
        7,
    )?;
    let la_shape = [pr.batch as i64, pr.time as i64, pr.states as i64];
    if log_alpha.shape() != la_shape.as_slice()
        || nll.shape() != [pr.batch as i64]
        || grad_out.shape() != [pr.batch as i64]
    {
        return Err(RuntimeError::shape(
            op,
            format!(
                "grad {:?}, neg_log_likelihood {:?} and log_alpha {:?} do not fit a batch of {} with {} states",
                grad_out.shape(),
                nll.shape(),
                log_alpha.shape(),
                pr.batch,
                pr.states
            ),
        ));
    }
    let zero_infinity = a.bool(8)? && !ctx.faults.ctc_grad_ignores_zero_infinity;
    let allow_repeat = ctx.faults.ctc_skip_repeat_transition;
    let shape = log_probs.shape().to_vec();
    let dtype = log_probs.dtype();
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let labels = data.as_deref().unwrap_or_default();
        let tensors = BackwardTensors {
            log_probs,
            nll,
            log_alpha,
            grad_out,
        };
        if dtype == DType::Float32 {
            backward_widened::<f32>(&pr, op, &tensors, labels, zero_infinity, allow_repeat)
        } else {
            backward_widened::<f64>(&pr, op, &tensors, labels, zero_infinity, allow_repeat)
        }
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem_of(
        il: &[usize],
        tl: &[usize],
        time: usize,
        classes: usize,
        padded: usize,
    ) -> Problem {
        let states = 2 * tl.iter().copied().max().unwrap_or(0) + 1;
        Problem {
            time,
            batch: il.len(),
            classes,
            blank: 0,
            input_lengths: il.to_vec(),
            target_lengths: tl.to_vec(),
            offsets: (0..il.len()).map(|b| b * padded).collect(),
            states,
        }
    }

    /// Log-probabilities of a uniform distribution over `classes`.
    fn uniform(time: usize, batch: usize, classes: usize) -> Vec<f64> {
        vec![-(classes as f64).ln(); time * batch * classes]
    }

    #[test]
    fn counts_alignments_of_a_uniform_distribution() {
        // T = 3, C = 3, target [1]: the alignments collapsing to "1" are
        // 1__ _1_ __1 11_ _11 111 (with _ the blank): 6 paths of (1/3)^3.
        let pr = problem_of(&[3], &[1], 3, 3, 1);
        let (nll, _) = forward(&pr, &uniform(3, 1, 3), &[1], false);
        assert!((nll[0] - (27f64 / 6.0).ln()).abs() < 1e-12);
        // Target [1, 1] needs a blank between: only "1_1" in 3 steps.
        let pr = problem_of(&[3], &[2], 3, 3, 2);
        let (nll, _) = forward(&pr, &uniform(3, 1, 3), &[1, 1], false);
        assert!((nll[0] - 27f64.ln()).abs() < 1e-12);
        // Allowing the jump from the first 1 to the second skips the
        // blank that separates them: paths such as "11_" (which collapse
        // to [1]) are counted too, so the loss falls.
        let (wrong, _) = forward(&pr, &uniform(3, 1, 3), &[1, 1], true);
        assert!(wrong[0] < nll[0]);
    }

    #[test]
    fn impossible_and_empty_cases() {
        // [1, 1] cannot fit in 2 steps; an empty input with an empty target
        // has probability one (loss -0.0 as PyTorch negates 0).
        let pr = problem_of(&[2, 0], &[2, 0], 2, 3, 2);
        let (nll, _) = forward(&pr, &uniform(2, 2, 3), &[1, 1, 0, 0], false);
        assert_eq!(nll[0], f64::INFINITY);
        assert_eq!(nll[1].to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn the_gradient_is_the_softmax_minus_the_posterior() {
        // d loss / d lp[t][c] = exp(lp) - posterior(t, c); over c the
        // posteriors of each frame sum to one, so each frame's gradient sums
        // to sum(exp(lp)) - 1 = 0 for a normalised distribution.
        let pr = problem_of(&[4], &[2], 4, 3, 2);
        let lp = uniform(4, 1, 3);
        let (nll, la) = forward(&pr, &lp, &[1, 2], false);
        let grad = backward(
            &pr,
            &BackwardInputs {
                lp: &lp,
                targets: &[1, 2],
                nll: &nll,
                la: &la,
                grad_out: &[1.0],
                zero_infinity: false,
                allow_repeat: false,
            },
        );
        for t in 0..4 {
            let row: f64 = grad[t * 3..t * 3 + 3].iter().sum();
            assert!(row.abs() < 1e-12, "{grad:?}");
        }
    }

    #[test]
    fn zero_infinity_zeroes_an_impossible_sample() {
        let pr = problem_of(&[2], &[2], 2, 3, 2);
        let lp = uniform(2, 1, 3);
        let (nll, la) = forward(&pr, &lp, &[1, 1], false);
        let inputs = |zero_infinity| BackwardInputs {
            lp: &lp,
            targets: &[1, 1],
            nll: &nll,
            la: &la,
            grad_out: &[0.0],
            zero_infinity,
            allow_repeat: false,
        };
        assert!(backward(&pr, &inputs(true)).iter().all(|&g| g == 0.0));
        assert!(backward(&pr, &inputs(false)).iter().any(|g| g.is_nan()));
    }
}
