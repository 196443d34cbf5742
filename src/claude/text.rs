//! Writing a changed settings document back into the text it came from, so that everything ccgw
//! did not change stays exactly as the author wrote it: indentation, inline arrays, number
//! spellings (`1e3`, `1.50`), blank lines, line endings. Pure: text and documents in, text out.
//!
//! The merge itself works on `serde_json` maps (`claude::merge`); this module only turns "the
//! document was `before`, is now `after`" into edits of a concrete syntax tree (jsonc-parser's
//! CST), at the two levels ccgw ever changes: top-level keys and the keys of `env`.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How a settings file is laid out: used to print a whole document (a new file, a one-line
/// file, or when the CST edit is refused) in the form the file already had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// One level of indentation; `None` for a one-line (minified) document.
    pub(crate) indent: Option<String>,
    pub(crate) crlf: bool,
    pub(crate) trailing_newline: bool,
}

impl Default for Layout {
    /// Claude Code's own format (JSON.stringify with 2 spaces), for new files.
    fn default() -> Self {
        Layout {
            indent: Some("  ".into()),
            crlf: false,
            trailing_newline: true,
        }
    }
}

impl Layout {
    pub fn is_one_line(&self) -> bool {
        self.indent.is_none()
    }

    /// The layout of `text`; an empty or `{}` document gets the default.
    pub fn of(text: &str) -> Layout {
        let body = text.trim();
        if body.len() <= 2 {
            return Layout::default();
        }
        // `{ }` or `{\n}`: an empty object has no indentation to copy, and is not a one-line
        // file to keep on one line (what it looked like comes back on remove: `layout_patch`).
        if body.starts_with('{') && body.ends_with('}') && body[1..body.len() - 1].trim().is_empty()
        {
            return Layout {
                crlf: text.contains("\r\n"),
                trailing_newline: text.ends_with('\n'),
                ..Layout::default()
            };
        }
        // A lone `\r` is a line break too (JSON whitespace; the CST edit writes it back).
        let indent = if body.contains(['\n', '\r']) {
            // The first indented line sits one level deep (inside the top-level object).
            let unit = body
                .lines()
                .skip(1)
                .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
                .find(|ws| !ws.is_empty())
                .unwrap_or("  ");
            Some(unit.to_owned())
        } else {
            None
        };
        Layout {
            indent,
            crlf: text.contains("\r\n"),
            trailing_newline: text.ends_with('\n'),
        }
    }
}

/// Print `doc` in `layout`. JSON strings never hold a raw newline, so turning every `\n` into
/// `\r\n` touches only line breaks.
pub fn render(doc: &Map<String, Value>, layout: &Layout) -> String {
    let mut text = match &layout.indent {
        Some(unit) => {
            let mut out = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
            serde::Serialize::serialize(doc, &mut ser).expect("a JSON map always serializes");
            String::from_utf8(out).expect("serde_json writes UTF-8")
        }
        None => serde_json::to_string(doc).expect("a JSON map always serializes"),
    };
    if layout.trailing_newline {
        text.push('\n');
    }
    if layout.crlf {
        text = text.replace('\n', "\r\n");
    }
    text
}

/// `original` (whose document is `before`) edited to hold `after`. Falls back to printing
/// `after` in the original's layout if the edited text would not read back as exactly `after`,
/// keys in order (a safety net: content and order are never traded for formatting).
pub fn rewrite(original: &str, before: &Map<String, Value>, after: &Map<String, Value>) -> String {
    edit(original, before, after)
        .filter(|text| reads_back_as(text, after))
        .unwrap_or_else(|| render(after, &Layout::of(original)))
}

fn edit(original: &str, before: &Map<String, Value>, after: &Map<String, Value>) -> Option<String> {
    // A one-line file stays one line (the CST would open it up to add `env`); printing it
    // whole is then exactly as faithful, and `remove` gets the same line back.
    if original.trim().is_empty() || Layout::of(original).is_one_line() {
        return None;
    }
    let root = CstRootNode::parse(original, &ParseOptions::default()).ok()?;
    let object = root.object_value()?;
    apply(&object, before, after, true);
    Some(root.to_string())
}

/// Make `object` (holding `before`) hold `after`: removed keys go, changed values are replaced
/// in place, new keys are appended. `env` is edited key by key when it stays an object.
fn apply(object: &CstObject, before: &Map<String, Value>, after: &Map<String, Value>, top: bool) {
    for (key, old) in before {
        match after.get(key) {
            None => {
                if let Some(prop) = object.get(key) {
                    prop.remove();
                }
            }
            Some(new) if new == old => {}
            Some(Value::Object(new)) if top && key == "env" && old.is_object() => {
                if let (Some(inner), Value::Object(old)) = (object.object_value(key), old) {
                    apply(&inner, old, new, false);
                }
            }
            Some(new) => {
                if let Some(prop) = object.get(key) {
                    prop.set_value(input(new));
                }
            }
        }
    }
    for (key, new) in after {
        if !before.contains_key(key) {
            object.append(key, input(new));
        }
    }
}

/// A JSON value as CST input; a number keeps serde_json's spelling of it.
fn input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => {
            CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

/// One edit of a [`layout_patch`]: at byte `at` of the text, delete `delete` bytes, then insert
/// `insert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutEdit {
    pub at: usize,
    pub delete: usize,
    pub insert: String,
}

