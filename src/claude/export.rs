//! A profile as managed settings for an MDM rollout (`ccgw settings export`): the same document
//! `settings write --scope managed` puts in the drop-in, rendered as the file itself (`json`), a
//! macOS configuration profile (`mobileconfig`) or a Windows registry file (`reg`).
//!
//! Pure: a profile in, text out. The document is fleet-wide, so two things differ from a write
//! on one machine: the helper is plain `ccgw key --profile NAME` (found on PATH on every
//! machine, reading each user's default config, no path of this machine), and a value that is
//! a secret by `redact::secret_shaped` is refused rather than shipped to every machine.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::merge::{self, Refusal};
use crate::config::Profile;
use crate::error;
use crate::plan::{self, HelperSpec};
use crate::redact;

/// The output formats of `ccgw settings export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// managed-settings.json (Linux /etc/claude-code, macOS, Windows C:\Program Files\ClaudeCode)
    Json,
    /// A macOS configuration profile for the com.anthropic.claudecode preference domain
    Mobileconfig,
    /// A Windows .reg file setting HKLM\SOFTWARE\Policies\ClaudeCode\Settings
    Reg,
}

/// The macOS managed-preferences domain Claude Code reads.
pub const PREFERENCE_DOMAIN: &str = "com.anthropic.claudecode";
/// The registry key Claude Code reads managed settings from (value [`REG_VALUE`]).
pub const REG_KEY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ClaudeCode";
pub const REG_VALUE: &str = "Settings";

/// The managed-settings document of profile `name`: `apiKeyHelper` and `env`, exactly as the
/// settings merger builds them for a new file.
pub fn document(name: &str, profile: &Profile) -> anyhow::Result<Map<String, Value>> {
    let helper = HelperSpec {
        program: "ccgw".into(),
        config: None,
    };
    let gw = plan::plan(name, profile, &helper);
    if let Some((var, _)) = gw.vars.iter().find(|(k, v)| redact::secret_shaped(k, v)) {
        return Err(error::config(
            format!(
                "profile `{name}` puts a secret in `{var}`: an exported document goes to every machine, so ccgw will not write one into it"
            ),
            Some("keep credentials in the key source (the helper fetches them on each machine) and export again".into()),
        ));
    }
    let refused = |r: Refusal| match r {
        Refusal::Document(why) | Refusal::Plan(why) => error::config(why, None),
    };
    let edit = merge::merge(None, &gw, None).map_err(refused)?;
    merge::parse_document(edit.text.as_deref().unwrap_or("{}")).map_err(refused)
}

/// The document rendered in `format`, ready to write to a file.
pub fn render(format: Format, name: &str, profile: &Profile) -> anyhow::Result<Vec<u8>> {
    let doc = document(name, profile)?;
    Ok(match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&doc)?;
            text.push('\n');
            text.into_bytes()
        }
        Format::Mobileconfig => mobileconfig(name, profile.gateway_base(), &doc)?.into_bytes(),
        Format::Reg => reg(&doc).into_bytes(),
    })
}

