//! The native transfer-learning program (shared by `native_finetune.rs`
//! and ft-replay's native fixtures): a classifier whose backbone matches a
//! pretrained network's takes that network's `state_dict()` non-strictly —
//! the backbone's entries are copied, the old head's keys come back as
//! unexpected and the new head's as missing — then trains three steps with
//! SGD (momentum with dampening, weight decay) on CrossEntropyLoss through
//! Tanh and Dropout, and is evaluated without grad. Twin:
//! `traces/programs/native_finetune.py`.

use ft_runtime::Runtime;
use ft_runtime::nn::{
    self, CrossEntropyLoss, Dropout, IncompatibleKeys, Linear, Module, NnError, Sequential, Tanh,
};
use ft_runtime::optim::{Sgd, SgdOptions};

use super::{classes, fit};

/// Why the program stopped.
#[derive(Debug)]
pub enum FinetuneError {
    /// A module, optimizer or operator failed.
    Nn(NnError),
    /// The non-strict load reported other keys than the twin asserts.
    Keys(IncompatibleKeys),
}

impl std::fmt::Display for FinetuneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FinetuneError::Nn(e) => write!(f, "{e}"),
            FinetuneError::Keys(k) => write!(
                f,
                "load_state_dict(strict=False) reported missing {:?} and unexpected {:?}",
                k.missing_keys, k.unexpected_keys
            ),
        }
    }
}

impl std::error::Error for FinetuneError {}

impl From<NnError> for FinetuneError {
    fn from(e: NnError) -> FinetuneError {
        FinetuneError::Nn(e)
    }
}

impl From<ft_runtime::RuntimeError> for FinetuneError {
    fn from(e: ft_runtime::RuntimeError) -> FinetuneError {
        FinetuneError::Nn(e.into())
    }
}

/// `nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 4))`.
fn pretrained(rt: &mut Runtime) -> ft_runtime::Result<Sequential> {
    Ok(Sequential::new(vec![
        Box::new(Linear::new(rt, 5, 8, true)?),
        Box::new(Tanh::new()),
        Box::new(Linear::new(rt, 8, 4, true)?),
    ]))
}

/// `nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Dropout(0.2),
/// nn.Linear(8, 3))`.
fn classifier(rt: &mut Runtime) -> ft_runtime::Result<Sequential> {
    Ok(Sequential::new(vec![
        Box::new(Linear::new(rt, 5, 8, true)?),
        Box::new(Tanh::new()),
        Box::new(Dropout::new(0.2)),
        Box::new(Linear::new(rt, 8, 3, true)?),
    ]))
}

/// `model.load_state_dict(pretrained.state_dict(), strict=False)`: the
/// detached state dict lives for the statement; the keys it reports must
/// be the twin's.
fn load_backbone(
    rt: &mut Runtime,
    model: &Sequential,
    source: &Sequential,
) -> Result<(), FinetuneError> {
    let state = source.detached_state_dict(rt)?;
    let loaded = model.load_state_dict(rt, &state, false);
    for (_, t) in state {
        rt.drop_tensor(t);
    }
    let keys = loaded?;
    let names = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    if keys.missing_keys != names(&["3.weight", "3.bias"])
        || keys.unexpected_keys != names(&["2.weight", "2.bias"])
    {
        return Err(FinetuneError::Keys(keys));
    }
    Ok(())
}

/// Runs the program on `rt` (random values already installed); returns the
/// evaluation's predicted classes.
pub fn train(rt: &mut Runtime) -> Result<Vec<i64>, FinetuneError> {
    rt.manual_seed(0);
    let source = pretrained(rt)?;
    let mut model = classifier(rt)?;
    load_backbone(rt, &model, &source)?;
    let x = nn::factory(rt, "aten.randn.default", vec![vec![10i64, 5].into()])?;
    let y = classes::labels(rt, 3, 10)?;
    let mut opt = Sgd::new(
        model.parameters(),
        SgdOptions {
            momentum: 0.9,
            dampening: 0.1,
            weight_decay: 1e-2,
            ..SgdOptions::new(0.1)
        },
    );
    let loss_fn = CrossEntropyLoss::default();
    let _loss = fit::fit(rt, &model, &mut opt, &loss_fn, (&x, &y), 3)?;
    let pred = fit::evaluate(rt, &mut model, &x, classes::argmax_classes)?;
    Ok(pred.to_i64_vec()?)
}
