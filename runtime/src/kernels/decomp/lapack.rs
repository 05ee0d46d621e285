//! The unblocked LAPACK routines under `torch.linalg`, on one column-major
//! f64 matrix at a time: Householder QR (`dgeqr2` with `dlarfg`/`dlarf`,
//! then `dorg2r`), Cholesky (`dpotf2`), triangular solves (`dtrsm`), LU
//! with partial pivoting (`dgetf2`) and its solve (`dgetrs`), applying
//! stored reflectors (`dorm2r`), and QR with column pivoting (`dgeqp3`'s
//! unblocked `dlaqp2`).
//!
//! The operation order is the reference routines', so signs follow LAPACK's
//! conventions (a Householder reflector maps `alpha` to `beta =
//! −sign(alpha)·‖x‖`, `v[0] = 1`, `tau = (beta − alpha)/beta`; a pivot is
//! the first row of largest magnitude) and a failed factorization leaves
//! what the reference routine leaves. Values are computed in f64; the
//! kernels round once to the tensor's dtype.
//!
//! A matrix is `(data, rows)`, element `(i, j)` at `data[i + j·rows]`.

/// The arithmetic the routines run in: the tensor's own precision, as
/// LAPACK's `s`/`d` routines do.
pub(crate) trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn is_nan(self) -> bool;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[allow(clippy::cast_possible_truncation)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
        }
    };
}
real!(f32);
real!(f64);

/// Runs `f` on `a` in single (`single`) or double precision, writing the
/// result back.
fn in_precision<R>(
    a: &mut [f64],
    single: bool,
    f32_f: impl FnOnce(&mut [f32]) -> R,
    f64_f: impl FnOnce(&mut [f64]) -> R,
) -> R {
    if single {
        let mut v: Vec<f32> = a.iter().map(|&x| f32::from_f64(x)).collect();
        let r = f32_f(&mut v);
        a.iter_mut().zip(&v).for_each(|(o, &x)| *o = f64::from(x));
        r
    } else {
        f64_f(a)
    }
}

fn widen<T: Real>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

fn narrow<T: Real>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// `dgeqr2`/`sgeqr2`: QR of the `m×n` matrix `a` in place (R on and above
/// the diagonal, the reflectors' `v` below); returns `tau` (`min(m, n)`).
pub(crate) fn geqr2(a: &mut [f64], m: usize, n: usize, single: bool) -> Vec<f64> {
    in_precision(
        a,
        single,
        |v| widen(&geqr2_t(v, m, n)),
        |v| geqr2_t(v, m, n),
    )
}

/// `dorg2r`: the first `cols` columns of `Q = H(0)·…·H(k−1)` (`m×cols`,
/// `cols ≥ k`) from `geqr2`'s reflectors (`a` is `m×n`, `n ≥ k`).
pub(crate) fn org2r(a: &[f64], m: usize, tau: &[f64], cols: usize, single: bool) -> Vec<f64> {
    if single {
        widen(&org2r_t::<f32>(&narrow(a), m, &narrow(tau), cols))
    } else {
        org2r_t(a, m, tau, cols)
    }
}

/// `dorm2r`: overwrites the `m×n` matrix `c` with `op(Q)·C` (`left`) or
/// `C·op(Q)` (`op(Q) = Qᵀ` when `trans`), `Q = H(0)·…·H(k−1)` from the
/// reflectors in the columns of `a` (`lda` rows, `k = tau.len()`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn orm2r(
    a: &[f64],
    lda: usize,
    tau: &[f64],
    c: &mut [f64],
    m: usize,
    n: usize,
    left: bool,
    trans: bool,
    single: bool,
) {
    if single {
        let (av, tv): (Vec<f32>, Vec<f32>) = (narrow(a), narrow(tau));
        in_precision(
            c,
            true,
            |v| orm2r_t(&av, lda, &tv, v, m, n, left, trans),
            |_| (),
        );
    } else {
        orm2r_t(a, lda, tau, c, m, n, left, trans);
    }
}

/// `dpotf2`: Cholesky of the `n×n` matrix `a` in place, reading and
/// writing the lower (`upper = false`) or upper triangle. Returns LAPACK's
/// `info`: 0, or the order of the first leading minor that is not
/// positive-definite (its diagonal then holds the non-positive pivot and the
/// later columns are untouched).
pub(crate) fn potf2(a: &mut [f64], n: usize, upper: bool, single: bool) -> i64 {
    in_precision(
        a,
        single,
        |v| potf2_t(v, n, upper),
        |v| potf2_t(v, n, upper),
    )
}

