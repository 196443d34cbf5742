//! The one answer to "what in Claude Code's settings layers and this shell defeats (or differs
//! from) this plan?". `audit` is pure: the layers as read, the shell's variables, the plan and
//! how the plan reaches Claude Code (`Delivery`) go in; typed findings come out. `env`, `exec`,
//! `settings write`, `settings show --effective`, `init`, `profile use` and doctor render them,
//! and a finding reads the same wherever it is shown (`Finding::text`, `Finding::hint`).
//!
//! Values are compared, never reported: a settings `env` may hold a secret, and `settings show
//! --effective` is the one place that prints values (masked).

use std::fmt;
use std::path::PathBuf;

use super::layers::{self, FileState, Origin, Scope, SettingsFile};
use crate::config::Mode;
use crate::plan::{COMPETING_CREDENTIALS, GatewayEnv, HelperLine, ROUTE_SWITCHES};
use crate::redact::{self, API_KEY_HELPER};

/// Keys of managed settings that make Claude Code refuse the helper and gateway credentials.
const FORCED_LOGIN_KEYS: [&str; 2] = ["forceLoginMethod", "forceLoginOrgUUID"];

/// Claude Code 2.1.332 applies `ANTHROPIC_CUSTOM_HEADERS` from project or local settings before
/// the workspace is trusted only when no header name (lower-cased) matches this pattern (the
/// binary's own list, read from it): a substring anywhere, or the `^` prefix at the start. One
/// match holds back the whole variable, every header in it. Its trust dialog then says that
/// trusting the folder "sets environment variables" (tests/it/claude_rules.rs watches it).
const PRE_TRUST_SENSITIVE: &[&str] = &[
    "auth",
    "key",
    "token",
    "cookie",
    "secret",
    "credential",
    "session",
    "signature",
    "passw",
    "jwt",
    "assertion",
    "cert",
    "oidc",
    "org",
    "tenant",
    "account",
    "project",
    "workspace",
    "user",
    "email",
    "identity",
    "principal",
    "consumer",
    "client",
    "host",
    "url",
    "base",
    "target",
    "upstream",
    "endpoint",
    "proxy",
    "forward",
    "route",
    "fallback",
    "override",
    "apigw",
    "x-goog-",
    "l5d-",
    "bypass",
    "guardrail",
    "amz",
    "x-ms-",
    "azureml",
    "extra-parameters",
    "envoy",
    "helicone",
    "litellm",
    "cf-aig",
    "cf-access",
    "beta",
    "version",
    "^anthropic-routing-",
];

/// Whether Claude Code holds a custom header of this name back until the workspace is trusted.
pub fn waits_for_trust(header: &str) -> bool {
    let name = header.trim().to_ascii_lowercase();
    PRE_TRUST_SENSITIVE
        .iter()
        .any(|p| match p.strip_prefix('^') {
            Some(prefix) => name.starts_with(prefix),
            None => name.contains(p),
        })
}

/// The header names of an `ANTHROPIC_CUSTOM_HEADERS` value (`Name: value` lines).
fn header_names(value: &str) -> impl Iterator<Item = &str> {
    value
        .lines()
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim()))
        .filter(|n| !n.is_empty())
}

/// Whether `CLAUDE_CODE_RESTRICTED` (as `--restricted`) is on in a shell: Claude Code then
/// ignores user, project and local settings.
fn restricted(shell: &dyn Fn(&str) -> Option<String>) -> bool {
    shell("CLAUDE_CODE_RESTRICTED").is_some_and(|v| {
        !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "no" | "off" | ""
        )
    })
}

/// How the plan reaches Claude Code: that decides which layers beat it.
#[derive(Debug, Clone, Copy)]
pub enum Delivery<'a> {
    /// `ccgw env`: shell exports, which every settings layer's `env` beats. ccgw unsets the
    /// shell's competing credentials and stale variables itself.
    Shell,
    /// `ccgw exec -- claude`: `--settings`, which only managed settings beat, except the
    /// variables in `env_only` that travel in the environment alone (every layer beats them).
    Launch { env_only: &'a [String] },
    /// `settings write` and the commands that share it: written into a file of `scope` (`None`:
    /// a `--file`, which no layer is known to beat). The caller leaves the files it wrote out of
    /// the layers.
    File { scope: Option<Scope> },
    /// doctor and `settings show --effective`: what Claude Code takes now, settings and shell.
    Effective,
}

/// What the audit looks at.
pub struct Audit<'a> {
    pub layers: &'a [SettingsFile],
    /// The value this shell exports for a name (`None`: unset or empty).
    pub shell: &'a dyn Fn(&str) -> Option<String>,
    pub plan: &'a GatewayEnv,
    /// The profile the plan is for.
    pub profile: &'a str,
}

/// Where a finding was made.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Place {
    Layer { scope: Scope, path: PathBuf },
    Shell,
}

impl Place {
    fn of(f: &SettingsFile) -> Self {
        Place::Layer {
            scope: f.scope,
            path: f.path.clone(),
        }
    }

