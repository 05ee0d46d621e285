//! Accumulating kernels store every partial sum in the element dtype, as
//! PyTorch's serial CPU loops do (torch 2.15).

use ft_runtime::Runtime;
use ft_runtime::ivalue::IValue;

#[test]
fn accumulating_index_put_stores_each_sum_in_the_element_dtype() {
    // torch 2.15: zeros(2, bfloat16).index_put(([0, 0, 0, 1],),
    // [1, 2^-8, 2^-8, 0.5], accumulate=True) → [1.0, 0.5]: 1 + 2^-8 ties to
    // even at each step (a float64 sum rounded once would give 1.0078125).
    let mut rt = Runtime::new();
    let bf16 = |v: f32| (v.to_bits() >> 16) as u16;
    let zeros: Vec<u8> = [0.0f32, 0.0]
        .iter()
        .flat_map(|&v| bf16(v).to_le_bytes())
        .collect();
    let base = rt
        .introduce_tensor("bfloat16", &[2], &[1], 0, &zeros, false)
        .expect("base");
    let parts: Vec<u8> = [1.0f32, 2f32.powi(-8), 2f32.powi(-8), 0.5]
        .iter()
        .flat_map(|&v| bf16(v).to_le_bytes())
        .collect();
    let values = rt
        .introduce_tensor("bfloat16", &[4], &[1], 0, &parts, false)
        .expect("values");
    let index_bytes: Vec<u8> = [0i64, 0, 0, 1]
        .iter()
        .flat_map(|i| i.to_le_bytes())
        .collect();
    let index = rt
        .introduce_tensor("int64", &[4], &[1], 0, &index_bytes, false)
        .expect("index");
    let out = rt
        .call(
            "aten.index_put.default",
            vec![
                base.into(),
                IValue::TensorList(vec![index]),
                values.into(),
                IValue::Bool(true),
            ],
        )
        .expect("index_put");
    let got = out[0]
        .as_tensor()
        .expect("tensor")
        .to_f64_vec()
        .expect("values");
    assert_eq!(got, vec![1.0, 0.5]);
}

#[test]
fn index_add_stores_half_precision_sums_as_pytorch_does() {
    // torch 2.15, bfloat16, index [0, 0, 0]:
    //   zeros(1).index_add(0, i, [2, 2^-7, 2^-7], alpha=0.5) → 1.0 (each
    //     sum stored: 1 + 2^-8 ties to even);
    //   zeros(1).index_add(0, i, [1, 2^-8, 2^-8]) → 1.0 (1-d: each sum stored);
    //   zeros(1, 1).index_add(0, i, [[1], [2^-8], [2^-8]]) → 1.0078125 (more
    //     dimensions, alpha 1: carried in float32, rounded once).
    let mut rt = Runtime::new();
    let bf16 = |vs: &[f32]| -> Vec<u8> {
        vs.iter()
            .flat_map(|&v| ((v.to_bits() >> 16) as u16).to_le_bytes())
            .collect()
    };
    let index_bytes: Vec<u8> = [0i64, 0, 0].iter().flat_map(|i| i.to_le_bytes()).collect();
    let mut run = |parts: &[f32], alpha: f64, two_d: bool| -> Vec<f64> {
        let (base_shape, src_shape): (&[i64], &[i64]) = if two_d {
            (&[1, 1], &[3, 1])
        } else {
            (&[1], &[3])
        };
        let base_strides: Vec<i64> = base_shape.iter().map(|_| 1).collect();
        let base = rt
            .introduce_tensor(
                "bfloat16",
                base_shape,
                &base_strides,
                0,
                &bf16(&[0.0]),
                false,
            )
            .expect("base");
        let src_strides: Vec<i64> = src_shape.iter().map(|_| 1).collect();
        let source = rt
            .introduce_tensor("bfloat16", src_shape, &src_strides, 0, &bf16(parts), false)
            .expect("source");
        let index = rt
            .introduce_tensor("int64", &[3], &[1], 0, &index_bytes, false)
            .expect("index");
        let out = rt
            .call(
                "aten.index_add.default",
                vec![
                    base.into(),
                    IValue::Int(0),
                    index.into(),
                    source.into(),
                    IValue::Float(alpha),
                ],
            )
            .expect("index_add");
        out[0]
            .as_tensor()
            .expect("tensor")
            .to_f64_vec()
            .expect("values")
    };
    let small = 2f32.powi(-8);
    assert_eq!(run(&[2.0, 2.0 * small, 2.0 * small], 0.5, false), vec![1.0]);
    assert_eq!(run(&[1.0, small, small], 1.0, false), vec![1.0]);
    assert_eq!(run(&[1.0, small, small], 1.0, true), vec![1.0078125]);
}
