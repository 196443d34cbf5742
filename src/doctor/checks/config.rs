//! `config`: the profile loads (the loader applies every `config::rules` rule: gateway URL,
//! headers, durations, the mode's fields, so a broken value fails here with the loader's own
//! message), and the gateway URL is a base URL Claude Code can use.

use crate::config::{ConfigPath, Loaded, Mode, Profile};
use crate::doctor::check::{Input, Options, Outcome};
use crate::error::Failure;
use crate::plan::{self, HelperSpec};

pub fn check(
    config_path: &ConfigPath,
    profile_flag: Option<&str>,
    opts: &Options,
) -> (Outcome, Option<Input>) {
    let loaded = match Loaded::load(config_path.clone()) {
        Ok(l) => l,
        Err(e) => return (failure(&e), None),
    };
    let (name, profile) = match loaded.select(profile_flag) {
        Ok((n, p)) => (n, p.clone()),
        Err(e) => return (failure(&e), None),
    };
    let plan = plan::plan(&name, &profile, &HelperSpec::this_binary(config_path));
    let cwd = std::env::current_dir().unwrap_or_default();
    let outcome = judge(&name, &profile);
    let input = Input {
        name,
        profile,
        plan,
        cwd,
        timeout: opts.timeout,
        live: opts.live,
    };
    (outcome, Some(input))
}

fn failure(e: &anyhow::Error) -> Outcome {
    let hint = e
        .chain()
        .find_map(|c| c.downcast_ref::<Failure>())
        .and_then(|f| f.hint.clone())
        .unwrap_or_else(|| "fix the config file, or run `ccgw init`".into());
    Outcome::fail(format!("{e:#}"), hint)
}

/// Findings the loader does not reject but Claude Code would trip over (what it rejects is
/// not repeated here: one home per rule).
fn judge(name: &str, p: &Profile) -> Outcome {
    let what = format!(
        "profile `{name}`: {} mode, key from {}",
        p.mode.as_str(),
        p.key.kind()
    );
    let url = reqwest::Url::parse(p.gateway_base()).ok();
    let path = url.as_ref().map_or("", |u| u.path()).trim_end_matches('/');
    for route in [
        "/bedrock",
        "/vertex_ai/v1",
        "/vertex_ai",
        "/anthropic",
        "/v1",
    ] {
        if path.ends_with(route) {
            return Outcome::warn(
                format!("{what}; `gateway` ends in `{route}`"),
                format!(
                    "set `gateway` to the gateway's base URL without `{route}`: the mode ({}) appends the route Claude Code needs",
                    p.mode.as_str()
                ),
            );
        }
    }
    let host = url
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if url
        .as_ref()
        .is_some_and(|u| u.scheme() == "http" && !crate::config::rules::is_loopback(u))
    {
        return Outcome::warn(
            format!("{what}; plain http to `{host}`"),
            "the key travels unencrypted: use an https:// gateway URL",
        );
    }
    if matches!(p.mode, Mode::Anthropic) {
        return Outcome::pass(format!(
            "{what} (the gateway forwards /anthropic to Anthropic with its own credential)"
        ));
    }
    Outcome::pass(what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::check::Status;
    use std::path::Path;

    fn profile(gateway: &str) -> Profile {
        let text = format!(
            "[profiles.p]\ngateway = \"{gateway}\"\n[profiles.p.key]\nsource = \"env\"\nvar = \"K\"\n"
        );
        crate::config::parse(Path::new("t.toml"), &text)
            .unwrap()
            .profiles["p"]
            .clone()
    }

    #[test]
    fn plain_base_url_passes() {
        assert_eq!(
            judge("p", &profile("http://127.0.0.1:4000")).status,
            Status::Pass
        );
        assert_eq!(
            judge("p", &profile("https://gw.example.com/")).status,
            Status::Pass
        );
    }

    #[test]
    fn route_in_the_gateway_url_warns() {
        let o = judge("p", &profile("https://gw.example.com/bedrock"));
        assert_eq!(o.status, Status::Warn);
        assert!(o.hint.unwrap().contains("without `/bedrock`"));
    }

    #[test]
    fn remote_plain_http_warns() {
        assert_eq!(
            judge("p", &profile("http://gw.example.com")).status,
            Status::Warn
        );
    }
}
