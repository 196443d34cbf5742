//! The settings merger: put a plan's `apiKeyHelper` and `env` variables into a Claude Code
//! settings document, touching nothing else, and take them out again.
//!
//! Peers' worst bug is clobbering `settings.json`; this follows the model users asked for:
//! - ccgw owns an explicit set of keys (`apiKeyHelper`, the plan's `env` variables); every other
//!   key, its value and its position stay as they were, new keys are appended;
//! - an [`UndoRecord`] remembers, per owned key, a SHA-256 fingerprint of what ccgw wrote and the
//!   value the key held before (never a secret: a previous credential is recorded as "secret,
//!   not kept"), so `remove` restores exactly the pre-ccgw document when nobody else changed it,
//!   and leaves alone any key someone changed since;
//! - a competing `ANTHROPIC_AUTH_TOKEN` / `ANTHROPIC_API_KEY` in the same `env` is cleared (it
//!   would beat the helper) and not restorable, because restoring it would mean keeping a copy.
//!
//! Both functions are pure: text in, text out. `write` does the reading and writing, `undo`
//! keeps the records.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::text::{self, Layout, LayoutEdit, render};
use crate::plan::{COMPETING_CREDENTIALS, GatewayEnv};
use crate::redact;

/// The top-level key ccgw owns besides `env` entries.
const HELPER_KEY: &str = "apiKeyHelper";
const ENV_KEY: &str = "env";
/// Bumped when the record's shape changes incompatibly.
const RECORD_VERSION: u32 = 1;

/// What ccgw changed in one settings file, enough to undo it. Holds fingerprints, never a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoRecord {
    pub version: u32,
    /// The settings file this record belongs to (for humans reading the record).
    #[serde(default)]
    pub settings_path: String,
    /// ccgw created the file: `remove` deletes it when nothing else is left in it.
    pub created_file: bool,
    /// ccgw created the `env` object: `remove` drops it when it is empty again.
    pub created_env: bool,
    /// Owned keys, in the order ccgw first wrote them.
    pub entries: Vec<OwnedKey>,
    /// Competing credentials ccgw cleared (names only: their values are gone for good).
    #[serde(default)]
    pub cleared: Vec<String>,
    /// The profile whose plan ccgw last wrote here: `ccgw profile use` rewrites the files of
    /// the previous default. Empty in records written before ccgw recorded it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub profile: String,
    /// The config file (canonical path) that profile came from: a profile name means nothing
    /// without it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config: String,
    /// The settings layer (`user`, `project`, `local`), empty for a file given by path: it
    /// decides how the helper names ccgw when the file is rewritten.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// What takes the text `remove` prints back to the file's exact bytes, when taking out
    /// ccgw's keys alone would not (an emptied `{ }`, an inline `env` opened up, a moved
    /// closing brace). Absent when it is not needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<LayoutUndo>,
}

/// Layout edits for `remove`: whitespace and punctuation only (see
/// `text::layout_patch`), so the record still holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutUndo {
    /// SHA-256 of the text the edits apply to: what taking out ccgw's keys prints when the
    /// file is as ccgw left it. Any other text gets no edits.
    pub base: String,
    pub edits: Vec<LayoutEdit>,
}

/// One owned key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedKey {
    /// `apiKeyHelper` or `env.NAME`.
    pub key: String,
    /// SHA-256 (hex) of the compact JSON of the value ccgw wrote.
    pub written: String,
    /// What the key held before ccgw first wrote it.
    pub previous: Previous,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Previous {
    /// The key did not exist.
    Absent,
    /// A non-secret value, restored as is.
    Value { value: Value },
    /// The key held a secret; ccgw keeps no copy, so `remove` deletes the key instead.
    Secret,
}

/// Why a merge cannot go ahead. Either way the file must stay untouched (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The document is not something ccgw can edit safely: the reason, without the path.
    Document(String),
    /// The plan itself would break a rule (a credential in `env`).
    Plan(String),
}

/// The result of a merge or unmerge.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The new document; `None` means the file should be deleted (ccgw created it and nothing
    /// else is in it).
    pub text: Option<String>,
    /// The record to store (`None` after `unmerge`: there is nothing left to undo).
    pub record: Option<UndoRecord>,
    /// One line each for stderr.
    pub notes: Vec<String>,
}

