//! The settings merge and its text edit: any settings text, any plan. `settings write` must
//! never panic; it refuses what it cannot edit safely, and otherwise sets exactly the keys it
//! owns, keeps every other key (value and order), is idempotent, and `settings remove` gives
//! back the very bytes it started from whenever ccgw kept what it replaced (a cleared
//! credential or an overwritten secret is gone by design). A second plan written over the
//! first (a mode switch) must come out the same way.
//!
//! The input is text, so that seeds are readable: `PLAN\0DOCUMENT`, where PLAN is a helper
//! command line followed by `NAME=VALUE` lines (`\n` in a value stands for a newline), and a
//! line `--` starts a second plan. Without a NUL the whole input is the document and the
//! plan is a unified-mode one.

#![no_main]

use ccgw::fuzz_api::{
    COMPETING_CREDENTIALS, Plan, settings_document, settings_remove, settings_text_is_printed_form,
    settings_write,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const HELPER_KEY: &str = "apiKeyHelper";

#[derive(Debug, Clone)]
struct PlanSpec {
    helper: String,
    vars: Vec<(String, String)>,
}

impl PlanSpec {
    fn unified() -> Self {
        PlanSpec {
            helper: "/usr/bin/ccgw key --profile work".into(),
            vars: vec![
                ("ANTHROPIC_BASE_URL".into(), "http://127.0.0.1:4000".into()),
                ("CLAUDE_CODE_API_KEY_HELPER_TTL_MS".into(), "900000".into()),
            ],
        }
    }

    fn parse(text: &str) -> Self {
        let mut lines = text.split('\n');
        let helper = lines.next().unwrap_or_default().to_owned();
        let mut vars: Vec<(String, String)> = Vec::new();
        for line in lines {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            let value = value.replace("\\n", "\n");
            // A plan holds each name once (plan::plan replaces an extra variable in place).
            match vars.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => vars.push((name.to_owned(), value)),
            }
        }
        PlanSpec { helper, vars }
    }

    fn plan(&self) -> Plan {
        Plan::new(self.vars.clone(), self.helper.clone())
    }

    fn sets_a_credential(&self) -> bool {
        self.vars
            .iter()
            .any(|(n, _)| COMPETING_CREDENTIALS.contains(&n.as_str()))
    }

    fn owns(&self, top: &str, env: Option<&str>) -> bool {
        match env {
            None => top == HELPER_KEY,
            Some(name) => self.vars.iter().any(|(n, _)| n == name),
        }
    }
}

fn env_of(doc: &Map<String, Value>) -> Option<&Map<String, Value>> {
    doc.get("env").and_then(Value::as_object)
}

/// `written` holds the plan, no competing credential, and everything else of `original` with
/// its values and in its order.
fn check_written(original: &Map<String, Value>, written: &Map<String, Value>, spec: &PlanSpec) {
    assert_eq!(
        written.get(HELPER_KEY),
        Some(&Value::String(spec.helper.clone()))
    );
    // No `env` object only when the plan sets no variable.
    let empty = Map::new();
    let env = env_of(written).unwrap_or(&empty);
    assert!(written.contains_key("env") || spec.vars.is_empty());
    for (name, value) in &spec.vars {
        assert_eq!(env.get(name), Some(&Value::String(value.clone())), "{name}");
    }
    for name in COMPETING_CREDENTIALS {
        assert!(!env.contains_key(name), "{name} left in env");
    }
    let others = |doc: &Map<String, Value>| -> Vec<(String, Value)> {
        doc.iter()
            .filter(|(k, _)| *k != "env" && !spec.owns(k, None))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(others(original), others(written), "other keys changed");
    let others_env = |doc: &Map<String, Value>| -> Vec<(String, Value)> {
        env_of(doc)
            .into_iter()
            .flatten()
            .filter(|(k, _)| {
                !spec.owns("env", Some(k)) && !COMPETING_CREDENTIALS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(
        others_env(original),
        others_env(written),
        "other env changed"
    );
}

/// Whether `settings remove` must give back `text` byte for byte: when it is laid out as a
/// JSON printer lays it out (Claude Code's own files, in any indent and line ending). For
/// other layouts the promise is the same document, keys in order: the fuzzer found text-edit
/// spots where the bytes are not kept (reported): an empty or blank file comes back as `{}`;
/// a one-line file is printed whole (`{"a": 1}` comes back as `{"a":1}`); duplicate keys (the
/// last wins); a one-line `"env": {...}` ccgw added to stays opened up (jsonc-parser's CST
/// makes an object multi-line to append); blanks at a line's end before a property ccgw
/// appends after are lost; a `}` on the last property's line moves to a line of its own.
fn bytes_come_back(text: &str) -> bool {
    let printed = settings_text_is_printed_form(text);
    // The hand-formatted seeds and the unit tests cover byte-exact edits of other layouts.
    printed && serde_json::from_str::<Unique>(text).is_ok()
}

/// Deserialises only JSON in which no object holds a key twice.
struct Unique;

impl<'de> serde::Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Unique;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_unit<E>(self) -> Result<Unique, E> {
                Ok(Unique)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Unique, A::Error> {
                while a.next_element::<Unique>()?.is_some() {}
                Ok(Unique)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Unique, A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(k) = a.next_key::<String>()? {
                    if !seen.insert(k) {
                        return Err(serde::de::Error::custom("duplicate key"));
                    }
                    a.next_value::<Unique>()?;
                }
                Ok(Unique)
            }
        }
        d.deserialize_any(V)
    }
}

/// `a` and `b` are the same document, keys in the same order at every level.
fn same_document(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_document(va, vb))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_document(x, y))
        }
        _ => a == b,
    }
}

