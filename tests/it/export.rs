//! `ccgw settings export`: the profile as managed settings for an MDM rollout. Each format is
//! read back by an independent reader: the configuration profile by Python's `plistlib`, the
//! `.reg` file by a small parser written here in Python (not ccgw's code), and the JSON by the
//! real Claude Code as its managed settings.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{self, TestEnv};

/// A profile whose plan holds characters every format must escape: `&<>"\` and non-ASCII.
fn config(gateway: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{gateway}\"\nkey_ttl = \"1h\"\n\
         model = \"claude-sonnet-5-5\"\nheaders = {{ \"x-team\" = \"R&D <core> \\\"q\\\" back\\\\slash é\" }}\n\n\
         [profiles.work.key]\nsource = \"env\"\nvar = \"GW_KEY\"\n"
    )
}

fn export(env: &TestEnv, format: &str) -> Vec<u8> {
    let out = env
        .ccgw()
        .args(["settings", "export", "--format", format])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    out.stdout
}

fn json_export(env: &TestEnv) -> Value {
    serde_json::from_slice(&export(env, "json")).unwrap()
}

/// Run an independent Python reader on `input`; its stdout is JSON.
fn python(script: &str, input: &[u8], dir: &Path) -> Value {
    let file = dir.join("input");
    std::fs::write(&file, input).unwrap();
    let out = Command::new(common::dep("python"))
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_json_is_the_plan_with_a_plain_helper_and_no_path() {
    let env = TestEnv::new();
    env.write_config(&config("https://gw.example.com"));
    let doc = json_export(&env);
    assert_eq!(doc["apiKeyHelper"], "ccgw key --profile work");
    assert_eq!(doc["env"]["ANTHROPIC_BASE_URL"], "https://gw.example.com");
    assert_eq!(doc["env"]["ANTHROPIC_MODEL"], "claude-sonnet-5-5");
    let text = String::from_utf8(export(&env, "json")).unwrap();
    assert!(!text.contains(&*env.home().to_string_lossy()), "{text}");
}

const PLISTLIB: &str = r#"
import json, plistlib, sys
with open(sys.argv[1], "rb") as f:
    p = plistlib.load(f)
print(json.dumps(p))
"#;

#[test]
fn the_mobileconfig_is_a_configuration_profile_plistlib_reads() {
    let env = TestEnv::new();
    env.write_config(&config("https://gw.example.com"));
    let tmp = tempfile::tempdir().unwrap();
    let first = export(&env, "mobileconfig");
    let p = python(PLISTLIB, &first, tmp.path());
    assert_eq!(p["PayloadType"], "Configuration");
    assert_eq!(p["PayloadVersion"], 1);
    let content = p["PayloadContent"].as_array().unwrap();
    assert_eq!(content.len(), 1);
    let payload = &content[0];
    assert_eq!(payload["PayloadType"], "com.anthropic.claudecode");
    // The payload carries exactly the settings keys of the JSON document.
    let doc = json_export(&env);
    for (k, v) in doc.as_object().unwrap() {
        assert_eq!(&payload[k], v, "{k}");
    }
    assert!(
        payload["env"]["ANTHROPIC_CUSTOM_HEADERS"]
            .as_str()
            .unwrap()
            .contains("R&D <core>")
    );
    // A re-deploy of the same profile carries the same identifiers and UUIDs (MDM replaces
    // it); another gateway gets other UUIDs under the same identifier.
    assert_eq!(first, export(&env, "mobileconfig"));
    env.write_config(&config("https://gw2.example.com"));
    let other = python(PLISTLIB, &export(&env, "mobileconfig"), tmp.path());
    assert_eq!(other["PayloadIdentifier"], p["PayloadIdentifier"]);
    assert_ne!(other["PayloadUUID"], p["PayloadUUID"]);
    assert_ne!(
        other["PayloadContent"][0]["PayloadUUID"],
        payload["PayloadUUID"]
    );
    assert_ne!(p["PayloadUUID"], payload["PayloadUUID"]);
}

/// A reader of `.reg` files written for this test from the format's description (regedit's
/// version 5.00 export): UTF-16LE with a BOM or 8-bit text, a `[KEY]` line, `"name"="value"`
/// with `\\` and `\"` escapes.
const REG_READER: &str = r#"
import json, sys
raw = open(sys.argv[1], "rb").read()
text = raw[2:].decode("utf-16-le") if raw[:2] == b"\xff\xfe" else raw.decode("ascii")
lines = text.split("\r\n")
assert lines[0] == "Windows Registry Editor Version 5.00", lines[0]
assert lines[1] == ""
key, values = None, {}
for line in lines[2:]:
    if line.startswith("["):
        key = line[1:-1]
        continue
    if not line:
        continue
    assert line.startswith('"'), line
    i, name = 1, ""
    while line[i] != '"':
        name += line[i]; i += 1
    assert line[i + 1:i + 3] == '="', line
    i += 3
    value = ""
    while line[i] != '"':
        if line[i] == "\\":
            i += 1
        value += line[i]; i += 1
    assert i == len(line) - 1, "trailing text"
    values[(key, name)] = value
assert list(values) == [("HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode", "Settings")], values
print(values[("HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode", "Settings")])
"#;

#[test]
fn the_reg_file_parses_back_to_the_same_json() {
    let env = TestEnv::new();
    env.write_config(&config("https://gw.example.com"));
    let tmp = tempfile::tempdir().unwrap();
    let reg = export(&env, "reg");
    assert!(reg.is_ascii());
    let back = python(REG_READER, &reg, tmp.path());
    assert_eq!(back, json_export(&env));
    assert!(
        back["env"]["ANTHROPIC_CUSTOM_HEADERS"]
            .as_str()
            .unwrap()
            .ends_with("back\\slash é")
    );
}

#[test]
fn a_profile_with_a_secret_is_not_exported() {
    let env = TestEnv::new();
    let secret = "sk-export-DO-NOT-LEAK-77c1";
    env.write_config(&format!(
        "[profiles.work]\ngateway = \"https://gw.example.com\"\nheaders = {{ \"x-litellm-api-key\" = \"{secret}\" }}\n\n\
         [profiles.work.key]\nsource = \"keyring\"\n"
    ));
    for format in ["json", "mobileconfig", "reg"] {
        let out = env
            .ccgw()
            .args(["settings", "export", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("ANTHROPIC_CUSTOM_HEADERS"), "{err}");
        assert!(!err.contains(secret), "{err}");
    }
}

/// The JSON export as `/etc/claude-code/managed-settings.json` (a private mount namespace,
/// `common::managed`), no other settings file and no gateway variable in the environment: the
/// real Claude Code answers through the real LiteLLM, so it took the base URL from the managed
/// `env` and ran the managed `apiKeyHelper` (plain `ccgw` from PATH) for the key — LiteLLM
/// accepts only its master key, which nothing else hands Claude Code.
#[test]
fn claude_code_reads_the_json_as_managed_settings() {
    use crate::common::claude::{self, TIMEOUT};
    use crate::common::litellm::{LiteLlm, MASTER_KEY, MODEL};
    use crate::common::managed;

    let litellm = LiteLlm::shared();
    let env = TestEnv::new();
    // The key source leaves a mark each time the helper runs it.
    let marker = env.root.path().join("helper-ran");
    env.write_config(&format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{}\"\nkey_ttl = \"1h\"\nmodel = \"{MODEL}\"\n\n\
         [profiles.work.key]\nsource = \"command\"\nshell = true\ncommand = \"touch '{}' && printenv GW_KEY\"\n",
        litellm.base,
        marker.display()
    ));
    let managed_file = env.managed_dir().join("managed-settings.json");
    std::fs::create_dir_all(env.managed_dir()).unwrap();
    std::fs::write(&managed_file, export(&env, "json")).unwrap();
    assert!(!env.user_settings().exists());

    let bin_dir = common::ccgw_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = claude::print(&env, "say hello");
    cmd.env("PATH", path)
        .env("GW_KEY", MASTER_KEY)
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_AUTH_TOKEN");
    let run = claude::run(managed::isolate(&env, cmd), TIMEOUT);
    assert!(
        run.stdout.contains(crate::common::upstream::ANSWER),
        "{run:#?}"
    );
    assert!(
        marker.exists(),
        "the managed apiKeyHelper did not run: {run:#?}"
    );
}

/// The configuration profile is the product an administrator uploads: its exact text.
#[test]
fn mobileconfig_transcript() {
    use crate::ccgw_snapshot;
    use crate::common::run::Ccgw;
    let env = TestEnv::new();
    env.write_config(&config("https://gw.example.com"));
    ccgw_snapshot!(
        env,
        Ccgw::new(&env)
            .args(["settings", "export", "--format", "mobileconfig"])
            .success()
    );
}
