//! The real nonsymmetric eigenproblem as LAPACK's `dgeev`/`sgeev` solves
//! it (right eigenvectors only), on one column-major `n×n` matrix in the
//! input's own precision:
//!
//! 1. `gebal('B')`: isolate eigenvalues by permutation, then scale rows and
//!    columns by powers of two until their norms are within a factor of 0.95;
//! 2. `gehd2`: Householder reduction to upper Hessenberg form, and the
//!    accumulated orthogonal `Q` (`orghr`);
//! 3. `lahqr`: the double-shift QR iteration (exceptional shifts every 10
//!    stalled iterations, the Ahues–Tisseur deflation test) down to the real
//!    Schur form, each 2×2 block standardised by `lanv2` (equal diagonal,
//!    the eigenvalue of positive imaginary part first);
//! 4. `trevc`: eigenvectors of the quasi-triangular `T` by back
//!    substitution (`x[k] = 1` at the eigenvalue's own position), multiplied
//!    by `Q`;
//! 5. `gebak`: undo the scaling and the permutation;
//! 6. each eigenvector scaled to unit Euclidean norm, and each complex pair
//!    rotated (`lartg`) so that its largest-modulus component is real.
//!
//! The eigenvalue order is the Schur form's diagonal order and each
//! eigenvector's phase follows from these steps, which is why they are the
//! reference routines' steps in the reference routines' order. Rounding
//! differs where the reference uses blocked or scaled kernels (`dlaln2`'s
//! overflow guards, `dgemm` back-transforms): values agree to a few ulps of
//! the matrix norm divided by the eigenvalue separation.
//!
//! Measured against torch 2.15 (MKL) on 160 random float64 and 160 float32
//! matrices of sizes 1…12 (batched, companion and triangular ones among
//! them): every eigenvalue order agrees in float64; eigenvectors agree in
//! 158 of the float64 matrices (the others have one complex pair negated,
//! where the reference LAPACK of NumPy agrees with MKL: a step not yet
//! found) and in every float32 matrix up to 4×4, while from 5×5 on about a
//! third of the float32 matrices differ in a complex pair's sign or, more
//! rarely, in the eigenvalue order (MKL's single-precision path departs from
//! the reference there). Balancing uses the 2-norms of LAPACK ≥ 3.5 (the
//! older off-diagonal 1-norms agreed with MKL in fewer cases: 14 float64
//! mismatches instead of 2).

use super::lapack::Real;

/// Machine constants of the working precision (`dlamch`).
#[derive(Clone, Copy)]
struct Mach<T> {
    /// `dlamch('P')`: eps · base.
    ulp: T,
    /// `dlamch('S')`: the smallest normal number.
    safmin: T,
}

impl<T: Real> Mach<T> {
    fn new(single: bool) -> Mach<T> {
        if single {
            Mach {
                ulp: T::from_f64(f64::from(f32::EPSILON)),
                safmin: T::from_f64(f64::from(f32::MIN_POSITIVE)),
            }
        } else {
            Mach {
                ulp: T::from_f64(f64::EPSILON),
                safmin: T::from_f64(f64::MIN_POSITIVE),
            }
        }
    }
}

/// One eigendecomposition: eigenvalues `(re, im)` and the eigenvectors as
/// complex columns, column-major `n×n` of `(re, im)`.
pub(super) struct Eig {
    pub(super) values: Vec<(f64, f64)>,
    pub(super) vectors: Vec<(f64, f64)>,
}

/// Why a decomposition failed (LAPACK's `info > 0`: the QR iteration did
/// not converge).
#[derive(Debug)]
pub(super) struct NoConvergence;

/// Options that reproduce deliberate deviations (fault injection).
#[derive(Clone, Copy, Default)]
pub(super) struct Variant {
    /// Skip the rotation that makes each complex eigenvector's largest
    /// component real.
    pub(super) skip_phase: bool,
}

fn max<T: Real>(a: T, b: T) -> T {
    if b > a { b } else { a }
}

fn min<T: Real>(a: T, b: T) -> T {
    if b < a { b } else { a }
}

/// Fortran's `SIGN(a, b)`: `|a|` with the sign of `b`.
fn sign<T: Real>(a: T, b: T) -> T {
    if b >= T::ZERO { a.abs() } else { -a.abs() }
}

/// `dlapy2`.
fn lapy2<T: Real>(x: T, y: T) -> T {
    let (xa, ya) = (x.abs(), y.abs());
    let (w, z) = if xa >= ya { (xa, ya) } else { (ya, xa) };
    if z == T::ZERO || w.is_nan() {
        return w;
    }
    let r = z / w;
    w * (T::ONE + r * r).sqrt()
}

/// `dnrm2` of an iterator (squares summed in order).
fn nrm2<T: Real>(x: impl Iterator<Item = T>) -> T {
    let mut s = T::ZERO;
    for v in x {
        s = s + v * v;
    }
    s.sqrt()
}

/// A column-major square matrix addressed 1-based, as the Fortran reads.
struct Mat<T> {
    n: usize,
    d: Vec<T>,
}

impl<T: Real> Mat<T> {
    #[inline]
    fn g(&self, i: usize, j: usize) -> T {
        self.d[(i - 1) + (j - 1) * self.n]
    }
    #[inline]
    fn s(&mut self, i: usize, j: usize, v: T) {
        self.d[(i - 1) + (j - 1) * self.n] = v;
    }
    fn identity(n: usize) -> Mat<T> {
        let mut m = Mat {
            n,
            d: vec![T::ZERO; n * n],
        };
        for i in 1..=n {
            m.s(i, i, T::ONE);
        }
        m
    }
}