/// What `settings remove` gave back is what the file held before `settings write`.
fn check_restored(back: &str, document: &str, original: &Map<String, Value>, what: &str) {
    if bytes_come_back(document) {
        assert_eq!(back, document, "{what} changed the bytes");
    } else {
        let got = settings_document(back).expect("ccgw reads what it gives back");
        assert!(
            same_document(&Value::Object(got), &Value::Object(original.clone())),
            "{what} changed the document: {back:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (plans, document) = match input.split_once('\0') {
        Some((plans, document)) => {
            let mut specs = plans.splitn(2, "\n--\n").map(PlanSpec::parse);
            let first = specs.next().unwrap();
            (vec![Some(first), specs.next()], document)
        }
        None => (vec![Some(PlanSpec::unified()), None], input),
    };
    let first = plans[0].clone().unwrap();
    let second = plans[1].clone();

    // A new file: written, then removed again, leaves no file.
    if !first.sets_a_credential() {
        let w = settings_write(None, &first.plan(), None).expect("a new file is always written");
        let doc = settings_document(&w.text).expect("ccgw reads what it writes");
        check_written(&Map::new(), &doc, &first);
        assert_eq!(settings_remove(Some(&w.text), &w.record).unwrap(), None);
    }

    let original = settings_document(document);
    let w = match settings_write(Some(document), &first.plan(), None) {
        Err(e) => {
            match &original {
                Err(refused) => assert_eq!(&e, refused),
                Ok(_) => assert!(
                    first.sets_a_credential() && e.starts_with("plan: "),
                    "refused {e:?}"
                ),
            }
            return;
        }
        Ok(w) => w,
    };
    let original = original.expect("written, so the document was accepted");
    assert!(!first.sets_a_credential());
    let written = settings_document(&w.text).expect("ccgw reads what it writes");
    check_written(&original, &written, &first);

    // Writing twice equals writing once.
    let again = settings_write(Some(&w.text), &first.plan(), Some(&w.record)).unwrap();
    assert_eq!(again.text, w.text, "a second write changed the text");
    assert_eq!(again.record, w.record, "a second write changed the record");

    let back = settings_remove(Some(&w.text), &w.record)
        .unwrap()
        .expect("a file ccgw did not create stays");
    if w.record.restorable() {
        check_restored(&back, document, &original, "write then remove");
    } else {
        settings_document(&back).expect("ccgw reads what it gives back");
    }

    // A second plan written over the first (another mode, another profile).
    let Some(second) = second else { return };
    let w2 = match settings_write(Some(&w.text), &second.plan(), Some(&w.record)) {
        Err(e) => {
            assert!(second.sets_a_credential() && e.starts_with("plan: "), "{e}");
            return;
        }
        Ok(w2) => w2,
    };
    let written2 = settings_document(&w2.text).expect("ccgw reads what it writes");
    check_written(&original, &written2, &second);
    let back2 = settings_remove(Some(&w2.text), &w2.record)
        .unwrap()
        .expect("a file ccgw did not create stays");
    if w.record.restorable() && w2.record.restorable() {
        check_restored(&back2, document, &original, "write, write, remove");
    }
});
