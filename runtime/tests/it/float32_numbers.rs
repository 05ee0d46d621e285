//! A float32 elementwise operator reads its Python numbers, float64 and
//! int64 operands as float32, as PyTorch's TensorIterator casts every input
//! to the common dtype before its kernel runs: `x * 0.9` multiplies by
//! `0.9f32`, so the result is float32 arithmetic bit for bit, not the
//! double product rounded once (an ulp apart for about a sixth of the
//! elements).

use ft_runtime::{IValue, Runtime, Tensor};

use crate::common::{call1, tensor, values};

/// Float32 values with every exponent and many mantissas, where rounding
/// the number first and rounding the double product disagree often.
fn inputs() -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mantissa = (state >> 40) as f32 / (1u64 << 24) as f32;
            let exponent = ((state >> 8) % 40) as i32 - 20;
            (1.0 + mantissa) * 2f32.powi(exponent) * if state & 1 == 0 { 1.0 } else { -1.0 }
        })
        .collect()
}

/// An operator and the float32 arithmetic it must equal.
type Case = (&'static str, fn(f32, f32) -> f32);

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn input(rt: &mut Runtime) -> (Tensor, Vec<f32>) {
    let xs = inputs();
    (tensor(rt, &[xs.len() as i64], &xs, false), xs)
}

#[test]
fn python_numbers_are_float32_numbers_in_float32_arithmetic() {
    let mut rt = Runtime::new();
    let (x, xs) = input(&mut rt);
    let number = 0.222_222_222_222_222_2_f64;
    let n32 = number as f32;
    let cases: [Case; 4] = [
        ("aten.mul.Tensor", |a, b| a * b),
        ("aten.div.Tensor", |a, b| a / b),
        ("aten.add.Tensor", |a, b| a + b),
        ("aten.sub.Tensor", |a, b| a - b),
    ];
    for (op, f) in cases {
        let got = values(&call1(
            &mut rt,
            op,
            vec![(&x).into(), IValue::Float(number)],
        ));
        let want: Vec<f32> = xs.iter().map(|&a| f(a, n32)).collect();
        assert_eq!(bits(&got), bits(&want), "{op}");
        // The double product rounded once differs somewhere: the check above
        // can tell the two apart.
        let once: Vec<f32> = xs
            .iter()
            .map(|&a| match op {
                "aten.mul.Tensor" => (f64::from(a) * number) as f32,
                "aten.div.Tensor" => (f64::from(a) / number) as f32,
                "aten.add.Tensor" => (f64::from(a) + number) as f32,
                _ => (f64::from(a) - number) as f32,
            })
            .collect();
        assert_ne!(bits(&once), bits(&want), "{op}: inputs too easy");
    }
}

#[test]
fn in_place_operators_read_their_number_as_float32() {
    let mut rt = Runtime::new();
    let number = 0.9_f64;
    let cases: [Case; 2] = [
        ("aten.mul_.Tensor", |a, b| a * b),
        ("aten.div_.Tensor", |a, b| a / b),
    ];
    for (op, f) in cases {
        let (x, xs) = input(&mut rt);
        call1(&mut rt, op, vec![(&x).into(), IValue::Float(number)]);
        let want: Vec<f32> = xs.iter().map(|&a| f(a, number as f32)).collect();
        assert_eq!(bits(&values(&x)), bits(&want), "{op}");
    }
}

#[test]
fn float64_and_int64_operands_are_cast_to_float32_first() {
    let mut rt = Runtime::new();
    let (x, xs) = input(&mut rt);
    // A 0-dim float64 tensor does not promote a float32 one: it is cast.
    let scale = rt
        .introduce_tensor("float64", &[], &[], 0, &0.9_f64.to_le_bytes(), false)
        .expect("float64 scalar");
    let got = values(&call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), (&scale).into()],
    ));
    let want: Vec<f32> = xs.iter().map(|&a| a * 0.9_f32).collect();
    assert_eq!(bits(&got), bits(&want));
    // int64 beyond 2^24 times a float32 tensor: the integer becomes the
    // nearest float32 (16777216) before the product.
    let big = rt
        .introduce_tensor("int64", &[1], &[1], 0, &16_777_217_i64.to_le_bytes(), false)
        .expect("int64 tensor");
    let half = tensor(&mut rt, &[1], &[1.5], false);
    let got = values(&call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&big).into(), (&half).into()],
    ));
    assert_eq!(got, vec![25_165_824.0]);
}