    fn from_origin(o: Origin) -> Self {
        match o {
            Origin::Shell => Place::Shell,
            Origin::File { scope, path } => Place::Layer { scope, path },
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Layer { scope, path } => {
                write!(f, "`{}` ({} settings)", path.display(), scope.as_str())
            }
            Place::Shell => f.write_str("this shell"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Claude Code will not work as the profile means.
    Fail,
    /// Works, but not as the profile says.
    Warn,
    /// Worth knowing; no fix needed now.
    Note,
    /// What is right (doctor reports it when nothing is wrong).
    Ok,
}

/// One thing the audit found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A layer Claude Code cannot parse.
    InvalidFile { why: String },
    /// A competing credential (`var`), which beats the apiKeyHelper.
    Credential,
    /// Managed settings set `key` (`forceLoginMethod`, `forceLoginOrgUUID`).
    ForcedLogin { key: &'static str },
    /// No layer has an apiKeyHelper.
    NoHelper,
    /// This profile's helper is the one Claude Code runs, from this layer.
    HelperOurs,
    /// Another helper (`shown`, masked) wins over this profile's (in `ours`, if written).
    HelperBeaten { shown: String, ours: Option<Scope> },
    /// Claude Code runs another helper (`whose`) and no layer has this profile's.
    OtherHelper { whose: String },
    /// The helper's program is missing or not executable.
    HelperProgram { program: String, problem: String },
    /// A plan variable (`var`) has another value here, and this value wins.
    OtherValue,
    /// A plan variable (`var`) is set nowhere Claude Code looks.
    Unset,
    /// A settings value here hides the shell's export of `var`.
    Hidden,
    /// A variable of another mode or profile (`var`); a route switch sends Claude Code to
    /// another provider altogether.
    Stale { route_switch: bool },
    /// A custom header (`header`) of project or local settings (`scope`) that Claude Code
    /// applies only once the workspace is trusted (2.1.332+).
    AfterTrust { header: String, scope: Scope },
    /// Managed `allowedProviders` (`allowed`) does not list the profile's `provider`.
    ProviderNotAllowed {
        provider: &'static str,
        allowed: Vec<String>,
    },
    /// Managed `allowedProviders` admits `customEndpoint`, but only for the base URL pinned in
    /// the `env` of managed settings, and the profile's `var` is not pinned there.
    EndpointNotPinned,
    /// `CLAUDE_CODE_RESTRICTED` is set: user, project and local settings are ignored, and the
    /// helper Claude Code would run is in one of them (`helper_ignored`).
    Restricted { helper_ignored: bool },
}

/// A finding: what, how bad, which variable (if one), and where.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub var: Option<String>,
    pub place: Option<Place>,
    /// The profile the plan is for (findings name it).
    profile: String,
}

impl Finding {
    /// One line: what is wrong, and where.
    pub fn text(&self) -> String {
        let var = self.var.as_deref().unwrap_or_default();
        let at = self
            .place
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let p = &self.profile;
        match &self.kind {
            Kind::InvalidFile { why } => format!("{at} cannot be read: {why}"),
            Kind::Credential if self.place == Some(Place::Shell) => {
                format!("`{var}` is exported in this shell and beats the apiKeyHelper")
            }
            Kind::Credential => format!("`{var}` is set in {at} and beats the apiKeyHelper"),
            Kind::ForcedLogin { key } => format!(
                "{at} sets `{key}`: Claude Code then refuses the apiKeyHelper and gateway credentials"
            ),
            Kind::NoHelper => "no Claude Code settings file has an apiKeyHelper".into(),
            Kind::HelperOurs => match &self.place {
                Some(Place::Layer { scope, .. }) => {
                    format!("apiKeyHelper for `{p}` from {} settings", scope.as_str())
                }
                _ => format!("apiKeyHelper for `{p}`"),
            },
            Kind::HelperBeaten { shown, ours } => format!(
                "{at} sets its own apiKeyHelper `{shown}`, which wins over profile `{p}`'s{}",
                ours.map(|s| format!(" in {} settings", s.as_str()))
                    .unwrap_or_default()
            ),
            Kind::OtherHelper { whose } => {
                format!("Claude Code will run {whose} from {at}, not `{p}`'s")
            }
            Kind::HelperProgram { program, problem } => {
                format!("apiKeyHelper program `{program}` {problem}")
            }
            Kind::OtherValue if self.place == Some(Place::Shell) => {
                format!("`{var}` has another value in this shell than profile `{p}` gives it")
            }
            Kind::OtherValue => format!(
                "`{var}` has another value in {at}, and Claude Code prefers it to profile `{p}`'s"
            ),
            Kind::Unset => format!("`{var}` is not set where Claude Code looks"),
            Kind::Hidden => format!("{at} sets `{var}` and hides this shell's export of it"),
            Kind::AfterTrust { header, scope } => format!(
                "custom header `{header}` in {} settings looks sensitive to Claude Code 2.1.332+, which then applies `ANTHROPIC_CUSTOM_HEADERS` (every header in it) only after the workspace is trusted",
                scope.as_str()
            ),
            Kind::ProviderNotAllowed { provider, allowed } => format!(
                "managed settings allow only {} (`allowedProviders`), not `{provider}`, which profile `{p}` uses: Claude Code refuses to start",
                allowed.join(", ")
            ),
            Kind::EndpointNotPinned => format!(
                "managed settings allow `customEndpoint` only for the base URL pinned in their `env`, and profile `{p}`'s `{var}` is not: Claude Code refuses to start"
            ),
            Kind::Restricted { helper_ignored } => format!(
                "CLAUDE_CODE_RESTRICTED is set: Claude Code ignores user, project and local settings{}",
                if *helper_ignored {
                    ", so it will not run the apiKeyHelper found there"
                } else {
                    ""
                }
            ),
            Kind::Stale { route_switch } => format!(
                "`{var}` is {} {at} but is not part of profile `{p}`{}",
                if self.place == Some(Place::Shell) {
                    "exported in"
                } else {
                    "set in"
                },
                if *route_switch {
                    ": it sends Claude Code down another provider's route"
                } else {
                    ""
                }
            ),
        }
    }

    /// How to mend it.
    pub fn hint(&self) -> Option<String> {
        let var = self.var.as_deref().unwrap_or_default();
        let p = &self.profile;
        let (scope, path) = match &self.place {
            Some(Place::Layer { scope, path }) => (scope.as_str(), path.display().to_string()),
            _ => ("user", String::new()),
        };
        let in_shell = self.place == Some(Place::Shell);
        Some(match &self.kind {
            Kind::InvalidFile { .. } => format!("fix or remove `{path}`: Claude Code cannot use it"),
            Kind::Credential | Kind::Stale { .. } if !in_shell => {
                format!("remove `{var}` from the `env` of `{path}`")
            }
            Kind::Credential => {
                format!("unset {var} (and remove it from your shell startup files)")
            }
            Kind::Stale { .. } => format!(
                "unset {var} (`eval \"$(ccgw env)\"` does), or put it into the profile if you mean to keep it"
            ),
            Kind::ForcedLogin { key } => {
                format!("ask the administrator to remove `{key}` from managed settings")
            }
            Kind::NoHelper => "run `ccgw settings write`, or start Claude Code with `ccgw exec -- claude` (`ccgw env --with-key` exports the key itself)".into(),
            Kind::HelperOurs => return None,
            Kind::HelperBeaten { .. } => format!(
                "remove `apiKeyHelper` from `{path}`, or run `ccgw --profile {p} settings write --scope {scope}`"
            ),
            Kind::OtherHelper { .. } => format!(
                "run `ccgw --profile {p} settings write --scope {scope}` to make `{p}` the one Claude Code uses"
            ),
            Kind::HelperProgram { .. } => {
                "rerun `ccgw settings write` so that the helper names the installed ccgw".into()
            }
            Kind::OtherValue if in_shell => format!(
                "export profile `{p}`'s value (`eval \"$(ccgw --profile {p} env)\"`), or unset {var}"
            ),
            Kind::OtherValue => format!(
                "run `ccgw settings write --scope {scope}` to update it, or remove `{var}` from that file's `env` (`ccgw settings show --effective` shows both values)"
            ),
            Kind::Unset => {
                "run `ccgw settings write` to bring the settings in line with the profile".into()
            }
            Kind::Hidden => "Claude Code takes a settings `env` value over a shell export: change it in the settings file, or unset it in the shell".into(),
            Kind::AfterTrust { .. } => format!(
                "trust the workspace in Claude Code first, or write the profile to user settings (`ccgw --profile {p} settings write --scope user`) where headers apply at once"
            ),
            Kind::ProviderNotAllowed { provider, .. } => format!(
                "ask the administrator to add `{provider}` to `allowedProviders`, or use a profile of an allowed provider"
            ),
            Kind::EndpointNotPinned => format!(
                "pin it in managed settings: `sudo ccgw --profile {p} settings write --scope managed` (ccgw's drop-in counts as the same managed source as managed-settings.json), or ask the administrator to set `{var}` in their `env`"
            ),
            Kind::Restricted { .. } => format!(
                "start Claude Code with `ccgw --profile {p} exec -- claude` (its `--settings` still applies), or have the administrator use `ccgw settings write --scope managed`"
            ),
        })
    }

    /// The finding as a command prints it on stderr: `warning:` (or `note:`) and a `hint:`.
    pub fn render(&self) -> String {
        let label = match self.severity {
            Severity::Fail | Severity::Warn => "warning",
            Severity::Note | Severity::Ok => "note",
        };
        match self.hint() {
            Some(h) => format!("{label}: {}\nhint: {h}", self.text()),
            None => format!("{label}: {}", self.text()),
        }
    }
}

/// Print the findings that need the user (everything but `Ok`), once each, on stderr.
pub fn report(findings: &[Finding]) {
    let mut said = std::collections::HashSet::new();
    for f in findings.iter().filter(|f| f.severity != Severity::Ok) {
        if said.insert(f) {
            eprintln!("{}", f.render());
        }
    }
}

/// The value this process's environment gives `name`, if any and not empty: the shell Claude
/// Code would be started from.
pub fn this_shell(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `audit` of `layers` against this process's environment (`this_shell`): what a command that
/// is about to hand `plan` to Claude Code asks.
pub fn audit_here(
    layers: &[SettingsFile],
    plan: &GatewayEnv,
    profile: &str,
    delivery: Delivery,
) -> Vec<Finding> {
    let input = Audit {
        layers,
        shell: &this_shell,
        plan,
        profile,
    };
    audit(&input, delivery)
}

/// The competing credentials a delivery removes: all of them but those the plan sets itself.
pub fn competing_to_unset(vars: &[(String, String)]) -> Vec<&'static str> {
    COMPETING_CREDENTIALS
        .into_iter()
        .filter(|c| !vars.iter().any(|(k, _)| k == c))
        .collect()
}

/// What the layers and the shell do against `a.plan` delivered by `delivery`, worst first.
pub fn audit(a: &Audit, delivery: Delivery) -> Vec<Finding> {
    let mut out = Findings {
        list: Vec::new(),
        profile: a.profile,
    };
    let effective = matches!(delivery, Delivery::Effective);
    let shell_counts = matches!(delivery, Delivery::File { .. } | Delivery::Effective);

    for f in a.layers {
        if let FileState::Invalid(why) = &f.state {
            let why = why.clone();
            out.push(
                Kind::InvalidFile { why },
                Severity::Fail,
                None,
                Some(Place::of(f)),
            );
        }
    }
    for var in competing_to_unset(&a.plan.vars) {
        for f in a.layers {
            if f.env().iter().any(|(k, v)| k == var && !v.is_empty()) {
                out.push(
                    Kind::Credential,
                    Severity::Fail,
                    Some(var),
                    Some(Place::of(f)),
                );
            }
        }
        if shell_counts && (a.shell)(var).is_some() {
            out.push(
                Kind::Credential,
                Severity::Fail,
                Some(var),
                Some(Place::Shell),
            );
        }
    }
    for f in a.layers.iter().filter(|f| f.scope == Scope::Managed) {
        for key in FORCED_LOGIN_KEYS {
            if f.doc().is_some_and(|d| d.contains_key(key)) {
                out.push(
                    Kind::ForcedLogin { key },
                    Severity::Fail,
                    None,
                    Some(Place::of(f)),
                );
            }
        }
    }
    after_trust(a, delivery, &mut out);
    allowed_providers(a, delivery, &mut out);
    if effective && restricted(a.shell) {
        let helper_ignored =
            layers::effective_helper(a.layers).is_some_and(|(_, scope, _)| scope != Scope::Managed);
        // With the helper in managed settings it works: said as a finding doctor lists.
        let severity = if helper_ignored {
            Severity::Warn
        } else {
            Severity::Ok
        };
        out.push(Kind::Restricted { helper_ignored }, severity, None, None);
    }
    helper(a, delivery, &mut out);
    if effective {
        effective_values(a, &mut out);
    } else {
        beaten_values(a, delivery, &mut out);
    }
    let mut list = out.list;
    list.sort_by_key(|f| f.severity);
    list
}

/// The custom headers Claude Code will hold back until trust: the plan's, written to project or
/// local settings, and (for doctor) those already in project or local layers.
fn after_trust(a: &Audit, delivery: Delivery, out: &mut Findings) {
    const VAR: &str = "ANTHROPIC_CUSTOM_HEADERS";
    let trust_scoped = |s: Scope| matches!(s, Scope::Project | Scope::Local);
    match delivery {
        Delivery::File { scope: Some(scope) } if trust_scoped(scope) => {
            let headers = a.plan.vars.iter().find(|(k, _)| k == VAR).map(|(_, v)| v);
            for name in headers.into_iter().flat_map(|v| header_names(v)) {
                if waits_for_trust(name) {
                    let header = name.to_owned();
                    out.push(
                        Kind::AfterTrust { header, scope },
                        Severity::Warn,
                        Some(VAR),
                        None,
                    );
                }
            }
        }
        Delivery::Effective => {
            for f in a.layers.iter().filter(|f| trust_scoped(f.scope)) {
                for (_, v) in f.env().iter().filter(|(k, _)| k == VAR) {
                    for name in header_names(v).filter(|n| waits_for_trust(n)) {
                        let kind = Kind::AfterTrust {
                            header: name.to_owned(),
                            scope: f.scope,
                        };
                        out.push(kind, Severity::Warn, Some(VAR), Some(Place::of(f)));
                    }
                }
            }
        }
        _ => {}
    }
}

/// The provider Claude Code counts every ccgw plan as, in `allowedProviders`' names: each sends
/// Claude Code to the gateway, and 2.1.332 describes `customEndpoint` as a provider's API "sent
/// to some other host — ANTHROPIC_BASE_URL, that provider's ANTHROPIC_*_BASE_URL … such as an
/// LLM gateway", while `bedrock` and `vertex` mean the provider's own service
/// (tests/it/allowed_providers.rs measures both ways with the real binary).
const PROVIDER: &str = "customEndpoint";

/// The base URL variable that managed settings must pin for the plan's route.
fn pinned_var(plan: &GatewayEnv) -> &'static str {
    match plan.route.mode {
        Mode::Unified | Mode::Anthropic => "ANTHROPIC_BASE_URL",
        Mode::Bedrock => "ANTHROPIC_BEDROCK_BASE_URL",
        Mode::Vertex => "ANTHROPIC_VERTEX_BASE_URL",
    }
}

/// Managed `allowedProviders` (Claude Code 2.1.332+; older versions ignore it): the profile's
/// provider must be listed, and a custom endpoint must be pinned in managed settings' `env`.
/// Measured with the real 2.1.332: `managed-settings.json` and the `managed-settings.d`
/// drop-ins are one managed source, so a base URL in ccgw's drop-in pins it for the admin's
/// `allowedProviders`. Managed layers are merged, the later (drop-ins) winning.
fn allowed_providers(a: &Audit, delivery: Delivery, out: &mut Findings) {
    let managed: Vec<&SettingsFile> = a
        .layers
        .iter()
        .filter(|f| f.scope == Scope::Managed)
        .collect();
    let Some((allowed, place)) = managed.iter().rev().find_map(|f| {
        let list = f.doc()?.get("allowedProviders")?.as_array()?;
        let names: Vec<String> = list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        Some((names, Place::of(f)))
    }) else {
        return;
    };
    if !allowed.iter().any(|p| p == PROVIDER) {
        let kind = Kind::ProviderNotAllowed {
            provider: PROVIDER,
            allowed,
        };
        out.push(kind, Severity::Fail, None, Some(place));
        return;
    }
    let var = pinned_var(a.plan);
    let Some(ours) = a.plan.vars.iter().find(|(k, _)| k == var).map(|(_, v)| v) else {
        return;
    };
    // `settings write --scope managed` writes the plan's env into the drop-in: that pins it.
    if matches!(
        delivery,
        Delivery::File {
            scope: Some(Scope::Managed)
        }
    ) {
        return;
    }
    let pinned = managed
        .iter()
        .rev()
        .find_map(|f| f.env().into_iter().find(|(k, _)| k == var).map(|(_, v)| v));
    if pinned.as_deref() != Some(ours.as_str()) {
        out.push(
            Kind::EndpointNotPinned,
            Severity::Fail,
            Some(var),
            Some(place),
        );
    }
}

struct Findings<'a> {
    list: Vec<Finding>,
    profile: &'a str,
}

