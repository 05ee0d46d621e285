//! Events of a restricted backward: the api `grad` call of
//! `torch.autograd.grad` / `backward(inputs=...)` and the `grad_result` of
//! the gradients `torch.autograd.grad` returned (FORMAT §3.4.2).

use ft_trace::event::{ApiEvent, GradCall, GradResult};

use super::Tracer;
use crate::tensor::Tensor;

/// What a restricted backward was asked, as the api `grad` event records it.
pub(crate) struct GradCallArgs<'a> {
    pub(crate) roots: &'a [Tensor],
    pub(crate) grads: &'a [Option<Tensor>],
    pub(crate) inputs: &'a [Tensor],
    pub(crate) retain_graph: bool,
    pub(crate) create_graph: bool,
    pub(crate) accumulate: bool,
    pub(crate) allow_unused: bool,
}

impl Tracer {
    /// The api `grad` event (after introducing tensors the stream has not
    /// named yet, in field order).
    pub(crate) fn grad_call(&mut self, call: &GradCallArgs<'_>) {
        self.introduce_unseen(
            call.roots
                .iter()
                .chain(call.grads.iter().flatten())
                .chain(call.inputs.iter()),
        );
        let roots = call.roots.iter().map(|t| self.tensor_id(t)).collect();
        let grads = call
            .grads
            .iter()
            .map(|g| g.as_ref().map(|g| self.tensor_id(g)))
            .collect();
        let inputs = call.inputs.iter().map(|t| self.tensor_id(t)).collect();
        self.api(ApiEvent::Grad(GradCall {
            roots,
            grads,
            inputs,
            retain_graph: call.retain_graph,
            create_graph: call.create_graph,
            accumulate: call.accumulate,
            allow_unused: call.allow_unused,
        }));
    }

    /// The api `grad_result` event: per input the returned gradient (a
    /// reference without a value) or nil.
    pub(crate) fn grad_result(&mut self, grads: &[Option<Tensor>]) {
        self.introduce_unseen(grads.iter().flatten());
        let grads = grads
            .iter()
            .map(|g| g.as_ref().map(|g| self.tensor_ref(g, None, false)))
            .collect();
        self.api(ApiEvent::GradResult(GradResult { grads }));
    }
}
