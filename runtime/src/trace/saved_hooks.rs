//! The api `saved_tensors_hooks` event: a saved-tensor hooks scope entered
//! or left (FORMAT.md §3.2 kind 20).

use ft_trace::event::{ApiEvent, SavedTensorsHooks};

use super::Tracer;

impl Tracer {
    /// api `saved_tensors_hooks [hook, enter]`.
    pub(crate) fn saved_tensors_hooks(&mut self, hook: u64, enter: bool) {
        self.api(ApiEvent::SavedTensorsHooks(SavedTensorsHooks {
            hook,
            enter,
        }));
    }
}