/// Solves `op(T)·X = B` in place for the `n×n` triangular `t` (`lower` or
/// upper, `unit` diagonal or not; `trans`: `op(T) = Tᵀ`), `b` `n×nrhs`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn trsm_left(
    t: &[f64],
    n: usize,
    lower: bool,
    trans: bool,
    unit: bool,
    b: &mut [f64],
    nrhs: usize,
    single: bool,
) {
    if single {
        let tt: Vec<f32> = narrow(t);
        in_precision(
            b,
            true,
            |v| trsm_left_t(&tt, n, lower, trans, unit, v, nrhs),
            |_| (),
        );
    } else {
        trsm_left_t(t, n, lower, trans, unit, b, nrhs);
    }
}

/// `dgetf2`: LU with partial pivoting of the `m×n` matrix `a` in place
/// (unit-lower L below the diagonal, U on and above). Returns the 1-based
/// pivots (`min(m, n)`) and LAPACK's `info` (0, or the first zero pivot's
/// 1-based index).
pub(crate) fn getf2(
    a: &mut [f64],
    m: usize,
    n: usize,
    single: bool,
    pivoting: Pivoting,
) -> (Vec<i64>, i64) {
    in_precision(
        a,
        single,
        |v| getf2_t(v, m, n, pivoting),
        |v| getf2_t(v, m, n, pivoting),
    )
}

/// How `getf2` picks a column's pivot row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pivoting {
    /// LAPACK's partial pivoting: the first row of largest magnitude.
    Partial,
    /// The fault `lu-pivot-without-max`: the first nonzero row.
    FirstNonzero,
}

/// `dgetrs`: solves `A·X = B` (`trans = false`) or `Aᵀ·X = B` in place
/// from `getf2`'s factors of the `n×n` `A`; `b` is `n×nrhs`.
pub(crate) fn getrs(
    lu: &[f64],
    piv: &[i64],
    n: usize,
    trans: bool,
    b: &mut [f64],
    nrhs: usize,
    single: bool,
) {
    if single {
        let l: Vec<f32> = narrow(lu);
        in_precision(b, true, |v| getrs_t(&l, piv, n, trans, v, nrhs), |_| ());
    } else {
        getrs_t(lu, piv, n, trans, b, nrhs);
    }
}

/// `dgeqp3` (unblocked, `dlaqp2`): QR with column pivoting of the `m×n`
/// matrix `a` in place (R on and above the diagonal, the reflectors below).
/// Returns `tau` (`min(m, n)`) and the permutation: column `j` of `A·P` is
/// column `perm[j]` of `A`.
pub(crate) fn geqp3(a: &mut [f64], m: usize, n: usize, single: bool) -> (Vec<f64>, Vec<usize>) {
    in_precision(
        a,
        single,
        |v| {
            let (tau, perm) = geqp3_t(v, m, n);
            (widen(&tau), perm)
        },
        |v| geqp3_t(v, m, n),
    )
}

fn geqp3_t<T: Real>(a: &mut [T], m: usize, n: usize) -> (Vec<T>, Vec<usize>) {
    let k = m.min(n);
    let mut tau = vec![T::ZERO; k];
    let mut perm: Vec<usize> = (0..n).collect();
    // dgeqp3's initial column norms: vn1 (partial, updated), vn2 (exact, at
    // the last recomputation).
    let mut vn1: Vec<T> = (0..n).map(|j| nrm2(&a[at(0, j, m)..at(m, j, m)])).collect();
    let mut vn2 = vn1.clone();
    // tol3z = sqrt(eps) of the working precision.
    let eps = T::from_f64(if std::mem::size_of::<T>() == 4 {
        f64::from(f32::EPSILON) / 2.0
    } else {
        f64::EPSILON / 2.0
    });
    let tol3z = eps.sqrt();
    for i in 0..k {
        // idamax: the first column of largest partial norm.
        let mut pvt = i;
        for j in i + 1..n {
            if vn1[j].abs() > vn1[pvt].abs() {
                pvt = j;
            }
        }
        if pvt != i {
            for r in 0..m {
                a.swap(at(r, pvt, m), at(r, i, m));
            }
            perm.swap(pvt, i);
            vn1[pvt] = vn1[i];
            vn2[pvt] = vn2[i];
        }
        tau[i] = reflect_column(a, m, n, i);
        for j in i + 1..n {
            if vn1[j] == T::ZERO {
                continue;
            }
            let ratio = a[at(i, j, m)].abs() / vn1[j];
            let mut temp = T::ONE - ratio * ratio;
            if temp < T::ZERO {
                temp = T::ZERO;
            }
            let q = vn1[j] / vn2[j];
            let temp2 = temp * q * q;
            if temp2 <= tol3z {
                if i + 1 < m {
                    vn1[j] = nrm2(&a[at(i + 1, j, m)..at(m, j, m)]);
                    vn2[j] = vn1[j];
                } else {
                    vn1[j] = T::ZERO;
                    vn2[j] = T::ZERO;
                }
            } else {
                vn1[j] = vn1[j] * temp.sqrt();
            }
        }
    }
    (tau, perm)
}