/// Where an owned key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnedSlot {
    Helper,
    Env(String),
}

impl OwnedSlot {
    fn parse(key: &str) -> Option<OwnedSlot> {
        if key == HELPER_KEY {
            Some(OwnedSlot::Helper)
        } else {
            key.strip_prefix("env.")
                .map(|n| OwnedSlot::Env(n.to_owned()))
        }
    }

    fn key(&self) -> String {
        match self {
            OwnedSlot::Helper => HELPER_KEY.to_owned(),
            OwnedSlot::Env(name) => format!("env.{name}"),
        }
    }

    fn get<'a>(&self, doc: &'a Map<String, Value>) -> Option<&'a Value> {
        match self {
            OwnedSlot::Helper => doc.get(HELPER_KEY),
            OwnedSlot::Env(name) => doc.get(ENV_KEY)?.as_object()?.get(name),
        }
    }

    /// Set the value; an existing key keeps its position, a new one is appended.
    fn set(&self, doc: &mut Map<String, Value>, value: Value) {
        match self {
            OwnedSlot::Helper => {
                doc.insert(HELPER_KEY.to_owned(), value);
            }
            OwnedSlot::Env(name) => {
                let env = doc
                    .entry(ENV_KEY)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(env) = env {
                    env.insert(name.clone(), value);
                }
            }
        }
    }

    /// Remove the key; the others keep their order.
    fn remove(&self, doc: &mut Map<String, Value>) {
        match self {
            OwnedSlot::Helper => {
                doc.shift_remove(HELPER_KEY);
            }
            OwnedSlot::Env(name) => {
                if let Some(Value::Object(env)) = doc.get_mut(ENV_KEY) {
                    env.shift_remove(name);
                }
            }
        }
    }

    /// Whether the value this key held before ccgw may not be copied into the undo record
    /// (the one secret rule, `redact::secret_shaped`).
    fn is_secret(&self, value: &Value) -> bool {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        match self {
            OwnedSlot::Helper => redact::secret_shaped(redact::API_KEY_HELPER, &text),
            OwnedSlot::Env(name) => {
                COMPETING_CREDENTIALS.contains(&name.as_str()) || redact::secret_shaped(name, &text)
            }
        }
    }
}

