//! One-line descriptions of events for reports, in the notation of
//! [`ft_trace::describe`] — the same text the inspector's timeline shows for
//! the event, so a divergence in a report can be found there as written.

use ft_trace::Event;
use ft_trace::model::layer_name;

use crate::trace_data::TraceView;

/// `dispatch op aten.mm.default(T12[16,1], T14[1,8]) → T15[16,8] · node N5 AddmmBackward0`.
pub fn describe(event: &Event, view: &TraceView<'_>) -> String {
    let (layer, _) = event.body.code();
    format!(
        "{} {} {}",
        layer_name(layer),
        event.body.kind_name(),
        ft_trace::describe::summary(&view.lookup(), event).plain()
    )
}
