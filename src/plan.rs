//! The plan: one pure function from a profile to the exact variables Claude Code needs, in a
//! stable order, plus the `apiKeyHelper` command. `env`, `settings`, `exec` and `doctor` all use
//! it; nothing else decides which variables a mode sets.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{self, Mode, Profile};
use crate::shell;

/// The variable that tells Claude Code how long to reuse a key before it asks the helper again.
pub const HELPER_TTL_VAR: &str = "CLAUDE_CODE_API_KEY_HELPER_TTL_MS";

/// Variables that carry a credential and would beat `apiKeyHelper` in Claude Code.
pub const COMPETING_CREDENTIALS: [&str; 2] = ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"];

/// Every variable a plan can set, in any mode. `--unset` and mode switches use this list so
/// that no variable of a previous mode is left behind.
pub const ALL_PLAN_VARS: &[&str] = &[
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_USE_BEDROCK",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
    "AWS_REGION",
    "CLAUDE_CODE_USE_VERTEX",
    "ANTHROPIC_VERTEX_BASE_URL",
    "CLAUDE_CODE_SKIP_VERTEX_AUTH",
    "ANTHROPIC_VERTEX_PROJECT_ID",
    "CLOUD_ML_REGION",
    "CLAUDE_CODE_API_KEY_HELPER_TTL_MS",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_CUSTOM_HEADERS",
    "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY",
    "CLAUDE_CODE_GATEWAY_HINT_HEADERS",
    "NODE_EXTRA_CA_CERTS",
    "CLAUDE_CODE_CLIENT_CERT",
    "CLAUDE_CODE_CLIENT_KEY",
];

/// Plan variables other programs use too (a corporate `NODE_EXTRA_CA_CERTS`, the AWS CLI's
/// region): when a profile does not set them they are the user's, not stale.
pub const SHARED_WITH_OTHER_TOOLS: [&str; 2] = ["AWS_REGION", "NODE_EXTRA_CA_CERTS"];

/// Variables that send Claude Code down another provider's route altogether.
pub const ROUTE_SWITCHES: [&str; 2] = ["CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"];

/// Plan variables this plan does not set (other than the shared ones). Left over from another
/// profile or mode they change what Claude Code does: `CLAUDE_CODE_USE_BEDROCK=1` routes it
/// to Bedrock, another gateway's headers or client certificate go to this one. `ccgw env` and
/// `exec` remove them; `doctor` and `settings show --effective` point them out.
pub fn stale_vars(vars: &[(String, String)]) -> Vec<&'static str> {
    ALL_PLAN_VARS
        .iter()
        .copied()
        .filter(|n| !SHARED_WITH_OTHER_TOOLS.contains(n) && !vars.iter().any(|(k, _)| k == n))
        .collect()
}

/// `[("NAME", "value")…]` as plan variables, for the unit tests of every module that takes them.
#[cfg(test)]
pub fn test_vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// How the `apiKeyHelper` command names ccgw.
#[derive(Debug, Clone)]
pub struct HelperSpec {
    /// The program: the absolute path of the running binary, or plain `ccgw` for files shared
    /// in git where a path would be one developer's.
    pub program: String,
    /// The config file, when the user chose one: the helper must read the same file.
    pub config: Option<PathBuf>,
}

impl HelperSpec {
    /// The running binary by absolute path (user and local scope, `--file`, `exec`).
    pub fn this_binary(config: &config::ConfigPath) -> Self {
        let program = std::env::current_exe()
            .ok()
            .and_then(|p| p.canonicalize().ok())
            .map_or_else(|| "ccgw".to_owned(), |p| p.display().to_string());
        Self {
            program,
            config: config.explicit.then(|| config.path.clone()),
        }
    }

    /// `ccgw` from PATH (project scope, shared in git).
    pub fn on_path(config: &config::ConfigPath) -> Self {
        Self {
            program: "ccgw".into(),
            config: config.explicit.then(|| config.path.clone()),
        }
    }
}