impl Findings<'_> {
    fn push(&mut self, kind: Kind, severity: Severity, var: Option<&str>, place: Option<Place>) {
        self.list.push(Finding {
            kind,
            severity,
            var: var.map(str::to_owned),
            place,
            profile: self.profile.to_owned(),
        });
    }
}

/// Whether a helper command line is this profile's `ccgw key`.
fn is_ours(cmd: &str, profile: &str) -> bool {
    HelperLine::parse(cmd).is_some_and(|h| h.profile.as_deref() == Some(profile))
}

/// The helper Claude Code will run, against this profile's.
fn helper(a: &Audit, delivery: Delivery, out: &mut Findings) {
    let ours = |cmd: &str| is_ours(cmd, a.profile);
    // The layers that beat the delivery's own helper.
    let beats: &dyn Fn(&SettingsFile) -> bool = match delivery {
        Delivery::Shell => {
            if layers::effective_helper(a.layers).is_none() {
                out.push(Kind::NoHelper, Severity::Warn, None, None);
            }
            return;
        }
        Delivery::Launch { .. } => &|f| f.scope == Scope::Managed,
        Delivery::File { scope } => &move |f| scope.is_some_and(|s| f.scope > s),
        Delivery::Effective => return effective_helper(a, out),
    };
    let winner = a
        .layers
        .iter()
        .rev()
        .filter(|f| beats(f))
        .find_map(|f| f.api_key_helper().map(|h| (h, f)));
    if let Some((h, f)) = winner
        && !ours(h)
    {
        let shown = redact::show_setting(API_KEY_HELPER, h);
        let ours = match delivery {
            Delivery::File { scope } => scope,
            _ => None,
        };
        out.push(
            Kind::HelperBeaten { shown, ours },
            Severity::Fail,
            None,
            Some(Place::of(f)),
        );
    }
}

