//! Backward kernels of the reduced floating types round as PyTorch's CPU
//! kernels do (values read back from torch 2.15).

use ft_runtime::Runtime;
use ft_runtime::Tensor;
use ft_runtime::ivalue::IValue;

fn bf16(rt: &mut Runtime, values: &[f32]) -> Tensor {
    // Every value here is a bfloat16, so truncating its float32 bits is exact.
    let bytes: Vec<u8> = values
        .iter()
        .flat_map(|&v| ((v.to_bits() >> 16) as u16).to_le_bytes())
        .collect();
    rt.introduce_tensor("bfloat16", &[values.len() as i64], &[1], 0, &bytes, false)
        .expect("bfloat16 tensor")
}

fn call(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Vec<f64> {
    let out = rt.call(op, args).expect(op);
    out[0]
        .as_tensor()
        .expect("tensor")
        .to_f64_vec()
        .expect("values")
}

#[test]
fn bfloat16_sigmoid_backward_rounds_once_from_float32() {
    // g·(1−y)·y with g = −1.125, y = 0.7734375: −0.19713… in float32, which
    // torch 2.15 stores as −0.197265625; rounding (1 − y) and g·(1 − y) to
    // bfloat16 first (float16's kernel) would give −0.1962890625.
    let mut rt = Runtime::new();
    let g = bf16(&mut rt, &[-1.125]);
    let y = bf16(&mut rt, &[0.773_437_5]);
    let got = call(
        &mut rt,
        "aten.sigmoid_backward.default",
        vec![g.into(), y.into()],
    );
    assert_eq!(got, vec![-0.197_265_625]);
}

#[test]
fn bfloat16_glu_backward_takes_the_gate_sigmoid_in_bfloat16() {
    // torch.ops.aten.glu_backward(tensor([1.0, -0.75], bfloat16),
    // tensor([-1.125, 0.5, 0.7734375, 1.25], bfloat16), 0)
    let mut rt = Runtime::new();
    let g = bf16(&mut rt, &[1.0, -0.75]);
    let x = bf16(&mut rt, &[-1.125, 0.5, 0.773_437_5, 1.25]);
    let got = call(
        &mut rt,
        "aten.glu_backward.default",
        vec![g.into(), x.into(), IValue::Int(0)],
    );
    assert_eq!(
        got,
        vec![
            0.683_593_75,
            -0.582_031_25,
            -0.243_164_062_5,
            -0.064_941_406_25
        ]
    );
}
