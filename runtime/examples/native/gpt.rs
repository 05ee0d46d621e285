//! The native tiny-GPT program (shared by `native_gpt.rs` and ft-replay's
//! `native_programs` test): token and position Embedding, a pre-LayerNorm
//! block whose MLP (Linear, tanh-approximate GELU, Linear) sits behind a
//! Sigmoid gate, a final LayerNorm and a bias-free Linear head, all over
//! `(batch, time, channels)`. The model first loads another model's
//! `state_dict()`, then trains two steps on CrossEntropyLoss over the
//! flattened logits — AdamW with decoupled weight decay for the matrices,
//! Adam with L2 weight decay (its gradients zeroed, not cleared) for the
//! rest — and is evaluated without grad. Twin:
//! `traces/programs/native_gpt.py`.

use ft_runtime::nn::{
    self, CrossEntropyLoss, Embedding, Gelu, LayerNorm, Linear, Module, NnError, Sigmoid,
};
use ft_runtime::optim::{Adam, AdamOptions};
use ft_runtime::{DType, IValue, Runtime, Tensor};

const VOCAB: i64 = 7;
const BLOCK: i64 = 4;
const EMBD: i64 = 4;

/// The twin's `Block`: `x + sigmoid(gate(h)) * proj(gelu(fc(h)))` with
/// `h = ln(x)`.
struct Block {
    ln: LayerNorm,
    fc: Linear,
    gelu: Gelu,
    proj: Linear,
    gate: Linear,
    sigmoid: Sigmoid,
    training: bool,
}

impl Block {
    fn new(rt: &mut Runtime) -> ft_runtime::Result<Block> {
        Ok(Block {
            ln: LayerNorm::new(rt, &[EMBD])?,
            fc: Linear::new(rt, EMBD, 4 * EMBD, true)?,
            gelu: Gelu::tanh(),
            proj: Linear::new(rt, 4 * EMBD, EMBD, true)?,
            gate: Linear::new(rt, EMBD, EMBD, true)?,
            sigmoid: Sigmoid::new(),
            training: true,
        })
    }
}

impl Module for Block {
    fn type_name(&self) -> &'static str {
        "Block"
    }

    fn forward(&self, rt: &mut Runtime, x: &Tensor) -> ft_runtime::Result<Tensor> {
        let h = self.ln.forward(rt, x)?;
        let g = self.gate.forward(rt, &h)?;
        let s = self.sigmoid.forward(rt, &g)?;
        rt.drop_tensor(g);
        let f = self.fc.forward(rt, &h)?;
        let a = self.gelu.forward(rt, &f)?;
        rt.drop_tensor(f);
        let p = self.proj.forward(rt, &a)?;
        rt.drop_tensor(a);
        let m = nn::call1(rt, "aten.mul.Tensor", vec![(&s).into(), (&p).into()])?;
        rt.drop_tensor(s);
        rt.drop_tensor(p);
        let out = nn::call1(rt, "aten.add.Tensor", vec![x.into(), (&m).into()])?;
        rt.drop_tensor(m);
        rt.drop_tensor(h);
        Ok(out)
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![
            ("ln".into(), &self.ln as &dyn Module),
            ("fc".into(), &self.fc),
            ("gelu".into(), &self.gelu),
            ("proj".into(), &self.proj),
            ("gate".into(), &self.gate),
            ("sigmoid".into(), &self.sigmoid),
        ]
    }

    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        vec![
            ("ln".into(), &mut self.ln as &mut dyn Module),
            ("fc".into(), &mut self.fc),
            ("gelu".into(), &mut self.gelu),
            ("proj".into(), &mut self.proj),
            ("gate".into(), &mut self.gate),
            ("sigmoid".into(), &mut self.sigmoid),
        ]
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// The twin's `TinyGPT`: `head(ln_f(block(wte(idx) + wpe(arange(T)))))`.
struct TinyGpt {
    wte: Embedding,
    wpe: Embedding,
    block: Block,
    ln_f: LayerNorm,
    head: Linear,
    training: bool,
}

impl TinyGpt {
    fn new(rt: &mut Runtime) -> ft_runtime::Result<TinyGpt> {
        Ok(TinyGpt {
            wte: Embedding::new(rt, VOCAB, EMBD)?,
            wpe: Embedding::new(rt, BLOCK, EMBD)?,
            block: Block::new(rt)?,
            ln_f: LayerNorm::new(rt, &[EMBD])?,
            head: Linear::new(rt, EMBD, VOCAB, false)?,
            training: true,
        })
    }
}