/// The balancing `gebal('B')` found: rows/columns outside `ilo..=ihi`
/// (1-based) isolated by the permutation `perm` (LAPACK's `SCALE` entries
/// for them), the diagonal scaling `scale` inside.
struct Balance<T> {
    ilo: usize,
    ihi: usize,
    perm: Vec<usize>,
    scale: Vec<T>,
}

fn swap_cols<T: Real>(a: &mut Mat<T>, j: usize, m: usize, rows: usize) {
    for i in 1..=rows {
        let t = a.g(i, j);
        a.s(i, j, a.g(i, m));
        a.s(i, m, t);
    }
}

fn swap_rows<T: Real>(a: &mut Mat<T>, j: usize, m: usize, from_col: usize) {
    for c in from_col..=a.n {
        let t = a.g(j, c);
        a.s(j, c, a.g(m, c));
        a.s(m, c, t);
    }
}

/// `gebal('B')`.
fn gebal<T: Real>(a: &mut Mat<T>, mach: Mach<T>) -> Balance<T> {
    let n = a.n;
    let mut perm: Vec<usize> = (1..=n).collect();
    let mut scale = vec![T::ONE; n];
    let mut k = 1;
    let mut l = n;
    // Rows isolating an eigenvalue, pushed to the bottom.
    loop {
        let found = (1..=l)
            .rev()
            .find(|&j| (1..=l).all(|i| i == j || a.g(j, i) == T::ZERO));
        let Some(j) = found else { break };
        perm[l - 1] = j;
        if j != l {
            swap_cols(a, j, l, l);
            swap_rows(a, j, l, k);
        }
        if l == 1 {
            return Balance {
                ilo: 1,
                ihi: 1,
                perm,
                scale,
            };
        }
        l -= 1;
    }
    // Columns isolating an eigenvalue, pushed to the left.
    loop {
        let found = (k..=l).find(|&j| (k..=l).all(|i| i == j || a.g(i, j) == T::ZERO));
        let Some(j) = found else { break };
        perm[k - 1] = j;
        if j != k {
            swap_cols(a, j, k, l);
            swap_rows(a, j, k, k);
        }
        k += 1;
    }
    // Iterative scaling of rows and columns k..=l.
    let radix = T::from_f64(2.0);
    let sfmin1 = mach.safmin / mach.ulp;
    let sfmax1 = T::ONE / sfmin1;
    let sfmin2 = sfmin1 * radix;
    let sfmax2 = T::ONE / sfmin2;
    let factor = T::from_f64(0.95);
    let mut noconv = true;
    let mut sweeps = 0;
    while noconv && sweeps < 1000 {
        noconv = false;
        sweeps += 1;
        for i in k..=l {
            let mut c = nrm2((k..=l).map(|r| a.g(r, i)));
            let mut r = nrm2((k..=l).map(|cc| a.g(i, cc)));
            let mut ca = (1..=l).map(|rr| a.g(rr, i).abs()).fold(T::ZERO, max);
            let mut ra = (k..=n).map(|cc| a.g(i, cc).abs()).fold(T::ZERO, max);
            if c == T::ZERO || r == T::ZERO {
                continue;
            }
            let mut g = r / radix;
            let mut f = T::ONE;
            let s = c + r;
            let mut guard = 0;
            while !(c >= g || max(f, max(c, ca)) >= sfmax2 || min(r, min(g, ra)) <= sfmin2)
                && guard < 2200
            {
                guard += 1;
                f = f * radix;
                c = c * radix;
                ca = ca * radix;
                r = r / radix;
                g = g / radix;
                ra = ra / radix;
            }
            g = c / radix;
            while !(g < r || max(r, ra) >= sfmax2 || min(min(f, c), min(g, ca)) <= sfmin2)
                && guard < 4400
            {
                guard += 1;
                f = f / radix;
                c = c / radix;
                g = g / radix;
                ca = ca / radix;
                r = r * radix;
                ra = ra * radix;
            }
            if c + r >= factor * s {
                continue;
            }
            let si = scale[i - 1];
            if f < T::ONE && si < T::ONE && f * si <= sfmin1 {
                continue;
            }
            if f > T::ONE && si > T::ONE && si >= sfmax1 / f {
                continue;
            }
            let gi = T::ONE / f;
            scale[i - 1] = si * f;
            noconv = true;
            for cc in k..=n {
                a.s(i, cc, a.g(i, cc) * gi);
            }
            for rr in 1..=l {
                a.s(rr, i, a.g(rr, i) * f);
            }
        }
    }
    Balance {
        ilo: k,
        ihi: l,
        perm,
        scale,
    }
}

/// `dlarfg` on `alpha` and `x`: returns `(beta, tau)`, `x` becomes `v[2..]`.
fn larfg<T: Real>(alpha: T, x: &mut [T]) -> (T, T) {
    let xnorm = nrm2(x.iter().copied());
    if xnorm == T::ZERO {
        return (alpha, T::ZERO);
    }
    let beta = -sign(lapy2(alpha, xnorm), alpha);
    let tau = (beta - alpha) / beta;
    let scal = T::ONE / (alpha - beta);
    x.iter_mut().for_each(|v| *v = *v * scal);
    (beta, tau)
}

