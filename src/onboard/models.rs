//! The model names a gateway lists (`GET {base}/v1/models`), for the wizard to offer instead of
//! free text. Best effort: any failure means "ask for a name instead", never an error.

use std::time::Duration;

use crate::config::{KeySource, Mode, Profile};
use crate::gateway::{self, Auth, Client};
use crate::secret_input::NewSecret;

/// How long the wizard waits for the gateway: a prompt should not hang on a dead address.
const TIMEOUT: Duration = Duration::from_secs(3);

/// What the wizard offers for profile `name` (not yet written): the gateway's list at the base
/// URL Claude Code will use, asked with the key the profile will have: the one just typed for
/// the keyring, else its source's, fetched now as `ccgw key` would (no key is fine too).
pub fn offer(name: &str, profile: &Profile, typed: Option<&NewSecret>) -> Vec<String> {
    let helper = crate::plan::HelperSpec {
        program: String::new(),
        config: None,
    };
    // The Anthropic-shaped route Claude Code calls; the pass-through modes list at the gateway.
    let route = crate::plan::plan(name, profile, &helper).route;
    let base = match route.mode {
        Mode::Unified | Mode::Anthropic => route.base_url,
        Mode::Bedrock | Mode::Vertex => profile.gateway_base().to_owned(),
    };
    let key = match (typed, &profile.key) {
        (Some(s), KeySource::Keyring(_)) => Some(s.0.clone()),
        (_, KeySource::Keyring(_)) => None,
        _ => crate::key::fetch(name, profile).ok().map(|f| f.key),
    };
    eprintln!("asking {base}/v1/models for the gateway's models…");
    list(&base, profile, key.as_deref())
}

/// The model ids `base` lists, in its order; empty when it is unreachable or says nothing
/// usable. The request is the doctor's (`crate::gateway`): its TLS setup, the headers Claude
/// Code sends, the key as both `x-api-key` and a bearer token (or none when there is no key
/// yet), and its bounded read of the answer.
pub fn list(base: &str, profile: &Profile, key: Option<&str>) -> Vec<String> {
    let url = format!("{}/v1/models", base.trim_end_matches('/'));
    let Ok(rt) = crate::transport::runtime() else {
        return Vec::new();
    };
    rt.block_on(async {
        let Ok((client, _)) = Client::new(profile, TIMEOUT) else {
            return Vec::new();
        };
        let auth = if key.is_some() {
            Auth::Both
        } else {
            Auth::None
        };
        let headers = gateway::claude_headers(profile, auth, key.unwrap_or_default(), false);
        match client.send(client.get(&url).headers(headers)).await {
            Ok(answer) if answer.is_success() => answer.json().map_or_else(Vec::new, |b| ids(&b)),
            _ => Vec::new(),
        }
    })
}

/// Longest model id offered: a real one is a few dozen characters.
const MAX_ID_LEN: usize = 200;

/// Whether a gateway's model id may be offered (and so end up in `ANTHROPIC_MODEL`): text
/// from a server, so nothing that acts on a terminal, no whitespace, and bounded.
fn offerable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.chars().any(char::is_whitespace)
        && crate::redact::terminal_safe(id) == id
}

/// `data[].id` (Anthropic and OpenAI list formats alike; `gateway::listed_model`: LiteLLM
/// 1.108's `NAME[1m]` entries stand for `NAME`), without duplicates, and only the ids that are
/// [`offerable`].
fn ids(body: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in body
        .get("data")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = crate::gateway::listed_model(m)
            && offerable(id)
            && !out.iter().any(|o| o == id)
        {
            out.push(id.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_of_either_format() {
        let anthropic = serde_json::json!({"data": [{"type": "model", "id": "claude-a"}, {"id": "b"}, {"id": "b"}], "has_more": false});
        assert_eq!(ids(&anthropic), ["claude-a", "b"]);
        // LiteLLM 1.108.7's answer to Claude Code's user agent, as measured.
        let one_m = serde_json::json!({"data": [{"type": "model", "id": "claude-sonnet-5-5[1m]", "source_model": "claude-sonnet-5-5", "display_name": "claude-sonnet-5-5"}]});
        assert_eq!(ids(&one_m), ["claude-sonnet-5-5"]);
        assert!(ids(&serde_json::json!({"error": "no"})).is_empty());
    }

    #[test]
    fn hostile_ids_are_not_offered() {
        let long = "m".repeat(MAX_ID_LEN + 1);
        let body = serde_json::json!({"data": [
            {"id": "ok-model"}, {"id": "esc\u{1b}]8;;http://x\u{7}"}, {"id": "two words"},
            {"id": "cr\rline"}, {"id": "rtl\u{202e}evil"}, {"id": long}, {"id": ""},
            {"id": "m".repeat(MAX_ID_LEN)}
        ]});
        assert_eq!(ids(&body), ["ok-model".to_owned(), "m".repeat(MAX_ID_LEN)]);
    }

    #[test]
    fn an_unreachable_gateway_lists_nothing() {
        // A port nobody listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let profile: Profile = toml::from_str(&format!(
            "gateway = \"{base}\"\n[key]\nsource = \"env\"\nvar = \"K\"\n"
        ))
        .unwrap();
        assert!(list(&base, &profile, None).is_empty());
    }
}
