//! Class labels and predicted classes for the native classifier programs
//! (`native/cnn.rs`, `native/finetune.rs`): the twins'
//! `torch.randint(0, classes, (n,))` targets and `logits.argmax(1)`.

use ft_runtime::nn;
use ft_runtime::{DType, IValue, Runtime, Tensor};

/// `torch.randint(0, classes, (n,))`: `n` int64 class labels.
pub fn labels(rt: &mut Runtime, classes: i64, n: i64) -> ft_runtime::Result<Tensor> {
    nn::factory_dtype(
        rt,
        "aten.randint.low",
        vec![IValue::Int(0), IValue::Int(classes), vec![n].into()],
        Some(DType::Int64),
    )
}

/// `logits.argmax(1)`, the logits dying after.
pub fn argmax_classes(rt: &mut Runtime, logits: Tensor) -> ft_runtime::Result<Tensor> {
    let pred = nn::call1(
        rt,
        "aten.argmax.default",
        vec![(&logits).into(), IValue::Int(1)],
    )?;
    rt.drop_tensor(logits);
    Ok(pred)
}