/// Element `(i, j)` of a column-major matrix with `ld` rows.
#[inline]
fn at(i: usize, j: usize, ld: usize) -> usize {
    i + j * ld
}

/// `dlarfg`: the reflector `H = I − tau·v·vᵀ` with `H·[alpha; x] =
/// [beta; 0]`. Overwrites `x` with `v[1..]` and returns `(beta, tau)`.
fn larfg<T: Real>(alpha: T, x: &mut [T]) -> (T, T) {
    let xnorm = nrm2(x);
    if xnorm == T::ZERO {
        return (alpha, T::ZERO);
    }
    let mag = lapy2(alpha, xnorm);
    let beta = if alpha >= T::ZERO { -mag } else { mag };
    let tau = (beta - alpha) / beta;
    let scale = T::ONE / (alpha - beta);
    x.iter_mut().for_each(|v| *v = *v * scale);
    (beta, tau)
}

/// `dnrm2`: the Euclidean norm (squares summed in order).
fn nrm2<T: Real>(x: &[T]) -> T {
    let mut s = T::ZERO;
    for &v in x {
        s = s + v * v;
    }
    s.sqrt()
}

/// `dlapy2`: `sqrt(x² + y²)` without needless overflow, LAPACK's formula.
fn lapy2<T: Real>(x: T, y: T) -> T {
    let (xa, ya) = (x.abs(), y.abs());
    let (w, z) = if xa >= ya { (xa, ya) } else { (ya, xa) };
    if z == T::ZERO || w.is_nan() {
        return w;
    }
    let r = z / w;
    w * (T::ONE + r * r).sqrt()
}

/// `dlarf` from the left on rows `r0..m`, columns `c0..c1`: `C −= tau·v·(vᵀC)`
/// with `v = [1; a[r0+1..m, vcol]]`.
fn larf_left<T: Real>(
    a: &mut [T],
    ld: usize,
    m: usize,
    r0: usize,
    vcol: usize,
    tau: T,
    cols: std::ops::Range<usize>,
) {
    if tau == T::ZERO {
        return;
    }
    for j in cols {
        let mut w = a[at(r0, j, ld)];
        for i in r0 + 1..m {
            w = w + a[at(i, vcol, ld)] * a[at(i, j, ld)];
        }
        let tw = tau * w;
        a[at(r0, j, ld)] = a[at(r0, j, ld)] - tw;
        for i in r0 + 1..m {
            let v = a[at(i, vcol, ld)];
            a[at(i, j, ld)] = a[at(i, j, ld)] - v * tw;
        }
    }
}

/// Step `i` of `dgeqr2` (and of `dlaqp2` after its pivot): the reflector
/// `dlarfg` makes of column `i` below the diagonal, applied (`dlarf`) to the
/// columns right of it; `beta` is left on the diagonal, `v` below it.
/// Returns the reflector's `tau`.
fn reflect_column<T: Real>(a: &mut [T], m: usize, n: usize, i: usize) -> T {
    let alpha = a[at(i, i, m)];
    let (beta, tau) = larfg(alpha, &mut a[at(i + 1, i, m)..at(0, i + 1, m)]);
    if i + 1 < n {
        a[at(i, i, m)] = T::ONE;
        larf_left(a, m, m, i, i, tau, i + 1..n);
    }
    a[at(i, i, m)] = beta;
    tau
}

/// `dgeqr2`: QR of the `m×n` matrix `a` in place (R on and above the
/// diagonal, the reflectors' `v` below); returns `tau` (`min(m, n)`).
fn geqr2_t<T: Real>(a: &mut [T], m: usize, n: usize) -> Vec<T> {
    (0..m.min(n)).map(|i| reflect_column(a, m, n, i)).collect()
}

/// `dorg2r`: the first `cols` columns of `Q = H(0)·…·H(k−1)` (`m×cols`,
/// `cols ≥ k`) from `geqr2`'s reflectors (`a` is `m×n`, `n ≥ k`).
fn org2r_t<T: Real>(a: &[T], m: usize, tau: &[T], cols: usize) -> Vec<T> {
    let k = tau.len();
    let mut q = vec![T::ZERO; m * cols];
    for j in 0..k.min(cols) {
        for i in j + 1..m {
            q[at(i, j, m)] = a[at(i, j, m)];
        }
    }
    for j in k..cols {
        q[at(j, j, m)] = T::ONE;
    }
    for i in (0..k).rev() {
        if i + 1 < cols {
            q[at(i, i, m)] = T::ONE;
            larf_left(&mut q, m, m, i, i, tau[i], i + 1..cols);
        }
        for r in i + 1..m {
            q[at(r, i, m)] = q[at(r, i, m)] * -tau[i];
        }
        q[at(i, i, m)] = T::ONE - tau[i];
        for r in 0..i {
            q[at(r, i, m)] = T::ZERO;
        }
    }
    q
}