impl Module for TinyGpt {
    fn type_name(&self) -> &'static str {
        "TinyGPT"
    }

    fn forward(&self, rt: &mut Runtime, idx: &Tensor) -> ft_runtime::Result<Tensor> {
        let t = idx.shape().get(1).copied().unwrap_or(0);
        let pos = nn::factory(rt, "aten.arange.default", vec![IValue::Int(t)])?;
        let tok = self.wte.forward(rt, idx)?;
        let posv = self.wpe.forward(rt, &pos)?;
        let x = nn::call1(rt, "aten.add.Tensor", vec![(&tok).into(), (&posv).into()])?;
        rt.drop_tensor(tok);
        rt.drop_tensor(posv);
        let b = self.block.forward(rt, &x)?;
        let l = self.ln_f.forward(rt, &b)?;
        rt.drop_tensor(b);
        let out = self.head.forward(rt, &l)?;
        rt.drop_tensor(l);
        rt.drop_tensor(pos);
        rt.drop_tensor(x);
        Ok(out)
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![
            ("wte".into(), &self.wte as &dyn Module),
            ("wpe".into(), &self.wpe),
            ("block".into(), &self.block),
            ("ln_f".into(), &self.ln_f),
            ("head".into(), &self.head),
        ]
    }

    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        vec![
            ("wte".into(), &mut self.wte as &mut dyn Module),
            ("wpe".into(), &mut self.wpe),
            ("block".into(), &mut self.block),
            ("ln_f".into(), &mut self.ln_f),
            ("head".into(), &mut self.head),
        ]
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// `model.load_state_dict(TinyGPT().state_dict())`: a second model is
/// built (its random values drawn), its detached state dict taken and the
/// model itself dropped; then every entry is copied in, and the state dict
/// dropped.
fn load_fresh_weights(rt: &mut Runtime, model: &TinyGpt) -> Result<(), NnError> {
    let other = TinyGpt::new(rt)?;
    let state = other.detached_state_dict(rt)?;
    for (_, t) in other.state_dict() {
        rt.drop_tensor(t);
    }
    drop(other);
    model.load_state_dict(rt, &state, true)?;
    for (_, t) in state {
        rt.drop_tensor(t);
    }
    Ok(())
}

fn randint(rt: &mut Runtime) -> ft_runtime::Result<Tensor> {
    nn::factory_dtype(
        rt,
        "aten.randint.low",
        vec![IValue::Int(0), IValue::Int(VOCAB), vec![2i64, BLOCK].into()],
        Some(DType::Int64),
    )
}

/// Runs the program on `rt` (random values already installed); returns the
/// evaluation's predicted tokens.
pub fn train(rt: &mut Runtime) -> Result<Vec<i64>, NnError> {
    rt.manual_seed(0);
    let mut model = TinyGpt::new(rt)?;
    load_fresh_weights(rt, &model)?;
    let idx = randint(rt)?;
    let targets = randint(rt)?;
    let (matrices, others): (Vec<Tensor>, Vec<Tensor>) =
        model.parameters().into_iter().partition(|p| p.dim() >= 2);
    let mut opt_w = Adam::new(
        matrices,
        AdamOptions {
            weight_decay: 0.1,
            ..AdamOptions::adamw(0.01)
        },
    );
    let mut opt_b = Adam::new(
        others,
        AdamOptions {
            weight_decay: 0.01,
            ..AdamOptions::adam(0.01)
        },
    );
    let loss_fn = CrossEntropyLoss::default();
    // Python rebinds `logits` and `loss` each step: the previous step's
    // tensors die as the new ones are assigned.
    let mut last_logits: Option<Tensor> = None;
    let mut last_loss: Option<Tensor> = None;
    for _step in 0..2 {
        opt_w.zero_grad(rt, true)?;
        opt_b.zero_grad(rt, false)?;
        let logits = model.forward(rt, &idx)?;
        if let Some(old) = last_logits.replace(logits.clone()) {
            rt.drop_tensor(old);
        }
        let flat = nn::call1(
            rt,
            "aten.view.default",
            vec![(&logits).into(), vec![-1i64, VOCAB].into()],
        )?;
        let flat_targets = nn::call1(
            rt,
            "aten.view.default",
            vec![(&targets).into(), vec![-1i64].into()],
        )?;
        let loss = loss_fn.forward(rt, &flat, &flat_targets)?;
        rt.drop_tensor(flat);
        rt.drop_tensor(flat_targets);
        if let Some(old) = last_loss.replace(loss.clone()) {
            rt.drop_tensor(old);
        }
        rt.backward(&[loss], &[None], false, false)?;
        opt_w.step(rt)?;
        opt_b.step(rt)?;
    }
    model.eval();
    rt.set_grad_mode(false, false);
    let logits = model.forward(rt, &idx)?;
    let pred = nn::call1(
        rt,
        "aten.argmax.default",
        vec![(&logits).into(), IValue::Int(-1)],
    )?;
    rt.drop_tensor(logits);
    rt.set_grad_mode(true, false);
    Ok(pred.to_i64_vec()?)
}
