//! Every key the inspector understands, in one table.
//!
//! [`BINDINGS`] is the single source of truth: [`resolve`] turns a key press
//! into an [`Action`] by looking it up, the hint bar shows the table's
//! `hint` rows for the current [`Scope`], and the `?` popup lists the whole
//! table. Changing a key here changes all three; nothing else spells a key.
//!
//! Scopes are tried in order — the innermost mode first (help popup or filter
//! input), then [`Scope::Global`] — so `Esc` closes the help popup or cancels
//! the filter before it means "quit", and `q` types a `q` while the filter is
//! being edited.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks the application to do. [`crate::app::App::update`] is the
/// only interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Leave the inspector.
    Quit,
    /// Open or close the key help popup.
    ToggleHelp,
    /// Close the key help popup.
    CloseHelp,
    /// Select the next event (timeline) or scroll down (details).
    Down,
    /// Select the previous event (timeline) or scroll up (details).
    Up,
    /// One page down.
    PageDown,
    /// One page up.
    PageUp,
    /// First event (timeline) or top (details).
    First,
    /// Last event (timeline) or bottom (details).
    Last,
    /// Move keyboard focus between the timeline and the details pane.
    SwitchFocus,
    /// Start editing the text filter.
    StartFilter,
    /// Type a character into the filter.
    FilterInsert(char),
    /// Delete the last character of the filter.
    FilterBackspace,
    /// Keep the filter and leave the input.
    FilterApply,
    /// Restore the previous filter and leave the input.
    FilterCancel,
    /// Show all layers, then api, dispatch, autograd, device only.
    CycleLayer,
    /// Next event of the same op (or kind) as the selected one.
    NextSame,
    /// Previous event of the same op (or kind) as the selected one.
    PrevSame,
    /// Show the timeline view.
    ShowTimeline,
    /// Show the diff view (when a second run is open).
    ShowDiff,
    /// Show the next view.
    NextView,
    /// Show the op graph view of the selected event.
    ShowOpGraph,
    /// Follow the selected link (op graph), or open the op graph (timeline).
    Follow,
    /// Go back to the event selected before the last followed link.
    Back,
    /// Show the autograd view (graph and ReadyQueue stepper).
    ShowAutograd,
    /// Show the drift view (per-parameter gradient error over steps).
    ShowDrift,
    /// Fold or unfold the selected backward node (or GraphTask).
    ToggleFold,
    /// Fold every backward node, or unfold everything.
    ToggleFoldAll,
}

impl Action {
    /// One instance of every action (`FilterInsert` with a placeholder
    /// character). [`Action::ordinal`] is an exhaustive `match`, so a new
    /// variant cannot compile until it is listed here too — which is what lets
    /// the completeness test trust this list.
    pub const ALL: [Action; 28] = [
        Action::Quit,
        Action::ToggleHelp,
        Action::CloseHelp,
        Action::Down,
        Action::Up,
        Action::PageDown,
        Action::PageUp,
        Action::First,
        Action::Last,
        Action::SwitchFocus,
        Action::StartFilter,
        Action::FilterInsert('x'),
        Action::FilterBackspace,
        Action::FilterApply,
        Action::FilterCancel,
        Action::CycleLayer,
        Action::NextSame,
        Action::PrevSame,
        Action::ShowTimeline,
        Action::ShowDiff,
        Action::NextView,
        Action::ShowOpGraph,
        Action::Follow,
        Action::Back,
        Action::ShowAutograd,
        Action::ShowDrift,
        Action::ToggleFold,
        Action::ToggleFoldAll,
    ];

    /// Whether the action works in the timeline only (filter, layer, focus,
    /// folding); other views say so instead.
    pub fn timeline_only(self) -> bool {
        matches!(
            self,
            Action::StartFilter
                | Action::CycleLayer
                | Action::SwitchFocus
                | Action::ToggleFold
                | Action::ToggleFoldAll
        )
    }

