//! float16/bfloat16 `grid_sampler_2d` and its backward, bilinear, nearest
//! and bicubic, as PyTorch's vectorised CPU kernel computes them: every step on
//! vectors of the input's own dtype, so each operation (the unnormalisation,
//! the reflection's division and differences, the fractions and the four
//! weights, every product and partial sum of the interpolation) is rounded
//! to that dtype (measured on torch 2.15: bit for bit against per-operation
//! bfloat16 and float16 arithmetic). The backward scatters each corner's
//! `weight · grad_output` into the input's gradient as the vector loop
//! does: chunk by chunk of [`LANES`] output pixels (over the flattened
//! output when the grid is contiguous, row by row otherwise),
//! within a chunk the north-west corner of every pixel first, then
//! north-east, south-west and south-east, each addition rounded to the
//! dtype. The grid's gradient sums over channels in the dtype too.

use super::Sampling;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;

/// Output pixels per vector step of the backward's input-gradient
/// scatter: 16 with AVX-512, AVX2 and DEFAULT kernels alike (measured on
/// torch 2.15 with bfloat16 and float16 gradients bit for bit under each
/// `ATEN_CPU_CAPABILITY`).
pub(super) const LANES: usize = 16;

/// One operation's result in `dtype`: computed in float (as a reduced
/// vector converts to float vectors) and stored back.
pub(super) fn round(dtype: DType, v: f64) -> f64 {
    cast_value(dtype, v as f32 as f64)
}

/// PyTorch's `ComputeLocation` for one axis of `size` pixels.
struct Axis {
    dtype: DType,
    padding: i64,
    align_corners: bool,
    max_val: f64,
    scaling: f64,
    low: f64,
    twice_span: f64,
    empty: bool,
}

impl Axis {
    fn new(s: &Sampling, dtype: DType, size: usize) -> Axis {
        let r = |v: f64| round(dtype, v);
        let size_f = size as f64;
        let (scaling, low, twice_span, empty) = if s.align_corners {
            (
                r(r(size_f - 1.0) / 2.0),
                0.0,
                r(r(size_f - 1.0) * 2.0),
                size <= 1,
            )
        } else {
            (r(r(size_f) / 2.0), -0.5, r(r(size_f) * 2.0), false)
        };
        Axis {
            dtype,
            padding: s.padding,
            align_corners: s.align_corners,
            max_val: r(size_f - 1.0),
            scaling,
            low,
            twice_span,
            empty,
        }
    }

    fn r(&self, v: f64) -> f64 {
        round(self.dtype, v)
    }

    fn unnormalize(&self, c: f64) -> f64 {
        let scaled = self.r(self.r(c + 1.0) * self.scaling);
        if self.align_corners {
            scaled
        } else {
            self.r(scaled - 0.5)
        }
    }

    /// `min(max(x, 0), size − 1)` and whether `x` was strictly inside.
    fn clip(&self, x: f64) -> (f64, bool) {
        let lo = if x > 0.0 { x } else { 0.0 };
        let res = lo.min(self.max_val);
        (res, lo != 0.0 && res != self.max_val)
    }

    /// The reflected coordinate and the sign of its derivative.
    fn reflect(&self, x: f64) -> (f64, f64) {
        if self.align_corners && self.empty {
            return (0.0, 0.0);
        }
        let shifted = if self.align_corners {
            x
        } else {
            self.r(x - self.low)
        };
        let abs = shifted.abs();
        let flips = self.r(abs / self.twice_span).trunc();
        let extra = self.r(abs - self.r(flips * self.twice_span));
        let reflected = self.r(self.twice_span - extra);
        let one_more_flip = extra > reflected;
        let picked = if one_more_flip { reflected } else { extra };
        let sign = if one_more_flip != (shifted < 0.0) {
            -1.0
        } else {
            1.0
        };
        let at = if self.align_corners {
            picked
        } else {
            self.r(picked + self.low)
        };
        (at, sign)
    }