/// doctor's view: the effective helper, and whether a lower layer holds this profile's.
fn effective_helper(a: &Audit, out: &mut Findings) {
    let ours = |cmd: &str| is_ours(cmd, a.profile);
    let Some(f) = a.layers.iter().rev().find(|f| f.api_key_helper().is_some()) else {
        out.push(Kind::NoHelper, Severity::Warn, None, None);
        return;
    };
    let cmd = f.api_key_helper().unwrap_or_default();
    if ours(cmd) {
        out.push(Kind::HelperOurs, Severity::Ok, None, Some(Place::of(f)));
        return;
    }
    match a
        .layers
        .iter()
        .find(|l| l.api_key_helper().is_some_and(ours))
    {
        Some(lower) => {
            let shown = redact::show_setting(API_KEY_HELPER, cmd);
            let kind = Kind::HelperBeaten {
                shown,
                ours: Some(lower.scope),
            };
            out.push(kind, Severity::Fail, None, Some(Place::of(f)));
        }
        None => {
            let whose = match HelperLine::parse(cmd).and_then(|h| h.profile) {
                Some(other) => format!("profile `{other}`'s helper"),
                None => format!(
                    "`{}`",
                    crate::shell::split_words(cmd)
                        .unwrap_or_default()
                        .into_iter()
                        .next()
                        .unwrap_or_default()
                ),
            };
            out.push(
                Kind::OtherHelper { whose },
                Severity::Warn,
                None,
                Some(Place::of(f)),
            );
        }
    }
}