/// `gehd2` on rows/columns `ilo..=ihi`, then `orghr`: `a` becomes the
/// Hessenberg `H` (zeros below the subdiagonal), the result is `Q` with
/// `A = Q·H·Qᵀ`.
fn gehrd<T: Real>(a: &mut Mat<T>, ilo: usize, ihi: usize) -> Mat<T> {
    let n = a.n;
    let mut reflectors: Vec<(usize, Vec<T>, T)> = Vec::new();
    for i in ilo..ihi {
        let alpha = a.g(i + 1, i);
        let mut x: Vec<T> = (i + 2..=ihi).map(|r| a.g(r, i)).collect();
        let (beta, tau) = larfg(alpha, &mut x);
        let mut v = vec![T::ONE];
        v.extend(x.iter().copied());
        if tau != T::ZERO {
            // From the right on A(1:ihi, i+1:ihi).
            for r in 1..=ihi {
                let mut w = T::ZERO;
                for (t, vt) in v.iter().enumerate() {
                    w = w + a.g(r, i + 1 + t) * *vt;
                }
                for (t, vt) in v.iter().enumerate() {
                    let c = i + 1 + t;
                    a.s(r, c, a.g(r, c) - tau * w * *vt);
                }
            }
            // From the left on A(i+1:ihi, i+1:n).
            for c in i + 1..=n {
                let mut w = T::ZERO;
                for (t, vt) in v.iter().enumerate() {
                    w = w + a.g(i + 1 + t, c) * *vt;
                }
                for (t, vt) in v.iter().enumerate() {
                    let r = i + 1 + t;
                    a.s(r, c, a.g(r, c) - tau * w * *vt);
                }
            }
        }
        a.s(i + 1, i, beta);
        for r in i + 2..=ihi {
            a.s(r, i, T::ZERO);
        }
        reflectors.push((i, v, tau));
    }
    // Q = H(ilo)·…·H(ihi−1), accumulated from the last reflector.
    let mut q = Mat::identity(n);
    for (i, v, tau) in reflectors.iter().rev() {
        if *tau == T::ZERO {
            continue;
        }
        for c in i + 1..=ihi {
            let mut w = T::ZERO;
            for (t, vt) in v.iter().enumerate() {
                w = w + q.g(i + 1 + t, c) * *vt;
            }
            for (t, vt) in v.iter().enumerate() {
                let r = i + 1 + t;
                q.s(r, c, q.g(r, c) - *tau * w * *vt);
            }
        }
    }
    q
}

/// `dlanv2`: the standardised Schur factorisation of a real 2×2 block.
/// Returns the new `(a, b, c, d)`, the eigenvalues `(rt1r, rt1i, rt2r,
/// rt2i)` and the rotation `(cs, sn)`.
#[allow(clippy::many_single_char_names)]
fn lanv2<T: Real>(a: T, b: T, c: T, d: T, mach: Mach<T>, single: bool) -> ([T; 4], [T; 4], (T, T)) {
    let (mut a, mut b, mut c, mut d) = (a, b, c, d);
    let zero = T::ZERO;
    let one = T::ONE;
    let half = T::from_f64(0.5);
    let multpl = T::from_f64(4.0);
    let eps = mach.ulp;
    let safmn2 = T::from_f64(if single {
        2f64.powi(-51)
    } else {
        2f64.powi(-485)
    });
    let safmx2 = one / safmn2;
    let (mut cs, mut sn);
    if c == zero {
        cs = one;
        sn = zero;
    } else if b == zero {
        cs = zero;
        sn = one;
        std::mem::swap(&mut a, &mut d);
        b = -c;
        c = zero;
    } else if a - d == zero && sign(one, b) != sign(one, c) {
        cs = one;
        sn = zero;
    } else {
        let mut temp = a - d;
        let mut p = half * temp;
        let bcmax = max(b.abs(), c.abs());
        let bcmis = min(b.abs(), c.abs()) * sign(one, b) * sign(one, c);
        let mut scale = max(p.abs(), bcmax);
        let mut z = (p / scale) * p + (bcmax / scale) * bcmis;
        if z >= multpl * eps {
            // Real eigenvalues.
            z = p + sign(scale.sqrt() * z.sqrt(), p);
            a = d + z;
            d = d - (bcmax / z) * bcmis;
            let tau = lapy2(c, z);
            cs = z / tau;
            sn = c / tau;
            b = b - c;
            c = zero;
        } else {
            // Complex or nearly equal real eigenvalues: equalise the diagonal.
            let mut sigma = b + c;
            for _ in 0..=20 {
                scale = max(temp.abs(), sigma.abs());
                if scale >= safmx2 {
                    sigma = sigma * safmn2;
                    temp = temp * safmn2;
                    continue;
                }
                if scale <= safmn2 {
                    sigma = sigma * safmx2;
                    temp = temp * safmx2;
                    continue;
                }
                break;
            }
            p = half * temp;
            let mut tau = lapy2(sigma, temp);
            cs = (half * (one + sigma.abs() / tau)).sqrt();
            sn = -(p / (tau * cs)) * sign(one, sigma);
            let aa = a * cs + b * sn;
            let bb = -a * sn + b * cs;
            let cc = c * cs + d * sn;
            let dd = -c * sn + d * cs;
            a = aa * cs + cc * sn;
            b = bb * cs + dd * sn;
            c = -aa * sn + cc * cs;
            d = -bb * sn + dd * cs;
            temp = half * (a + d);
            a = temp;
            d = temp;
            if c != zero {
                if b != zero {
                    if sign(one, b) == sign(one, c) {
                        // Real eigenvalues: reduce to upper triangular.
                        let sab = b.abs().sqrt();
                        let sac = c.abs().sqrt();
                        p = sign(sab * sac, c);
                        tau = one / (b + c).abs().sqrt();
                        a = temp + p;
                        d = temp - p;
                        b = b - c;
                        c = zero;
                        let cs1 = sab * tau;
                        let sn1 = sac * tau;
                        let t = cs * cs1 - sn * sn1;
                        sn = cs * sn1 + sn * cs1;
                        cs = t;
                    }
                } else {
                    b = -c;
                    c = zero;
                    let t = cs;
                    cs = -sn;
                    sn = t;
                }
            }
        }
    }
    let (rt1i, rt2i) = if c == zero {
        (zero, zero)
    } else {
        let v = b.abs().sqrt() * c.abs().sqrt();
        (v, -v)
    };
    ([a, b, c, d], [a, rt1i, d, rt2i], (cs, sn))
}

