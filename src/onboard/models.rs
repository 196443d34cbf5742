//! The model names a gateway lists (`GET {base}/v1/models`), for the wizard to offer instead of
//! free text. Best effort: any failure means "ask for a name instead", never an error.

use std::time::Duration;

/// How long the wizard waits for the gateway: a prompt should not hang on a dead address.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The model ids `base` lists, in its order; empty when it is unreachable or says nothing
/// usable. `key` is sent as both `x-api-key` and a bearer token, as Claude Code does in the
/// Messages-API modes.
pub fn list(base: &str, key: Option<&str>, headers: &[(String, String)]) -> Vec<String> {
    let url = format!("{}/v1/models", base.trim_end_matches('/'));
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    rt.block_on(async {
        let Ok(client) = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
        else {
            return Vec::new();
        };
        let mut req = client
            .get(&url)
            .header("anthropic-version", "2023-06-01")
            .header("accept", "application/json");
        for (name, value) in headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(k) = key {
            req = req.header("x-api-key", k).bearer_auth(k);
        }
        match req.send().await {
            Ok(resp) if resp.status().is_success() => match resp.json().await {
                Ok(body) => ids(&body),
                Err(_) => Vec::new(),
            },
            _ => Vec::new(),
        }
    })
}

/// `data[].id` (Anthropic and OpenAI list formats alike), without duplicates.
fn ids(body: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in body
        .get("data")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = m.get("id").and_then(serde_json::Value::as_str)
            && !id.is_empty()
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
        assert!(ids(&serde_json::json!({"error": "no"})).is_empty());
    }

    #[test]
    fn an_unreachable_gateway_lists_nothing() {
        // A port nobody listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(list(&format!("http://127.0.0.1:{port}"), None, &[]).is_empty());
    }
}
