//! `nn.Embedding`: rows of a weight matrix picked by integer indices
//! (`aten.embedding`), initialised with `normal_(0, 1)`.

use super::{Module, call1, empty_parameter};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// `nn.Embedding(num_embeddings, embedding_dim)` without padding index.
pub struct Embedding {
    /// `[num_embeddings, embedding_dim]`.
    pub weight: Tensor,
    training: bool,
}

impl Embedding {
    /// `empty` weight, then `init.normal_(weight)` under `no_grad`.
    pub fn new(rt: &mut Runtime, num_embeddings: i64, embedding_dim: i64) -> Result<Embedding> {
        let (w_empty, weight) = empty_parameter(rt, &[num_embeddings, embedding_dim])?;
        let mode = rt.grad_mode();
        rt.set_grad_mode(false, mode.1);
        let r = call1(
            rt,
            "aten.normal_.default",
            vec![(&weight).into(), IValue::Float(0.0), IValue::Float(1.0)],
        );
        rt.set_grad_mode(mode.0, mode.1);
        r?;
        rt.drop_tensor(w_empty);
        Ok(Embedding {
            weight,
            training: true,
        })
    }
}

impl Module for Embedding {
    fn type_name(&self) -> &'static str {
        "Embedding"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        call1(
            rt,
            "aten.embedding.default",
            vec![(&self.weight).into(), input.into()],
        )
    }

    fn local_parameters(&self) -> Vec<(&'static str, &Tensor)> {
        vec![("weight", &self.weight)]
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}
