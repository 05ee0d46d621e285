//! The api `data` event: a `Tensor.data` read or assignment (FORMAT.md
//! §3.2 kind 19).

use ft_trace::event::{ApiEvent, DataAccess};

use super::Tracer;
use crate::tensor::Tensor;

impl Tracer {
    /// api `data [tensor, source, write]`: `source` is introduced first when
    /// the stream has not named it; `tensor` is referenced as it is now (a
    /// read's new tensor takes the next id), without a value.
    pub(crate) fn data(&mut self, tensor: &Tensor, source: &Tensor, write: bool) {
        self.introduce_unseen(std::iter::once(source));
        let source = self.tensor_id(source);
        let tensor = Box::new(self.tensor_ref(tensor, None, false));
        self.api(ApiEvent::Data(DataAccess {
            tensor,
            source,
            write,
        }));
    }
}