/// The characters a layout patch may delete or insert: whitespace and JSON punctuation, never
/// part of a value that matters (so a patch holds no secret, whatever the file holds).
fn is_layout_char(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | ',' | ':' | '{' | '}' | '[' | ']'
    )
}

/// The edits that turn `from` into `to` when the two differ only in layout (whitespace and
/// punctuation: an emptied `{ }` printed `{}`, an inline object opened up, a closing brace
/// moved to its own line); `None` when they differ in anything else.
///
/// The CST removal of what ccgw appended does not always give back the bytes it started from;
/// `settings write` stores this patch in the undo record so that `remove` does.
pub fn layout_patch(from: &str, to: &str) -> Option<Vec<LayoutEdit>> {
    use similar::ChangeTag;
    let diff = similar::TextDiff::from_chars(from, to);
    let mut edits: Vec<LayoutEdit> = Vec::new();
    // The byte offset in `from` the next change starts at.
    let mut at = 0;
    for change in diff.iter_all_changes() {
        let text = change.value();
        if change.tag() == ChangeTag::Equal {
            at += text.len();
            continue;
        }
        if !text.chars().all(is_layout_char) {
            return None;
        }
        if edits.last().is_none_or(|e| e.at + e.delete != at) {
            edits.push(LayoutEdit {
                at,
                delete: 0,
                insert: String::new(),
            });
        }
        let edit = edits.last_mut().expect("an edit at `at`");
        if change.tag() == ChangeTag::Delete {
            edit.delete += text.len();
            at += text.len();
        } else {
            edit.insert.push_str(text);
        }
    }
    Some(edits)
}

/// Apply a [`layout_patch`] to the text it was made from.
pub fn apply_patch(text: &str, edits: &[LayoutEdit]) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for e in edits {
        out.push_str(text.get(copied..e.at)?);
        out.push_str(&e.insert);
        copied = e.at.checked_add(e.delete)?;
    }
    out.push_str(text.get(copied..)?);
    Some(out)
}

/// `text` parses as strict JSON into exactly `want`, keys in the same order at every level.
fn reads_back_as(text: &str, want: &Map<String, Value>) -> bool {
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
            }
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
            }
            _ => a == b,
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(got) => same(&got, &Value::Object(want.clone())),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Map<String, Value> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn only_the_changed_lines_change() {
        let original = "{\n    \"model\": \"opus\",\n    \"permissions\": {\"allow\": [\"Bash(ls)\", \"Read\"]},\n\n    \"cleanupPeriodDays\": 1e3,\n    \"env\": {\"X\": \"1\"}\n}\n";
        let before = doc(original);
        let mut after = before.clone();
        after.insert("apiKeyHelper".into(), "/bin/ccgw key".into());
        after["env"]
            .as_object_mut()
            .unwrap()
            .insert("ANTHROPIC_BASE_URL".into(), "http://gw".into());
        let text = rewrite(original, &before, &after);
        assert!(text.starts_with("{\n    \"model\": \"opus\",\n    \"permissions\": {\"allow\": [\"Bash(ls)\", \"Read\"]},\n\n    \"cleanupPeriodDays\": 1e3,\n"), "{text}");
        assert!(
            text.contains("\n    \"apiKeyHelper\": \"/bin/ccgw key\"\n"),
            "{text}"
        );
        assert!(reads_back_as(&text, &after));
        // The inline `env` object had to open up for a second key; the rest is untouched.
        assert!(
            text.ends_with("    \"env\": {\n        \"X\": \"1\",\n        \"ANTHROPIC_BASE_URL\": \"http://gw\"\n    },\n    \"apiKeyHelper\": \"/bin/ccgw key\"\n}\n"),
            "{text}"
        );
        let back = rewrite(&text, &after, &before);
        assert!(reads_back_as(&back, &before), "{back}");
        assert!(back.contains("\"cleanupPeriodDays\": 1e3,"), "{back}");
    }

    #[test]
    fn layout_patches_hold_layout_only() {
        let from = "{\n  \"a\": 1\n}\n";
        let to = "{ \"a\": 1 }";
        let edits = layout_patch(from, to).unwrap();
        assert!(edits.iter().all(|e| e.insert.chars().all(is_layout_char)));
        assert_eq!(apply_patch(from, &edits).unwrap(), to);
        // A value that differs is not layout: no patch, so none can carry a secret.
        assert_eq!(layout_patch("{\"a\": \"x\"}", "{\"a\": \"sk-1\"}"), None);
        // Edits past the text are refused, not applied.
        let past = [LayoutEdit {
            at: 99,
            delete: 0,
            insert: " ".into(),
        }];
        assert_eq!(apply_patch(from, &past), None);
    }

    /// Text the CST edit would get wrong (a duplicate key: serde_json keeps the last, the CST
    /// edits the first) is printed whole instead: the document is never wrong.
    #[test]
    fn a_wrong_edit_falls_back_to_printing_the_document() {
        let original = "{\n  \"apiKeyHelper\": \"old\",\n  \"apiKeyHelper\": \"older\"\n}\n";
        let before = doc(original);
        let mut after = before.clone();
        after.insert("apiKeyHelper".into(), "/bin/ccgw key".into());
        let text = rewrite(original, &before, &after);
        assert_eq!(text, "{\n  \"apiKeyHelper\": \"/bin/ccgw key\"\n}\n");
    }
}