/// Whether this profile's helper is the one Claude Code runs now.
pub fn helper_is_ours(layers: &[SettingsFile], profile: &str) -> bool {
    layers::effective_helper(layers).is_some_and(|(h, _, _)| is_ours(&h, profile))
}

/// What Claude Code takes now for each variable: other values, unset ones, stale ones and
/// hidden exports. Until this profile's helper is the one Claude Code runs, a plan variable's
/// difference is only a note: the helper is the first thing to mend.
fn effective_values(a: &Audit, out: &mut Findings) {
    let drift = if helper_is_ours(a.layers, a.profile) {
        Severity::Warn
    } else {
        Severity::Note
    };
    for (var, want) in &a.plan.vars {
        match layers::effective_env(a.layers, (a.shell)(var).as_deref(), var) {
            None => out.push(Kind::Unset, drift, Some(var), None),
            Some((have, origin)) if have != *want => {
                out.push(
                    Kind::OtherValue,
                    drift,
                    Some(var),
                    Some(Place::from_origin(origin)),
                );
            }
            Some(_) => {}
        }
    }
    for &var in &a.plan.unset {
        if let Some((_, origin)) = layers::effective_env(a.layers, (a.shell)(var).as_deref(), var) {
            let route_switch = ROUTE_SWITCHES.contains(&var);
            let severity = if route_switch {
                Severity::Fail
            } else {
                Severity::Warn
            };
            let place = Place::from_origin(origin);
            out.push(
                Kind::Stale { route_switch },
                severity,
                Some(var),
                Some(place),
            );
        }
    }
    // A variable a settings file sets hides the shell's export of it.
    let mut hidden: Vec<String> = Vec::new();
    for f in a.layers {
        for (k, _) in f.env() {
            if COMPETING_CREDENTIALS.contains(&k.as_str()) || hidden.contains(&k) {
                continue;
            }
            if let Some(sh) = (a.shell)(&k)
                && let Some((eff, origin)) = layers::effective_env(a.layers, Some(&sh), &k)
                && eff != sh
            {
                out.push(
                    Kind::Hidden,
                    Severity::Warn,
                    Some(&k),
                    Some(Place::from_origin(origin)),
                );
                hidden.push(k);
            }
        }
    }
}

/// The layers that beat a delivery's values: another value there wins; a route switch of
/// another mode there sends Claude Code elsewhere whatever ccgw hands it.
fn beaten_values(a: &Audit, delivery: Delivery, out: &mut Findings) {
    for (var, want) in &a.plan.vars {
        let beats = |f: &SettingsFile| match delivery {
            Delivery::Shell | Delivery::Effective => true,
            Delivery::Launch { env_only } => f.scope == Scope::Managed || env_only.contains(var),
            Delivery::File { scope } => scope.is_some_and(|s| f.scope > s),
        };
        let winner = a.layers.iter().rev().filter(|f| beats(f)).find_map(|f| {
            let have = f.env().into_iter().find(|(k, _)| k == var)?.1;
            Some((have, f))
        });
        if let Some((have, f)) = winner
            && have != *want
        {
            out.push(
                Kind::OtherValue,
                Severity::Warn,
                Some(var),
                Some(Place::of(f)),
            );
        }
    }
    for &var in &a.plan.unset {
        if !ROUTE_SWITCHES.contains(&var) {
            continue;
        }
        for f in a.layers {
            if f.env().iter().any(|(k, _)| k == var) {
                let kind = Kind::Stale { route_switch: true };
                out.push(kind, Severity::Fail, Some(var), Some(Place::of(f)));
            }
        }
    }
}