/// Applies the plane rotation `(cs, sn)` to the pair `(x, y)` (`drot`).
fn rot<T: Real>(x: T, y: T, cs: T, sn: T) -> (T, T) {
    (cs * x + sn * y, cs * y - sn * x)
}

/// `dlahqr` with `wantt` and `wantz` (`Z` is all of `z`): `h` becomes the
/// real Schur form `T`, `z` is multiplied by the Schur vectors. Returns the
/// eigenvalues `(wr, wi)` in the diagonal order.
/// (1-based loops over the Fortran's index ranges, on purpose.)
#[allow(clippy::too_many_lines, clippy::needless_range_loop)]
fn lahqr<T: Real>(
    h: &mut Mat<T>,
    z: &mut Mat<T>,
    ilo: usize,
    ihi: usize,
    mach: Mach<T>,
    single: bool,
) -> Result<(Vec<T>, Vec<T>), NoConvergence> {
    let n = h.n;
    let zero = T::ZERO;
    let one = T::ONE;
    let mut wr = vec![zero; n];
    let mut wi = vec![zero; n];
    // Eigenvalues isolated by the balancing.
    for i in (1..ilo).chain(ihi + 1..=n) {
        wr[i - 1] = h.g(i, i);
    }
    if n == 0 {
        return Ok((wr, wi));
    }
    if ilo == ihi {
        wr[ilo - 1] = h.g(ilo, ilo);
        return Ok((wr, wi));
    }
    // Clear out the trash below the subdiagonal.
    for j in ilo..=ihi.saturating_sub(3) {
        if j + 3 > ihi {
            break;
        }
        h.s(j + 2, j, zero);
        h.s(j + 3, j, zero);
    }
    if ilo + 2 <= ihi {
        h.s(ihi, ihi - 2, zero);
    }
    let nh = ihi - ilo + 1;
    let ulp = mach.ulp;
    let smlnum = mach.safmin * (T::from_f64(nh as f64) / ulp);
    let (i1, i2) = (1usize, n);
    let itmax = 30 * nh.max(10);
    let dat1 = T::from_f64(0.75);
    let dat2 = T::from_f64(-0.4375);
    let kexsh = 10;
    let mut kdefl = 0usize;
    let mut i = ihi;
    while i >= ilo {
        let mut l = ilo;
        let mut converged = false;
        for _its in 0..=itmax {
            // Look for a single small subdiagonal element.
            let mut k = i;
            while k > l {
                if h.g(k, k - 1).abs() <= smlnum {
                    break;
                }
                let mut tst = h.g(k - 1, k - 1).abs() + h.g(k, k).abs();
                if tst == zero {
                    if k >= ilo + 2 {
                        tst = tst + h.g(k - 1, k - 2).abs();
                    }
                    if k < ihi {
                        tst = tst + h.g(k + 1, k).abs();
                    }
                }
                if h.g(k, k - 1).abs() <= ulp * tst {
                    let ab = max(h.g(k, k - 1).abs(), h.g(k - 1, k).abs());
                    let ba = min(h.g(k, k - 1).abs(), h.g(k - 1, k).abs());
                    let aa = max(h.g(k, k).abs(), (h.g(k - 1, k - 1) - h.g(k, k)).abs());
                    let bb = min(h.g(k, k).abs(), (h.g(k - 1, k - 1) - h.g(k, k)).abs());
                    let s = aa + ab;
                    if ba * (ab / s) <= max(smlnum, ulp * (bb * (aa / s))) {
                        break;
                    }
                }
                k -= 1;
            }
            l = k;
            if l > ilo {
                h.s(l, l - 1, zero);
            }
            if l + 1 >= i {
                converged = true;
                break;
            }
            kdefl += 1;
            let (h11, h21, h12, h22);
            if kdefl.is_multiple_of(2 * kexsh) {
                // Exceptional shift at the bottom.
                let s = h.g(i, i - 1).abs() + h.g(i - 1, i - 2).abs();
                h11 = dat1 * s + h.g(i, i);
                h12 = dat2 * s;
                h21 = s;
                h22 = h11;
            } else if kdefl.is_multiple_of(kexsh) {
                // Exceptional shift at the top.
                let s = h.g(l + 1, l).abs() + h.g(l + 2, l + 1).abs();
                h11 = dat1 * s + h.g(l, l);
                h12 = dat2 * s;
                h21 = s;
                h22 = h11;
            } else {
                h11 = h.g(i - 1, i - 1);
                h21 = h.g(i, i - 1);
                h12 = h.g(i - 1, i);
                h22 = h.g(i, i);
            }
            let s = h11.abs() + h12.abs() + h21.abs() + h22.abs();
            let (rt1r, rt1i, rt2r, rt2i);
            if s == zero {
                rt1r = zero;
                rt1i = zero;
                rt2r = zero;
                rt2i = zero;
            } else {
                let (h11, h21, h12, h22) = (h11 / s, h21 / s, h12 / s, h22 / s);
                let tr = (h11 + h22) / T::from_f64(2.0);
                let det = (h11 - tr) * (h22 - tr) - h12 * h21;
                let rtdisc = det.abs().sqrt();
                if det >= zero {
                    rt1r = tr * s;
                    rt2r = rt1r;
                    rt1i = rtdisc * s;
                    rt2i = -rt1i;
                } else {
                    let a1 = tr + rtdisc;
                    let a2 = tr - rtdisc;
                    let r = if (a1 - h22).abs() <= (a2 - h22).abs() {
                        a1 * s
                    } else {
                        a2 * s
                    };
                    rt1r = r;
                    rt2r = r;
                    rt1i = zero;
                    rt2i = zero;
                }
            }
            // Look for two consecutive small subdiagonal elements.
            let mut v = [zero; 3];
            let mut m = i - 2;
            loop {
                let h21s0 = h.g(m + 1, m);
                let s = (h.g(m, m) - rt2r).abs() + rt2i.abs() + h21s0.abs();
                let h21s = h.g(m + 1, m) / s;
                v[0] = h21s * h.g(m, m + 1) + (h.g(m, m) - rt1r) * ((h.g(m, m) - rt2r) / s)
                    - rt1i * (rt2i / s);
                v[1] = h21s * (h.g(m, m) + h.g(m + 1, m + 1) - rt1r - rt2r);
                v[2] = h21s * h.g(m + 2, m + 1);
                let s = v[0].abs() + v[1].abs() + v[2].abs();
                v[0] = v[0] / s;
                v[1] = v[1] / s;
                v[2] = v[2] / s;
                if m == l {
                    break;
                }
                let h00 = h.g(m, m - 1).abs() * (v[1].abs() + v[2].abs());
                let h01 = v[0].abs()
                    * (h.g(m - 1, m - 1).abs() + h.g(m, m).abs() + h.g(m + 1, m + 1).abs());
                if h00 <= ulp * h01 {
                    break;
                }
                m -= 1;
            }
            // Double-shift QR step.
            for k in m..i {
                let nr = 3.min(i - k + 1);
                if k > m {
                    for (t, vt) in v.iter_mut().enumerate().take(nr) {
                        *vt = h.g(k + t, k - 1);
                    }
                }
                let (beta, t1) = {
                    let (head, tail) = v.split_at_mut(1);
                    larfg(head[0], &mut tail[..nr - 1])
                };
                v[0] = beta;
                if k > m {
                    h.s(k, k - 1, v[0]);
                    h.s(k + 1, k - 1, zero);
                    if k < i - 1 {
                        h.s(k + 2, k - 1, zero);
                    }
                } else if m > l {
                    h.s(k, k - 1, h.g(k, k - 1) * (one - t1));
                }
                let v2 = v[1];
                let t2 = t1 * v2;
                if nr == 3 {
                    let v3 = v[2];
                    let t3 = t1 * v3;
                    for j in k..=i2 {
                        let sum = h.g(k, j) + v2 * h.g(k + 1, j) + v3 * h.g(k + 2, j);
                        h.s(k, j, h.g(k, j) - sum * t1);
                        h.s(k + 1, j, h.g(k + 1, j) - sum * t2);
                        h.s(k + 2, j, h.g(k + 2, j) - sum * t3);
                    }
                    for j in i1..=(k + 3).min(i) {
                        let sum = h.g(j, k) + v2 * h.g(j, k + 1) + v3 * h.g(j, k + 2);
                        h.s(j, k, h.g(j, k) - sum * t1);
                        h.s(j, k + 1, h.g(j, k + 1) - sum * t2);
                        h.s(j, k + 2, h.g(j, k + 2) - sum * t3);
                    }
                    for j in 1..=n {
                        let sum = z.g(j, k) + v2 * z.g(j, k + 1) + v3 * z.g(j, k + 2);
                        z.s(j, k, z.g(j, k) - sum * t1);
                        z.s(j, k + 1, z.g(j, k + 1) - sum * t2);
                        z.s(j, k + 2, z.g(j, k + 2) - sum * t3);
                    }
                } else if nr == 2 {
                    for j in k..=i2 {
                        let sum = h.g(k, j) + v2 * h.g(k + 1, j);
                        h.s(k, j, h.g(k, j) - sum * t1);
                        h.s(k + 1, j, h.g(k + 1, j) - sum * t2);
                    }
                    for j in i1..=i {
                        let sum = h.g(j, k) + v2 * h.g(j, k + 1);
                        h.s(j, k, h.g(j, k) - sum * t1);
                        h.s(j, k + 1, h.g(j, k + 1) - sum * t2);
                    }
                    for j in 1..=n {
                        let sum = z.g(j, k) + v2 * z.g(j, k + 1);
                        z.s(j, k, z.g(j, k) - sum * t1);
                        z.s(j, k + 1, z.g(j, k + 1) - sum * t2);
                    }
                }
            }
        }
        if !converged {
            return Err(NoConvergence);
        }
        if l == i {
            // A 1×1 block has split off.
            wr[i - 1] = h.g(i, i);
            wi[i - 1] = zero;
        } else {
            // A 2×2 block: standardise it.
            let (blk, ev, (cs, sn)) = lanv2(
                h.g(i - 1, i - 1),
                h.g(i - 1, i),
                h.g(i, i - 1),
                h.g(i, i),
                mach,
                single,
            );
            h.s(i - 1, i - 1, blk[0]);
            h.s(i - 1, i, blk[1]);
            h.s(i, i - 1, blk[2]);
            h.s(i, i, blk[3]);
            wr[i - 2] = ev[0];
            wi[i - 2] = ev[1];
            wr[i - 1] = ev[2];
            wi[i - 1] = ev[3];
            if i2 > i {
                for j in i + 1..=i2 {
                    let (x, y) = rot(h.g(i - 1, j), h.g(i, j), cs, sn);
                    h.s(i - 1, j, x);
                    h.s(i, j, y);
                }
            }
            for j in i1..=i - 2 {
                let (x, y) = rot(h.g(j, i - 1), h.g(j, i), cs, sn);
                h.s(j, i - 1, x);
                h.s(j, i, y);
            }
            for j in 1..=n {
                let (x, y) = rot(z.g(j, i - 1), z.g(j, i), cs, sn);
                z.s(j, i - 1, x);
                z.s(j, i, y);
            }
        }
        kdefl = 0;
        if l <= 1 {
            break;
        }
        i = l - 1;
    }
    Ok((wr, wi))
}

