//! Unit tests of torchvision's detection kernels through the runtime's
//! call API. The expected bits were produced by torchvision 0.29.2's CPU
//! kernels (`torch.ops.torchvision.*`) on the same inputs: a 2×1×4×5 map
//! `sin(0.37 i)` and three boxes — one inside image 1, one running off the
//! left of image 0, one degenerate (a point).

use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

#[rustfmt::skip]
const X: [f32; 40] = [0.0, 0.36161545, 0.6742879, 0.89569867, 0.99588084, 0.9612752, 0.7965655, 0.5240442, 0.18059623, -0.18729459, -0.5298362, -0.80066687, -0.96313095, -0.99523985, -0.89264756, -0.6692397, -0.3552535, 0.006814602, 0.36796036, 0.6793048, 0.89870816, 0.99647564, 0.9593747, 0.792427, 0.5182281, 0.17388949, -0.19398426, -0.53560317, -0.80473125, -0.96494204, -0.99455255, -0.8895551, -0.6641606, -0.34887516, 0.013628887, 0.37428832, 0.68428963, 0.901676, 0.9970241, 0.9574298];
#[rustfmt::skip]
const ROIS: [f32; 15] = [1.0, 0.3, 0.6, 3.7, 2.9, 0.0, -1.5, 0.2, 2.0, 5.0, 0.0, 2.0, 2.0, 2.0, 2.0];
#[rustfmt::skip]
const GRAD: [f32; 12] = [-1.0, -0.8181818, -0.6363636, -0.45454544, -0.27272725, -0.090909064, 0.090909064, 0.27272725, 0.45454544, 0.6363636, 0.8181818, 1.0];
#[rustfmt::skip]
const ALIGN_PLAIN_ADAPTIVE: [u32; 12] = [0xbe9f7f80, 0xbf143295, 0xbeacda07, 0x3d4e2038, 0x3d8307d8, 0x3c1197d5, 0xbe646f0f, 0xbe4e7e98, 0xbf343f77, 0xbf2bc611, 0xbe2e0afa, 0xbd1de434];
#[rustfmt::skip]
const ALIGN_PLAIN_TWO: [u32; 12] = [0x3ebe5bc9, 0x3e523472, 0xbe3bb9ca, 0xbed37a66, 0x3f2c42b2, 0x3f2b4792, 0xbe7b729b, 0xbeb4c48d, 0x3eac08ee, 0x3e5aa050, 0xbee5d01d, 0xbf0b3944];
#[rustfmt::skip]
const ALIGN_ALIGNED_ADAPTIVE: [u32; 12] = [0x3e891344, 0xbe073964, 0xbf23b23c, 0xbef83fbe, 0x3e15fa27, 0x3e90e23d, 0xbe5889bd, 0xbeb41228, 0x00000000, 0x00000000, 0x00000000, 0x00000000];
#[rustfmt::skip]
const ALIGN_ALIGNED_TWO: [u32; 12] = [0x3f523b30, 0x3f58f890, 0x3ec6c565, 0x3e62fc7e, 0x3df61622, 0x3e8b9b0e, 0x3e3acb10, 0x3eabe0b9, 0x3f07a52b, 0x3f07a52b, 0x3f07a52b, 0x3f07a52b];
#[rustfmt::skip]
const ALIGN_GRAD: [u32; 40] = [0xbd6c9b24, 0xbc8ba2e6, 0xba783e0a, 0x00000000, 0x00000000, 0xbd99cb3e, 0xbcb586f7, 0xbaa15b87, 0x00000000, 0x00000000, 0xbc6bd4a0, 0x3c5f6b00, 0x3a469802, 0x00000000, 0x00000000, 0x3da00000, 0x3d9d1748, 0x3b8ba2ea, 0x00000000, 0x00000000, 0xbe00f5c1, 0xbe499224, 0xbe290c18, 0xbdd30683, 0x00000000, 0xbea31dca, 0xbefeaa5d, 0xbed151eb, 0xbe826cec, 0x00000000, 0xbe33e9a8, 0xbe8bb3ab, 0xbe501a0f, 0xbe008254, 0x00000000, 0xbc634231, 0xbcb0773c, 0xbc836ed5, 0xbc2253db, 0x00000000];
#[rustfmt::skip]
const POOL: [u32; 12] = [0x3e321016, 0x3c5f4bb2, 0x3f66d43d, 0x3f7f3cf9, 0x3f761622, 0x3f761622, 0xbf2b534b, 0x3bdf4d06, 0xbf768fc0, 0xbf768fc0, 0xbf768fc0, 0xbf768fc0];
#[rustfmt::skip]
const POOL_ARGMAX: [i64; 12] = [5, 14, 17, 18, 5, 5, 15, 17, 12, 12, 12, 12];
#[rustfmt::skip]
const POOL_GRAD: [u32; 40] = [0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0xbeba2e8a, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x403a2e8b, 0x00000000, 0x00000000, 0x3dba2e88, 0x00000000, 0x3e8ba2e8, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0xbf800000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0xbf51745d, 0x00000000, 0x00000000, 0xbf22e8ba, 0xbee8ba2e, 0x00000000];