/// A name-based UUID (RFC 9562 version 8, the SHA-256 construction of its appendix B.2) of
/// `parts`: the same profile always gets the same UUIDs, so MDM replaces the profile it
/// deployed before instead of installing a second one.
fn name_uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"ccgw settings export\0");
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    let mut b: [u8; 16] = d[..16].try_into().expect("16 of 32 bytes");
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `name` as reverse-DNS identifier components: letters, digits, `-` and `.` (a profile name
/// may also hold `_` and `@`, written as `-`).
fn identifier_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A macOS configuration profile: one `com.anthropic.claudecode` payload carrying the settings
/// keys. The identifiers come from the profile name (a re-deploy of the same name replaces
/// it), the UUIDs from the name and the gateway.
fn mobileconfig(name: &str, gateway: &str, doc: &Map<String, Value>) -> anyhow::Result<String> {
    // ccgw's own namespace: the preference domain is Anthropic's, the profile is not.
    let id = format!("ccgw.managed-settings.{}", identifier_part(name));
    let mut payload = Map::new();
    payload.insert("PayloadType".into(), PREFERENCE_DOMAIN.into());
    payload.insert("PayloadVersion".into(), 1.into());
    payload.insert(
        "PayloadIdentifier".into(),
        format!("{id}.claudecode").into(),
    );
    payload.insert(
        "PayloadUUID".into(),
        name_uuid(&[name, gateway, "payload"]).into(),
    );
    payload.insert(
        "PayloadDisplayName".into(),
        format!("Claude Code gateway settings ({name})").into(),
    );
    for (k, v) in doc {
        payload.insert(k.clone(), v.clone());
    }
    let mut outer = Map::new();
    outer.insert("PayloadContent".into(), Value::Array(vec![payload.into()]));
    outer.insert(
        "PayloadDescription".into(),
        format!("Claude Code through the gateway {gateway}, authenticated by `ccgw key --profile {name}`").into(),
    );
    outer.insert(
        "PayloadDisplayName".into(),
        format!("Claude Code: {name}").into(),
    );
    outer.insert("PayloadIdentifier".into(), id.into());
    outer.insert("PayloadScope".into(), "System".into());
    outer.insert("PayloadType".into(), "Configuration".into());
    outer.insert(
        "PayloadUUID".into(),
        name_uuid(&[name, gateway, "profile"]).into(),
    );
    outer.insert("PayloadVersion".into(), 1.into());
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n",
    );
    plist_value(&mut out, &Value::Object(outer), 0)?;
    out.push_str("</plist>\n");
    Ok(out)
}

fn plist_value(out: &mut String, v: &Value, depth: usize) -> anyhow::Result<()> {
    let pad = "\t".repeat(depth);
    match v {
        Value::Object(m) => {
            out.push_str(&format!("{pad}<dict>\n"));
            for (k, v) in m {
                out.push_str(&format!("{pad}\t<key>{}</key>\n", xml_text(k)?));
                plist_value(out, v, depth + 1)?;
            }
            out.push_str(&format!("{pad}</dict>\n"));
        }
        Value::Array(a) => {
            out.push_str(&format!("{pad}<array>\n"));
            for v in a {
                plist_value(out, v, depth + 1)?;
            }
            out.push_str(&format!("{pad}</array>\n"));
        }
        Value::String(s) => out.push_str(&format!("{pad}<string>{}</string>\n", xml_text(s)?)),
        Value::Bool(true) => out.push_str(&format!("{pad}<true/>\n")),
        Value::Bool(false) => out.push_str(&format!("{pad}<false/>\n")),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            out.push_str(&format!("{pad}<integer>{n}</integer>\n"))
        }
        Value::Number(n) => out.push_str(&format!("{pad}<real>{n}</real>\n")),
        // A plist has no null; the settings document holds none.
        Value::Null => anyhow::bail!("a settings value is null, which a plist cannot hold"),
    }
    Ok(())
}

