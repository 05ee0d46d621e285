//! Where random kernels get their values.
//!
//! Replay does not try to reproduce PyTorch's RNG: it feeds the values
//! PyTorch recorded. [`RandomSource`] therefore has two sources, consulted in
//! order: batches handed in with [`RandomSource::provide`] or, exact for
//! integers beyond 2^53, [`RandomSource::provide_i64`] (one batch per
//! random operator call, first in first out, each exactly as long as that
//! operator's output), and otherwise a deterministic generator of our own
//! (xoshiro256** seeded through splitmix64 by `manual_seed`). The generator
//! makes a program run twice give identical values; it does not match
//! PyTorch's Mersenne Twister streams.

use std::collections::VecDeque;

use crate::error::{Result, RuntimeError};

/// One provided batch: floating values, or exact integers.
#[derive(Clone, Debug)]
enum Batch {
    Float(Vec<f64>),
    Int(Vec<i64>),
}

impl Batch {
    fn len(&self) -> usize {
        match self {
            Batch::Float(v) => v.len(),
            Batch::Int(v) => v.len(),
        }
    }

    fn into_f64(self) -> Vec<f64> {
        match self {
            Batch::Float(v) => v,
            Batch::Int(v) => v.into_iter().map(|x| x as f64).collect(),
        }
    }

    fn into_i64(self) -> Vec<i64> {
        match self {
            Batch::Float(v) => v.into_iter().map(|x| x as i64).collect(),
            Batch::Int(v) => v,
        }
    }
}

/// Values for random operators.
#[derive(Clone, Debug)]
pub(crate) struct RandomSource {
    provided: VecDeque<Batch>,
    state: [u64; 4],
    /// Refuse to generate: only provided batches may be used.
    required: bool,
}

impl Default for RandomSource {
    fn default() -> RandomSource {
        RandomSource::seeded(0)
    }
}

impl RandomSource {
    /// A generator seeded with `seed` and no provided values.
    pub(crate) fn seeded(seed: u64) -> RandomSource {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        RandomSource {
            provided: VecDeque::new(),
            state: [next(), next(), next(), next()],
            required: false,
        }
    }

    /// Reseeds the generator (provided batches are kept).
    pub(crate) fn reseed(&mut self, seed: u64) {
        let provided = std::mem::take(&mut self.provided);
        let required = self.required;
        *self = RandomSource::seeded(seed);
        self.provided = provided;
        self.required = required;
    }

    /// Whether only provided batches may be used.
    pub(crate) fn set_required(&mut self, required: bool) {
        self.required = required;
    }

    /// Queues the exact output values of the next random operator.
    pub(crate) fn provide(&mut self, values: Vec<f64>) {
        self.provided.push_back(Batch::Float(values));
    }

    /// Queues the exact integer output values of the next random operator.
    pub(crate) fn provide_i64(&mut self, values: Vec<i64>) {
        self.provided.push_back(Batch::Int(values));
    }

    /// The next provided batch whatever its length, as integers: an
    /// operator that reads outside the process (`image.read_file`) takes
    /// the bytes PyTorch read from here.
    pub(crate) fn next_provided_ints(&mut self) -> Option<Vec<i64>> {
        self.provided.pop_front().map(Batch::into_i64)
    }