fn f32s(rt: &mut Runtime, shape: &[i64], values: &[f32]) -> Tensor {
    let strides = crate::tensor::strides::contiguous_strides(shape);
    rt.introduce_tensor_f32(shape, &strides, 0, values, false)
        .expect("tensor")
}

fn bits(t: &IValue) -> Vec<u32> {
    let t = t.as_tensor().expect("a tensor");
    let v = t.to_f64_vec().expect("values");
    v.iter().map(|&x| (x as f32).to_bits()).collect()
}

fn map_and_rois(rt: &mut Runtime) -> (Tensor, Tensor) {
    (f32s(rt, &[2, 1, 4, 5], &X), f32s(rt, &[3, 5], &ROIS))
}

fn roi_align(rt: &mut Runtime, scale: f64, sampling_ratio: i64, aligned: bool) -> Vec<u32> {
    let (x, rois) = map_and_rois(rt);
    let out = rt
        .call(
            "torchvision.roi_align.default",
            vec![
                (&x).into(),
                (&rois).into(),
                IValue::Float(scale),
                IValue::Int(2),
                IValue::Int(2),
                IValue::Int(sampling_ratio),
                IValue::Bool(aligned),
            ],
        )
        .expect("roi_align");
    bits(&out[0])
}

#[test]
fn roi_align_matches_torchvision_bit_for_bit() {
    // Adaptive grids (ceil(roi / pooled) points per bin axis) at scale 1,
    // two points per axis at scale 0.5; aligned shifts boxes by -0.5.
    let mut rt = Runtime::new();
    assert_eq!(roi_align(&mut rt, 1.0, -1, false), ALIGN_PLAIN_ADAPTIVE);
    assert_eq!(roi_align(&mut rt, 0.5, 2, false), ALIGN_PLAIN_TWO);
    assert_eq!(roi_align(&mut rt, 1.0, -1, true), ALIGN_ALIGNED_ADAPTIVE);
    assert_eq!(roi_align(&mut rt, 0.5, 2, true), ALIGN_ALIGNED_TWO);
}

#[test]
fn an_aligned_point_box_has_no_samples_and_pools_to_zero() {
    // aligned=True keeps a zero-size box zero-size: ceil(0 / 2) = 0 grid
    // points, so its bins are 0 / max(0, 1) = 0.
    let mut rt = Runtime::new();
    let out = roi_align(&mut rt, 1.0, -1, true);
    assert_eq!(&out[8..], &[0, 0, 0, 0]);
}

#[test]
fn roi_align_backward_matches_torchvision_bit_for_bit() {
    let mut rt = Runtime::new();
    let rois = f32s(&mut rt, &[3, 5], &ROIS);
    let grad = f32s(&mut rt, &[3, 1, 2, 2], &GRAD);
    let ints = |v: &[i64]| v.iter().map(|&i| IValue::Int(i)).collect::<Vec<_>>();
    let mut args = vec![(&grad).into(), (&rois).into(), IValue::Float(1.0)];
    args.extend(ints(&[2, 2, 2, 1, 4, 5, -1]));
    args.push(IValue::Bool(true));
    let out = rt
        .call("torchvision._roi_align_backward.default", args)
        .expect("backward");
    assert_eq!(out[0].as_tensor().expect("tensor").shape(), &[2, 1, 4, 5]);
    assert_eq!(bits(&out[0]), ALIGN_GRAD);
}