/// `s` as XML character data. XML 1.0 cannot carry control characters other than tab, line
/// feed and carriage return (a parser would refuse the file), and turns a raw carriage return
/// into a line feed: that one is written as a reference.
fn xml_text(s: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() && (c as u32) < 0x20 || c == '\u{7f}' => {
                return Err(error::config(
                    format!(
                        "a settings value holds the control character {:?}, which a configuration profile (XML) cannot carry",
                        c
                    ),
                    Some("remove it from the profile and export again".into()),
                ));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A Windows registry file (the format of `regedit /e`, version 5.00) setting the `Settings`
/// value to the document as one line of JSON. The JSON is written with every non-ASCII
/// character as a `\uXXXX` escape, so the file is plain ASCII and regedit reads it the same
/// whether it takes it for UTF-16 with a BOM, UTF-8 or the ANSI code page; it stays readable
/// and diffable, which a UTF-16 file printed to a terminal would not be. Lines end in CRLF.
fn reg(doc: &Map<String, Value>) -> String {
    let json = ascii_json(&Value::Object(doc.clone()));
    let escaped = json.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[{REG_KEY}]\r\n\"{REG_VALUE}\"=\"{escaped}\"\r\n"
    )
}

/// Compact JSON with every character above U+007F escaped (as `\uXXXX`, surrogate pairs
/// beyond the BMP): the same document to any JSON reader.
fn ascii_json(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use std::path::Path;

    fn profile(extra: &str) -> Profile {
        let text = format!(
            "[profiles.p]\ngateway = \"https://gw.example.com/\"\nkey_ttl = \"40m\"\n{extra}\n[profiles.p.key]\nsource = \"keyring\"\n"
        );
        config::parse(Path::new("t.toml"), &text).unwrap().profiles["p"].clone()
    }

    fn text(format: Format, p: &Profile) -> String {
        String::from_utf8(render(format, "p", p).unwrap()).unwrap()
    }

    #[test]
    fn the_document_is_the_plan_with_a_plain_helper() {
        let doc = document("p", &profile("model = \"claude-sonnet-5-5\"")).unwrap();
        assert_eq!(doc["apiKeyHelper"], "ccgw key --profile p");
        assert_eq!(doc["env"]["ANTHROPIC_BASE_URL"], "https://gw.example.com");
        assert_eq!(doc["env"]["ANTHROPIC_MODEL"], "claude-sonnet-5-5");
        assert_eq!(doc["env"]["CLAUDE_CODE_API_KEY_HELPER_TTL_MS"], "600000");
        let json: Value = serde_json::from_str(&text(Format::Json, &profile(""))).unwrap();
        assert_eq!(json["apiKeyHelper"], "ccgw key --profile p");
    }

    #[test]
    fn a_secret_in_the_plan_is_refused_naming_the_variable() {
        for extra in [
            "headers = { \"x-api-key\" = \"abc\" }",
            "env = { MY_TOKEN = \"t\" }",
            "env = { NOTE = \"sk-0123456789abcdef\" }",
        ] {
            let err = document("p", &profile(extra)).unwrap_err().to_string();
            assert!(err.contains("secret in `"), "{extra}: {err}");
            assert!(!err.contains("sk-0123"), "{err}");
        }
    }

    #[test]
    fn uuids_are_stable_per_profile_and_gateway() {
        let a = name_uuid(&["p", "https://gw", "profile"]);
        assert_eq!(a, name_uuid(&["p", "https://gw", "profile"]));
        assert_ne!(a, name_uuid(&["p", "https://gw2", "profile"]));
        assert_ne!(a, name_uuid(&["p", "https://gw", "payload"]));
        // Field boundaries count: ("ab","c") is not ("a","bc").
        assert_ne!(name_uuid(&["ab", "c"]), name_uuid(&["a", "bc"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8", "version 8: {a}");
        assert!("89AB".contains(&a[19..20]), "RFC variant: {a}");
        let one = text(Format::Mobileconfig, &profile(""));
        assert_eq!(one, text(Format::Mobileconfig, &profile("")));
    }

    #[test]
    fn mobileconfig_escapes_xml() {
        let p = profile("headers = { \"x-team\" = \"a&b <c>\" }");
        let t = text(Format::Mobileconfig, &p);
        assert!(
            t.contains("<string>x-team: a&amp;b &lt;c&gt;</string>"),
            "{t}"
        );
        assert!(t.contains("<string>Configuration</string>"));
        assert!(t.contains("<string>com.anthropic.claudecode</string>"));
        assert_eq!(xml_text("a\rb").unwrap(), "a&#13;b");
        assert!(xml_text("a\u{1}b").is_err());
        let control = profile("env = { X = \"a\\u001bb\" }");
        assert!(render(Format::Mobileconfig, "p", &control).is_err());
    }

    #[test]
    fn reg_is_ascii_with_the_json_escaped() {
        let p = profile("headers = { \"x-team\" = \"é \\\"q\\\" back\\\\slash\" }");
        let t = text(Format::Reg, &p);
        assert!(t.is_ascii());
        assert!(t.starts_with("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode]\r\n\"Settings\"=\""));
        assert!(t.ends_with("\"\r\n"));
        // Undo the .reg string escapes: the JSON, equal to the json export's document.
        let line = t.lines().nth(3).unwrap();
        let inner = &line["\"Settings\"=\"".len()..line.len() - 1];
        let mut json = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            json.push(if c == '\\' { chars.next().unwrap() } else { c });
        }
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Value::Object(document("p", &p).unwrap()));
        assert_eq!(
            ascii_json(&Value::String("😀".into())),
            "\"\\ud83d\\ude00\""
        );
    }
}