/// What Claude Code needs: ordered variables and the helper command line (run by `/bin/sh -c`),
/// with what consumers need to know of them as data, so that nothing parses them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayEnv {
    pub vars: Vec<(String, String)>,
    /// `HelperLine::render` of this profile's `ccgw key`.
    pub api_key_helper: String,
    /// The plan variables this plan does not set (`stale_vars`): `env` and `exec` remove them,
    /// the settings audit points them out.
    pub unset: Vec<&'static str>,
    /// Where Claude Code sends its requests.
    pub route: Route,
    /// How long Claude Code reuses a key before it runs the helper again
    /// (`CLAUDE_CODE_API_KEY_HELPER_TTL_MS`).
    pub helper_ttl: Duration,
}

/// The route a plan sends Claude Code down: its mode, and the base URL Claude Code calls (the
/// gateway for unified mode, its pass-through route otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub mode: Mode,
    pub base_url: String,
}

impl GatewayEnv {
    /// A plan of exactly these variables, for the tests and fuzz targets of the modules that
    /// take plans: a unified route at `ANTHROPIC_BASE_URL` (or nowhere) and the TTL it sets (or 0).
    #[cfg(any(test, fuzzing))]
    pub fn from_vars(vars: Vec<(String, String)>, api_key_helper: String) -> Self {
        let get = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let ttl_ms = get(HELPER_TTL_VAR)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        GatewayEnv {
            unset: stale_vars(&vars),
            route: Route {
                mode: Mode::Unified,
                base_url: get("ANTHROPIC_BASE_URL").unwrap_or_default(),
            },
            helper_ttl: Duration::from_millis(ttl_ms),
            vars,
            api_key_helper,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `CLAUDE_CODE_API_KEY_HELPER_TTL_MS` for a key lifetime. The rule: Claude Code re-asks after a
/// quarter of the lifetime, and ccgw refreshes once half of it has passed (see `key::cache`), so
/// every key Claude Code holds still has at least a quarter of its lifetime left when it asks
/// again — Claude Code keeps sending the old key while a refresh runs.
pub fn helper_ttl(lifetime: Duration) -> Duration {
    lifetime / 4
}

/// The plan for `profile` (named `name`).
pub fn plan(name: &str, profile: &Profile, helper: &HelperSpec) -> GatewayEnv {
    let base = profile.gateway_base();
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: String| vars.push((k.to_owned(), v));
    match profile.mode {
        Mode::Unified => set("ANTHROPIC_BASE_URL", base.to_owned()),
        Mode::Anthropic => set("ANTHROPIC_BASE_URL", format!("{base}/anthropic")),
        Mode::Bedrock => {
            set("CLAUDE_CODE_USE_BEDROCK", "1".into());
            set("ANTHROPIC_BEDROCK_BASE_URL", format!("{base}/bedrock"));
            set("CLAUDE_CODE_SKIP_BEDROCK_AUTH", "1".into());
            if let Some(b) = &profile.bedrock {
                set("AWS_REGION", b.region.clone());
            }
        }
        Mode::Vertex => {
            set("CLAUDE_CODE_USE_VERTEX", "1".into());
            set("ANTHROPIC_VERTEX_BASE_URL", format!("{base}/vertex_ai/v1"));
            set("CLAUDE_CODE_SKIP_VERTEX_AUTH", "1".into());
            if let Some(v) = &profile.vertex {
                set("ANTHROPIC_VERTEX_PROJECT_ID", v.project.clone());
                let region = v.region.as_deref().unwrap_or(config::DEFAULT_VERTEX_REGION);
                set("CLOUD_ML_REGION", region.to_owned());
            }
        }
    }
    let ttl_ms = helper_ttl(profile.key_lifetime()).as_millis();
    set(HELPER_TTL_VAR, ttl_ms.to_string());
    if let Some(m) = &profile.model {
        set("ANTHROPIC_MODEL", m.clone());
    }
    let tiers = [
        ("ANTHROPIC_DEFAULT_OPUS_MODEL", &profile.models.opus),
        ("ANTHROPIC_DEFAULT_SONNET_MODEL", &profile.models.sonnet),
        ("ANTHROPIC_DEFAULT_HAIKU_MODEL", &profile.models.haiku),
    ];
    for (var, model) in tiers {
        if let Some(m) = model {
            set(var, m.clone());
        }
    }
    if !profile.headers.is_empty() {
        let lines: Vec<String> = profile
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        set("ANTHROPIC_CUSTOM_HEADERS", lines.join("\n"));
    }
    if profile.model_discovery {
        set("CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY", "1".into());
    }
    if profile.hint_headers {
        set("CLAUDE_CODE_GATEWAY_HINT_HEADERS", "1".into());
    }
    if let Some(tls) = &profile.tls {
        let paths = [
            ("NODE_EXTRA_CA_CERTS", &tls.ca_file),
            ("CLAUDE_CODE_CLIENT_CERT", &tls.client_cert),
            ("CLAUDE_CODE_CLIENT_KEY", &tls.client_key),
        ];
        for (var, path) in paths {
            if let Some(p) = path {
                set(var, p.display().to_string());
            }
        }
    }
    for (k, v) in &profile.env {
        // An extra variable the plan already set replaces it in place: one value per name.
        if let Some(slot) = vars.iter_mut().find(|(name, _)| name == k) {
            slot.1 = v.clone();
        } else {
            vars.push((k.clone(), v.clone()));
        }
    }
    // The profile's `env` may override what the mode set: the route and the TTL are what the
    // variables say once it has.
    let get = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let url_var = match profile.mode {
        Mode::Unified | Mode::Anthropic => "ANTHROPIC_BASE_URL",
        Mode::Bedrock => "ANTHROPIC_BEDROCK_BASE_URL",
        Mode::Vertex => "ANTHROPIC_VERTEX_BASE_URL",
    };
    let route = Route {
        mode: profile.mode,
        base_url: get(url_var).unwrap_or_default().to_owned(),
    };
    let helper_ttl = get(HELPER_TTL_VAR)
        .and_then(|v| v.trim().parse().ok())
        .map_or(helper_ttl(profile.key_lifetime()), Duration::from_millis);
    GatewayEnv {
        unset: stale_vars(&vars),
        vars,
        api_key_helper: helper_command(name, helper),
        route,
        helper_ttl,
    }
}

/// `'/abs/ccgw' key --profile NAME` (quoted for `/bin/sh` only where needed).
fn helper_command(name: &str, helper: &HelperSpec) -> String {
    HelperLine {
        program: helper.program.clone(),
        config: helper.config.clone(),
        profile: Some(name.to_owned()),
    }
    .render()
}

/// An `apiKeyHelper` command line that runs ccgw's `key`: `PROGRAM [--config FILE] key
/// [--profile NAME]`. It renders itself (each word quoted for `/bin/sh`, which Claude Code runs
/// it with) and parses itself back, so nothing else splits or rebuilds a helper line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperLine {
    pub program: String,
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
}

impl HelperLine {
    pub fn render(&self) -> String {
        let mut words = vec![shell::quote_posix(&self.program)];
        if let Some(config) = &self.config {
            words.push("--config".into());
            words.push(shell::quote_posix(&config.display().to_string()));
        }
        words.push("key".into());
        if let Some(name) = &self.profile {
            words.extend(["--profile".into(), shell::quote_posix(name)]);
        }
        words.join(" ")
    }

    /// What a command line says when it runs a program named `ccgw` with its `key` command;
    /// `None` for any other command (or one `/bin/sh` would not split).
    pub fn parse(cmd: &str) -> Option<HelperLine> {
        let words = shell::split_words(cmd).ok()?;
        let (program, args) = words.split_first()?;
        if std::path::Path::new(program).file_name()? != "ccgw" || !args.iter().any(|w| w == "key")
        {
            return None;
        }
        let value = |flag: &str| {
            let long = format!("{flag}=");
            let mut it = args.iter();
            while let Some(w) = it.next() {
                if w == flag {
                    return it.next().cloned();
                }
                if let Some(v) = w.strip_prefix(&long) {
                    return Some(v.to_owned());
                }
            }
            None
        };
        Some(HelperLine {
            program: program.clone(),
            config: value("--config").map(PathBuf::from),
            profile: value("--profile"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn profile(extra: &str) -> Profile {
        let text = format!(
            "[profiles.p]\ngateway = \"http://gw:4000/\"\nkey_ttl = \"40m\"\n{extra}\n[profiles.p.key]\nsource = \"env\"\nvar = \"K\"\n"
        );
        config::parse(Path::new("t.toml"), &text).unwrap().profiles["p"].clone()
    }

    fn helper() -> HelperSpec {
        HelperSpec {
            program: "/opt/my tools/ccgw".into(),
            config: None,
        }
    }

    fn names(env: &GatewayEnv) -> Vec<&str> {
        env.vars.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn unified_sets_the_base_url_and_ttl() {
        let env = plan("p", &profile(""), &helper());
        assert_eq!(
            names(&env),
            ["ANTHROPIC_BASE_URL", "CLAUDE_CODE_API_KEY_HELPER_TTL_MS"]
        );
        assert_eq!(env.get("ANTHROPIC_BASE_URL"), Some("http://gw:4000"));
        assert_eq!(env.get("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"), Some("600000"));
        assert_eq!(env.api_key_helper, "'/opt/my tools/ccgw' key --profile p");
    }

    #[test]
    fn the_plan_says_its_route_ttl_and_what_it_leaves_unset() {
        let env = plan("p", &profile(""), &helper());
        assert_eq!(
            env.route,
            Route {
                mode: Mode::Unified,
                base_url: "http://gw:4000".into()
            }
        );
        assert_eq!(env.helper_ttl, Duration::from_secs(600));
        assert_eq!(env.unset, stale_vars(&env.vars));
        assert!(env.unset.contains(&"CLAUDE_CODE_USE_BEDROCK"));
        let bedrock = plan(
            "p",
            &profile("mode = \"bedrock\"\nbedrock = { region = \"eu-west-1\" }"),
            &helper(),
        );
        assert_eq!(bedrock.route.mode, Mode::Bedrock);
        assert_eq!(bedrock.route.base_url, "http://gw:4000/bedrock");
        assert!(!bedrock.unset.contains(&"CLAUDE_CODE_USE_BEDROCK"));
        assert!(bedrock.unset.contains(&"ANTHROPIC_BASE_URL"));
        // The profile's `env` overrides what the mode set: the route and TTL follow it.
        let overridden = plan(
            "p",
            &profile(
                "mode = \"vertex\"\nvertex = { project = \"x\" }\nenv = { ANTHROPIC_VERTEX_BASE_URL = \"http://v\", CLAUDE_CODE_API_KEY_HELPER_TTL_MS = \"5000\" }",
            ),
            &helper(),
        );
        assert_eq!(overridden.route.base_url, "http://v");
        assert_eq!(overridden.helper_ttl, Duration::from_secs(5));
    }

    #[test]
    fn anthropic_appends_the_route() {
        let env = plan("p", &profile("mode = \"anthropic\""), &helper());
        assert_eq!(
            env.get("ANTHROPIC_BASE_URL"),
            Some("http://gw:4000/anthropic")
        );
    }

    #[test]
    fn bedrock_sets_the_pass_through() {
        let env = plan(
            "p",
            &profile("mode = \"bedrock\"\nbedrock = { region = \"eu-west-1\" }"),
            &helper(),
        );
        assert_eq!(
            names(&env)[..4],
            [
                "CLAUDE_CODE_USE_BEDROCK",
                "ANTHROPIC_BEDROCK_BASE_URL",
                "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
                "AWS_REGION"
            ]
        );
        assert_eq!(
            env.get("ANTHROPIC_BEDROCK_BASE_URL"),
            Some("http://gw:4000/bedrock")
        );
        assert_eq!(env.get("AWS_REGION"), Some("eu-west-1"));
        assert_eq!(env.get("ANTHROPIC_BASE_URL"), None);
    }

    #[test]
    fn vertex_defaults_the_region() {
        let env = plan(
            "p",
            &profile("mode = \"vertex\"\nvertex = { project = \"proj\" }"),
            &helper(),
        );
        assert_eq!(
            env.get("ANTHROPIC_VERTEX_BASE_URL"),
            Some("http://gw:4000/vertex_ai/v1")
        );
        assert_eq!(env.get("ANTHROPIC_VERTEX_PROJECT_ID"), Some("proj"));
        assert_eq!(env.get("CLOUD_ML_REGION"), Some("us-east5"));
        assert_eq!(env.get("CLAUDE_CODE_SKIP_VERTEX_AUTH"), Some("1"));
    }

    #[test]
    fn models_headers_and_extra_env() {
        let env = plan(
            "p",
            &profile(
                "model = \"m\"\nmodels = { haiku = \"h\" }\nheaders = { \"x-team\" = \"eng\", \"x-b\" = \"2\" }\nenv = { DISABLE_PROMPT_CACHING = \"1\", ANTHROPIC_MODEL = \"override\" }\nmodel_discovery = true\nhint_headers = true",
            ),
            &helper(),
        );
        assert_eq!(env.get("CLAUDE_CODE_GATEWAY_HINT_HEADERS"), Some("1"));
        assert_eq!(env.get("ANTHROPIC_MODEL"), Some("override"));
        assert_eq!(env.get("ANTHROPIC_DEFAULT_HAIKU_MODEL"), Some("h"));
        assert_eq!(
            env.get("ANTHROPIC_CUSTOM_HEADERS"),
            Some("x-team: eng\nx-b: 2")
        );
        assert_eq!(
            env.get("CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"),
            Some("1")
        );
        assert_eq!(env.vars.last().unwrap().0, "DISABLE_PROMPT_CACHING");
        let without = plan("p", &profile("model = \"m\""), &helper());
        assert_eq!(without.get("CLAUDE_CODE_GATEWAY_HINT_HEADERS"), None);
    }

    #[test]
    fn helper_names_an_explicit_config() {
        let h = HelperSpec {
            program: "ccgw".into(),
            config: Some("/etc/ccgw it.toml".into()),
        };
        assert_eq!(
            plan("p", &profile(""), &h).api_key_helper,
            "ccgw --config '/etc/ccgw it.toml' key --profile p"
        );
    }

    #[test]
    fn a_helper_line_parses_back_to_what_rendered_it() {
        let line = HelperLine {
            program: "/opt/my tools/ccgw".into(),
            config: Some("/etc/it's.toml".into()),
            profile: Some("a b".into()),
        };
        assert_eq!(HelperLine::parse(&line.render()), Some(line));
        let p = |cmd: &str| HelperLine::parse(cmd).and_then(|h| h.profile);
        assert_eq!(
            p("'/opt/my tools/ccgw' key --profile 'a b'").as_deref(),
            Some("a b")
        );
        assert_eq!(
            p("ccgw --config x.toml key --profile=p").as_deref(),
            Some("p")
        );
        assert_eq!(
            HelperLine::parse("ccgw --config=x.toml key").and_then(|h| h.config),
            Some("x.toml".into())
        );
        assert_eq!(HelperLine::parse("ccgw key").unwrap().profile, None);
        assert_eq!(HelperLine::parse("cat ~/.key"), None);
        assert_eq!(HelperLine::parse("/bin/ccgw-old key --profile p"), None);
        assert_eq!(HelperLine::parse("ccgw doctor --profile p"), None);
        assert_eq!(HelperLine::parse("ccgw key --profile 'open"), None);
    }
}
