//! Derivative rows of the upsampling operators.
//!
//! | operator | node | differentiable inputs | saves |
//! |---|---|---|---|
//! | `upsample_nearest{1,2,3}d` | UpsampleNearest{1,2,3}DBackward0 | self | output size, self sizes, scales |
//! | `_upsample_nearest_exact{1,2,3}d` | UpsampleNearestExact{1,2,3}DBackward0 | self | output size, self sizes, scales |
//! | `upsample_linear1d`, `upsample_bilinear2d`, `upsample_trilinear3d` | UpsampleLinear1DBackward0, UpsampleBilinear2DBackward0, UpsampleTrilinear3DBackward0 | self | output size, self sizes, align_corners, scales |
//! | `upsample_bicubic2d` | UpsampleBicubic2DBackward0 | self | output size, self sizes, align_corners, scales |
//! | `_upsample_bilinear2d_aa`, `_upsample_bicubic2d_aa` | UpsampleBilinear2DAaBackward0, UpsampleBicubic2DAaBackward0 | self | output size, self sizes, align_corners, scales |

use super::super::{BuildFn, Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::BackwardFn;
use crate::autograd::functions::nn::upsample::UpsampleBackward;
use crate::error::Result;
use crate::ivalue::IValue;

/// The node of an upsampling with `k` spatial axes whose backward operator
/// is `op`; `linear` operators pass `align_corners` before the scales.
fn node(op: &'static str, a: &[IValue], k: usize, linear: bool) -> Result<Box<dyn BackwardFn>> {
    let first_scale = if linear { 3 } else { 2 };
    Ok(Box::new(UpsampleBackward {
        backward_op: op,
        output_size: arg(a, 1),
        self_sizes: tensor(a, 0)?.shape().to_vec(),
        align_corners: linear.then(|| arg(a, 2)),
        scales: (first_scale..first_scale + k).map(|i| arg(a, i)).collect(),
    }))
}

const NEAREST_1D: BuildFn = |a, _| node("aten.upsample_nearest1d_backward.default", a, 1, false);
const NEAREST_2D: BuildFn = |a, _| node("aten.upsample_nearest2d_backward.default", a, 2, false);
const NEAREST_3D: BuildFn = |a, _| node("aten.upsample_nearest3d_backward.default", a, 3, false);
const EXACT_1D: BuildFn = |a, _| {
    node(
        "aten._upsample_nearest_exact1d_backward.default",
        a,
        1,
        false,
    )
};
const EXACT_2D: BuildFn = |a, _| {
    node(
        "aten._upsample_nearest_exact2d_backward.default",
        a,
        2,
        false,
    )
};
const EXACT_3D: BuildFn = |a, _| {
    node(
        "aten._upsample_nearest_exact3d_backward.default",
        a,
        3,
        false,
    )
};
const LINEAR_1D: BuildFn = |a, _| node("aten.upsample_linear1d_backward.default", a, 1, true);
const BILINEAR_2D: BuildFn = |a, _| node("aten.upsample_bilinear2d_backward.default", a, 2, true);
const TRILINEAR_3D: BuildFn = |a, _| node("aten.upsample_trilinear3d_backward.default", a, 3, true);
const BICUBIC_2D: BuildFn = |a, _| node("aten.upsample_bicubic2d_backward.default", a, 2, true);
const BILINEAR_2D_AA: BuildFn =
    |a, _| node("aten._upsample_bilinear2d_aa_backward.default", a, 2, true);
const BICUBIC_2D_AA: BuildFn =
    |a, _| node("aten._upsample_bicubic2d_aa_backward.default", a, 2, true);

/// The autograd entry of `op` if it is an upsampling operator.
pub(in crate::autograd::derivatives) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.upsample_nearest1d.default" => {
            D(derivative!("UpsampleNearest1DBackward0", &[0], NEAREST_1D))
        }
        "aten.upsample_nearest2d.default" => {
            D(derivative!("UpsampleNearest2DBackward0", &[0], NEAREST_2D))
        }
        "aten.upsample_nearest3d.default" => {
            D(derivative!("UpsampleNearest3DBackward0", &[0], NEAREST_3D))
        }
        "aten._upsample_nearest_exact1d.default" => D(derivative!(
            "UpsampleNearestExact1DBackward0",
            &[0],
            EXACT_1D
        )),
        "aten._upsample_nearest_exact2d.default" => D(derivative!(
            "UpsampleNearestExact2DBackward0",
            &[0],
            EXACT_2D
        )),
        "aten._upsample_nearest_exact3d.default" => D(derivative!(
            "UpsampleNearestExact3DBackward0",
            &[0],
            EXACT_3D
        )),
        "aten.upsample_linear1d.default" => {
            D(derivative!("UpsampleLinear1DBackward0", &[0], LINEAR_1D))
        }
        "aten.upsample_bilinear2d.default" => D(derivative!(
            "UpsampleBilinear2DBackward0",
            &[0],
            BILINEAR_2D
        )),
        "aten.upsample_trilinear3d.default" => D(derivative!(
            "UpsampleTrilinear3DBackward0",
            &[0],
            TRILINEAR_3D
        )),
        "aten.upsample_bicubic2d.default" => {
            D(derivative!("UpsampleBicubic2DBackward0", &[0], BICUBIC_2D))
        }
        "aten._upsample_bilinear2d_aa.default" => D(derivative!(
            "UpsampleBilinear2DAaBackward0",
            &[0],
            BILINEAR_2D_AA
        )),
        "aten._upsample_bicubic2d_aa.default" => D(derivative!(
            "UpsampleBicubic2DAaBackward0",
            &[0],
            BICUBIC_2D_AA
        )),
        _ => return None,
    })
}