    /// Position in [`Action::ALL`], ignoring a variant's data.
    pub fn ordinal(self) -> usize {
        match self {
            Action::Quit => 0,
            Action::ToggleHelp => 1,
            Action::CloseHelp => 2,
            Action::Down => 3,
            Action::Up => 4,
            Action::PageDown => 5,
            Action::PageUp => 6,
            Action::First => 7,
            Action::Last => 8,
            Action::SwitchFocus => 9,
            Action::StartFilter => 10,
            Action::FilterInsert(_) => 11,
            Action::FilterBackspace => 12,
            Action::FilterApply => 13,
            Action::FilterCancel => 14,
            Action::CycleLayer => 15,
            Action::NextSame => 16,
            Action::PrevSame => 17,
            Action::ShowTimeline => 18,
            Action::ShowDiff => 19,
            Action::NextView => 20,
            Action::ShowOpGraph => 21,
            Action::Follow => 22,
            Action::Back => 23,
            Action::ShowAutograd => 24,
            Action::ShowDrift => 25,
            Action::ToggleFold => 26,
            Action::ToggleFoldAll => 27,
        }
    }
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere, after the current mode's own bindings.
    Global,
    /// Browsing the timeline or the details pane.
    Browse,
    /// While the help popup is open (it swallows other browse keys).
    Help,
    /// While the filter text is being edited.
    Filter,
}

impl Scope {
    /// Heading used in the help popup.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Anywhere",
            Scope::Browse => "Timeline and details",
            Scope::Help => "This help",
            Scope::Filter => "Editing the filter (/)",
        }
    }
}

/// A key as the table spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A printable character, without Ctrl or Alt (Shift is part of the char).
    Char(char),
    /// A character with Ctrl held.
    Ctrl(char),
    /// A non-character key.
    Code(KeyCode),
    /// Any printable character (the filter input).
    AnyChar,
}

impl Key {
    /// How the hint bar and the help popup show the key.
    pub fn label(self) -> String {
        match self {
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::AnyChar => "text".to_owned(),
            Key::Code(code) => match code {
                KeyCode::Down => "↓".to_owned(),
                KeyCode::Up => "↑".to_owned(),
                KeyCode::PageDown => "PgDn".to_owned(),
                KeyCode::PageUp => "PgUp".to_owned(),
                KeyCode::Home => "Home".to_owned(),
                KeyCode::End => "End".to_owned(),
                KeyCode::Tab => "Tab".to_owned(),
                KeyCode::Enter => "Enter".to_owned(),
                KeyCode::Esc => "Esc".to_owned(),
                KeyCode::Backspace => "Backspace".to_owned(),
                other => other.to_string(),
            },
        }
    }

    /// Whether some key press would match both keys.
    fn overlaps(self, other: Key) -> bool {
        match (self, other) {
            (Key::AnyChar, Key::Char(_) | Key::AnyChar) | (Key::Char(_), Key::AnyChar) => true,
            (a, b) => a == b,
        }
    }

    /// Whether a key press is this key.
    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl_or_alt = event
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (self, event.code) {
            (Key::Char(want), KeyCode::Char(got)) => want == got && !ctrl_or_alt,
            (Key::Ctrl(want), KeyCode::Char(got)) => {
                want == got.to_ascii_lowercase() && event.modifiers.contains(KeyModifiers::CONTROL)
            }
            (Key::AnyChar, KeyCode::Char(_)) => !ctrl_or_alt,
            (Key::Code(want), got) => want == got,
            _ => false,
        }
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    /// Where it applies.
    pub scope: Scope,
    /// The keys, the first one shown in the hint bar.
    pub keys: &'static [Key],
    /// What they do.
    pub action: Action,
    /// One or two words for the hint bar.
    pub short: &'static str,
    /// A sentence for the help popup.
    pub description: &'static str,
    /// Whether the hint bar shows it.
    pub hint: bool,
}

impl Binding {
    /// All keys joined by `/` (`j/↓`).
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("/")
    }
}

const fn bind(
    scope: Scope,
    keys: &'static [Key],
    action: Action,
    short: &'static str,
    description: &'static str,
    hint: bool,
) -> Binding {
    Binding {
        scope,
        keys,
        action,
        short,
        description,
        hint,
    }
}

use Key::{Char, Code, Ctrl};