    /// Number of queued batches.
    pub(crate) fn pending(&self) -> usize {
        self.provided.len()
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 24 random bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 40) as f64 * (1.0 / (1u64 << 24) as f64)
    }

    fn standard_normal(&mut self) -> f64 {
        // Box-Muller on (0, 1] x [0, 1).
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// `n` values for `op`: the next provided batch, or generated ones.
    pub(crate) fn take(
        &mut self,
        op: &str,
        n: usize,
        mut generate: impl FnMut(&mut Self) -> f64,
    ) -> Result<Vec<f64>> {
        self.take_batch(op, n, |s| (0..n).map(|_| generate(s)).collect())
    }

    /// `n` values for `op`: the next provided batch, or the `n` values
    /// `generate` makes at once (for draws whose elements depend on each
    /// other, such as a permutation).
    pub(crate) fn take_batch(
        &mut self,
        op: &str,
        n: usize,
        generate: impl FnOnce(&mut Self) -> Vec<f64>,
    ) -> Result<Vec<f64>> {
        match self.next_batch(op, n)? {
            Some(batch) => Ok(batch.into_f64()),
            None => Ok(generate(self)),
        }
    }

    /// As [`RandomSource::take_batch`] with exact integers.
    fn take_ints(
        &mut self,
        op: &str,
        n: usize,
        generate: impl FnOnce(&mut Self) -> Vec<i64>,
    ) -> Result<Vec<i64>> {
        match self.next_batch(op, n)? {
            Some(batch) => Ok(batch.into_i64()),
            None => Ok(generate(self)),
        }
    }

    /// The next provided batch, checked to hold `n` values.
    fn next_batch(&mut self, op: &str, n: usize) -> Result<Option<Batch>> {
        match self.provided.pop_front() {
            Some(batch) if batch.len() != n => Err(RuntimeError::RandomValues {
                op: op.to_owned(),
                expected: n,
                got: batch.len(),
            }),
            None if self.required => Err(RuntimeError::Unsupported {
                op: op.to_owned(),
                what: format!(
                    "drawing {n} random values without provided ones (the runtime's generator is \
                     off: provide PyTorch's recorded values, e.g. with nn::RecordedRandom)"
                ),
            }),
            other => Ok(other),
        }
    }

    /// `n` integers uniform in [low, high).
    pub(crate) fn integers(&mut self, op: &str, n: usize, low: i64, high: i64) -> Result<Vec<i64>> {
        let span = high.wrapping_sub(low) as u64;
        self.take_ints(op, n, |s| {
            (0..n)
                .map(|_| low.wrapping_add((s.next_u64() % span.max(1)) as i64))
                .collect()
        })
    }

    /// `n` values from Exp(`lambd`) (inverse CDF of a uniform draw).
    pub(crate) fn exponential(&mut self, op: &str, n: usize, lambd: f64) -> Result<Vec<f64>> {
        self.take(op, n, |s| -(1.0 - s.unit()).ln() / lambd)
    }

    /// `n` values from Cauchy(`median`, `sigma`) (inverse CDF).
    pub(crate) fn cauchy(
        &mut self,
        op: &str,
        n: usize,
        median: f64,
        sigma: f64,
    ) -> Result<Vec<f64>> {
        self.take(op, n, |s| {
            median + sigma * (std::f64::consts::PI * (s.unit() - 0.5)).tan()
        })
    }

    /// `n` values whose logarithms are N(`mean`, `std`²).
    pub(crate) fn log_normal(
        &mut self,
        op: &str,
        n: usize,
        mean: f64,
        std: f64,
    ) -> Result<Vec<f64>> {
        self.take(op, n, |s| (s.standard_normal() * std + mean).exp())
    }

    /// `n` trial counts up to a first success of probability `p` (inverse
    /// CDF of a uniform draw in (0, 1]).
    pub(crate) fn geometric(&mut self, op: &str, n: usize, p: f64) -> Result<Vec<f64>> {
        self.take(op, n, |s| {
            ((1.0 - s.unit()).ln() / (-p).ln_1p()).ceil().max(1.0)
        })
    }

    /// One 0/1 draw per probability in `probs`.
    pub(crate) fn bernoulli(&mut self, op: &str, probs: &[f64]) -> Result<Vec<f64>> {
        self.take_batch(op, probs.len(), |s| {
            probs
                .iter()
                .map(|&p| f64::from(u8::from(s.unit() < p)))
                .collect()
        })
    }

    /// A random permutation of `0..n` (Fisher-Yates).
    pub(crate) fn permutation(&mut self, op: &str, n: usize) -> Result<Vec<i64>> {
        self.take_ints(op, n, |s| {
            let mut v: Vec<i64> = (0..n as i64).collect();
            for i in (1..n).rev() {
                let j = ((s.unit() * (i + 1) as f64) as usize).min(i);
                v.swap(i, j);
            }
            v
        })
    }

    /// `samples` category indices per row of `weights` (each row a
    /// distribution over `weights[r].len()` categories, not necessarily
    /// normalised); without `replacement` a category is drawn at most once.
    pub(crate) fn multinomial(
        &mut self,
        op: &str,
        weights: &[Vec<f64>],
        samples: usize,
        replacement: bool,
    ) -> Result<Vec<i64>> {
        self.take_ints(op, weights.len() * samples, |s| {
            let mut out = Vec::with_capacity(weights.len() * samples);
            for row in weights {
                let mut w = row.clone();
                for _ in 0..samples {
                    let k = s.pick(&w);
                    out.push(k as i64);
                    if !replacement && let Some(x) = w.get_mut(k) {
                        *x = 0.0;
                    }
                }
            }
            out
        })
    }

    /// A category drawn with probability proportional to `w`.
    fn pick(&mut self, w: &[f64]) -> usize {
        let total: f64 = w.iter().sum();
        let mut target = self.unit() * total;
        for (i, &x) in w.iter().enumerate() {
            if x > 0.0 && target < x {
                return i;
            }
            target -= x;
        }
        w.iter().rposition(|&x| x > 0.0).unwrap_or(0)
    }

    /// `n` values uniform in [from, to).
    pub(crate) fn uniform(&mut self, op: &str, n: usize, from: f64, to: f64) -> Result<Vec<f64>> {
        self.take(op, n, |s| s.unit() * (to - from) + from)
    }

    /// `n` values from N(mean, std²).
    pub(crate) fn normal(&mut self, op: &str, n: usize, mean: f64, std: f64) -> Result<Vec<f64>> {
        self.take(op, n, |s| s.standard_normal() * std + mean)
    }

    /// One N(`mean`, `std`) draw per element of `means` and `stds` (equal
    /// lengths): `normal`'s tensor overloads.
    pub(crate) fn normal_each(
        &mut self,
        op: &str,
        means: &[f64],
        stds: &[f64],
    ) -> Result<Vec<f64>> {
        self.take_batch(op, means.len(), |s| {
            means
                .iter()
                .zip(stds)
                .map(|(m, sd)| s.standard_normal() * sd + m)
                .collect()
        })
    }

    /// One Gamma(`alpha`, 1) draw per concentration (Marsaglia and Tsang's
    /// squeeze, boosted below 1; 0 for a concentration of 0 or less).
    pub(crate) fn gamma(&mut self, op: &str, alphas: &[f64]) -> Result<Vec<f64>> {
        self.take_batch(op, alphas.len(), |s| {
            alphas.iter().map(|&a| s.gamma_one(a)).collect()
        })
    }

    /// One Poisson(`rate`) count per rate (Knuth's product of uniforms up
    /// to 30, a rounded normal beyond).
    pub(crate) fn poisson(&mut self, op: &str, rates: &[f64]) -> Result<Vec<f64>> {
        self.take_batch(op, rates.len(), |s| {
            rates
                .iter()
                .map(|&rate| {
                    if rate >= 30.0 {
                        (rate + rate.sqrt() * s.standard_normal()).round().max(0.0)
                    } else {
                        let limit = (-rate).exp();
                        let mut k = 0.0;
                        let mut product = 1.0 - s.unit();
                        while product > limit {
                            k += 1.0;
                            product *= 1.0 - s.unit();
                        }
                        k
                    }
                })
                .collect()
        })
    }

    /// One Binomial(`count`, `prob`) draw per pair (a Bernoulli trial each
    /// up to 1000 trials, a rounded normal beyond); a count of 0 or less
    /// gives 0.
    pub(crate) fn binomial(&mut self, op: &str, counts: &[f64], probs: &[f64]) -> Result<Vec<f64>> {
        self.take_batch(op, counts.len(), |s| {
            counts
                .iter()
                .zip(probs)
                .map(|(&n, &p)| {
                    let p = p.clamp(0.0, 1.0);
                    if n.is_nan() || n <= 0.0 {
                        0.0
                    } else if n > 1000.0 {
                        let sd = (n * p * (1.0 - p)).sqrt();
                        (n * p + sd * s.standard_normal())
                            .round()
                            .clamp(0.0, n.floor())
                    } else {
                        (0..n as u64).filter(|_| s.unit() < p).count() as f64
                    }
                })
                .collect()
        })
    }

    /// Dirichlet draws: Gamma(`alpha`, 1) per concentration, each row of
    /// `row` concentrations normalised to sum to 1.
    pub(crate) fn dirichlet(&mut self, op: &str, alphas: &[f64], row: usize) -> Result<Vec<f64>> {
        self.take_batch(op, alphas.len(), |s| {
            let mut out: Vec<f64> = alphas.iter().map(|&a| s.gamma_one(a)).collect();
            for chunk in out.chunks_mut(row.max(1)) {
                let total: f64 = chunk.iter().sum();
                for v in chunk.iter_mut() {
                    *v /= total;
                }
            }
            out
        })
    }

    fn gamma_one(&mut self, alpha: f64) -> f64 {
        if alpha.is_nan() || alpha <= 0.0 {
            return 0.0;
        }
        let (alpha, scale) = if alpha < 1.0 {
            (alpha + 1.0, (1.0 - self.unit()).powf(1.0 / alpha))
        } else {
            (alpha, 1.0)
        };
        let d = alpha - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.standard_normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = 1.0 - self.unit();
            if u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return (scale * d * v).max(f64::MIN_POSITIVE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values() {
        let a = RandomSource::seeded(7)
            .normal("randn", 5, 0.0, 1.0)
            .expect("values");
        let b = RandomSource::seeded(7)
            .normal("randn", 5, 0.0, 1.0)
            .expect("values");
        assert_eq!(a, b);
        let u = RandomSource::seeded(7)
            .uniform("rand", 1000, -0.5, 0.5)
            .expect("values");
        assert!(u.iter().all(|&v| (-0.5..0.5).contains(&v)));
    }

    #[test]
    fn discrete_draws_stay_in_range() {
        let mut r = RandomSource::seeded(3);
        let ints = r.integers("randint", 50, 2, 5).expect("values");
        assert!(ints.iter().all(|v| (2..5).contains(v)));
        let mut perm = r.permutation("randperm", 6).expect("values");
        perm.sort_unstable();
        assert_eq!(perm, vec![0, 1, 2, 3, 4, 5]);
        let b = r.bernoulli("bernoulli_", &[0.0, 1.0, 0.0]).expect("values");
        assert_eq!(b, vec![0.0, 1.0, 0.0]);
        let m = r
            .multinomial("multinomial", &[vec![0.0, 1.0, 1.0]], 2, false)
            .expect("values");
        assert_eq!(m.iter().sum::<i64>(), 3);
        r.provide_i64(vec![i64::MAX]);
        assert_eq!(
            r.integers("random_", 1, 0, i64::MAX).expect("values"),
            vec![i64::MAX]
        );
    }

    #[test]
    fn provided_values_come_first_and_must_fit() {
        let mut r = RandomSource::seeded(0);
        r.provide(vec![1.0, 2.0]);
        r.provide(vec![3.0]);
        assert_eq!(
            r.uniform("uniform_", 2, 0.0, 1.0).expect("values"),
            vec![1.0, 2.0]
        );
        assert!(matches!(
            r.normal("randn", 2, 0.0, 1.0),
            Err(RuntimeError::RandomValues {
                expected: 2,
                got: 1,
                ..
            })
        ));
        assert_eq!(r.pending(), 0);
    }
}
