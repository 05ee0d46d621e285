//! `torch.optim` for native FrankenTorch programs: SGD, Adam and AdamW
//! with PyTorch's single-tensor (`foreach=False`) operator sequence.
//!
//! Each optimizer dispatches, per parameter and in parameter order, the
//! same operators with the same scalar arguments as PyTorch's
//! `_single_tensor_*` function (Python floats computed in the same order),
//! inside the same api marks (`Optimizer.step#SGD.step`) with grad mode
//! off, and drops its temporaries where Python's names are rebound, so
//! the trace of a native training loop is its PyTorch twin's.

mod adam;
mod sgd;

pub use adam::{Adam, AdamOptions};
pub use sgd::{Sgd, SgdOptions};

use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// `Optimizer.zero_grad(set_to_none)` over `params`, inside its api mark
/// (`Optimizer.zero_grad#<class>.zero_grad`). With `set_to_none` each
/// gradient is cleared (`p.grad = None`, an api `set_grad` at the next
/// flush) and dropped; otherwise it is detached from any history and
/// zeroed in place with `zero_`.
pub(crate) fn zero_grad(
    rt: &mut Runtime,
    class: &str,
    params: &[Tensor],
    set_to_none: bool,
) -> Result<()> {
    let mark = format!("Optimizer.zero_grad#{class}.zero_grad");
    rt.mark_begin(&mark);
    let mut result = Ok(());
    for p in params {
        let Some(g) = p.grad() else { continue };
        if set_to_none {
            if let Err(e) = rt.set_grad(p, None) {
                result = Err(e);
                break;
            }
            rt.drop_tensor(g);
        } else {
            if g.grad_fn_name().is_some() {
                rt.detach_(&g)?;
            }
            if let Err(e) = rt.call("aten.zero_.default", vec![IValue::from(&g)]) {
                result = Err(e);
                break;
            }
        }
    }
    rt.mark_end(&mark);
    result
}

/// Runs `body` as `Optimizer.step` does: inside the api mark
/// `Optimizer.step#<class>.step`, with grad mode off, restoring the mode
/// after.
pub(crate) fn step_scope(
    rt: &mut Runtime,
    class: &str,
    body: impl FnOnce(&mut Runtime) -> Result<()>,
) -> Result<()> {
    let mark = format!("Optimizer.step#{class}.step");
    rt.mark_begin(&mark);
    let mode = rt.grad_mode();
    rt.set_grad_mode(false, mode.1);
    let result = body(rt);
    rt.set_grad_mode(mode.0, mode.1);
    rt.mark_end(&mark);
    result
}