/// The key table, in the order the help popup lists it.
pub const BINDINGS: &[Binding] = &[
    bind(
        Scope::Global,
        &[Char('q'), Code(KeyCode::Esc), Ctrl('c')],
        Action::Quit,
        "quit",
        "quit (Esc closes help or cancels the filter first)",
        true,
    ),
    bind(
        Scope::Global,
        &[Char('?')],
        Action::ToggleHelp,
        "help",
        "show or hide this help",
        true,
    ),
    bind(
        Scope::Browse,
        &[Char('j'), Code(KeyCode::Down)],
        Action::Down,
        "down",
        "next event (details: scroll down)",
        true,
    ),
    bind(
        Scope::Browse,
        &[Char('k'), Code(KeyCode::Up)],
        Action::Up,
        "up",
        "previous event (details: scroll up)",
        true,
    ),
    bind(
        Scope::Browse,
        &[Code(KeyCode::PageDown)],
        Action::PageDown,
        "page down",
        "one page down",
        false,
    ),
    bind(
        Scope::Browse,
        &[Code(KeyCode::PageUp)],
        Action::PageUp,
        "page up",
        "one page up",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('g'), Code(KeyCode::Home)],
        Action::First,
        "first",
        "first event (details: top)",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('G'), Code(KeyCode::End)],
        Action::Last,
        "last",
        "last event (details: bottom)",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('f')],
        Action::SwitchFocus,
        "focus",
        "switch focus between the list and the details",
        true,
    ),
    bind(
        Scope::Browse,
        &[Char('1')],
        Action::ShowTimeline,
        "timeline",
        "view 1: the timeline of one run",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('2')],
        Action::ShowDiff,
        "diff",
        "view 2: both runs aligned, divergences marked (needs --against)",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('3')],
        Action::ShowDrift,
        "drift",
        "view 3: per parameter, the gradient error over the steps (needs --against; Enter: where it starts)",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('4')],
        Action::ShowAutograd,
        "autograd",
        "view 4: a GraphTask's graph and its ReadyQueue, step by step (j/k step, n/N task)",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('5')],
        Action::ShowOpGraph,
        "op graph",
        "view 5: where the selected event's inputs come from and its outputs go",
        false,
    ),
    bind(
        Scope::Browse,
        &[Code(KeyCode::Enter)],
        Action::Follow,
        "follow",
        "op graph: go to the linked event (timeline: open the op graph; drift: where it starts)",
        true,
    ),
    bind(
        Scope::Browse,
        &[Code(KeyCode::Backspace)],
        Action::Back,
        "back",
        "back to the event before the last link followed",
        false,
    ),
    bind(
        Scope::Browse,
        &[Code(KeyCode::Tab)],
        Action::NextView,
        "view",
        "next view",
        true,
    ),
    bind(
        Scope::Browse,
        &[Char('z')],
        Action::ToggleFold,
        "fold",
        "timeline: fold or unfold the selected backward node (its dispatches, accumulate, pushes) or GraphTask",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('Z')],
        Action::ToggleFoldAll,
        "fold all",
        "timeline: fold every backward node, or unfold everything",
        false,
    ),
    bind(
        Scope::Browse,
        &[Char('/')],
        Action::StartFilter,
        "filter",
        "filter by op / kind / node name (case-insensitive)",
        true,
    ),
    bind(
        Scope::Browse,
        &[Char('l')],
        Action::CycleLayer,
        "layer",
        "cycle layer: all, api, dispatch, autograd, device",
        true,
    ),
    bind(
        Scope::Browse,
        &[Char('n')],
        Action::NextSame,
        "next",
        "next event of the selected op or kind (diff: next divergence; autograd: next GraphTask)",
        true,
    ),
    bind(
        Scope::Browse,
        &[Char('N')],
        Action::PrevSame,
        "prev",
        "previous event of the selected op or kind (diff: previous divergence; autograd: previous GraphTask)",
        true,
    ),
    bind(
        Scope::Help,
        &[Code(KeyCode::Esc)],
        Action::CloseHelp,
        "close",
        "close this help",
        true,
    ),
    bind(
        Scope::Filter,
        &[Key::AnyChar],
        Action::FilterInsert(' '),
        "type",
        "edit the filter; the timeline follows as you type",
        false,
    ),
    bind(
        Scope::Filter,
        &[Code(KeyCode::Backspace)],
        Action::FilterBackspace,
        "delete",
        "delete the last character",
        false,
    ),
    bind(
        Scope::Filter,
        &[Code(KeyCode::Enter)],
        Action::FilterApply,
        "apply",
        "keep the filter (empty: show everything)",
        true,
    ),
    bind(
        Scope::Filter,
        &[Code(KeyCode::Esc)],
        Action::FilterCancel,
        "cancel",
        "restore the previous filter",
        true,
    ),
];

/// The scopes searched for a key in `mode`, innermost first.
pub fn scope_chain(mode: Scope) -> &'static [Scope] {
    match mode {
        Scope::Global => &[Scope::Global],
        Scope::Browse => &[Scope::Browse, Scope::Global],
        Scope::Help => &[Scope::Help, Scope::Global],
        Scope::Filter => &[Scope::Filter, Scope::Global],
    }
}