/// `dorm2r` on one matrix: reflector `i` is `v = [1; a[i+1.., i]]`, applied
/// to rows `i..m` (left) or columns `i..n` (right) of `c` by `dlarf`
/// (`w = Cᵀv` then `C += v·(−tau·w)ᵀ` from the left, `w = C·v` then
/// `C += w·(−tau·v)ᵀ` from the right), first to last when `left == trans`.
#[allow(clippy::too_many_arguments)]
fn orm2r_t<T: Real>(
    a: &[T],
    lda: usize,
    tau: &[T],
    c: &mut [T],
    m: usize,
    n: usize,
    left: bool,
    trans: bool,
) {
    let k = tau.len();
    let order: Vec<usize> = if left == trans {
        (0..k).collect()
    } else {
        (0..k).rev().collect()
    };
    let nq = if left { m } else { n };
    for i in order {
        let t = tau[i];
        if t == T::ZERO {
            continue;
        }
        let v: Vec<T> = (i..nq)
            .map(|r| if r == i { T::ONE } else { a[at(r, i, lda)] })
            .collect();
        if left {
            for j in 0..n {
                let mut w = T::ZERO;
                for (p, &vp) in v.iter().enumerate() {
                    w = w + c[at(i + p, j, m)] * vp;
                }
                let tw = -t * w;
                for (p, &vp) in v.iter().enumerate() {
                    let e = &mut c[at(i + p, j, m)];
                    *e = *e + vp * tw;
                }
            }
        } else {
            let mut w = vec![T::ZERO; m];
            for (p, &vp) in v.iter().enumerate() {
                for (r, wr) in w.iter_mut().enumerate() {
                    *wr = *wr + vp * c[at(r, i + p, m)];
                }
            }
            for (p, &vp) in v.iter().enumerate() {
                let tv = -t * vp;
                for (r, &wr) in w.iter().enumerate() {
                    let e = &mut c[at(r, i + p, m)];
                    *e = *e + wr * tv;
                }
            }
        }
    }
}

/// `dpotf2`: Cholesky of the `n×n` matrix `a` in place, reading and
/// writing the lower (`upper = false`) or upper triangle. Returns LAPACK's
/// `info`: 0, or the order of the first leading minor that is not
/// positive-definite (its diagonal then holds the non-positive pivot and the
/// later columns are untouched).
fn potf2_t<T: Real>(a: &mut [T], n: usize, upper: bool) -> i64 {
    // Element (i, j) of the factor's working triangle: lower reads (i, j)
    // with i ≥ j, upper its transpose.
    let idx = |i: usize, j: usize| if upper { at(j, i, n) } else { at(i, j, n) };
    for j in 0..n {
        let mut dot = T::ZERO;
        for p in 0..j {
            dot = dot + a[idx(j, p)] * a[idx(j, p)];
        }
        let ajj = a[idx(j, j)] - dot;
        if ajj <= T::ZERO || ajj.is_nan() {
            a[idx(j, j)] = ajj;
            return j as i64 + 1;
        }
        let ajj = ajj.sqrt();
        a[idx(j, j)] = ajj;
        let r = T::ONE / ajj;
        for i in j + 1..n {
            let mut s = a[idx(i, j)];
            for p in 0..j {
                s = s - a[idx(i, p)] * a[idx(j, p)];
            }
            a[idx(i, j)] = s * r;
        }
    }
    0
}

/// Solves `op(T)·X = B` in place for the `n×n` triangular `t` (`lower` or
/// upper, `unit` diagonal or not; `trans`: `op(T) = Tᵀ`), `b` `n×nrhs`.
fn trsm_left_t<T: Real>(
    t: &[T],
    n: usize,
    lower: bool,
    trans: bool,
    unit: bool,
    b: &mut [T],
    nrhs: usize,
) {
    // op(T) is lower triangular iff lower != trans: forward substitution.
    let elem = |i: usize, j: usize| {
        if trans {
            t[at(j, i, n)]
        } else {
            t[at(i, j, n)]
        }
    };
    let forward = lower != trans;
    for c in 0..nrhs {
        let col = &mut b[c * n..(c + 1) * n];
        let order: Box<dyn Iterator<Item = usize>> = if forward {
            Box::new(0..n)
        } else {
            Box::new((0..n).rev())
        };
        for i in order {
            let range = if forward { 0..i } else { i + 1..n };
            let mut s = col[i];
            for (p, &x) in col.iter().enumerate().take(range.end).skip(range.start) {
                s = s - elem(i, p) * x;
            }
            col[i] = if unit { s } else { s / elem(i, i) };
        }
    }
}