/// doctor's extra question, which needs the file system: is the helper's program there?
/// `problem` says what is wrong with a program (`None`: it exists and is executable).
pub fn helper_program(
    layers: &[SettingsFile],
    plan: &GatewayEnv,
    profile: &str,
    problem: &dyn Fn(&str) -> Option<String>,
) -> Option<Finding> {
    let cmd = layers::effective_helper(layers).map_or(plan.api_key_helper.clone(), |(c, _, _)| c);
    let program = crate::shell::split_words(&cmd).ok()?.into_iter().next()?;
    let problem = problem(&program)?;
    Some(Finding {
        kind: Kind::HelperProgram { program, problem },
        severity: Severity::Fail,
        var: None,
        place: None,
        profile: profile.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claude::layers::test_layer as layer;
    use crate::plan::test_vars as vars;

    const OURS: &str = "'/opt/ccgw' key --profile work";

    fn plan(list: &[(&str, &str)]) -> GatewayEnv {
        GatewayEnv::from_vars(vars(list), OURS.into())
    }

    fn run(
        layers: &[SettingsFile],
        shell: &[(&str, &str)],
        plan: &GatewayEnv,
        delivery: Delivery,
    ) -> Vec<Finding> {
        let value = |name: &str| {
            shell
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let input = Audit {
            layers,
            shell: &value,
            plan,
            profile: "work",
        };
        audit(&input, delivery)
    }

    /// (kind, variable, scope of the place) of each finding, for compact assertions.
    fn brief(found: &[Finding]) -> Vec<(Kind, Option<&str>, Option<Scope>)> {
        found
            .iter()
            .map(|f| {
                let scope = match &f.place {
                    Some(Place::Layer { scope, .. }) => Some(*scope),
                    _ => None,
                };
                (f.kind.clone(), f.var.as_deref(), scope)
            })
            .collect()
    }

    #[test]
    fn the_pre_trust_pattern_of_claude_code_2_1_332() {
        for sensitive in [
            "x-litellm-api-key",
            "Authorization",
            "x-api-key",
            "Cookie",
            "x-route-to",
            "anthropic-routing-pool",
            "anthropic-beta",
            "x-ORG-id",
        ] {
            assert!(waits_for_trust(sensitive), "{sensitive}");
        }
        for plain in [
            "x-team",
            "x-cost-center",
            "x-request-tag",
            "x-anthropic-routing-a",
        ] {
            assert!(!waits_for_trust(plain), "{plain}");
        }
    }

    #[test]
    fn a_sensitive_header_in_project_or_local_settings_waits_for_trust() {
        let mine = plan(&[("ANTHROPIC_CUSTOM_HEADERS", "x-team: eng\nx-litellm-tags: a")]);
        for scope in [Scope::Project, Scope::Local] {
            let found = run(&[], &[], &mine, Delivery::File { scope: Some(scope) });
            let after: Vec<&Finding> = found
                .iter()
                .filter(|f| matches!(f.kind, Kind::AfterTrust { .. }))
                .collect();
            assert_eq!(after.len(), 1, "{found:?}");
            assert!(
                after[0].text().contains("`x-litellm-tags`"),
                "{}",
                after[0].text()
            );
            assert!(after[0].text().contains("after the workspace is trusted"));
            assert_eq!(after[0].severity, Severity::Warn);
        }
        // User settings are not held back.
        let user = run(
            &[],
            &[],
            &mine,
            Delivery::File {
                scope: Some(Scope::User),
            },
        );
        assert!(
            !user
                .iter()
                .any(|f| matches!(f.kind, Kind::AfterTrust { .. }))
        );
        // doctor: in a project layer already.
        let layers = [layer(
            Scope::Project,
            r#"{"env":{"ANTHROPIC_CUSTOM_HEADERS":"x-gw-token: t"}}"#,
        )];
        let found = run(&layers, &[], &mine, Delivery::Effective);
        assert!(
            found.iter().any(|f| f.kind
                == Kind::AfterTrust {
                    header: "x-gw-token".into(),
                    scope: Scope::Project
                }),
            "{found:?}"
        );
    }

    #[test]
    fn restricted_mode_is_noted_and_warns_when_the_helper_is_in_an_ignored_layer() {
        let mine = plan(&[]);
        let user = [layer(
            Scope::User,
            &format!(r#"{{"apiKeyHelper":"{}"}}"#, OURS.replace('\'', "")),
        )];
        let on = [("CLAUDE_CODE_RESTRICTED", "1")];
        let found = run(&user, &on, &mine, Delivery::Effective);
        let r = found
            .iter()
            .find(|f| matches!(f.kind, Kind::Restricted { .. }))
            .expect("restricted finding");
        assert_eq!(
            r.kind,
            Kind::Restricted {
                helper_ignored: true
            }
        );
        assert_eq!(r.severity, Severity::Warn);
        assert!(r.hint().unwrap().contains("exec -- claude"));
        let managed = [layer(Scope::Managed, r#"{"apiKeyHelper":"x"}"#)];
        let found = run(&managed, &on, &mine, Delivery::Effective);
        assert!(found.iter().any(|f| f.kind
            == Kind::Restricted {
                helper_ignored: false
            }
            && f.severity == Severity::Ok));
        let off = run(
            &user,
            &[("CLAUDE_CODE_RESTRICTED", "0")],
            &mine,
            Delivery::Effective,
        );
        assert!(
            !off.iter()
                .any(|f| matches!(f.kind, Kind::Restricted { .. }))
        );
    }

    #[test]
    fn a_different_value_in_the_winning_layer_beats_shell_exports() {
        let layers = [
            layer(
                Scope::User,
                r#"{"env":{"ANTHROPIC_BASE_URL":"http://other"}}"#,
            ),
            layer(Scope::Local, r#"{"env":{"ANTHROPIC_MODEL":"m"}}"#),
        ];
        let mine = plan(&[
            ("ANTHROPIC_BASE_URL", "http://gw"),
            ("ANTHROPIC_MODEL", "m"),
        ]);
        let found = run(&layers, &[], &mine, Delivery::Shell);
        assert_eq!(
            brief(&found),
            [
                (Kind::NoHelper, None, None),
                (
                    Kind::OtherValue,
                    Some("ANTHROPIC_BASE_URL"),
                    Some(Scope::User)
                ),
            ]
        );
        let f = &found[1];
        assert_eq!(f.severity, Severity::Warn);
        assert_eq!(
            f.text(),
            "`ANTHROPIC_BASE_URL` has another value in `/user.json` (user settings), and Claude Code prefers it to profile `work`'s"
        );
        assert!(
            f.hint()
                .unwrap()
                .starts_with("run `ccgw settings write --scope user`")
        );
        // Values are compared, never reported.
        assert!(!f.render().contains("http://other"), "{}", f.render());
    }

    #[test]
    fn a_credential_in_settings_beats_the_helper_unless_the_plan_sets_it() {
        let layers = [layer(
            Scope::Project,
            r#"{"apiKeyHelper":"ccgw key --profile work","env":{"ANTHROPIC_API_KEY":"sk-x","ANTHROPIC_AUTH_TOKEN":""}}"#,
        )];
        let found = run(&layers, &[], &plan(&[("A", "1")]), Delivery::Shell);
        assert_eq!(
            brief(&found),
            [(
                Kind::Credential,
                Some("ANTHROPIC_API_KEY"),
                Some(Scope::Project)
            )]
        );
        assert_eq!(found[0].severity, Severity::Fail);
        assert!(!found[0].render().contains("sk-x"));
        let exported = plan(&[("ANTHROPIC_API_KEY", "sk-x")]);
        assert!(run(&layers, &[], &exported, Delivery::Shell).is_empty());
    }

    #[test]
    fn a_shell_credential_counts_where_ccgw_does_not_unset_it() {
        let shell = [("ANTHROPIC_AUTH_TOKEN", "t")];
        let p = plan(&[("A", "1")]);
        let written = [layer(
            Scope::User,
            &format!(r#"{{"apiKeyHelper":"{OURS}"}}"#),
        )];
        for (delivery, counts) in [
            (Delivery::Shell, false),
            (Delivery::Launch { env_only: &[] }, false),
            (
                Delivery::File {
                    scope: Some(Scope::User),
                },
                true,
            ),
            (Delivery::Effective, true),
        ] {
            let found = run(&written, &shell, &p, delivery);
            let said = found
                .iter()
                .any(|f| f.kind == Kind::Credential && f.place == Some(Place::Shell));
            assert_eq!(said, counts, "{delivery:?}: {found:?}");
        }
        let f = run(&written, &shell, &p, Delivery::Effective);
        assert_eq!(
            f[0].render(),
            "warning: `ANTHROPIC_AUTH_TOKEN` is exported in this shell and beats the apiKeyHelper\nhint: unset ANTHROPIC_AUTH_TOKEN (and remove it from your shell startup files)"
        );
    }

    #[test]
    fn a_launch_loses_only_to_managed_settings_except_for_env_only_variables() {
        let layers = [
            layer(
                Scope::User,
                r#"{"env":{"ANTHROPIC_MODEL":"u","ANTHROPIC_CUSTOM_HEADERS":"x"}}"#,
            ),
            layer(
                Scope::Managed,
                r#"{"env":{"ANTHROPIC_BASE_URL":"http://m"}}"#,
            ),
        ];
        let p = plan(&[
            ("ANTHROPIC_BASE_URL", "http://gw"),
            ("ANTHROPIC_MODEL", "m"),
            ("ANTHROPIC_CUSTOM_HEADERS", "h"),
        ]);
        let env_only = ["ANTHROPIC_CUSTOM_HEADERS".to_owned()];
        let found = run(
            &layers,
            &[],
            &p,
            Delivery::Launch {
                env_only: &env_only,
            },
        );
        assert_eq!(
            brief(&found),
            [
                (
                    Kind::OtherValue,
                    Some("ANTHROPIC_BASE_URL"),
                    Some(Scope::Managed)
                ),
                (
                    Kind::OtherValue,
                    Some("ANTHROPIC_CUSTOM_HEADERS"),
                    Some(Scope::User)
                ),
            ]
        );
        // A managed helper that is not this profile's wins over `--settings`.
        let managed = [layer(Scope::Managed, r#"{"apiKeyHelper":"cat /k"}"#)];
        let found = run(&managed, &[], &p, Delivery::Launch { env_only: &[] });
        assert!(
            matches!(found[0].kind, Kind::HelperBeaten { .. }),
            "{found:?}"
        );
    }

    #[test]
    fn a_written_file_is_beaten_only_by_higher_layers() {
        let layers = [
            layer(
                Scope::User,
                r#"{"apiKeyHelper":"cat /u","env":{"ANTHROPIC_MODEL":"u"}}"#,
            ),
            layer(
                Scope::Managed,
                r#"{"apiKeyHelper":"cat /m --token sk-live-0123456789abcdefghij","env":{"ANTHROPIC_MODEL":"x"}}"#,
            ),
        ];
        let p = plan(&[("ANTHROPIC_MODEL", "m")]);
        let found = run(
            &layers,
            &[],
            &p,
            Delivery::File {
                scope: Some(Scope::Local),
            },
        );
        assert_eq!(
            brief(&found),
            [
                (
                    Kind::HelperBeaten {
                        shown: found
                            .iter()
                            .find_map(|f| match &f.kind {
                                Kind::HelperBeaten { shown, .. } => Some(shown.clone()),
                                _ => None,
                            })
                            .unwrap(),
                        ours: Some(Scope::Local)
                    },
                    None,
                    Some(Scope::Managed)
                ),
                (
                    Kind::OtherValue,
                    Some("ANTHROPIC_MODEL"),
                    Some(Scope::Managed)
                ),
            ]
        );
        let text = found[0].text();
        assert!(text.contains("sets its own apiKeyHelper"), "{text}");
        assert!(!text.contains("sk-live-0123456789abcdefghij"), "{text}");
        // A `--file` target: no layer is known to beat it.
        assert!(run(&layers, &[], &p, Delivery::File { scope: None }).is_empty());
    }

    #[test]
    fn a_route_switch_of_another_mode_is_named_in_every_delivery() {
        let layers = [layer(
            Scope::Local,
            r#"{"env":{"CLAUDE_CODE_USE_BEDROCK":"1","ANTHROPIC_MODEL":"x"}}"#,
        )];
        let p = plan(&[("ANTHROPIC_BASE_URL", "http://gw")]);
        for delivery in [
            Delivery::Shell,
            Delivery::Launch { env_only: &[] },
            Delivery::File {
                scope: Some(Scope::User),
            },
            Delivery::Effective,
        ] {
            let found = run(&layers, &[], &p, delivery);
            let route = found
                .iter()
                .find(|f| f.kind == Kind::Stale { route_switch: true })
                .unwrap_or_else(|| panic!("{delivery:?}: {found:?}"));
            assert_eq!(route.severity, Severity::Fail);
            assert_eq!(
                route.text(),
                "`CLAUDE_CODE_USE_BEDROCK` is set in `/local.json` (local settings) but is not part of profile `work`: it sends Claude Code down another provider's route"
            );
            // Another profile's model only where doctor looks at everything.
            let model = found
                .iter()
                .any(|f| f.var.as_deref() == Some("ANTHROPIC_MODEL"));
            assert_eq!(
                model,
                matches!(delivery, Delivery::Effective),
                "{delivery:?}"
            );
        }
    }

    #[test]
    fn effective_drift_is_a_note_until_the_helper_is_ours() {
        let p = plan(&[
            ("ANTHROPIC_BASE_URL", "http://gw"),
            ("ANTHROPIC_MODEL", "m"),
        ]);
        let other = [layer(
            Scope::User,
            r#"{"apiKeyHelper":"ccgw key --profile lab"}"#,
        )];
        let found = run(&other, &[], &p, Delivery::Effective);
        assert_eq!(
            found[0].kind,
            Kind::OtherHelper {
                whose: "profile `lab`'s helper".into()
            }
        );
        assert!(
            found[1..]
                .iter()
                .all(|f| f.kind == Kind::Unset && f.severity == Severity::Note)
        );
        let ours = [layer(
            Scope::User,
            &format!(r#"{{"apiKeyHelper":"{OURS}","env":{{"ANTHROPIC_BASE_URL":"http://gw"}}}}"#),
        )];
        let found = run(
            &ours,
            &[("ANTHROPIC_MODEL", "shell")],
            &p,
            Delivery::Effective,
        );
        assert_eq!(
            brief(&found),
            [
                (Kind::OtherValue, Some("ANTHROPIC_MODEL"), None),
                (Kind::HelperOurs, None, Some(Scope::User)),
            ]
        );
        assert_eq!(found[0].severity, Severity::Warn);
        assert_eq!(
            found[1].text(),
            "apiKeyHelper for `work` from user settings"
        );
        assert_eq!(found[1].hint(), None);
    }

    #[test]
    fn report_says_each_finding_once_and_skips_what_is_right() {
        let f = Finding {
            kind: Kind::Unset,
            severity: Severity::Note,
            var: Some("A".into()),
            place: None,
            profile: "work".into(),
        };
        assert_eq!(
            f.render(),
            "note: `A` is not set where Claude Code looks\nhint: run `ccgw settings write` to bring the settings in line with the profile"
        );
        let invalid = Finding {
            kind: Kind::InvalidFile {
                why: "invalid JSON at line 1, column 2".into(),
            },
            severity: Severity::Fail,
            var: None,
            place: Some(Place::Layer {
                scope: Scope::Project,
                path: "/p.json".into(),
            }),
            profile: "work".into(),
        };
        assert_eq!(
            invalid.render(),
            "warning: `/p.json` (project settings) cannot be read: invalid JSON at line 1, column 2\nhint: fix or remove `/p.json`: Claude Code cannot use it"
        );
    }

    #[test]
    fn a_bedrock_or_vertex_route_through_the_gateway_is_a_custom_endpoint() {
        for (mode, var) in [
            (Mode::Bedrock, "ANTHROPIC_BEDROCK_BASE_URL"),
            (Mode::Vertex, "ANTHROPIC_VERTEX_BASE_URL"),
        ] {
            let mut p = plan(&[(var, "http://gw:4000/route")]);
            p.route.mode = mode;
            let provider_only = layer(
                Scope::Managed,
                &format!(r#"{{"allowedProviders":["{}"]}}"#, mode.as_str()),
            );
            let found = run(&[provider_only], &[], &p, Delivery::Effective);
            assert!(
                found.iter().any(|f| f.kind
                    == Kind::ProviderNotAllowed {
                        provider: "customEndpoint",
                        allowed: vec![mode.as_str().to_owned()]
                    }),
                "{mode:?}: {found:?}"
            );
            let unpinned = layer(Scope::Managed, r#"{"allowedProviders":["customEndpoint"]}"#);
            let found = run(&[unpinned], &[], &p, Delivery::Effective);
            let pinning: Vec<_> = brief(&found)
                .into_iter()
                .filter(|(k, ..)| {
                    matches!(k, Kind::EndpointNotPinned | Kind::ProviderNotAllowed { .. })
                })
                .collect();
            assert_eq!(
                pinning,
                [(Kind::EndpointNotPinned, Some(var), Some(Scope::Managed))]
            );
            let pinned = layer(
                Scope::Managed,
                &format!(
                    r#"{{"allowedProviders":["customEndpoint"],"env":{{"{var}":"http://gw:4000/route"}}}}"#
                ),
            );
            let found = run(&[pinned], &[], &p, Delivery::Effective);
            assert!(
                !found.iter().any(|f| matches!(
                    f.kind,
                    Kind::ProviderNotAllowed { .. } | Kind::EndpointNotPinned
                )),
                "{mode:?}: {found:?}"
            );
        }
    }
}