/// The action bound to a key press in `mode`, if any. Key releases and
/// repeats of a release are ignored (terminals that report them would
/// otherwise act twice).
pub fn resolve(mode: Scope, event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    scope_chain(mode).iter().find_map(|&scope| {
        BINDINGS
            .iter()
            .filter(|b| b.scope == scope)
            .find_map(|b| b.keys.iter().find(|k| k.matches(event)).map(|k| (b, *k)))
            .map(|(b, key)| match (b.action, key, event.code) {
                (Action::FilterInsert(_), Key::AnyChar, KeyCode::Char(c)) => {
                    Action::FilterInsert(c)
                }
                (action, _, _) => action,
            })
    })
}

/// The hint bar rows for `mode`: the global hinted bindings first (so `q`
/// and `?` survive on a narrow terminal), then the mode's own.
pub fn hints(mode: Scope) -> impl Iterator<Item = &'static Binding> {
    scope_chain(mode)
        .iter()
        .rev()
        .flat_map(|&scope| BINDINGS.iter().filter(move |b| b.scope == scope && b.hint))
}

/// The keys of `binding` that really trigger it in `mode`: those not taken
/// by a binding of an inner scope (in the filter, `q` types a `q`).
pub fn effective_keys(mode: Scope, binding: &Binding) -> Vec<Key> {
    let chain = scope_chain(mode);
    let Some(depth) = chain.iter().position(|s| *s == binding.scope) else {
        return Vec::new();
    };
    let inner = &chain[..depth];
    let taken = |key: Key| {
        BINDINGS
            .iter()
            .filter(|b| inner.contains(&b.scope))
            .any(|b| b.keys.iter().any(|k| k.overlaps(key)))
    };
    binding
        .keys
        .iter()
        .copied()
        .filter(|&k| !taken(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_action_has_a_binding_and_a_description() {
        for action in Action::ALL {
            assert_eq!(Action::ALL[action.ordinal()], action, "ALL out of order");
            let bound: Vec<_> = BINDINGS
                .iter()
                .filter(|b| b.action.ordinal() == action.ordinal())
                .collect();
            assert!(!bound.is_empty(), "{action:?} has no key");
            for b in bound {
                assert!(!b.keys.is_empty(), "{action:?} has an empty key list");
                assert!(
                    !b.description.trim().is_empty(),
                    "{action:?}: no description"
                );
                assert!(!b.short.trim().is_empty(), "{action:?}: no hint text");
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.scope == b.scope {
                    for k in a.keys {
                        assert!(!b.keys.contains(k), "{k:?} bound twice in {:?}", a.scope);
                    }
                }
            }
        }
    }

    #[test]
    fn esc_closes_help_and_cancels_filter_before_quitting() {
        let esc = press(KeyCode::Esc);
        assert_eq!(resolve(Scope::Help, &esc), Some(Action::CloseHelp));
        assert_eq!(resolve(Scope::Filter, &esc), Some(Action::FilterCancel));
        assert_eq!(resolve(Scope::Browse, &esc), Some(Action::Quit));
    }

    #[test]
    fn typing_in_the_filter_does_not_trigger_browse_keys() {
        let q = press(KeyCode::Char('q'));
        assert_eq!(resolve(Scope::Filter, &q), Some(Action::FilterInsert('q')));
        assert_eq!(resolve(Scope::Browse, &q), Some(Action::Quit));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(resolve(Scope::Filter, &ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn shifted_letters_and_arrows_resolve() {
        let big_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(resolve(Scope::Browse, &big_g), Some(Action::Last));
        assert_eq!(
            resolve(Scope::Browse, &press(KeyCode::Down)),
            Some(Action::Down)
        );
        assert_eq!(
            resolve(Scope::Browse, &press(KeyCode::End)),
            Some(Action::Last)
        );
        let ctrl_j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL);
        assert_eq!(resolve(Scope::Browse, &ctrl_j), None);
    }

    #[test]
    fn hints_show_only_keys_that_work_in_the_mode() {
        let quit = BINDINGS
            .iter()
            .find(|b| b.action == Action::Quit)
            .expect("quit is bound");
        assert_eq!(effective_keys(Scope::Filter, quit), vec![Key::Ctrl('c')]);
        assert_eq!(
            effective_keys(Scope::Help, quit),
            vec![Key::Char('q'), Key::Ctrl('c')]
        );
        assert_eq!(effective_keys(Scope::Browse, quit).len(), 3);
        let first = hints(Scope::Browse).next().expect("some hint");
        assert_eq!(first.action, Action::Quit);
    }

    #[test]
    fn help_popup_swallows_browse_keys() {
        assert_eq!(resolve(Scope::Help, &press(KeyCode::Char('j'))), None);
        assert_eq!(
            resolve(Scope::Help, &press(KeyCode::Char('?'))),
            Some(Action::ToggleHelp)
        );
    }
}