#[test]
fn roi_pool_and_its_backward_match_torchvision() {
    let mut rt = Runtime::new();
    let (x, rois) = map_and_rois(&mut rt);
    let out = rt
        .call(
            "torchvision.roi_pool.default",
            vec![
                (&x).into(),
                (&rois).into(),
                IValue::Float(1.0),
                IValue::Int(2),
                IValue::Int(2),
            ],
        )
        .expect("roi_pool");
    assert_eq!(bits(&out[0]), POOL);
    let argmax = out[1].as_tensor().expect("argmax").clone();
    assert_eq!(argmax.dtype().name(), "int32");
    let idx: Vec<i64> = argmax
        .to_f64_vec()
        .expect("values")
        .iter()
        .map(|&v| v as i64)
        .collect();
    assert_eq!(idx, POOL_ARGMAX);
    let grad = f32s(&mut rt, &[3, 1, 2, 2], &GRAD);
    let mut args = vec![
        (&grad).into(),
        (&rois).into(),
        (&argmax).into(),
        IValue::Float(1.0),
    ];
    args.extend([2, 2, 2, 1, 4, 5].iter().map(|&i| IValue::Int(i)));
    let gi = rt
        .call("torchvision._roi_pool_backward.default", args)
        .expect("backward");
    assert_eq!(bits(&gi[0]), POOL_GRAD);
}

fn nms(rt: &mut Runtime, boxes: &[f32], scores: &[f32], threshold: f64) -> Vec<i64> {
    let n = scores.len() as i64;
    let b = f32s(rt, &[n, 4], boxes);
    let s = f32s(rt, &[n], scores);
    let out = rt
        .call(
            "torchvision.nms.default",
            vec![(&b).into(), (&s).into(), IValue::Float(threshold)],
        )
        .expect("nms");
    let keep = out[0].as_tensor().expect("keep");
    assert_eq!(keep.dtype().name(), "int64");
    keep.to_f64_vec()
        .expect("values")
        .iter()
        .map(|&v| v as i64)
        .collect()
}

#[test]
fn nms_keeps_ties_in_index_order_and_nan_scores_first() {
    // Observed in torchvision 0.29.2: boxes 0, 1 identical, 2 has a NaN
    // corner (its IoU is NaN, never above the threshold), 3 overlaps 0 and
    // 1 with IoU exactly 0.5 (kept: the test is `>`).
    let boxes = [
        0.0,
        0.0,
        2.0,
        2.0,
        0.0,
        0.0,
        2.0,
        2.0,
        f32::NAN,
        0.0,
        2.0,
        2.0,
        0.0,
        0.0,
        1.0,
        2.0,
    ];
    let mut rt = Runtime::new();
    assert_eq!(nms(&mut rt, &boxes, &[0.5, 0.5, 0.9, 0.5], 0.5), [2, 0, 3]);
    assert_eq!(
        nms(&mut rt, &boxes, &[0.5, f32::NAN, 0.9, 0.5], 0.5),
        [1, 2, 3]
    );
    // Boxes 0 and 3 alone: IoU 0.5 stays at threshold 0.5 and is
    // suppressed just below it.
    let pair = [0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 1.0, 2.0];
    assert_eq!(nms(&mut rt, &pair, &[0.5, 0.6], 0.5), [1, 0]);
    assert_eq!(nms(&mut rt, &pair, &[0.5, 0.6], 0.4999), [1]);
    assert_eq!(nms(&mut rt, &[], &[], 0.5), Vec::<i64>::new());
}

#[test]
fn bad_inputs_are_refused_as_torchvision_refuses_them() {
    let mut rt = Runtime::new();
    let b = f32s(&mut rt, &[1, 5], &[0.0, 0.0, 0.0, 3.0, 3.0]);
    let s = f32s(&mut rt, &[2], &[1.0, 2.0]);
    let err = rt
        .call(
            "torchvision.nms.default",
            vec![(&b).into(), (&s).into(), IValue::Float(0.5)],
        )
        .expect_err("five columns");
    assert_eq!(
        err.python_message(),
        "RuntimeError: boxes should have 4 elements in dimension 1, got 5"
    );
    let x = f32s(&mut rt, &[1, 4, 5], &X[..20]);
    let err = rt
        .call(
            "torchvision.roi_align.default",
            vec![
                (&x).into(),
                (&b).into(),
                IValue::Float(1.0),
                IValue::Int(2),
                IValue::Int(2),
                IValue::Int(-1),
                IValue::Bool(false),
            ],
        )
        .expect_err("a 3-d input");
    assert_eq!(
        err.python_message(),
        "RuntimeError: Dimension out of range (expected to be in range of [-3, 2], but got 3)"
    );
    let four = f32s(&mut rt, &[1, 4], &[0.0, 0.0, 3.0, 3.0]);
    let x = f32s(&mut rt, &[1, 1, 4, 5], &X[..20]);
    let err = rt
        .call(
            "torchvision.roi_pool.default",
            vec![
                (&x).into(),
                (&four).into(),
                IValue::Float(1.0),
                IValue::Int(2),
                IValue::Int(2),
            ],
        )
        .expect_err("four columns");
    assert_eq!(
        err.python_message(),
        "RuntimeError: Tensor rois should have shape as Tensor[K, 5]"
    );
}