/// SHA-256 (hex) of the compact JSON of `value`.
pub fn fingerprint(value: &Value) -> String {
    sha256_hex(value.to_string().as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Parse a settings document ccgw is about to edit: what Claude Code reads (`layers::
/// parse_object`), and no key twice, an object `env`, a string `apiKeyHelper`.
pub fn parse_document(text: &str) -> Result<Map<String, Value>, Refusal> {
    let doc = super::layers::parse_object(text).map_err(Refusal::Document)?;
    // serde_json keeps the last of two equal keys: editing such a file would drop the other.
    if let Some((key, line)) = duplicate_key(text) {
        return Err(Refusal::Document(format!(
            "duplicate key `{key}` (line {line}): Claude Code reads only the last one; keep one and run again"
        )));
    }
    if let Some(env) = doc.get(ENV_KEY)
        && !env.is_object()
    {
        return Err(Refusal::Document(format!(
            "`env` is {}, not an object",
            super::layers::kind(env)
        )));
    }
    if let Some(helper) = doc.get(HELPER_KEY)
        && !helper.is_string()
    {
        return Err(Refusal::Document(format!(
            "`apiKeyHelper` is {}, not a string",
            super::layers::kind(helper)
        )));
    }
    Ok(doc)
}

/// The first key that appears twice in one object of `text` (as a dotted path), and its line.
fn duplicate_key(text: &str) -> Option<(String, usize)> {
    use jsonc_parser::ast::Value as Node;
    fn walk(node: &Node, path: &str, text: &str) -> Option<(String, usize)> {
        match node {
            Node::Object(object) => {
                let mut seen = std::collections::HashSet::new();
                for prop in &object.properties {
                    let name = prop.name.as_str();
                    let here = if path.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{path}.{name}")
                    };
                    if !seen.insert(name) {
                        let line = text[..prop.range.start].matches('\n').count() + 1;
                        return Some((here, line));
                    }
                    if let Some(found) = walk(&prop.value, &here, text) {
                        return Some(found);
                    }
                }
                None
            }
            Node::Array(array) => array
                .elements
                .iter()
                .enumerate()
                .find_map(|(i, e)| walk(e, &format!("{path}[{i}]"), text)),
            _ => None,
        }
    }
    let parsed = jsonc_parser::parse_to_ast(
        text,
        &jsonc_parser::CollectOptions::default(),
        &jsonc_parser::ParseOptions::default(),
    )
    .ok()?;
    walk(parsed.value.as_ref()?, "", text)
}

/// The keys and values a plan owns, in plan order: `apiKeyHelper` first, then `env`.
fn owned(gw: &GatewayEnv) -> Result<Vec<(OwnedSlot, Value)>, Refusal> {
    let mut out = vec![(OwnedSlot::Helper, Value::String(gw.api_key_helper.clone()))];
    for (name, value) in &gw.vars {
        if COMPETING_CREDENTIALS.contains(&name.as_str()) {
            return Err(Refusal::Plan(format!(
                "the profile sets `{name}`: ccgw never writes a credential into a settings file (the key reaches Claude Code through apiKeyHelper)"
            )));
        }
        out.push((OwnedSlot::Env(name.clone()), Value::String(value.clone())));
    }
    Ok(out)
}

fn capture(slot: &OwnedSlot, current: Option<&Value>) -> Previous {
    match current {
        None => Previous::Absent,
        Some(v) if slot.is_secret(v) => Previous::Secret,
        Some(v) => Previous::Value { value: v.clone() },
    }
}

/// Put `previous` back, or delete the key when it had none (or held a secret).
fn restore(slot: &OwnedSlot, previous: &Previous, doc: &mut Map<String, Value>) {
    match previous {
        Previous::Value { value } => slot.set(doc, value.clone()),
        Previous::Absent | Previous::Secret => slot.remove(doc),
    }
}

fn holds(slot: &OwnedSlot, doc: &Map<String, Value>, written: &str) -> bool {
    slot.get(doc).is_some_and(|v| fingerprint(v) == written)
}

/// Merge the plan into `existing` (`None`: the file does not exist). `prior` is the undo record
/// of an earlier write to the same file: its original state is kept, so writing twice equals
/// writing once.
pub fn merge(
    existing: Option<&str>,
    gw: &GatewayEnv,
    prior: Option<&UndoRecord>,
) -> Result<Edit, Refusal> {
    let mut doc = parse_document(existing.unwrap_or(""))?;
    let before = doc.clone();
    let owned = owned(gw)?;
    // What `remove` gives back now; after this write it must give back exactly that.
    let undone = match (prior, existing) {
        (Some(r), Some(_)) => unmerge(existing, r)?.text,
        _ => existing.map(str::to_owned),
    };
    let mut notes = Vec::new();
    // A record for a file that has since disappeared describes nothing that is still there.
    let mut record = match (prior, existing) {
        (Some(r), Some(_)) => r.clone(),
        _ => UndoRecord {
            version: RECORD_VERSION,
            settings_path: String::new(),
            created_file: existing.is_none(),
            created_env: !doc.contains_key(ENV_KEY),
            entries: Vec::new(),
            cleared: Vec::new(),
            profile: String::new(),
            config: String::new(),
            scope: String::new(),
            layout: None,
        },
    };
    record.layout = None;

    // Keys ccgw wrote before that this plan no longer sets (a mode switch, a dropped model):
    // give them back to their previous owner, unless someone changed them since.
    let mut kept = Vec::new();
    for entry in std::mem::take(&mut record.entries) {
        let Some(slot) = OwnedSlot::parse(&entry.key) else {
            continue;
        };
        if owned.iter().any(|(s, _)| *s == slot) {
            kept.push(entry);
        } else if holds(&slot, &doc, &entry.written) {
            restore(&slot, &entry.previous, &mut doc);
        } else if slot.get(&doc).is_some() {
            notes.push(format!(
                "`{}` was changed since ccgw wrote it; left as it is",
                entry.key
            ));
        }
    }
    record.entries = kept;

    for (slot, value) in owned {
        let current = slot.get(&doc);
        let written = fingerprint(&value);
        match record.entries.iter_mut().find(|e| e.key == slot.key()) {
            // Still what ccgw wrote: the original previous value stays the one to restore.
            Some(e) if holds(&slot, &doc, &e.written) => e.written = written,
            // Someone changed it since: their value is what `remove` should give back.
            Some(e) => {
                e.previous = capture(&slot, current);
                e.written = written;
            }
            None => record.entries.push(OwnedKey {
                key: slot.key(),
                written,
                previous: capture(&slot, current),
            }),
        }
        slot.set(&mut doc, value);
    }

    if let Some(Value::Object(env)) = doc.get_mut(ENV_KEY) {
        for name in COMPETING_CREDENTIALS {
            if env.shift_remove(name).is_some() {
                notes.push(format!(
                    "cleared `env.{name}`: it would beat the apiKeyHelper (ccgw keeps no copy of a secret, so `ccgw settings remove` will not restore it)"
                ));
                if !record.cleared.iter().any(|c| c == name) {
                    record.cleared.push(name.to_owned());
                }
            }
        }
    }

    let text = match existing {
        Some(text) => text::rewrite(text, &before, &doc),
        None => render(&doc, &Layout::default()),
    };
    record.layout = layout_undo(&text, &record, undone.as_deref());
    Ok(Edit {
        text: Some(text),
        record: Some(record),
        notes,
    })
}

/// The layout edits that make `remove` of `written` print exactly `want`, if it needs any and
/// they are layout only.
fn layout_undo(written: &str, record: &UndoRecord, want: Option<&str>) -> Option<LayoutUndo> {
    let got = undo_keys(Some(written), record).ok()?.text?;
    let want = want?;
    if got == want {
        return None;
    }
    let edits = text::layout_patch(&got, want)?;
    Some(LayoutUndo {
        base: sha256_hex(got.as_bytes()),
        edits,
    })
}

/// Undo what `record` says ccgw wrote. Keys changed by someone else since are left alone (with
/// a note); a cleared credential is not restored (ccgw never kept it).
pub fn unmerge(existing: Option<&str>, record: &UndoRecord) -> Result<Edit, Refusal> {
    let mut outcome = undo_keys(existing, record)?;
    if let (Some(text), Some(layout)) = (&outcome.text, &record.layout)
        && sha256_hex(text.as_bytes()) == layout.base
        && let Some(exact) = text::apply_patch(text, &layout.edits)
    {
        outcome.text = Some(exact);
    }
    Ok(outcome)
}

/// `unmerge` without the layout edits: ccgw's keys taken out, the rest of the text kept.
fn undo_keys(existing: Option<&str>, record: &UndoRecord) -> Result<Edit, Refusal> {
    let Some(existing) = existing else {
        return Ok(Edit {
            text: None,
            record: None,
            notes: vec!["the file no longer exists; nothing to undo".into()],
        });
    };
    let mut doc = parse_document(existing)?;
    let before = doc.clone();
    let mut notes = Vec::new();
    for entry in &record.entries {
        let Some(slot) = OwnedSlot::parse(&entry.key) else {
            continue;
        };
        if holds(&slot, &doc, &entry.written) {
            restore(&slot, &entry.previous, &mut doc);
            if entry.previous == Previous::Secret {
                notes.push(format!(
                    "`{}` held a secret before ccgw wrote it; removed, not restored (ccgw keeps no copy)",
                    entry.key
                ));
            }
        } else if slot.get(&doc).is_some() {
            notes.push(format!(
                "`{}` was changed since ccgw wrote it; left as it is",
                entry.key
            ));
        }
    }
    if record.created_env
        && doc
            .get(ENV_KEY)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
    {
        doc.shift_remove(ENV_KEY);
    }
    for name in &record.cleared {
        notes.push(format!(
            "`env.{name}` was cleared by `ccgw settings write` and is not restored (ccgw keeps no copy of a secret)"
        ));
    }
    let text =
        (!(record.created_file && doc.is_empty())).then(|| text::rewrite(existing, &before, &doc));
    Ok(Edit {
        text,
        record: None,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gw(vars: &[(&str, &str)]) -> GatewayEnv {
        GatewayEnv::from_vars(
            crate::plan::test_vars(vars),
            "/bin/ccgw key --profile p".into(),
        )
    }

    const UNIFIED: &[(&str, &str)] = &[
        ("ANTHROPIC_BASE_URL", "http://gw"),
        ("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "600000"),
    ];

    fn write(text: Option<&str>, vars: &[(&str, &str)], prior: Option<&UndoRecord>) -> Edit {
        merge(text, &gw(vars), prior).unwrap()
    }

    #[test]
    fn write_then_remove_restores_bytes() {
        let original = "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"FOO\": \"1\",\n    \"ANTHROPIC_BASE_URL\": \"http://old\"\n  },\n  \"z\": [\n    1,\n    {}\n  ]\n}\n";
        let w = write(Some(original), UNIFIED, None);
        let text = w.text.unwrap();
        assert!(
            text.contains("\"ANTHROPIC_BASE_URL\": \"http://gw\""),
            "{text}"
        );
        assert!(text.ends_with("  \"apiKeyHelper\": \"/bin/ccgw key --profile p\"\n}\n"));
        let r = unmerge(Some(&text), w.record.as_ref().unwrap()).unwrap();
        assert_eq!(r.text.unwrap(), original);
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn writing_twice_equals_once() {
        let original = "{\n  \"a\": 1\n}\n";
        let one = write(Some(original), UNIFIED, None);
        let two = write(one.text.as_deref(), UNIFIED, one.record.as_ref());
        assert_eq!(one.text, two.text);
        assert_eq!(one.record, two.record);
        let r = unmerge(two.text.as_deref(), two.record.as_ref().unwrap()).unwrap();
        assert_eq!(r.text.unwrap(), original);
    }

    /// Found by the `settings` fuzz target: a lone `\r` is a line break to the CST edit, which
    /// then writes `\r` line breaks, but was not one to the layout, so a second write took the
    /// file for a one-line one and printed it whole: writing twice must equal writing once.
    #[test]
    fn carriage_return_line_breaks_write_twice_as_once() {
        let one = write(Some("\r{}\n"), UNIFIED, None);
        let two = write(one.text.as_deref(), UNIFIED, one.record.as_ref());
        assert_eq!(one.text, two.text);
        let back = unmerge(two.text.as_deref(), two.record.as_ref().unwrap()).unwrap();
        assert_eq!(parse_document(&back.text.unwrap()).unwrap(), Map::new());
    }

    #[test]
    fn new_file_and_env_are_removed_again() {
        let w = write(None, UNIFIED, None);
        let rec = w.record.unwrap();
        assert!(rec.created_file && rec.created_env);
        assert_eq!(unmerge(w.text.as_deref(), &rec).unwrap().text, None);
        // The user added a key of their own: the file stays, with only that key.
        let mut doc = parse_document(w.text.as_deref().unwrap()).unwrap();
        doc.insert("theme".into(), "dark".into());
        let out = unmerge(Some(&render(&doc, &Layout::default())), &rec).unwrap();
        assert_eq!(out.text.unwrap(), "{\n  \"theme\": \"dark\"\n}\n");
    }

    #[test]
    fn keys_added_after_ccgw_keep_their_order() {
        let w = write(Some("{\n  \"x\": 1\n}\n"), UNIFIED, None);
        let mut doc = parse_document(w.text.as_deref().unwrap()).unwrap();
        doc.insert("y".into(), 2.into());
        doc.insert("z".into(), 3.into());
        let out = unmerge(
            Some(&render(&doc, &Layout::default())),
            w.record.as_ref().unwrap(),
        )
        .unwrap();
        let keys: Vec<String> = parse_document(&out.text.unwrap())
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["x", "y", "z"]);
    }

    #[test]
    fn mode_switch_restores_stale_keys() {
        let original = "{\n  \"env\": {\n    \"AWS_REGION\": \"us-west-2\"\n  }\n}\n";
        let bedrock = [
            ("CLAUDE_CODE_USE_BEDROCK", "1"),
            ("AWS_REGION", "eu-west-1"),
            ("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "1"),
        ];
        let b = write(Some(original), &bedrock, None);
        let u = write(b.text.as_deref(), UNIFIED, b.record.as_ref());
        let doc = parse_document(u.text.as_deref().unwrap()).unwrap();
        let env = doc["env"].as_object().unwrap();
        assert_eq!(env["AWS_REGION"], "us-west-2");
        assert!(!env.contains_key("CLAUDE_CODE_USE_BEDROCK"));
        let r = unmerge(u.text.as_deref(), u.record.as_ref().unwrap()).unwrap();
        assert_eq!(r.text.unwrap(), original);
    }

    #[test]
    fn user_changes_are_kept_on_remove() {
        let w = write(Some("{}"), UNIFIED, None);
        let changed = w.text.unwrap().replace("http://gw", "http://mine");
        let r = unmerge(Some(&changed), w.record.as_ref().unwrap()).unwrap();
        let text = r.text.unwrap();
        assert!(text.contains("http://mine"));
        assert!(!text.contains("apiKeyHelper"));
        assert!(
            r.notes[0].contains("env.ANTHROPIC_BASE_URL"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn competing_credentials_are_cleared_and_never_recorded() {
        let original = r#"{"env":{"ANTHROPIC_AUTH_TOKEN":"sk-secret-123456","ANTHROPIC_API_KEY":"k2"},"apiKeyHelper":"echo sk-ant-abcdefghijkl"}"#;
        let w = write(Some(original), UNIFIED, None);
        let text = w.text.unwrap();
        assert!(!text.contains("ANTHROPIC_AUTH_TOKEN") && !text.contains("ANTHROPIC_API_KEY"));
        assert_eq!(w.notes.len(), 2);
        let rec = serde_json::to_string(&w.record.unwrap()).unwrap();
        assert!(
            !rec.contains("sk-secret") && !rec.contains("sk-ant"),
            "{rec}"
        );
        assert!(rec.contains("\"secret\""));
    }

    #[test]
    fn refusals() {
        let g = gw(UNIFIED);
        for (text, why) in [
            ("{\n  \"a\": ", "line 2"),
            ("[]", "not a JSON object"),
            (r#"{"env": []}"#, "`env` is an array"),
            (r#"{"apiKeyHelper": 1}"#, "`apiKeyHelper` is a number"),
        ] {
            match merge(Some(text), &g, None) {
                Err(Refusal::Document(m)) => assert!(m.contains(why), "{m}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let bad = gw(&[("ANTHROPIC_API_KEY", "x")]);
        for (text, key) in [
            (
                "{\n  \"model\": \"a\",\n  \"model\": \"b\"\n}",
                "`model` (line 3)",
            ),
            (r#"{"env": {"X": "1", "X": "2"}}"#, "`env.X` (line 1)"),
            (r#"{"p": [{"a": 1, "a": 2}]}"#, "`p[0].a`"),
        ] {
            for result in [
                merge(Some(text), &g, None).map(|_| ()),
                parse_document(text).map(|_| ()),
            ] {
                match result {
                    Err(Refusal::Document(m)) => {
                        assert!(m.contains(&format!("duplicate key {key}")), "{m}")
                    }
                    other => panic!("{text}: {other:?}"),
                }
            }
        }
        assert!(matches!(merge(None, &bad, None), Err(Refusal::Plan(_))));
    }

    proptest::proptest! {
        /// Any document of other keys (plus, maybe, values in ccgw's slots) comes back
        /// byte-for-byte after write then remove, and writing twice equals writing once.
        #[test]
        fn write_remove_round_trips(
            top in proptest::collection::vec(("[a-z]{1,6}", "\\PC{0,8}"), 0..6),
            env in proptest::collection::vec(("[A-Z_]{1,8}", "\\PC{0,8}"), 0..6),
            base in proptest::option::of("[a-z:/.]{1,12}"),
            helper in proptest::option::of("/[a-z/]{1,12}"),
            indent in proptest::option::of(proptest::sample::select(vec!["  ", "    ", "\t"])),
            crlf: bool,
            trailing_newline: bool,
        ) {
            let mut doc = Map::new();
            for (k, v) in top {
                doc.insert(k, Value::String(v));
            }
            let mut e = Map::new();
            for (k, v) in env {
                if !COMPETING_CREDENTIALS.contains(&k.as_str()) {
                    e.insert(k, Value::String(v));
                }
            }
            if let Some(b) = base {
                e.insert("ANTHROPIC_BASE_URL".into(), Value::String(b));
            }
            if !e.is_empty() {
                doc.insert("env".into(), Value::Object(e));
            }
            if let Some(h) = helper {
                doc.insert("apiKeyHelper".into(), Value::String(h));
            }
            // An empty `{}` has no layout to detect; it gets (and is tested with) the default.
            let layout = if doc.is_empty() {
                Layout::default()
            } else {
                // A one-line file without a final newline has no line ending to keep.
                let crlf = crlf && (indent.is_some() || trailing_newline);
                Layout { indent: indent.map(str::to_owned), crlf, trailing_newline }
            };
            let original = render(&doc, &layout);
            proptest::prop_assert_eq!(Layout::of(&original), layout.clone());
            let one = write(Some(&original), UNIFIED, None);
            proptest::prop_assert_eq!(Layout::of(one.text.as_deref().unwrap()), layout);
            let two = write(one.text.as_deref(), UNIFIED, one.record.as_ref());
            proptest::prop_assert_eq!(&one.text, &two.text);
            let back = unmerge(two.text.as_deref(), two.record.as_ref().unwrap()).unwrap();
            proptest::prop_assert_eq!(back.text.unwrap(), original);
        }
    }

    proptest::proptest! {
        /// A file written by hand (inline arrays and objects, number spellings serde_json
        /// would change, escaped unicode, blank lines, any indent) keeps every line ccgw does
        /// not own through `write`, and `remove` gives back the very same bytes.
        #[test]
        fn hand_formatted_files_keep_their_text(
            picks in proptest::collection::vec(0usize..HAND_VALUES.len(), 0..6),
            env in proptest::collection::vec(("[A-Z]{1,6}", 0usize..HAND_VALUES.len()), 0..4),
            with_env: bool,
            blank_lines: bool,
            indent in proptest::sample::select(vec!["  ", "    ", "\t", " "]),
            crlf: bool,
            env_form in proptest::sample::select(vec![EnvForm::Lines, EnvForm::Inline, EnvForm::BraceOnLastLine]),
            empty_env in proptest::sample::select(vec!["{}", "{ }", "{\n}"]),
            brace_on_last_line: bool,
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let sep = if blank_lines { format!(",{nl}{nl}") } else { format!(",{nl}") };
            let mut props: Vec<String> = picks
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{indent}\"k{i}\": {}", HAND_VALUES[*p]))
                .collect();
            if with_env {
                let mut seen = std::collections::HashSet::new();
                let inner: Vec<String> = env
                    .iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .map(|(k, p)| format!("{indent}{indent}\"{k}\": {}", HAND_VALUES[*p]))
                    .collect();
                let inline: Vec<&str> = inner.iter().map(|p| p.trim_start()).collect();
                props.push(match env_form {
                    _ if inner.is_empty() => format!(
                        "{indent}\"env\": {}",
                        empty_env.replace('\n', &format!("{nl}{indent}"))
                    ),
                    EnvForm::Lines => format!("{indent}\"env\": {{{nl}{}{nl}{indent}}}", inner.join(&sep)),
                    EnvForm::Inline => format!("{indent}\"env\": {{{}}}", inline.join(", ")),
                    EnvForm::BraceOnLastLine => format!("{indent}\"env\": {{{nl}{}}}", inner.join(&sep)),
                });
            }
            if props.is_empty() {
                props.push(format!("{indent}\"theme\": \"dark\""));
            }
            let close = if brace_on_last_line { "}".to_owned() } else { format!("{nl}}}") };
            let original = format!("{{{nl}{}{close}{nl}", props.join(&sep));
            let one = write(Some(&original), UNIFIED, None);
            let written = one.text.clone().unwrap();
            // Every line but the blank ones and `"env": {` (whose object ccgw fills).
            // (and a closing brace on a key's line, which a line added after it moves).
            let kept = |l: &&str| !l.trim().is_empty() && !l.trim_start().starts_with("\"env\"");
            let bare = |l: &str| l.trim_end_matches([',', '}']).to_owned();
            for line in original.split(nl).filter(kept) {
                let trimmed = bare(line);
                proptest::prop_assert!(
                    written.split(nl).any(|w| bare(w) == trimmed),
                    "line {:?} lost in {:?}", line, written
                );
            }
            let two = write(Some(&written), UNIFIED, one.record.as_ref());
            proptest::prop_assert_eq!(&two.text, &one.text);
            proptest::prop_assert_eq!(&two.record, &one.record);
            let back = unmerge(Some(&written), one.record.as_ref().unwrap()).unwrap();
            proptest::prop_assert_eq!(back.text.unwrap(), original);
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum EnvForm {
        /// One key a line, the closing brace on a line of its own.
        Lines,
        /// `"env": {"A": 1, "B": 2}`.
        Inline,
        /// One key a line, the closing brace after the last value.
        BraceOnLastLine,
    }

    proptest::proptest! {
        /// A file with no keys at all (empty, blanks only, `{ }`, `{\n}`, any line ending)
        /// comes back byte for byte after write then remove.
        #[test]
        fn empty_documents_round_trip(
            before in "( |\t|\n|\r\n){0,3}",
            braces: bool,
            inside in "( |\t|\n|\r\n){0,3}",
            after in "( |\t|\n|\r\n){0,3}",
        ) {
            let original = if braces { format!("{before}{{{inside}}}{after}") } else { before };
            let one = write(Some(&original), UNIFIED, None);
            let two = write(one.text.as_deref(), UNIFIED, one.record.as_ref());
            proptest::prop_assert_eq!(&one.text, &two.text);
            proptest::prop_assert_eq!(&one.record, &two.record);
            let back = unmerge(two.text.as_deref(), two.record.as_ref().unwrap()).unwrap();
            proptest::prop_assert_eq!(back.text.unwrap(), original);
        }
    }

    /// The layouts issue 9 lists, each written then removed: the same bytes come back.
    #[test]
    fn listed_layouts_come_back_byte_for_byte() {
        for original in [
            "",
            " \n",
            "{ }",
            "{\n}",
            "{\n}\n",
            "{\n  \"a\": 1,\n  \"env\": {}\n}\n",
            "{\n  \"a\": 1,\n  \"env\": { }\n}\n",
            "{\n  \"a\": 1,\n  \"env\": {\n  }\n}\n",
            "{\n  \"env\": {\"X\": \"1\", \"Y\": \"2\"},\n  \"a\": 1\n}\n",
            "{\n  \"a\": 1,\n  \"b\": 2}\n",
            "{\n  \"a\": 1,\n  \"env\": {\n    \"X\": \"1\"}}",
            "{\"a\": 1, \"env\": {}}",
        ] {
            let w = write(Some(original), UNIFIED, None);
            let back = unmerge(w.text.as_deref(), w.record.as_ref().unwrap()).unwrap();
            assert_eq!(back.text.as_deref(), Some(original), "{:?}", w.text);
        }
    }

    /// The layout edits are applied only to the text they were made for: a file someone
    /// changed since gets ccgw's keys taken out and no edits.
    #[test]
    fn layout_edits_apply_only_to_the_text_ccgw_left() {
        let w = write(Some("{ }"), UNIFIED, None);
        let rec = w.record.unwrap();
        assert!(rec.layout.is_some());
        let changed = w.text.unwrap().replacen('{', "{\"theme\": \"dark\",", 1);
        let back = unmerge(Some(&changed), &rec).unwrap().text.unwrap();
        assert_eq!(
            parse_document(&back).unwrap(),
            parse_document("{\"theme\": \"dark\"}").unwrap()
        );
        assert!(!back.ends_with(" }"), "{back:?}");
    }

    /// JSON values as people write them, several of which serde_json would print differently.
    const HAND_VALUES: &[&str] = &[
        "1e3",
        "1.50",
        "-0",
        "12345678901234567890123",
        "[1, 2,3]",
        "[ ]",
        "{ }",
        "{\"allow\": [\"Bash(ls:*)\", \"Read\"]}",
        "\"caf\\u00e9 \\/ \\\"q\\\"\"",
        "\"plain\"",
        "true",
        "null",
    ];
}
