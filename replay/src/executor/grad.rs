//! Replaying a restricted backward: the api `grad` event
//! (`torch.autograd.grad`, `backward(inputs=...)`) and the `grad_result`
//! that names what `torch.autograd.grad` returned (FORMAT §3.4.2).
//!
//! The returned gradients are bound by role, as an `accumulate` gradient
//! is: PyTorch's gradient for input *i* is, in the runtime, whatever the
//! runtime's engine returned for input *i*.

use ft_runtime::{GradRequest, Tensor};
use ft_trace::{ApiEvent, AutogradEvent, EventBody, GradCall, GradResult};

use super::{Replayer, unsupported};
use crate::error::ReplayError;

/// The runtime's request for the recorded `grad` event `call`, over the
/// runtime's tensors bound to its roots, gradients and inputs.
pub(crate) fn grad_request<'a>(
    call: &GradCall,
    roots: &'a [Tensor],
    grads: &'a [Option<Tensor>],
    inputs: &'a [Tensor],
) -> GradRequest<'a> {
    GradRequest {
        roots,
        grads,
        inputs,
        retain_graph: call.retain_graph,
        create_graph: call.create_graph,
        accumulate: call.accumulate,
        allow_unused: call.allow_unused,
    }
}

impl Replayer<'_> {
    /// Runs the restricted backward on the runtime and keeps what it returned
    /// for the `grad_result` that follows.
    pub(super) fn grad_call(&mut self, seq: u64, call: &GradCall) -> Result<(), ReplayError> {
        let roots = self.lookup_all(seq, &call.roots)?;
        let inputs = self.lookup_all(seq, &call.inputs)?;
        let grads = call
            .grads
            .iter()
            .map(|g| g.map(|g| self.lookup(seq, g)).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        let request = grad_request(call, &roots, &grads, &inputs);
        match self.with_hooks(|rt| rt.grad(&request)) {
            Ok(returned) => self.grad_results = returned,
            Err(e) => {
                self.grad_results = Vec::new();
                let raised = self.backward_raised(seq) || self.raised_after_engine(seq, call);
                if e.is_capability_gap() || !raised {
                    return Err(unsupported(seq, "torch.autograd.grad", &e));
                }
            }
        }
        Ok(())
    }

    /// Binds PyTorch's returned gradients to the runtime's, by position.
    pub(super) fn grad_result(&mut self, result: &GradResult) {
        let returned = std::mem::take(&mut self.grad_results);
        for (i, recorded) in result.grads.iter().enumerate() {
            let Some(t) = recorded else { continue };
            match returned.get(i).cloned().flatten() {
                Some(tensor) => self.bind(t, tensor),
                None => {
                    self.missing_grads.insert(t.id, i as u64);
                }
            }
        }
    }

    /// Whether PyTorch's `torch.autograd.grad` at `seq` raised after its
    /// GraphTask ended (an unused input without `allow_unused`): its
    /// `graph_task_end` is not followed by a `grad_result`.
    fn raised_after_engine(&self, seq: u64, call: &GradCall) -> bool {
        if call.accumulate {
            return false;
        }
        let start = self.torch.events.partition_point(|e| e.seq <= seq);
        let rest = &self.torch.events[start..];
        let Some(end) = rest
            .iter()
            .position(|e| matches!(e.body, EventBody::Autograd(AutogradEvent::GraphTaskEnd(_))))
        else {
            return false;
        };
        !matches!(
            rest.get(end + 1).map(|e| &e.body),
            Some(EventBody::Api(ApiEvent::GradResult(_)))
        )
    }

    fn lookup_all(&self, seq: u64, ids: &[u64]) -> Result<Vec<Tensor>, ReplayError> {
        ids.iter().map(|&id| self.lookup(seq, id)).collect()
    }
}