/// `dgetf2`: LU with partial pivoting of the `m×n` matrix `a` in place
/// (unit-lower L below the diagonal, U on and above). Returns the 1-based
/// pivots (`min(m, n)`) and LAPACK's `info` (0, or the first zero pivot's
/// 1-based index).
///
/// A column below its pivot is scaled by the pivot's reciprocal, as the
/// reference routine does, except in the last step of a square matrix of
/// order 2 to 4, whose one remaining element is divided by the pivot: that
/// is what MKL's `?getrf` (torch 2.15's CPU LAPACK) computes. Measured
/// against `torch.linalg.lu_factor` on random normal matrices: factors,
/// pivots and `info` bit-identical for every square order 1 to 16 and
/// every rectangular shape tried (2×3 … 8×4, 7×2, 2×7), float32 and
/// float64. From order 17 MKL's blocked factorization rounds differently
/// (same pivots): within the default float32 tolerances up to order 32,
/// some elements beyond them from order 40 (1.4% at 128, max |Δ| 3e-4);
/// float64 stays within its tolerances (order 128 tried).
fn getf2_t<T: Real>(a: &mut [T], m: usize, n: usize, pivoting: Pivoting) -> (Vec<i64>, i64) {
    let k = m.min(n);
    let mut piv = vec![0i64; k];
    let mut info = 0;
    for j in 0..k {
        let mut p = j;
        let mut best = a[at(j, j, m)].abs();
        for i in j + 1..m {
            let v = a[at(i, j, m)].abs();
            if pivoting == Pivoting::FirstNonzero {
                if best == T::ZERO && v != T::ZERO {
                    best = v;
                    p = i;
                }
            } else if v > best || (best.is_nan() && !v.is_nan()) {
                best = v;
                p = i;
            }
        }
        piv[j] = p as i64 + 1;
        if a[at(p, j, m)] != T::ZERO {
            if p != j {
                for c in 0..n {
                    a.swap(at(j, c, m), at(p, c, m));
                }
            }
            let pivot = a[at(j, j, m)];
            if m == n && (2..=4).contains(&n) && j + 2 == n {
                a[at(j + 1, j, m)] = a[at(j + 1, j, m)] / pivot;
            } else {
                let r = T::ONE / pivot;
                for i in j + 1..m {
                    a[at(i, j, m)] = a[at(i, j, m)] * r;
                }
            }
        } else if info == 0 {
            info = j as i64 + 1;
        }
        for c in j + 1..n {
            let u = a[at(j, c, m)];
            if u != T::ZERO {
                for i in j + 1..m {
                    a[at(i, c, m)] = a[at(i, c, m)] - a[at(i, j, m)] * u;
                }
            }
        }
    }
    (piv, info)
}

/// `dgetrs`: solves `A·X = B` (`trans = false`) or `Aᵀ·X = B` in place
/// from `getf2`'s factors of the `n×n` `A`; `b` is `n×nrhs`.
fn getrs_t<T: Real>(lu: &[T], piv: &[i64], n: usize, trans: bool, b: &mut [T], nrhs: usize) {
    let swap_rows = |b: &mut [T], i: usize| {
        let p = usize::try_from(piv[i] - 1)
            .unwrap_or(i)
            .min(n.saturating_sub(1));
        if p != i {
            for c in 0..nrhs {
                b.swap(at(i, c, n), at(p, c, n));
            }
        }
    };
    if !trans {
        (0..piv.len().min(n)).for_each(|i| swap_rows(b, i));
        trsm_left_t(lu, n, true, false, true, b, nrhs);
        trsm_left_t(lu, n, false, false, false, b, nrhs);
    } else {
        trsm_left_t(lu, n, false, true, false, b, nrhs);
        trsm_left_t(lu, n, true, true, true, b, nrhs);
        (0..piv.len().min(n)).rev().for_each(|i| swap_rows(b, i));
    }
}

/// `dsytf2`/`ssytf2` (`uplo = 'L'`): the Bunch-Kaufman factorization
/// `P·A·Pᵀ = L·D·Lᵀ` of the symmetric `n×n` `a` (column-major, its lower
/// triangle read) in place: `D`'s 1×1 and 2×2 blocks on and below the
/// diagonal, the multipliers of unit-lower `L` below them. Returns the
/// 1-based pivots (negative, and repeated, for a 2×2 block) and `info`
/// (0, or the first zero diagonal block).
pub(crate) fn sytf2_lower(a: &mut [f64], n: usize, single: bool) -> (Vec<i64>, i64) {
    in_precision(
        a,
        single,
        |v| sytf2_lower_t(v, n, true),
        |v| sytf2_lower_t(v, n, true),
    )
}

/// [`sytf2_lower`] with every pivot 1×1 and in place (the fault
/// `ldl-factor-without-pivoting`).
pub(crate) fn sytf2_lower_unpivoted(a: &mut [f64], n: usize, single: bool) -> (Vec<i64>, i64) {
    in_precision(
        a,
        single,
        |v| sytf2_lower_t(v, n, false),
        |v| sytf2_lower_t(v, n, false),
    )
}

