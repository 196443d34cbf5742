//! Every question `ccgw init` can put, written once: the flag that answers it, the prompt, the
//! help line, the default and the rule an answer follows. Which question follows which answer
//! is the tree's (`tree`); how it is put is the asker's (`ask`).

use anyhow::Result;

use super::ask::{Ask, Choose, Confirm, Suggest, Text};
use super::{DEFAULT_GATEWAY, DEFAULT_PROFILE_NAME, SecretKind, check_name, parse_claim};
use super::{parse_header, parse_ttl};
use crate::cli::InitScopeArg;
use crate::config::{self, Mode, OidcFlow, OidcToken, SourceKind, VaultAuth, rules};

/// Any answer will do.
fn any(_: &str) -> Result<(), String> {
    Ok(())
}

/// A question answered by picking one of fixed options, each with its value.
pub struct Menu<T: 'static> {
    pub flag: &'static str,
    pub prompt: &'static str,
    pub help: &'static str,
    /// (value, its line: name, two spaces, what it means)
    pub options: &'static [(T, &'static str)],
    /// The value taken without a prompt (`--non-interactive`); `None`: the flag is required.
    pub assumed: Option<T>,
}

impl<T: Copy + PartialEq> Menu<T> {
    /// The value `ask` picks.
    pub fn ask(&self, ask: &mut dyn Ask) -> Result<T> {
        let picked = ask.choose(&Choose {
            flag: self.flag,
            prompt: self.prompt,
            help: self.help,
            options: self.options.iter().map(|(_, line)| *line).collect(),
            assumed: self
                .assumed
                .and_then(|a| self.options.iter().position(|(v, _)| *v == a)),
            page_size: Some(8),
        })?;
        Ok(self.options[picked].0)
    }
}

pub const NAME: Text = Text {
    flag: "--profile",
    prompt: "Profile name:",
    help: "a name for this gateway setup; `ccgw --profile NAME …` selects it",
    default: Suggest::Assumed(DEFAULT_PROFILE_NAME),
    optional: false,
    check: check_name,
};

pub const GATEWAY: Text = Text {
    flag: "--gateway",
    prompt: "Gateway URL:",
    help: "the gateway's base URL (LiteLLM listens on http://localhost:4000 by default)",
    default: Suggest::Offered(DEFAULT_GATEWAY),
    optional: false,
    check: |url| Ok(rules::gateway(url)?),
};

pub const MODE: Menu<Mode> = Menu {
    flag: "--mode",
    prompt: "How should Claude Code reach the gateway?",
    help: "unified: the gateway's own Anthropic-compatible API (any model it routes); the others pass requests through to one provider's API",
    options: &[
        (
            Mode::Unified,
            "unified    the gateway's Anthropic-compatible /v1/messages (recommended)",
        ),
        (
            Mode::Anthropic,
            "anthropic  pass-through to Anthropic via {gateway}/anthropic",
        ),
        (
            Mode::Bedrock,
            "bedrock    pass-through to AWS Bedrock via {gateway}/bedrock",
        ),
        (
            Mode::Vertex,
            "vertex     pass-through to Google Vertex AI via {gateway}/vertex_ai",
        ),
    ],
    assumed: Some(Mode::Unified),
};

pub const BEDROCK_REGION: Text = Text {
    flag: "--bedrock-region",
    prompt: "AWS region:",
    help: "the Bedrock region, e.g. us-east-1",
    default: Suggest::Offered("us-east-1"),
    optional: false,
    check: any,
};

pub const VERTEX_PROJECT: Text = Text {
    flag: "--vertex-project",
    prompt: "GCP project:",
    help: "the Google Cloud project id for Vertex AI",
    default: Suggest::None,
    optional: false,
    check: any,
};

/// The default is Claude Code's own: answering it leaves the region out of the profile.
pub const VERTEX_REGION: Text = Text {
    flag: "--vertex-region",
    prompt: "Vertex region:",
    help: "the Vertex AI region",
    default: Suggest::Assumed(config::DEFAULT_VERTEX_REGION),
    optional: false,
    check: any,
};