    /// PyTorch's `compute_coordinates`: a bicubic tap's coordinate clipped
    /// (border) or reflected and clipped (reflection).
    fn pad(&self, x: f64) -> f64 {
        match self.padding {
            1 => self.clip(x).0,
            2 => self.clip(self.reflect(x).0).0,
            _ => x,
        }
    }

    /// The pixel position of grid coordinate `c` and its derivative.
    fn locate(&self, c: f64) -> (f64, f64) {
        let x = self.unnormalize(c);
        match self.padding {
            1 => {
                let (res, inside) = self.clip(x);
                (res, if inside { self.scaling } else { 0.0 })
            }
            2 => {
                let (reflected, sign) = self.reflect(x);
                let grad = self.r(sign * self.scaling);
                let (res, inside) = self.clip(reflected);
                (res, if inside { grad } else { 0.0 })
            }
            _ => (x, self.scaling),
        }
    }
}

/// The geometry of one sampling: input `(N, C, H, W)`, output `(H_o, W_o)`.
#[derive(Clone, Copy)]
pub(super) struct Geometry {
    pub(super) n: usize,
    pub(super) c: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) ho: usize,
    pub(super) wo: usize,
}

/// A pixel's bilinear corners: `(flat offset or None outside, weight)` for
/// nw, ne, sw, se, and the distances `(n, s, w, e)`.
struct Corners {
    taps: [(Option<usize>, f64); 4],
    dist: [f64; 4],
}

fn corners(dtype: DType, x: f64, y: f64, h: usize, w: usize) -> Corners {
    let r = |v: f64| round(dtype, v);
    let (x_w, y_n) = (x.floor(), y.floor());
    let west = r(x - x_w);
    let east = r(1.0 - west);
    let north = r(y - y_n);
    let south = r(1.0 - north);
    let at = |ix: f64, iy: f64| {
        let inside = ix >= 0.0 && iy >= 0.0 && ix < w as f64 && iy < h as f64;
        inside.then(|| iy as usize * w + ix as usize)
    };
    Corners {
        taps: [
            (at(x_w, y_n), r(south * east)),
            (at(x_w + 1.0, y_n), r(south * west)),
            (at(x_w, y_n + 1.0), r(north * east)),
            (at(x_w + 1.0, y_n + 1.0), r(north * west)),
        ],
        dist: [north, south, west, east],
    }
}

/// Round half to even, as `nearbyint`.
fn nearest(v: f64) -> f64 {
    let f = v.floor();
    if v - f == 0.5 {
        if f.rem_euclid(2.0) == 0.0 { f } else { f + 1.0 }
    } else {
        v.round()
    }
}

fn nearest_offset(x: f64, y: f64, h: usize, w: usize) -> Option<usize> {
    let (ix, iy) = (nearest(x), nearest(y));
    let inside = ix >= 0.0 && iy >= 0.0 && ix < w as f64 && iy < h as f64;
    inside.then(|| iy as usize * w + ix as usize)
}

/// Keys' cubic convolution coefficients of the four taps around fraction
/// `t` (`get_cubic_coefficients`) and `get_cubic_coefficients_grad`, each
/// operation rounded by `r`.
fn cubic(t: f64, a: f64, r: impl Fn(f64) -> f64) -> ([f64; 4], [f64; 4]) {
    let far = |x: f64| r(r(r(r(r(a * x) - 5.0 * a) * x) + 8.0 * a) * x) - 4.0 * a;
    let near = |x: f64| r(r(r(r(r(a + 2.0) * x) - (a + 3.0)) * x) * x) + 1.0;
    let coeffs = [
        r(far(r(t + 1.0))),
        r(near(t)),
        r(near(r(1.0 - t))),
        r(far(r(2.0 - t))),
    ];
    let outer = |x: f64, s: f64| r(r(r(r(s * 3.0 * a * x) - 10.0 * a) * x) + s * 8.0 * a);
    let inner = |x: f64, s: f64| r(r(r(s * 3.0 * (a + 2.0) * x) - 2.0 * (a + 3.0)) * x);
    let grads = [
        outer(r(-1.0 - t), -1.0),
        inner(-t, -1.0),
        inner(r(1.0 - t), 1.0),
        outer(r(2.0 - t), 1.0),
    ];
    (coeffs, grads)
}