/// A complex number in the working precision.
#[derive(Clone, Copy)]
struct Cx<T> {
    re: T,
    im: T,
}

impl<T: Real> Cx<T> {
    fn new(re: T, im: T) -> Cx<T> {
        Cx { re, im }
    }
    fn sub(self, o: Cx<T>) -> Cx<T> {
        Cx::new(self.re - o.re, self.im - o.im)
    }
    fn mul(self, o: Cx<T>) -> Cx<T> {
        Cx::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    /// Smith's division.
    fn div(self, o: Cx<T>) -> Cx<T> {
        if o.re.abs() >= o.im.abs() {
            let r = o.im / o.re;
            let d = o.re + o.im * r;
            Cx::new((self.re + self.im * r) / d, (self.im - self.re * r) / d)
        } else {
            let r = o.re / o.im;
            let d = o.re * r + o.im;
            Cx::new((self.re * r + self.im) / d, (self.im * r - self.re) / d)
        }
    }
    fn abs1(self) -> T {
        self.re.abs() + self.im.abs()
    }
}

/// Solves the 1×1 or 2×2 system `(T[j1..=j2] − w)·x = b` (`dlaln2`'s job
/// without its overflow scaling): a pivot smaller than `smin` is replaced
/// by `smin`.
fn small_solve<T: Real>(
    t: &Mat<T>,
    j1: usize,
    j2: usize,
    w: Cx<T>,
    b: [Cx<T>; 2],
    smin: T,
) -> [Cx<T>; 2] {
    let zero = T::ZERO;
    if j1 == j2 {
        let mut c = Cx::new(t.g(j1, j1), zero).sub(w);
        if c.abs1() < smin {
            c = Cx::new(smin, zero);
        }
        return [b[0].div(c), b[1]];
    }
    // 2×2 with complete pivoting.
    let m = [
        [
            Cx::new(t.g(j1, j1), zero).sub(w),
            Cx::new(t.g(j1, j2), zero),
        ],
        [
            Cx::new(t.g(j2, j1), zero),
            Cx::new(t.g(j2, j2), zero).sub(w),
        ],
    ];
    let mut best = (0, 0);
    for r in 0..2 {
        for c in 0..2 {
            if m[r][c].abs1() > m[best.0][best.1].abs1() {
                best = (r, c);
            }
        }
    }
    if m[best.0][best.1].abs1() < smin {
        let s = Cx::new(smin, zero);
        return [b[0].div(s), b[1].div(s)];
    }
    let (pr, pc) = best;
    let (or, oc) = (1 - pr, 1 - pc);
    let piv = m[pr][pc];
    let l = m[or][pc].div(piv);
    let mut u22 = m[or][oc].sub(l.mul(m[pr][oc]));
    if u22.abs1() < smin {
        u22 = Cx::new(smin, zero);
    }
    let y2 = b[or].sub(l.mul(b[pr]));
    let x_oc = y2.div(u22);
    let x_pc = b[pr].sub(m[pr][oc].mul(x_oc)).div(piv);
    let mut x = [x_pc; 2];
    x[pc] = x_pc;
    x[oc] = x_oc;
    x
}

/// `dtrevc3('R', 'B')`: the right eigenvectors of the quasi-triangular
/// `t`, back-transformed by `q` (overwritten): for a real eigenvalue at
/// `ki`, column `ki`; for a pair at `ki−1, ki`, the real part in column
/// `ki−1` and the imaginary part in column `ki`. Each is scaled so that its
/// largest `|re| + |im|` is one.
/// (1-based loops over the Fortran's index ranges, on purpose.)
#[allow(clippy::needless_range_loop)]
fn trevc<T: Real>(t: &Mat<T>, q: &mut Mat<T>, mach: Mach<T>) {
    let n = t.n;
    let zero = T::ZERO;
    let one = T::ONE;
    let ulp = mach.ulp;
    let smlnum = mach.safmin * (T::from_f64(n as f64) / ulp);
    let mut ki = n;
    while ki >= 1 {
        let pair = ki > 1 && t.g(ki, ki - 1) != zero;
        let wr = t.g(ki, ki);
        let wi = if pair {
            t.g(ki, ki - 1).abs().sqrt() * t.g(ki - 1, ki).abs().sqrt()
        } else {
            zero
        };
        let smin = max(ulp * (wr.abs() + wi.abs()), smlnum);
        let w = Cx::new(wr, wi);
        // x (complex), solved upward from the eigenvalue's own rows.
        let mut x = vec![Cx::new(zero, zero); n + 1];
        let top;
        if pair {
            if t.g(ki - 1, ki).abs() >= t.g(ki, ki - 1).abs() {
                x[ki - 1] = Cx::new(one, zero);
                x[ki] = Cx::new(zero, wi / t.g(ki - 1, ki));
            } else {
                x[ki - 1] = Cx::new(-wi / t.g(ki, ki - 1), zero);
                x[ki] = Cx::new(zero, one);
            }
            for k in 1..ki - 1 {
                x[k] = Cx::new(-x[ki - 1].re * t.g(k, ki - 1), -x[ki].im * t.g(k, ki));
            }
            top = ki - 2;
        } else {
            x[ki] = Cx::new(one, zero);
            for k in 1..ki {
                x[k] = Cx::new(-t.g(k, ki), zero);
            }
            top = ki - 1;
        }
        let mut j = top;
        while j >= 1 {
            let (j1, j2) = if j > 1 && t.g(j, j - 1) != zero {
                (j - 1, j)
            } else {
                (j, j)
            };
            let sol = small_solve(t, j1, j2, w, [x[j1], x[j2]], smin);
            x[j1] = sol[0];
            if j2 != j1 {
                x[j2] = sol[1];
            }
            let cols: Vec<usize> = if j1 == j2 { vec![j1] } else { vec![j1, j2] };
            for &c in &cols {
                let xc = x[c];
                for k in 1..j1 {
                    x[k] = Cx::new(x[k].re - xc.re * t.g(k, c), x[k].im - xc.im * t.g(k, c));
                }
            }
            if j1 == 1 {
                break;
            }
            j = j1 - 1;
        }
        // Back-transform: Q(:, 1:top)·x(1:top) plus the own columns.
        if pair {
            let mut re = vec![zero; n + 1];
            let mut im = vec![zero; n + 1];
            for r in 1..=n {
                let mut sr = zero;
                let mut si = zero;
                for k in 1..=top {
                    sr = sr + q.g(r, k) * x[k].re;
                    si = si + q.g(r, k) * x[k].im;
                }
                re[r] = sr + x[ki - 1].re * q.g(r, ki - 1);
                im[r] = si + x[ki].im * q.g(r, ki);
            }
            let emax = (1..=n).map(|r| re[r].abs() + im[r].abs()).fold(zero, max);
            let remax = one / emax;
            for r in 1..=n {
                q.s(r, ki - 1, re[r] * remax);
                q.s(r, ki, im[r] * remax);
            }
            ki -= 2;
        } else {
            let mut col = vec![zero; n + 1];
            for r in 1..=n {
                let mut s = zero;
                for k in 1..=top {
                    s = s + q.g(r, k) * x[k].re;
                }
                col[r] = s + x[ki].re * q.g(r, ki);
            }
            let emax = (1..=n).map(|r| col[r].abs()).fold(zero, max);
            let remax = one / emax;
            for r in 1..=n {
                q.s(r, ki, col[r] * remax);
            }
            ki -= 1;
        }
    }
}

/// `gebak('B', 'R')`: undo the scaling, then the permutation, on the rows
/// of the eigenvector matrix.
fn gebak<T: Real>(v: &mut Mat<T>, bal: &Balance<T>) {
    let n = v.n;
    for i in bal.ilo..=bal.ihi {
        let s = bal.scale[i - 1];
        for c in 1..=n {
            v.s(i, c, v.g(i, c) * s);
        }
    }
    for ii in 1..=n {
        let mut i = ii;
        if i >= bal.ilo && i <= bal.ihi {
            continue;
        }
        if i < bal.ilo {
            i = bal.ilo - ii;
        }
        let k = bal.perm[i - 1];
        if k != i {
            for c in 1..=n {
                let t = v.g(i, c);
                v.s(i, c, v.g(k, c));
                v.s(k, c, t);
            }
        }
    }
}

/// `dlartg`/`slartg`: the rotation `(cs, sn)` with `cs·f + sn·g = r`,
/// `−sn·f + cs·g = 0`. The sign of `r` follows MKL as torch's results show
/// it: in double precision LAPACK's convention before 3.10 (`r` has the
/// sign of `f` when `|f| > |g|`, else it is positive), in single precision
/// the 3.10 one (`r` always has the sign of `f`). Measured on 155 (double)
/// and 166 (single) complex eigenvector pairs of random 1…12 × 1…12
/// matrices.
fn lartg<T: Real>(f: T, g: T, single: bool) -> (T, T, T) {
    if g == T::ZERO {
        return (T::ONE, T::ZERO, f);
    }
    if f == T::ZERO {
        return (T::ZERO, sign(T::ONE, g), g.abs());
    }
    let d = (f * f + g * g).sqrt();
    let (mut cs, mut sn, mut r) = (f / d, g / d, d);
    if (single || f.abs() > g.abs()) && cs < T::ZERO {
        cs = -cs;
        sn = -sn;
        r = -r;
    }
    (cs, sn, r)
}

/// `geev` (right eigenvectors) of the column-major `n×n` matrix `a`
/// (values in f64, computed in f32 when `single`).
pub(super) fn geev(
    a: &[f64],
    n: usize,
    single: bool,
    variant: Variant,
) -> Result<Eig, NoConvergence> {
    if single {
        geev_t::<f32>(a, n, true, variant)
    } else {
        geev_t::<f64>(a, n, false, variant)
    }
}

fn geev_t<T: Real>(
    a: &[f64],
    n: usize,
    single: bool,
    variant: Variant,
) -> Result<Eig, NoConvergence> {
    let mach = Mach::<T>::new(single);
    let mut h = Mat {
        n,
        d: a.iter().map(|&x| T::from_f64(x)).collect(),
    };
    if n == 0 {
        return Ok(Eig {
            values: Vec::new(),
            vectors: Vec::new(),
        });
    }
    let bal = gebal(&mut h, mach);
    let mut q = gehrd(&mut h, bal.ilo, bal.ihi);
    let (wr, wi) = lahqr(&mut h, &mut q, bal.ilo, bal.ihi, mach, single)?;
    trevc(&h, &mut q, mach);
    gebak(&mut q, &bal);
    // Normalise: unit Euclidean norm, complex pairs rotated so that the
    // largest-modulus component is real.
    let mut i = 1;
    while i <= n {
        if wi[i - 1] == T::ZERO {
            let scl = T::ONE / nrm2((1..=n).map(|r| q.g(r, i)));
            for r in 1..=n {
                q.s(r, i, q.g(r, i) * scl);
            }
            i += 1;
        } else if wi[i - 1] > T::ZERO && i < n {
            let scl = T::ONE
                / lapy2(
                    nrm2((1..=n).map(|r| q.g(r, i))),
                    nrm2((1..=n).map(|r| q.g(r, i + 1))),
                );
            for r in 1..=n {
                q.s(r, i, q.g(r, i) * scl);
                q.s(r, i + 1, q.g(r, i + 1) * scl);
            }
            if !variant.skip_phase {
                let mut k = 1;
                let mut best = T::ZERO;
                for r in 1..=n {
                    let m = q.g(r, i) * q.g(r, i) + q.g(r, i + 1) * q.g(r, i + 1);
                    if m > best {
                        best = m;
                        k = r;
                    }
                }
                let (cs, sn, _) = lartg(q.g(k, i), q.g(k, i + 1), single);
                for r in 1..=n {
                    let (x, y) = rot(q.g(r, i), q.g(r, i + 1), cs, sn);
                    q.s(r, i, x);
                    q.s(r, i + 1, y);
                }
                q.s(k, i + 1, T::ZERO);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    // Complex eigenvectors from the real storage.
    let mut values = Vec::with_capacity(n);
    let mut vectors = vec![(0.0, 0.0); n * n];
    let mut j = 1;
    while j <= n {
        let (re, im) = (wr[j - 1].to_f64(), wi[j - 1].to_f64());
        if wi[j - 1] != T::ZERO && j < n {
            values.push((re, im));
            values.push((wr[j].to_f64(), wi[j].to_f64()));
            for r in 1..=n {
                let (x, y) = (q.g(r, j).to_f64(), q.g(r, j + 1).to_f64());
                vectors[(r - 1) + (j - 1) * n] = (x, y);
                vectors[(r - 1) + j * n] = (x, -y);
            }
            j += 2;
        } else {
            values.push((re, im));
            for r in 1..=n {
                vectors[(r - 1) + (j - 1) * n] = (q.g(r, j).to_f64(), 0.0);
            }
            j += 1;
        }
    }
    Ok(Eig { values, vectors })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn residual(a: &[f64], n: usize, e: &Eig) -> f64 {
        let mut worst: f64 = 0.0;
        for j in 0..n {
            let (lr, li) = e.values[j];
            for i in 0..n {
                let (mut sr, mut si) = (0.0, 0.0);
                for k in 0..n {
                    let (vr, vi) = e.vectors[k + j * n];
                    sr += a[i + k * n] * vr;
                    si += a[i + k * n] * vi;
                }
                let (vr, vi) = e.vectors[i + j * n];
                sr -= lr * vr - li * vi;
                si -= lr * vi + li * vr;
                worst = worst.max(sr.abs() + si.abs());
            }
        }
        worst
    }

    #[test]
    fn decomposes_rotation_and_triangular_matrices() {
        // [[0, -1], [1, 0]]: ±i, the +i vector first.
        let a = [0.0, 1.0, -1.0, 0.0];
        let e = geev(&a, 2, false, Variant::default()).expect("converges");
        assert!((e.values[0].1 - 1.0).abs() < 1e-15);
        assert!((e.values[1].1 + 1.0).abs() < 1e-15);
        assert!(residual(&a, 2, &e) < 1e-14);
        // An upper-triangular matrix is isolated by the balancing.
        let t = [1.0, 0.0, 0.0, 2.0, 3.0, 0.0, 4.0, 5.0, 6.0];
        let e = geev(&t, 3, false, Variant::default()).expect("converges");
        assert!(residual(&t, 3, &e) < 1e-13);
        let mut vals: Vec<f64> = e.values.iter().map(|v| v.0).collect();
        vals.sort_by(f64::total_cmp);
        assert_eq!(vals, vec![1.0, 3.0, 6.0]);
    }

    #[test]
    fn residuals_are_small_on_dense_matrices() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        for n in 1..12 {
            let a: Vec<f64> = (0..n * n).map(|_| next()).collect();
            let e = geev(&a, n, false, Variant::default()).expect("converges");
            assert!(residual(&a, n, &e) < 1e-12, "n = {n}");
            for j in 0..n {
                let norm: f64 = (0..n)
                    .map(|i| {
                        let (x, y) = e.vectors[i + j * n];
                        x * x + y * y
                    })
                    .sum();
                assert!((norm - 1.0).abs() < 1e-12);
            }
        }
    }
}
