//! Showing trace strings on a terminal.
//!
//! A trace is input from anywhere: an exception message, an op name or a
//! program path can hold terminal control sequences (`ESC]0;title BEL`
//! retitles a terminal, `ESC[2J` clears it). Everything that prints a trace
//! string for a person — replay reports, error lines, the inspector — passes
//! it through [`escape_control`] first, so what the trace says is shown, never
//! executed.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal raw: C0 controls (newline and tab
/// included: a string that spans lines could forge report lines), DEL, C1
/// controls, and the Unicode bidirectional overrides and isolates (which
/// reorder what is shown).
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [`is_unsafe_char`] written as an escape: `\n`, `\t`, `\r`,
/// `\x1b` (one byte) or `\u{9b}`; other characters unchanged. Borrows when
/// there is nothing to escape.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe_char(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape_control`] applied to each line of a text whose line breaks the
/// program itself wrote (a multi-line error message): newlines stay, every
/// other control character is escaped.
pub fn escape_control_lines(s: &str) -> String {
    s.split('\n')
        .map(escape_control)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        let title = "RuntimeError: \u{1b}]0;pwned\u{7}boom";
        assert_eq!(
            escape_control(title),
            "RuntimeError: \\x1b]0;pwned\\x07boom"
        );
        assert_eq!(
            escape_control("a\u{9b}31m\u{202e}b"),
            "a\\u{9b}31m\\u{202e}b"
        );
        assert_eq!(escape_control("two\nlines\t"), "two\\nlines\\t");
        assert!(matches!(escape_control("plain µ text"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(escape_control_lines("a\u{1b}[2J\nb"), "a\\x1b[2J\nb");
    }
}