pub const KEY_SOURCE: Menu<SourceKind> = Menu {
    flag: "--key-source",
    prompt: "Where does the gateway key come from?",
    help: "ccgw fetches it for Claude Code (as its apiKeyHelper) and caches it for the key TTL",
    options: &[
        (
            SourceKind::Keyring,
            "keyring  the OS keyring (you type the key now; it is stored there)",
        ),
        (SourceKind::Vault, "vault    HashiCorp Vault or OpenBao"),
        (
            SourceKind::Jwt,
            "jwt      mint a short-lived JWT signed locally",
        ),
        (
            SourceKind::Command,
            "command  the first line printed by a command",
        ),
        (SourceKind::Env, "env      an environment variable"),
        (
            SourceKind::Oidc,
            "oidc     sign in with your organisation's identity provider (OpenID Connect)",
        ),
    ],
    assumed: None,
};

/// `config::DEFAULT_KEY_TTL`, as humantime writes it (a test holds them together).
pub const KEY_TTL: Text = Text {
    flag: "--key-ttl",
    prompt: "Key TTL:",
    help: "how long a fetched key is reused, e.g. 55m (at least 10s)",
    default: Suggest::Assumed("1h"),
    optional: false,
    check: |t| parse_ttl(t).map(drop),
};

/// Asked until an empty answer.
pub const HEADER: Text = Text {
    flag: "--header",
    prompt: "Extra request header (Name: value), empty to finish:",
    help: "sent on every request, e.g. x-team: platform",
    default: Suggest::None,
    optional: true,
    check: |h| parse_header(h).map(drop),
};

/// The model when the gateway lists none (or the mode's model ids are the provider's).
pub const MODEL: Text = Text {
    flag: "--model",
    prompt: "Model (empty: Claude Code's default):",
    help: "a model name the gateway knows, for ANTHROPIC_MODEL",
    default: Suggest::None,
    optional: true,
    check: any,
};

/// The model from the gateway's list: [`NO_MODEL`], the listed names, [`OTHER_MODEL`].
pub fn listed_models(listed: &[String]) -> Choose<'_> {
    let mut options = vec![NO_MODEL];
    options.extend(listed.iter().map(String::as_str));
    options.push(OTHER_MODEL);
    Choose {
        flag: "--model",
        prompt: "Model (ANTHROPIC_MODEL):",
        help: "the models the gateway lists; type to filter",
        options,
        assumed: Some(0),
        page_size: Some(10),
    }
}

pub const NO_MODEL: &str = "(none: Claude Code's default)";
pub const OTHER_MODEL: &str = "(another name…)";

/// After [`OTHER_MODEL`].
pub const MODEL_NAME: Text = Text {
    flag: "--model",
    prompt: "Model name:",
    help: "",
    default: Suggest::None,
    optional: true,
    check: any,
};

pub const SCOPE: Menu<InitScopeArg> = Menu {
    flag: "--scope",
    prompt: "Where should Claude Code's settings be written?",
    help: "ccgw writes only the gateway keys (env + apiKeyHelper) and can undo them with `ccgw settings remove`",
    options: &[
        (
            InitScopeArg::User,
            "user     ~/.claude/settings.json: every project (recommended)",
        ),
        (
            InitScopeArg::Project,
            "project  .claude/settings.json here, shared in git; applied after Claude Code's workspace trust prompt",
        ),
        (
            InitScopeArg::Local,
            "local    .claude/settings.local.json here, not committed; applied after the workspace trust prompt",
        ),
        (
            InitScopeArg::Managed,
            "managed  machine-wide managed settings, for administrators (needs root)",
        ),
        (
            InitScopeArg::None,
            "none     no settings file: use `eval \"$(ccgw env)\"` or `ccgw exec -- claude`",
        ),
    ],
    assumed: Some(InitScopeArg::User),
};

// ---------------------------------------------------------------- command, env

pub const COMMAND: Text = Text {
    flag: "--command",
    prompt: "Command that prints the key:",
    help: "run without a shell; the first line of its output is the key",
    default: Suggest::None,
    optional: false,
    check: any,
};

pub const ENV_VAR: Text = Text {
    flag: "--env-var",
    prompt: "Environment variable holding the key:",
    help: "e.g. LITELLM_API_KEY",
    default: Suggest::None,
    optional: false,
    check: any,
};

// ---------------------------------------------------------------- oidc

pub const OIDC_ISSUER: Text = Text {
    flag: "--oidc-issuer",
    prompt: "Identity provider's issuer URL:",
    help: "e.g. https://{org}.okta.com/oauth2/default or https://{host}/realms/{realm}",
    default: Suggest::None,
    optional: false,
    check: |url| Ok(rules::idp_url("issuer", url)?),
};