/// The index of the first largest `|v(i)|` (`idamax`), from 0.
fn iamax<T: Real>(v: impl Iterator<Item = T>) -> usize {
    let mut best = (0, T::ZERO);
    for (i, x) in v.enumerate() {
        if i == 0 || x.abs() > best.1 {
            best = (i, x.abs());
        }
    }
    best.0
}

fn sytf2_lower_t<T: Real>(a: &mut [T], n: usize, pivoting: bool) -> (Vec<i64>, i64) {
    // Bunch-Kaufman's threshold (1 + √17)/8.
    let alpha = (T::ONE + T::from_f64(17.0).sqrt()) / T::from_f64(8.0);
    let mut ipiv = vec![0i64; n];
    let mut info = 0i64;
    let mut k = 0;
    while k < n {
        let mut kstep = 1;
        let absakk = a[at(k, k, n)].abs();
        let (imax, colmax) = if k + 1 < n {
            let i = k + 1 + iamax((k + 1..n).map(|i| a[at(i, k, n)]));
            (i, a[at(i, k, n)].abs())
        } else {
            (k, T::ZERO)
        };
        let biggest = if absakk > colmax { absakk } else { colmax };
        // A zero column (or a NaN pivot): recorded in `info`, left as is.
        let zero = biggest == T::ZERO || absakk.is_nan();
        let kp = if zero {
            if info == 0 {
                info = k as i64 + 1;
            }
            k
        } else if absakk >= alpha * colmax || !pivoting {
            k
        } else {
            // The largest off-diagonal of row/column `imax` in the
            // trailing matrix.
            let jr = k + iamax((k..imax).map(|j| a[at(imax, j, n)]));
            let mut rowmax = a[at(imax, jr, n)].abs();
            if imax + 1 < n {
                let jc = imax + 1 + iamax((imax + 1..n).map(|i| a[at(i, imax, n)]));
                let c = a[at(jc, imax, n)].abs();
                if c > rowmax {
                    rowmax = c;
                }
            }
            if absakk >= alpha * colmax * (colmax / rowmax) {
                k
            } else if a[at(imax, imax, n)].abs() >= alpha * rowmax {
                imax
            } else {
                kstep = 2;
                imax
            }
        };
        let kk = k + kstep - 1;
        if kp != kk {
            // Interchange rows and columns kk and kp of the trailing
            // matrix (its lower triangle).
            for i in kp + 1..n {
                a.swap(at(i, kk, n), at(i, kp, n));
            }
            for j in kk + 1..kp {
                a.swap(at(j, kk, n), at(kp, j, n));
            }
            a.swap(at(kk, kk, n), at(kp, kp, n));
            if kstep == 2 {
                a.swap(at(k + 1, k, n), at(kp, k, n));
            }
        }
        if kstep == 1 {
            if k + 1 < n && !zero {
                // A₂₂ −= x·xᵀ/d (dsyr), then x /= d.
                let d11 = T::ONE / a[at(k, k, n)];
                let r = -d11;
                for j in k + 1..n {
                    let xj = a[at(j, k, n)];
                    if xj != T::ZERO {
                        let t = r * xj;
                        for i in j..n {
                            a[at(i, j, n)] = a[at(i, j, n)] + a[at(i, k, n)] * t;
                        }
                    }
                }
                for i in k + 1..n {
                    a[at(i, k, n)] = d11 * a[at(i, k, n)];
                }
            }
        } else if k + 2 < n {
            let d21 = a[at(k + 1, k, n)];
            let d11 = a[at(k + 1, k + 1, n)] / d21;
            let d22 = a[at(k, k, n)] / d21;
            let t = T::ONE / (d11 * d22 - T::ONE);
            let d21 = t / d21;
            for j in k + 2..n {
                let wk = d21 * (d11 * a[at(j, k, n)] - a[at(j, k + 1, n)]);
                let wkp1 = d21 * (d22 * a[at(j, k + 1, n)] - a[at(j, k, n)]);
                for i in j..n {
                    a[at(i, j, n)] =
                        a[at(i, j, n)] - a[at(i, k, n)] * wk - a[at(i, k + 1, n)] * wkp1;
                }
                a[at(j, k, n)] = wk;
                a[at(j, k + 1, n)] = wkp1;
            }
        }
        if kstep == 1 {
            ipiv[k] = kp as i64 + 1;
        } else {
            ipiv[k] = -(kp as i64 + 1);
            ipiv[k + 1] = -(kp as i64 + 1);
        }
        k += kstep;
    }
    (ipiv, info)
}