/// A pixel's bicubic taps: the 4 × 4 padded offsets (`[row j][column i]`,
/// None outside) and the coefficients and their derivatives along x and y.
struct Bicubic {
    taps: [[Option<usize>; 4]; 4],
    cx: [f64; 4],
    cy: [f64; 4],
    gx: [f64; 4],
    gy: [f64; 4],
}

fn bicubic(
    dtype: DType,
    (ax, ay): (&Axis, &Axis),
    a: f64,
    (x, y): (f64, f64),
    (h, w): (usize, usize),
) -> Bicubic {
    let r = |v: f64| round(dtype, v);
    let (x0, y0) = (x.floor(), y.floor());
    let (cx, gx) = cubic(r(x - x0), a, r);
    let (cy, gy) = cubic(r(y - y0), a, r);
    let mut taps = [[None; 4]; 4];
    for (j, row) in taps.iter_mut().enumerate() {
        let py = ay.pad(r(y0 - 1.0 + j as f64));
        for (i, tap) in row.iter_mut().enumerate() {
            let px = ax.pad(r(x0 - 1.0 + i as f64));
            let inside = px > -1.0 && py > -1.0 && px < w as f64 && py < h as f64;
            *tap = inside.then(|| py as usize * w + px as usize);
        }
    }
    Bicubic {
        taps,
        cx,
        cy,
        gx,
        gy,
    }
}

/// The sampled output `(N, C, H_o, W_o)` of `x` (`(N, C, H, W)`) at grid
/// `g` (`(N, H_o, W_o, 2)`, logical order).
pub(super) fn forward(s: &Sampling, dtype: DType, geo: Geometry, x: &[f64], g: &[f64]) -> Vec<f64> {
    let r = |v: f64| round(dtype, v);
    let Geometry { n, c, h, w, ho, wo } = geo;
    let (ax, ay) = (Axis::new(s, dtype, w), Axis::new(s, dtype, h));
    let mut out = vec![0.0; n * c * ho * wo];
    for b in 0..n {
        for pix in 0..ho * wo {
            let at = (b * ho * wo + pix) * 2;
            let (px, py) = (ax.locate(g[at]).0, ay.locate(g[at + 1]).0);
            let cubic_taps = s.bicubic.then(|| {
                let unnormalized = (ax.unnormalize(g[at]), ay.unnormalize(g[at + 1]));
                bicubic(dtype, (&ax, &ay), s.cubic_a, unnormalized, (h, w))
            });
            for ch in 0..c {
                let plane = &x[(b * c + ch) * h * w..(b * c + ch + 1) * h * w];
                let value = |o: Option<usize>| o.map_or(0.0, |o| plane[o]);
                out[(b * c + ch) * ho * wo + pix] = if let Some(k) = &cubic_taps {
                    let rows = k.taps.map(|row| {
                        let [t0, t1, t2, t3] = [0, 1, 2, 3].map(|i| r(k.cx[i] * value(row[i])));
                        r(r(r(t0 + t1) + t2) + t3)
                    });
                    let [t0, t1, t2, t3] = [0, 1, 2, 3].map(|j| r(k.cy[j] * rows[j]));
                    r(r(r(t0 + t1) + t2) + t3)
                } else if s.nearest {
                    value(nearest_offset(px, py, h, w))
                } else {
                    let k = corners(dtype, px, py, h, w);
                    let [nw, ne, sw, se] = k.taps.map(|(o, wt)| r(value(o) * wt));
                    r(r(r(nw + ne) + sw) + se)
                };
            }
        }
    }
    out
}