pub const OIDC_CLIENT_ID: Text = Text {
    flag: "--oidc-client-id",
    prompt: "Client id:",
    help: "the public (native) client your identity provider's admin registered for ccgw",
    default: Suggest::None,
    optional: false,
    check: |id| {
        if id.trim().is_empty() {
            Err("is empty".into())
        } else {
            Ok(())
        }
    },
};

pub const OIDC_FLOW: Menu<OidcFlow> = Menu {
    flag: "--oidc-flow",
    prompt: "How do you sign in?",
    help: "`ccgw login` runs it; `ccgw key` then renews the token silently",
    options: &[
        (
            OidcFlow::Device,
            "device   enter a code in any browser (works over SSH)",
        ),
        (
            OidcFlow::Browser,
            "browser  a browser on this machine, redirected back to 127.0.0.1",
        ),
    ],
    assumed: Some(OidcFlow::Device),
};

pub const OIDC_TOKEN: Menu<OidcToken> = Menu {
    flag: "--oidc-token",
    prompt: "Which token does the gateway expect?",
    help: "ask your gateway's admin; most gateways verify the access token",
    options: &[
        (
            OidcToken::AccessToken,
            "access_token  the OAuth access token",
        ),
        (
            OidcToken::IdToken,
            "id_token      the OpenID Connect ID token",
        ),
    ],
    assumed: Some(OidcToken::AccessToken),
};

/// Asked until an empty answer; none: `openid offline_access`.
pub const OIDC_SCOPE: Text = Text {
    flag: "--oidc-scope",
    prompt: "Scope (empty to finish; none: openid offline_access):",
    help: "`openid` is always asked for; `offline_access` gives the refresh token",
    default: Suggest::None,
    optional: true,
    check: |s| {
        if s.is_empty() || s.contains(char::is_whitespace) {
            Err("one scope, without spaces".into())
        } else {
            Ok(())
        }
    },
};

// ---------------------------------------------------------------- vault

pub const VAULT_ADDR: Text = Text {
    flag: "--vault-addr",
    prompt: "Vault address (empty: $VAULT_ADDR at run time):",
    help: "e.g. https://vault.example.com:8200",
    default: Suggest::None,
    optional: true,
    check: |addr| Ok(rules::service_url("addr", addr)?),
};

/// What a vault source reads: a KV secret, or the user's own identity token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultReads {
    Secret,
    IdentityToken,
}

/// Asked when neither `--vault-path` nor `--vault-identity-role` says; `--non-interactive`
/// takes a KV secret (and then needs `--vault-path`), as before identity tokens.
pub const VAULT_READS: Menu<VaultReads> = Menu {
    flag: "--vault-path or --vault-identity-role",
    prompt: "What does ccgw read from Vault?",
    help: "a shared gateway key in a KV secret, or a token Vault signs for you",
    options: &[
        (
            VaultReads::Secret,
            "secret    a KV secret holding the gateway key",
        ),
        (
            VaultReads::IdentityToken,
            "identity  your identity token (identity/oidc/token/ROLE)",
        ),
    ],
    assumed: Some(VaultReads::Secret),
};

pub const VAULT_IDENTITY_ROLE: Text = Text {
    flag: "--vault-identity-role",
    prompt: "Identity token role:",
    help: "the role of identity/oidc/token/ROLE, as your Vault admin named it",
    default: Suggest::None,
    optional: false,
    check: |role| Ok(rules::identity_role(role)?),
};

/// Answering the default leaves it out of the profile.
pub const VAULT_MOUNT: Text = Text {
    flag: "--vault-mount",
    prompt: "KV mount:",
    help: "the KV secrets engine's mount",
    default: Suggest::Assumed("secret"),
    optional: false,
    check: any,
};

pub const VAULT_PATH: Text = Text {
    flag: "--vault-path",
    prompt: "Secret path:",
    help: "the secret's path inside the mount, e.g. team/litellm",
    default: Suggest::None,
    optional: false,
    check: any,
};

/// Answering the default leaves it out of the profile.
pub const VAULT_FIELD: Text = Text {
    flag: "--vault-field",
    prompt: "Field:",
    help: "the secret's field holding the key",
    default: Suggest::Assumed("api_key"),
    optional: false,
    check: any,
};