#[test]
fn position_sensitive_pooling_matches_torchvision() {
    // A 1×4×4×5 map (`sin(0.37 i)`) pooled 2×2 into one output channel:
    // bin (ph, pw) reads input channel 2 ph + pw. The point box at (1, 1)
    // has no RoIAlign sample (ceil(0 / 2) = 0 points): 0 / 0 is NaN there.
    #[rustfmt::skip]
    const PS_ALIGN: [u32; 4] = [0x3f265022, 0xbe073964, 0xbe6ce5c2, 0x3f21390c];
    #[rustfmt::skip]
    const PS_POOL: [u32; 8] = [0x3f6100ec, 0xbf2b9014, 0xbe24e20d, 0x3f79c71c, 0x3f4bebb7, 0xbe46a3cf, 0xbf777a31, 0xbf2766a7];
    #[rustfmt::skip]
    const MAP4: [f32; 80] = [0.0, 0.36161545, 0.6742879, 0.89569867, 0.99588084, 0.9612752, 0.7965655, 0.5240442, 0.18059623, -0.18729459, -0.5298362, -0.80066687, -0.96313095, -0.99523985, -0.89264756, -0.6692397, -0.3552535, 0.006814602, 0.36796036, 0.6793048, 0.89870816, 0.99647564, 0.9593747, 0.792427, 0.5182281, 0.17388949, -0.19398426, -0.53560317, -0.80473125, -0.96494204, -0.99455255, -0.8895551, -0.6641606, -0.34887516, 0.013628887, 0.37428832, 0.68428963, 0.901676, 0.9970241, 0.9574298, 0.78825194, 0.51238793, 0.16717467, -0.20066491, -0.54134625, -0.8087574, -0.96670824, -0.99381924, -0.8864213, -0.6590499, -0.34248063, 0.020443494, 0.3805989, 0.6892437, 0.9046014, 0.99752635, 0.95544016, 0.7840403, 0.50652313, 0.16045208, -0.20733717, -0.5470626, -0.8127472, -0.96842927, -0.99303955, -0.88324594, -0.6539101, -0.3360693, 0.027255243, 0.38689268, 0.6941644, 0.90748554, 0.99798214, 0.9534067, 0.7797916, 0.5006365, 0.15372111, -0.21399795, -0.5527551, -0.8166981];
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[1, 4, 4, 5], &MAP4);
    let rois = f32s(
        &mut rt,
        &[2, 5],
        &[0.0, 0.3, 0.6, 3.7, 2.9, 0.0, 1.0, 1.0, 1.0, 1.0],
    );
    let args = |extra: Option<i64>| {
        let mut v = vec![
            (&x).into(),
            (&rois).into(),
            IValue::Float(1.0),
            IValue::Int(2),
            IValue::Int(2),
        ];
        v.extend(extra.map(IValue::Int));
        v
    };
    let out = rt
        .call("torchvision.ps_roi_align.default", args(Some(-1)))
        .expect("ps_roi_align");
    let got = bits(&out[0]);
    assert_eq!(&got[..4], PS_ALIGN);
    assert!(
        got[4..].iter().all(|&b| f32::from_bits(b).is_nan()),
        "{got:x?}"
    );
    let mapping = out[1]
        .as_tensor()
        .expect("mapping")
        .to_f64_vec()
        .expect("values");
    assert_eq!(mapping, [0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0]);
    let out = rt
        .call("torchvision.ps_roi_pool.default", args(None))
        .expect("ps_roi_pool");
    assert_eq!(bits(&out[0]), PS_POOL);
}
