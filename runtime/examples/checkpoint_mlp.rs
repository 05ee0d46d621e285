//! A PyTorch MLP's state dict, loaded into the runtime's `nn` modules: the
//! checkpoint acceptance program (scripts/tests/test_checkpoint.py drives it).
//!
//! `MODEL.pt` is `torch.save(nn.Sequential(Linear(i, h), ReLU(), Linear(h,
//! o)).state_dict())`, `INPUT.pt` holds `{"x": input}`. The program builds
//! the same modules, `load_state_dict`s the file (strict), runs the forward
//! pass and writes `{"y": output}` to `OUTPUT.pt` and the modules' own
//! state dict to `STATE.pt`, both readable by
//! `torch.load(path, weights_only=True)`.
//!
//! ```sh
//! cargo run -p ft-runtime --example checkpoint_mlp -- MODEL.pt INPUT.pt OUTPUT.pt STATE.pt
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use ft_runtime::Runtime;
use ft_runtime::nn::{Linear, Module, Relu, Sequential};
use ft_runtime::serialize::{self, StateDict};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// `[rows, cols]` of a 2-d tensor in the state dict.
fn matrix_shape(dict: &StateDict, name: &str) -> AnyResult<(i64, i64)> {
    let t = dict
        .get(name)
        .ok_or_else(|| format!("the state dict has no {name:?}"))?;
    match t.shape() {
        &[rows, cols] => Ok((rows, cols)),
        other => Err(format!("{name:?} has shape {other:?}, not a matrix").into()),
    }
}

fn run() -> AnyResult<()> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model_pt, input_pt, output_pt, state_pt] = args.as_slice() else {
        return Err("usage: checkpoint_mlp MODEL.pt INPUT.pt OUTPUT.pt STATE.pt".into());
    };
    let loaded = serialize::load_torch(model_pt)?;
    let (hidden, inputs) = matrix_shape(&loaded, "0.weight")?;
    let (outputs, _) = matrix_shape(&loaded, "2.weight")?;

    let mut rt = Runtime::new();
    rt.manual_seed(0);
    let model = Sequential::new(vec![
        Box::new(Linear::new(&mut rt, inputs, hidden, true)?),
        Box::new(Relu::new()),
        Box::new(Linear::new(&mut rt, hidden, outputs, true)?),
    ]);
    model.load_state_dict(&mut rt, &loaded.tensors, true)?;

    let x = serialize::load_torch(input_pt)?
        .get("x")
        .ok_or("INPUT.pt has no \"x\"")?
        .clone();
    let y = model.forward(&mut rt, &x)?;
    serialize::save_torch(output_pt, &StateDict::new(vec![("y".into(), y)]))?;

    // `model.state_dict()`: detached entries, saved with
    // `requires_grad=False` as torch.save records them.
    let mut state = StateDict::from(model.detached_state_dict(&mut rt)?);
    state.metadata = loaded.metadata;
    serialize::save_torch(state_pt, &state)?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("checkpoint_mlp: {e}");
            ExitCode::FAILURE
        }
    }
}