pub const VAULT_AUTH: Menu<VaultAuth> = Menu {
    flag: "--vault-auth",
    prompt: "Vault auth method:",
    help: "how ccgw logs in to Vault",
    options: &[
        (
            VaultAuth::Token,
            "token       $VAULT_TOKEN, ~/.vault-token or the keyring",
        ),
        (VaultAuth::Approle, "approle     role id + secret id"),
        (
            VaultAuth::Kubernetes,
            "kubernetes  the pod's service account",
        ),
        (VaultAuth::Jwt, "jwt         a JWT from a file"),
        (
            VaultAuth::Userpass,
            "userpass    user name; password from the keyring",
        ),
    ],
    assumed: Some(VaultAuth::Token),
};

pub const VAULT_ROLE_ID: Text = Text {
    flag: "--vault-role-id",
    prompt: "AppRole role id:",
    help: "",
    default: Suggest::None,
    optional: false,
    check: any,
};

pub const VAULT_SECRET_ID_FILE: Text = Text {
    flag: "--vault-secret-id-file",
    prompt: "File holding the secret id (empty: the keyring):",
    help: "",
    default: Suggest::None,
    optional: true,
    check: any,
};

/// Kubernetes auth (its JWT file is a flag only: the service account token by default).
pub const VAULT_ROLE: Text = Text {
    flag: "--vault-role",
    prompt: "Vault role:",
    help: "",
    default: Suggest::None,
    optional: false,
    check: any,
};

pub const VAULT_JWT_FILE: Text = Text {
    flag: "--vault-jwt-file",
    prompt: "File holding the JWT:",
    help: "",
    default: Suggest::None,
    optional: false,
    check: any,
};

/// JWT auth's role: optional there.
pub const VAULT_JWT_ROLE: Text = Text {
    flag: "--vault-role",
    prompt: "Vault role (empty: the mount's default):",
    help: "",
    default: Suggest::None,
    optional: true,
    check: any,
};

pub const VAULT_USERNAME: Text = Text {
    flag: "--vault-username",
    prompt: "Vault user name:",
    help: "the password is read from the keyring",
    default: Suggest::None,
    optional: false,
    check: any,
};

// ---------------------------------------------------------------- jwt

/// The JWT algorithm: one of `config::rules::JWT_ALGORITHMS`, by index.
pub fn jwt_algorithm() -> Choose<'static> {
    Choose {
        flag: "--jwt-algorithm",
        prompt: "JWT signing algorithm:",
        help: "HS* sign with a shared secret; the others with a private key (PEM)",
        options: rules::JWT_ALGORITHMS.to_vec(),
        assumed: None,
        page_size: None,
    }
}

/// Where a JWT signing key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningKey {
    Keyring,
    Env,
    File,
}

/// Asked when neither `--jwt-secret-env` nor `--jwt-key-file` says; `--non-interactive`
/// then reads the key from stdin into the keyring.
pub const SIGNING_KEY: Menu<SigningKey> = Menu {
    flag: "--jwt-secret-env or --jwt-key-file",
    prompt: "Where is the signing key?",
    help: "the key never goes into the config file",
    options: &[
        (
            SigningKey::Keyring,
            "keyring  type it now; stored in the OS keyring",
        ),
        (SigningKey::Env, "env      an environment variable"),
        (SigningKey::File, "file     a PEM file"),
    ],
    assumed: Some(SigningKey::Keyring),
};

pub const JWT_SECRET_ENV: Text = Text {
    flag: "--jwt-secret-env",
    prompt: "Variable holding the signing key:",
    help: "e.g. CCGW_JWT_SECRET",
    default: Suggest::None,
    optional: false,
    check: any,
};

pub const JWT_KEY_FILE: Text = Text {
    flag: "--jwt-key-file",
    prompt: "PEM file:",
    help: "path of the private key",
    default: Suggest::None,
    optional: false,
    check: any,
};

pub const JWT_TTL: Text = Text {
    flag: "--jwt-ttl",
    prompt: "JWT lifetime (empty: the key TTL):",
    help: "e.g. 15m",
    default: Suggest::None,
    optional: true,
    check: |t| parse_ttl(t).map(drop),
};

/// Asked until an empty answer.
pub const JWT_CLAIM: Text = Text {
    flag: "--jwt-claim",
    prompt: "Extra claim (name=value), empty to finish:",
    help: "templates: {user} {host} {profile} {env:VAR}",
    default: Suggest::None,
    optional: true,
    check: |c| parse_claim(c).map(drop),
};

// ---------------------------------------------------------------- secrets

/// The hidden prompt for a secret.
pub fn secret_prompt(kind: SecretKind) -> String {
    let what = kind.what();
    let mut c = what.chars();
    let capitalised: String = c
        .next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default();
    format!("{capitalised} (hidden):")
}