/// The output pixels of one vector step, in the order PyTorch's slice
/// iterator visits them: the flattened output in chunks of `lanes` for a
/// contiguous grid (or one whose two coordinate planes are contiguous),
/// otherwise each row in chunks of `lanes`.
pub(super) fn chunks(geo: Geometry, grid_strides: &[i64], lanes: usize) -> Vec<(usize, usize)> {
    let (ho, wo) = (geo.ho, geo.wo);
    let flat = match *grid_strides {
        [_, sh, sw, sc] => {
            (sc == 1 && sw == 2 && sh == 2 * wo as i64) || (sw == 1 && sh == wo as i64) || ho == 1
        }
        _ => true,
    };
    let mut out = Vec::new();
    let mut line = |start: usize, len: usize| {
        let mut i = 0;
        while i < len {
            out.push((start + i, lanes.min(len - i)));
            i += lanes;
        }
    };
    if flat {
        line(0, ho * wo);
    } else {
        for row in 0..ho {
            line(row * wo, wo);
        }
    }
    out
}

/// `(grad_input, grad_grid)`; `grad_input` is computed when `input_grad`.
#[allow(clippy::too_many_arguments)]
pub(super) fn backward(
    s: &Sampling,
    dtype: DType,
    geo: Geometry,
    steps: &[(usize, usize)],
    go: &[f64],
    x: &[f64],
    g: &[f64],
    input_grad: bool,
) -> (Vec<f64>, Vec<f64>) {
    let r = |v: f64| round(dtype, v);
    let Geometry { n, c, h, w, ho, wo } = geo;
    let (ax, ay) = (Axis::new(s, dtype, w), Axis::new(s, dtype, h));
    let mut gin = vec![0.0; if input_grad { n * c * h * w } else { 0 }];
    let mut ggrid = vec![0.0; n * ho * wo * 2];
    for b in 0..n {
        for &(start, len) in steps {
            let pixels = start..start + len;
            let located: Vec<((f64, f64), (f64, f64))> = pixels
                .clone()
                .map(|pix| {
                    let at = (b * ho * wo + pix) * 2;
                    (ax.locate(g[at]), ay.locate(g[at + 1]))
                })
                .collect();
            if s.nearest {
                if input_grad {
                    for ch in 0..c {
                        let base = (b * c + ch) * h * w;
                        for (pix, &((px, _), (py, _))) in pixels.clone().zip(&located) {
                            if let Some(o) = nearest_offset(px, py, h, w) {
                                let d = go[(b * c + ch) * ho * wo + pix];
                                gin[base + o] = r(gin[base + o] + d);
                            }
                        }
                    }
                }
                continue;
            }
            if s.bicubic {
                let taps: Vec<Bicubic> = pixels
                    .clone()
                    .map(|pix| {
                        let at = (b * ho * wo + pix) * 2;
                        let unnormalized = (ax.unnormalize(g[at]), ay.unnormalize(g[at + 1]));
                        bicubic(dtype, (&ax, &ay), s.cubic_a, unnormalized, (h, w))
                    })
                    .collect();
                let mut gx = vec![0.0; len];
                let mut gy = vec![0.0; len];
                for ch in 0..c {
                    let base = (b * c + ch) * h * w;
                    let plane = &x[base..base + h * w];
                    let d: Vec<f64> = pixels
                        .clone()
                        .map(|pix| go[(b * c + ch) * ho * wo + pix])
                        .collect();
                    for i in 0..4 {
                        for j in 0..4 {
                            if input_grad {
                                for (lane, k) in taps.iter().enumerate() {
                                    if let Some(o) = k.taps[j][i] {
                                        let add = r(r(d[lane] * k.cx[i]) * k.cy[j]);
                                        gin[base + o] = r(gin[base + o] + add);
                                    }
                                }
                            }
                            for (lane, k) in taps.iter().enumerate() {
                                let val = k.taps[j][i].map_or(0.0, |o| plane[o]);
                                let vg = r(val * d[lane]);
                                gx[lane] = r(gx[lane] - r(r(vg * k.gx[i]) * k.cy[j]));
                                gy[lane] = r(gy[lane] - r(r(vg * k.gy[j]) * k.cx[i]));
                            }
                        }
                    }
                }
                for (lane, pix) in pixels.enumerate() {
                    let at = (b * ho * wo + pix) * 2;
                    ggrid[at] = r(gx[lane] * ax.scaling);
                    ggrid[at + 1] = r(gy[lane] * ay.scaling);
                }
                continue;
            }
            let params: Vec<Corners> = located
                .iter()
                .map(|&((px, _), (py, _))| corners(dtype, px, py, h, w))
                .collect();
            let mut gx = vec![0.0; len];
            let mut gy = vec![0.0; len];
            for ch in 0..c {
                let base = (b * c + ch) * h * w;
                let plane = &x[base..base + h * w];
                let d: Vec<f64> = pixels
                    .clone()
                    .map(|pix| go[(b * c + ch) * ho * wo + pix])
                    .collect();
                if input_grad {
                    for corner in 0..4 {
                        for (lane, k) in params.iter().enumerate() {
                            let (o, wt) = k.taps[corner];
                            if let Some(o) = o {
                                gin[base + o] = r(gin[base + o] + r(wt * d[lane]));
                            }
                        }
                    }
                }
                for (lane, k) in params.iter().enumerate() {
                    let [nw, ne, sw, se] = k.taps.map(|(o, _)| o.map_or(0.0, |o| plane[o]));
                    let [north, south, west, east] = k.dist;
                    let dx = r(r(r(ne - nw) * south) + r(r(se - sw) * north));
                    let dy = r(r(r(sw - nw) * east) + r(r(se - ne) * west));
                    gx[lane] = r(gx[lane] + r(dx * d[lane]));
                    gy[lane] = r(gy[lane] + r(dy * d[lane]));
                }
            }
            for (lane, pix) in pixels.enumerate() {
                let at = (b * ho * wo + pix) * 2;
                let ((_, mx), (_, my)) = located[lane];
                ggrid[at] = r(gx[lane] * mx);
                ggrid[at + 1] = r(gy[lane] * my);
            }
        }
    }
    (gin, ggrid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampling(padding: i64, align_corners: bool) -> Sampling {
        Sampling {
            nearest: false,
            bicubic: false,
            cubic_a: -0.75,
            padding,
            align_corners,
            single: true,
        }
    }

    #[test]
    fn coordinates_round_each_step_to_the_dtype() {
        // torch 2.15 in bfloat16: 0.30078125 + 1 → 1.296875 (a tie, to
        // even), · 3 → 3.890625, − 0.5 → 3.390625.
        let axis = Axis::new(&sampling(0, false), DType::BFloat16, 6);
        assert_eq!(axis.locate(0.30078125), (3.390625, 3.0));
        // Border: outside clips to 0 with no gradient.
        let axis = Axis::new(&sampling(1, true), DType::Float16, 5);
        assert_eq!(axis.locate(-1.5), (0.0, 0.0));
        // Reflection (align_corners, 5 pixels): −0.25 unnormalises to
        // 0.75 · 2 = 1.5, inside, derivative +2.
        let axis = Axis::new(&sampling(2, true), DType::BFloat16, 5);
        assert_eq!(axis.locate(-0.25), (1.5, 2.0));
        // 1.25 → 4.5 reflects off 4 to 3.5 with derivative −2.
        assert_eq!(axis.locate(1.25), (3.5, -2.0));
    }

    #[test]
    fn chunks_follow_the_slice_iterator() {
        let geo = Geometry {
            n: 1,
            c: 1,
            h: 4,
            w: 4,
            ho: 3,
            wo: 5,
        };
        assert_eq!(
            chunks(geo, &[30, 10, 2, 1], 4),
            vec![(0, 4), (4, 4), (8, 4), (12, 3)]
        );
        assert_eq!(
            chunks(geo, &[30, 2, 6, 1], 4),
            vec![(0, 4), (4, 1), (5, 4), (9, 1), (10, 4), (14, 1)]
        );
    }
}