/// `dsytrs`/`ssytrs` (`uplo = 'L'`): solves `A·X = B` with the factors of
/// [`sytf2_lower`] (`ld`, 1-based `ipiv`), `b` `n×nrhs` column-major, in
/// place: `L·D·Y = P·B` forwards, then `Lᵀ·X = Y` backwards.
pub(crate) fn sytrs_lower(
    ld: &[f64],
    ipiv: &[i64],
    n: usize,
    b: &mut [f64],
    nrhs: usize,
    single: bool,
) {
    let ld_t = ld.to_vec();
    in_precision(
        b,
        single,
        |v| sytrs_lower_t(&narrow::<f32>(&ld_t), ipiv, n, v, nrhs),
        |v| sytrs_lower_t(&ld_t, ipiv, n, v, nrhs),
    );
}

fn swap_rows<T: Real>(b: &mut [T], n: usize, nrhs: usize, r: usize, s: usize) {
    if r != s {
        for j in 0..nrhs {
            b.swap(at(r, j, n), at(s, j, n));
        }
    }
}

/// The 0-based row a 1-based (possibly negated) pivot names.
fn pivot_row(p: i64) -> usize {
    usize::try_from(p.unsigned_abs())
        .unwrap_or(1)
        .saturating_sub(1)
}

fn sytrs_lower_t<T: Real>(a: &[T], ipiv: &[i64], n: usize, b: &mut [T], nrhs: usize) {
    let mut k = 0;
    while k < n {
        if ipiv[k] > 0 {
            swap_rows(b, n, nrhs, k, pivot_row(ipiv[k]));
            for j in 0..nrhs {
                let bk = b[at(k, j, n)];
                if bk != T::ZERO {
                    for i in k + 1..n {
                        b[at(i, j, n)] = b[at(i, j, n)] - a[at(i, k, n)] * bk;
                    }
                }
            }
            let r = T::ONE / a[at(k, k, n)];
            for j in 0..nrhs {
                b[at(k, j, n)] = r * b[at(k, j, n)];
            }
            k += 1;
        } else {
            swap_rows(b, n, nrhs, k + 1, pivot_row(ipiv[k]));
            for c in [k, k + 1] {
                for j in 0..nrhs {
                    let bc = b[at(c, j, n)];
                    if bc != T::ZERO {
                        for i in k + 2..n {
                            b[at(i, j, n)] = b[at(i, j, n)] - a[at(i, c, n)] * bc;
                        }
                    }
                }
            }
            let akm1k = a[at(k + 1, k, n)];
            let akm1 = a[at(k, k, n)] / akm1k;
            let ak = a[at(k + 1, k + 1, n)] / akm1k;
            let denom = akm1 * ak - T::ONE;
            for j in 0..nrhs {
                let bkm1 = b[at(k, j, n)] / akm1k;
                let bk = b[at(k + 1, j, n)] / akm1k;
                b[at(k, j, n)] = (ak * bkm1 - bk) / denom;
                b[at(k + 1, j, n)] = (akm1 * bk - bkm1) / denom;
            }
            k += 2;
        }
    }
    let mut k = n;
    while k > 0 {
        let c = k - 1;
        if ipiv[c] > 0 {
            for j in 0..nrhs {
                let mut t = T::ZERO;
                for i in c + 1..n {
                    t = t + a[at(i, c, n)] * b[at(i, j, n)];
                }
                b[at(c, j, n)] = b[at(c, j, n)] - t;
            }
            swap_rows(b, n, nrhs, c, pivot_row(ipiv[c]));
            k -= 1;
        } else {
            for col in [c, c.saturating_sub(1)] {
                for j in 0..nrhs {
                    let mut t = T::ZERO;
                    for i in c + 1..n {
                        t = t + a[at(i, col, n)] * b[at(i, j, n)];
                    }
                    b[at(col, j, n)] = b[at(col, j, n)] - t;
                }
            }
            swap_rows(b, n, nrhs, c, pivot_row(ipiv[c]));
            k = k.saturating_sub(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn qr_of_a_3x2_matrix_has_lapacks_signs() {
        // A = [[3, 1], [4, 2], [0, 5]] (column-major below). LAPACK maps the
        // first column's alpha = 3 to beta = -5: R[0,0] = -5, and Q's first
        // column is -A[:,0]/5.
        let mut a = vec![3.0, 4.0, 0.0, 1.0, 2.0, 5.0];
        let tau = geqr2(&mut a, 3, 2, false);
        assert!((a[0] + 5.0).abs() < 1e-12);
        // R[0,1] = q0·a1 = -(3 + 8)/5.
        assert!((a[3] + 11.0 / 5.0).abs() < 1e-12);
        let q = org2r(&a, 3, &tau, 2, false);
        close(&q[0..3], &[-0.6, -0.8, 0.0]);
        // Q·R reproduces A.
        let r = [a[0], 0.0, a[3], a[4]];
        let mut qr = [0.0; 6];
        for j in 0..2 {
            for i in 0..3 {
                qr[i + 3 * j] = (0..2).map(|p| q[i + 3 * p] * r[p + 2 * j]).sum();
            }
        }
        close(&qr, &[3.0, 4.0, 0.0, 1.0, 2.0, 5.0]);
    }

    #[test]
    fn complete_q_is_orthogonal() {
        let mut a = vec![1.0, 2.0, 3.0, -1.0, 0.5, 2.0];
        let tau = geqr2(&mut a, 3, 2, false);
        let q = org2r(&a, 3, &tau, 3, false);
        for i in 0..3 {
            for j in 0..3 {
                let d: f64 = (0..3).map(|p| q[p + 3 * i] * q[p + 3 * j]).sum();
                assert!((d - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn cholesky_of_a_known_matrix() {
        // [[4, 2], [2, 5]] = L Lᵀ with L = [[2, 0], [1, 2]].
        let mut a = vec![4.0, 2.0, 2.0, 5.0];
        assert_eq!(potf2(&mut a, 2, false, false), 0);
        assert_eq!((a[0], a[1], a[3]), (2.0, 1.0, 2.0));
        let mut u = vec![4.0, 2.0, 2.0, 5.0];
        assert_eq!(potf2(&mut u, 2, true, false), 0);
        assert_eq!((u[0], u[2], u[3]), (2.0, 1.0, 2.0));
    }

    #[test]
    fn cholesky_failure_leaves_the_pivot_and_reports_the_minor() {
        // [[1, 2], [2, 1]]: the second pivot is 1 - 4 = -3.
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert_eq!(potf2(&mut a, 2, false, false), 2);
        assert_eq!((a[0], a[1], a[3]), (1.0, 2.0, -3.0));
    }

    #[test]
    fn lu_pivots_on_the_largest_magnitude_and_solves() {
        // A = [[1, 2], [3, 4]]: pivot row 2 first.
        let mut a = vec![1.0, 3.0, 2.0, 4.0];
        let (piv, info) = getf2(&mut a, 2, 2, false, Pivoting::Partial);
        assert_eq!((piv, info), (vec![2, 2], 0));
        close(&a, &[3.0, 1.0 / 3.0, 4.0, 2.0 - 4.0 / 3.0]);
        // A x = [5, 11] has x = [1, 2]; Aᵀ y = [7, 10] has y = [1, 2].
        let mut b = vec![5.0, 11.0];
        getrs(&a, &[2, 2], 2, false, &mut b, 1, false);
        close(&b, &[1.0, 2.0]);
        let mut c = vec![7.0, 10.0];
        getrs(&a, &[2, 2], 2, true, &mut c, 1, false);
        close(&c, &[1.0, 2.0]);
    }

    #[test]
    fn small_square_factors_divide_in_their_last_step_as_mkl_does() {
        // 5/7 = 0.7142857142857143, 5·(1/7) = 0.7142857142857142: MKL
        // divides the last column of a square matrix of order 2 to 4, and
        // multiplies by the reciprocal everywhere else.
        assert_ne!(5.0 / 7.0, 5.0 * (1.0 / 7.0));
        let mut a = vec![7.0, 5.0, 1.0, 1.0];
        getf2(&mut a, 2, 2, false, Pivoting::Partial);
        assert_eq!(a[1], 5.0 / 7.0);
        let mut wide = vec![7.0, 5.0, 1.0, 1.0, 0.0, 0.0];
        getf2(&mut wide, 2, 3, false, Pivoting::Partial);
        assert_eq!(wide[1], 5.0 * (1.0 / 7.0));
        let mut five = vec![0.0; 25];
        (0..5).for_each(|i| five[i + 5 * i] = 7.0);
        five[3 + 5 * 3] = 7.0;
        five[4 + 5 * 3] = 5.0;
        getf2(&mut five, 5, 5, false, Pivoting::Partial);
        assert_eq!(five[4 + 5 * 3], 5.0 * (1.0 / 7.0));
    }

    #[test]
    fn first_nonzero_pivoting_is_the_faults_choice() {
        // [[1, 2], [3, 4]]: LAPACK pivots on 3, the fault keeps 1.
        let mut a = vec![1.0, 3.0, 2.0, 4.0];
        let (piv, info) = getf2(&mut a, 2, 2, false, Pivoting::FirstNonzero);
        assert_eq!((piv, info), (vec![1, 2], 0));
        assert_eq!(a, vec![1.0, 3.0, 2.0, -2.0]);
    }

    #[test]
    fn triangular_solves_each_side() {
        // T = [[2, 0], [1, 4]] lower: T x = [2, 9] → x = [1, 2];
        // Tᵀ y = [4, 8] → y = [1, 2].
        let t = [2.0, 1.0, 0.0, 4.0];
        let mut b = vec![2.0, 9.0];
        trsm_left(&t, 2, true, false, false, &mut b, 1, false);
        close(&b, &[1.0, 2.0]);
        let mut c = vec![4.0, 8.0];
        trsm_left(&t, 2, true, true, false, &mut c, 1, false);
        close(&c, &[1.0, 2.0]);
    }
}