pub const SECRET_HELP: &str = "stored in the OS keyring, never in a file";

// ---------------------------------------------------------------- confirmations

/// Replace an existing profile? (Only asked without --force.)
pub fn replace(name: &str, config: &std::path::Path) -> Confirm {
    Confirm {
        prompt: format!(
            "Profile `{name}` already exists in {}. Replace it?",
            config.display()
        ),
        help: None,
        default: false,
        assumed: false,
    }
}

/// Make the new profile the default instead of `old`?
pub fn make_default(name: &str, old: &str) -> Confirm {
    Confirm {
        prompt: format!("Make `{name}` the default profile instead of `{old}`?"),
        help: Some(format!(
            "settings files ccgw wrote for `{old}` would then be rewritten for `{name}`"
        )),
        default: false,
        assumed: false,
    }
}

/// The last question, after what will be written is shown.
pub fn write() -> Confirm {
    Confirm {
        prompt: "Write these?".into(),
        help: None,
        default: true,
        assumed: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offered_key_ttl_is_the_configs_default() {
        assert_eq!(
            KEY_TTL.default_text(),
            Some(
                humantime::format_duration(config::DEFAULT_KEY_TTL)
                    .to_string()
                    .as_str()
            )
        );
    }

    #[test]
    fn rules_are_the_configs() {
        let e = (GATEWAY.check)("https://u:hunter2@gw.example").unwrap_err();
        assert!(
            e.contains("user name or password") && !e.contains("hunter2"),
            "{e}"
        );
        assert!((GATEWAY.check)("http://gw.example ").is_err());
        assert!((GATEWAY.check)("http://gw.example").is_ok());
        assert!((VAULT_ADDR.check)("vault:8200").is_err());
        assert!((KEY_TTL.check)("2s").unwrap_err().contains("at least 10s"));
        assert!(SecretKind::GatewayKey.rule()("a b").is_err());
        assert!(SecretKind::GatewayKey.rule()("sk-1").is_ok());
        assert!(SecretKind::JwtSigningKey.rule()(" ").is_err());
        assert!(SecretKind::JwtSigningKey.rule()("any bytes at all").is_ok());
        assert_eq!(
            secret_prompt(SecretKind::GatewayKey),
            "Gateway key (hidden):"
        );
        assert_eq!(
            secret_prompt(SecretKind::JwtSigningKey),
            "JWT signing key (hidden):"
        );
    }

    /// `--non-interactive` never replaces a profile or switches the default, and writes
    /// without asking; the wizard asks each.
    #[test]
    fn confirmations() {
        use crate::onboard::ask::{FlagsOnly, Reply, Scripted};
        let path = std::path::Path::new("/c.toml");
        let mut flags = FlagsOnly::from_stdin();
        assert!(!flags.confirm(&replace("w", path)).unwrap());
        assert!(!flags.confirm(&make_default("w", "old")).unwrap());
        assert!(flags.confirm(&write()).unwrap());
        let mut wizard = Scripted::new(&[
            (
                "Profile `w` already exists in /c.toml. Replace it?",
                Reply::Yes,
            ),
            ("Make `w` the default profile instead of `old`?", Reply::Yes),
            ("Write these?", Reply::No),
        ]);
        assert!(wizard.confirm(&replace("w", path)).unwrap());
        assert!(wizard.confirm(&make_default("w", "old")).unwrap());
        assert!(!wizard.confirm(&write()).unwrap());
        wizard.finish();
    }

    /// Every menu offers each value once, and what it assumes is one of them.
    #[test]
    fn menus_are_well_formed() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(m: &Menu<T>) {
            for (i, (v, line)) in m.options.iter().enumerate() {
                assert!(line.contains("  "), "{line:?} explains itself");
                assert!(!m.options[..i].iter().any(|(w, _)| w == v), "{v:?} twice");
            }
            if let Some(a) = m.assumed {
                assert!(m.options.iter().any(|(v, _)| *v == a));
            }
        }
        check(&MODE);
        check(&KEY_SOURCE);
        check(&SCOPE);
        check(&VAULT_AUTH);
        check(&SIGNING_KEY);
        check(&OIDC_FLOW);
        check(&OIDC_TOKEN);
        assert_eq!(MODE.options.len(), 4);
        assert_eq!(KEY_SOURCE.options.len(), 6);
        assert_eq!(SCOPE.options.len(), 5);
    }
}
