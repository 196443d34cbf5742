//! Every clap type of the command line. Doc comments here are the help text, the completions and
//! the man pages, so they are written for the user. Nothing in this file does any work. The
//! domain's own enums (`config::Mode`, `SourceKind`, `VaultAuth`, `claude::layers::Scope`)
//! derive `ValueEnum` where they are defined, so flags carry them with no conversion; their
//! doc comments are the help of their values.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::claude::export::Format as ExportFormat;
use crate::claude::layers::Scope;
use crate::config::{Mode, SourceKind, VaultAuth};

/// Put Claude Code behind an LLM gateway and keep it authenticated.
///
/// ccgw turns a named profile (gateway URL, mode, models, headers, key source) into the settings,
/// shell exports or one-off launch Claude Code needs, acts as Claude Code's `apiKeyHelper` with a
/// shared key cache, and diagnoses the gateway with `ccgw doctor`.
///
/// Exit codes: 0 ok, 1 failure (doctor found a failing check), 2 usage or configuration error,
/// 4 authentication or key failure. `ccgw exec` exits with the child's code.
#[derive(Debug, Parser)]
#[command(name = "ccgw", version, about, long_about, max_term_width = 100)]
// `ccgw CMD --help` covers it, and without it the man pages and completions list only real commands.
#[command(disable_help_subcommand = true)]
pub struct Cli {
    /// Config file to use [default: <config dir>/ccgw/config.toml]
    #[arg(long, global = true, env = "CCGW_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Profile to use [default: the config's `default_profile`]
    #[arg(long, global = true, env = "CCGW_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run: the size of the largest variant (init's flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up a profile, its secret and Claude Code's settings, then run doctor
    ///
    /// Asks only what the flags leave open, shows the profile and the settings diff, and writes
    /// nothing before "Write these?" is answered (Ctrl-C at any prompt exits 130, nothing
    /// written). The profile is named by --profile, else asked (`default` offered; with
    /// --non-interactive, `default`). It becomes `default_profile` when the config has none.
    /// With --non-interactive a keyring secret (the gateway key, or a JWT signing key when
    /// neither --jwt-secret-env nor --jwt-key-file is given) is read from stdin. Exits 1 when
    /// the final doctor run finds a failing check (the files stay written).
    Init(InitArgs),

    /// List, show, select or remove profiles
    #[command(subcommand)]
    Profile(ProfileCommand),

    /// Print shell exports for the profile: eval "$(ccgw env)"
    Env(EnvArgs),

    /// Write, remove or show the gateway keys in Claude Code's settings files
    #[command(subcommand)]
    Settings(SettingsCommand),

    /// Print the gateway key (Claude Code's apiKeyHelper)
    Key(KeyArgs),

    /// Sign in with the profile's identity provider (an `oidc` key source)
    ///
    /// The device flow prints a URL and a code to enter there (and opens a browser when there
    /// is a display); the browser flow opens the identity provider's sign-in page and takes
    /// its answer on a loopback port. The refresh token goes to the OS keyring, never a file;
    /// `ccgw key` then renews the token silently.
    Login(LoginArgs),

    /// Sign out: revoke the refresh token at the identity provider, delete it from the
    /// keyring and drop the profile's cached tokens
    Logout,

    /// Store or delete a secret in the OS keyring (the value is read from stdin)
    #[command(subcommand)]
    Secret(SecretCommand),

    /// Inspect or drop cached keys
    #[command(subcommand)]
    Cache(CacheCommand),

    /// Run a command with the profile's environment (and, for claude, its apiKeyHelper)
    Exec(ExecArgs),

    /// Check the whole chain: config, settings, key, network, gateway, auth, models, messages
    Doctor(DoctorArgs),

    /// Print a shell completion script
    Completions(CompletionsArgs),

    /// Print the man page, or write all man pages to a directory
    Man(ManArgs),
}

/// Where `ccgw init` writes Claude Code settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitScopeArg {
    User,
    Project,
    Local,
    Managed,
    /// Write no settings file (use `ccgw env` or `ccgw exec`)
    None,
}

impl InitScopeArg {
    /// The settings layer to write; `None` for `none`.
    pub fn scope(self) -> Option<Scope> {
        match self {
            InitScopeArg::User => Some(Scope::User),
            InitScopeArg::Project => Some(Scope::Project),
            InitScopeArg::Local => Some(Scope::Local),
            InitScopeArg::Managed => Some(Scope::Managed),
            InitScopeArg::None => None,
        }
    }
}

/// The `init` flags that describe a profile: a published profile (`--from`) answers them all.
const PROFILE_FLAGS: &[&str] = &[
    "gateway",
    "mode",
    "key_ttl",
    "model",
    "headers",
    "bedrock_region",
    "vertex_project",
    "vertex_region",
    "key_source",
    "vault_addr",
    "vault_mount",
    "vault_path",
    "vault_field",
    "vault_auth",
    "vault_role_id",
    "vault_secret_id_file",
    "vault_role",
    "vault_jwt_file",
    "vault_username",
    "jwt_algorithm",
    "jwt_secret_env",
    "jwt_key_file",
    "jwt_ttl",
    "jwt_claims",
    "command",
    "env_var",
];

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Never prompt; fail (exit 2) naming the first missing flag
    #[arg(long)]
    pub non_interactive: bool,

    /// Replace an existing profile of the same name
    #[arg(long)]
    pub force: bool,

    /// Start from a published profile: a file, or an https URL (http to localhost only)
    ///
    /// The file is a ccgw config holding one profile (`[profiles.NAME]` and its subtables,
    /// exactly as in config.toml); it must not carry a secret. init then asks only what it
    /// lacks (a keyring secret, the settings scope). Excludes the flags that describe a profile.
    #[arg(long, value_name = "FILE|URL", conflicts_with_all = PROFILE_FLAGS)]
    pub from: Option<String>,

    /// Gateway base URL, e.g. http://localhost:4000
    #[arg(long, value_name = "URL")]
    pub gateway: Option<String>,

    /// How Claude Code reaches the gateway
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,

    /// How long a fetched key is reused, e.g. 55m
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub key_ttl: Option<Duration>,

    /// Model for ANTHROPIC_MODEL
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Extra request header 'Name: value' (repeatable)
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// AWS region for bedrock mode
    #[arg(long, value_name = "REGION")]
    pub bedrock_region: Option<String>,

    /// GCP project for vertex mode
    #[arg(long, value_name = "PROJECT")]
    pub vertex_project: Option<String>,

    /// Vertex region for vertex mode [default: us-east5]
    #[arg(long, value_name = "REGION")]
    pub vertex_region: Option<String>,

    /// Where the gateway key comes from
    #[arg(long, value_enum)]
    pub key_source: Option<SourceKind>,

    /// Vault address [default: $VAULT_ADDR]
    #[arg(long, value_name = "URL")]
    pub vault_addr: Option<String>,

    /// Vault KV mount [default: secret]
    #[arg(long, value_name = "MOUNT")]
    pub vault_mount: Option<String>,

    /// Vault secret path inside the mount
    #[arg(long, value_name = "PATH")]
    pub vault_path: Option<String>,

    /// Serve the Vault identity token of identity/oidc/token/ROLE instead of a KV secret
    #[arg(long, value_name = "ROLE", conflicts_with_all = ["vault_path", "vault_mount", "vault_field"])]
    pub vault_identity_role: Option<String>,

    /// Field of the Vault secret holding the key [default: api_key]
    #[arg(long, value_name = "FIELD")]
    pub vault_field: Option<String>,

    /// Vault auth method [default: token]
    #[arg(long, value_enum)]
    pub vault_auth: Option<VaultAuth>,

    /// AppRole role id (vault auth approle)
    #[arg(long, value_name = "ID")]
    pub vault_role_id: Option<String>,

    /// File holding the AppRole secret id [default: the OS keyring]
    #[arg(long, value_name = "FILE")]
    pub vault_secret_id_file: Option<PathBuf>,

    /// Vault role (vault auth kubernetes or jwt)
    #[arg(long, value_name = "ROLE")]
    pub vault_role: Option<String>,

    /// File holding the JWT to log in with (vault auth jwt; kubernetes defaults to the service account token)
    #[arg(long, value_name = "FILE")]
    pub vault_jwt_file: Option<PathBuf>,

    /// Vault user name (vault auth userpass; the password comes from the OS keyring)
    #[arg(long, value_name = "NAME")]
    pub vault_username: Option<String>,

    /// JWT signing algorithm, e.g. HS256, RS256, ES256, EdDSA
    #[arg(long, value_name = "ALG")]
    pub jwt_algorithm: Option<String>,

    /// Environment variable holding the JWT signing secret
    #[arg(long, value_name = "VAR")]
    pub jwt_secret_env: Option<String>,

    /// PEM file holding the JWT signing key
    #[arg(long, value_name = "FILE")]
    pub jwt_key_file: Option<PathBuf>,

    /// Lifetime of each minted JWT, e.g. 1h
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub jwt_ttl: Option<Duration>,

    /// Extra JWT claim k=v (repeatable; templates {user} {host} {profile} {env:VAR})
    #[arg(long = "jwt-claim", value_name = "K=V")]
    pub jwt_claims: Vec<String>,

    /// Identity provider's issuer URL (key source `oidc`), e.g. https://login.example.com/realms/r
    #[arg(long, value_name = "URL")]
    pub oidc_issuer: Option<String>,

    /// OAuth client id registered at the identity provider (key source `oidc`)
    #[arg(long, value_name = "ID")]
    pub oidc_client_id: Option<String>,

    /// How `ccgw login` signs in (key source `oidc`) [default: device]
    #[arg(long, value_enum)]
    pub oidc_flow: Option<crate::config::OidcFlow>,

    /// Which token the gateway is sent (key source `oidc`) [default: access_token]
    #[arg(long, value_enum)]
    pub oidc_token: Option<crate::config::OidcToken>,

    /// Scope to ask for (repeatable; key source `oidc`) [default: openid offline_access]
    #[arg(long = "oidc-scope", value_name = "SCOPE")]
    pub oidc_scopes: Vec<String>,

    /// Resource / audience the token is for (key source `oidc`), when the IdP needs one
    #[arg(long, value_name = "AUD")]
    pub oidc_audience: Option<String>,

    /// Command that prints the key (key source `command`)
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,

    /// Environment variable holding the key (key source `env`)
    #[arg(long, value_name = "VAR")]
    pub env_var: Option<String>,

    /// Which Claude Code settings file to write
    #[arg(long, value_enum)]
    pub scope: Option<InitScopeArg>,

    /// Do not run `ccgw doctor` at the end
    #[arg(long)]
    pub no_doctor: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List profiles (the default is marked)
    List,
    /// Show a profile as TOML (never a secret)
    Show {
        /// Profile name [default: the selected profile]
        name: Option<String>,
    },
    /// Make NAME the default profile and rewrite the settings ccgw wrote for the previous one
    Use {
        /// Profile name
        name: String,
    },
    /// Remove a profile from the config file
    Remove {
        /// Profile name
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Output syntax [default: detected from $SHELL]
    #[arg(long, value_enum)]
    pub shell: Option<crate::shell::Shell>,

    /// Print commands that unset the profile's variables instead
    #[arg(long, conflicts_with = "with_key")]
    pub unset: bool,

    /// Also export the key itself as ANTHROPIC_AUTH_TOKEN (for tools without apiKeyHelper)
    #[arg(long)]
    pub with_key: bool,
}

/// Which settings file a `settings` command acts on.
#[derive(Debug, Args)]
pub struct SettingsTarget {
    /// Settings scope
    #[arg(long, value_enum, default_value = "user", conflicts_with = "file")]
    pub scope: Scope,

    /// A settings file by path instead of a scope
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Merge the profile into a settings file (only the keys ccgw owns)
    Write {
        #[command(flatten)]
        target: SettingsTarget,
        /// Print the diff and write nothing
        #[arg(long)]
        dry_run: bool,
        /// Change a read-only settings file anyway (it stays read-only)
        #[arg(long)]
        force: bool,
    },
    /// Undo exactly what ccgw wrote to a settings file
    Remove {
        #[command(flatten)]
        target: SettingsTarget,
        /// Print the diff and write nothing
        #[arg(long)]
        dry_run: bool,
        /// Change a read-only settings file anyway (it stays read-only)
        #[arg(long)]
        force: bool,
    },
    /// Show each layer's gateway-relevant keys
    Show {
        /// Show the effective value of each key and the layer it comes from
        #[arg(long)]
        effective: bool,
    },
    /// Print the profile as managed settings for an MDM rollout (never a secret)
    ///
    /// The helper is plain `ccgw key --profile NAME`: every machine needs ccgw on PATH and the
    /// profile in its default config (e.g. from `ccgw init --from URL`).
    Export {
        /// Output format
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Fetch from the source and neither read nor write the cache
    #[arg(long, conflicts_with = "refresh")]
    pub no_cache: bool,

    /// Fetch from the source and update the cache
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Never open a browser: print the URL (and the code) only
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret read from stdin in the OS keyring
    Set {
        /// Store the JWT signing key instead of the gateway key
        #[arg(long)]
        jwt_signing_key: bool,
    },
    /// Delete the profile's secret from the OS keyring
    Delete {
        /// Delete the JWT signing key instead of the gateway key
        #[arg(long)]
        jwt_signing_key: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Show cached keys: profile, source, age, expiry (never the key)
    Status,
    /// Drop the cached key of the profile, or of every profile with --all
    Clear {
        /// Drop every cached key
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The command and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print one JSON object instead of the checklist
    #[arg(long)]
    pub json: bool,

    /// Also send a streamed 1-token /v1/messages request
    #[arg(long)]
    pub live: bool,

    /// Time limit for each network step
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,

    /// Fail (exit 1) on warnings too
    #[arg(long)]
    pub strict: bool,

    /// Run only these checks (by id)
    #[arg(long, value_name = "CHECK", num_args = 1..)]
    pub only: Vec<String>,
}

/// Shells `ccgw completions` can generate for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write ccgw.1 and one page per subcommand here instead of printing ccgw.1
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

impl Cli {
    /// Parse the process's arguments.
    ///
    /// The exact line ccgw writes as Claude Code's apiKeyHelper, `ccgw [--config FILE] key
    /// --profile NAME`, runs at the start of every `claude` process; building clap's whole
    /// command tree for it costs about a quarter of a cache hit (measured with callgrind). That
    /// one shape is recognised directly, with clap's meaning; everything else goes to clap.
    pub fn parse_args() -> Self {
        Self::helper_line(std::env::args_os().skip(1), |k| std::env::var_os(k))
            .unwrap_or_else(<Self as Parser>::parse)
    }

    /// `Some` only for `[--config FILE] key --profile NAME` (values not starting with `-`,
    /// the profile UTF-8); the env fallback for `--config` is `CCGW_CONFIG`, as in clap.
    pub(crate) fn helper_line(
        args: impl Iterator<Item = OsString>,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Option<Self> {
        // clap reads both variables even when the flags are given, and refuses (exit 2) an
        // empty `CCGW_CONFIG` (a path needs a value) and a `CCGW_PROFILE` that is not UTF-8:
        // such a line is clap's to refuse, or the two would disagree.
        let config_env = env("CCGW_CONFIG");
        if config_env.as_ref().is_some_and(|v| v.is_empty())
            || env("CCGW_PROFILE").is_some_and(|v| v.to_str().is_none())
        {
            return None;
        }
        let args: Vec<OsString> = args.collect();
        fn value(v: &OsString) -> Option<&OsString> {
            (!v.is_empty() && !v.to_string_lossy().starts_with('-')).then_some(v)
        }
        let (config, rest) = match args.as_slice() {
            [flag, file, rest @ ..] if flag == "--config" => {
                (Some(PathBuf::from(value(file)?)), rest)
            }
            rest => (None, rest),
        };
        let [key, flag, name] = rest else { return None };
        if key != "key" || flag != "--profile" {
            return None;
        }
        let profile = value(name)?.to_str()?.to_owned();
        let config = config.or_else(|| config_env.map(PathBuf::from));
        Some(Self {
            config,
            profile: Some(profile),
            command: Command::Key(KeyArgs {
                no_cache: false,
                refresh: false,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::{CommandFactory, Parser};
    use std::ffi::OsString;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    fn fast(args: &[&str], config_env: Option<&str>) -> Option<Cli> {
        let env = config_env.map(OsString::from);
        Cli::helper_line(args.iter().map(OsString::from), |k| {
            (k == "CCGW_CONFIG").then(|| env.clone()).flatten()
        })
    }

    /// The fast path must mean exactly what clap means for every helper line.
    #[test]
    fn helper_line_agrees_with_clap() {
        let lines: [&[&str]; 4] = [
            &["key", "--profile", "work"],
            &["--config", "/etc/ccgw it.toml", "key", "--profile", "work"],
            &["key", "--profile", "dev-2"],
            &["--config", "c.toml", "key", "--profile", "é"],
        ];
        for line in lines {
            let fast = fast(line, None).unwrap_or_else(|| panic!("{line:?} not recognised"));
            let clap =
                Cli::try_parse_from(std::iter::once("ccgw").chain(line.iter().copied())).unwrap();
            assert_eq!(fast.config, clap.config, "{line:?}");
            assert_eq!(fast.profile, clap.profile, "{line:?}");
            let (Command::Key(f), Command::Key(c)) = (&fast.command, &clap.command) else {
                panic!()
            };
            assert_eq!((f.no_cache, f.refresh), (c.no_cache, c.refresh));
        }
        // CCGW_CONFIG applies when --config is absent, not when it is given.
        assert_eq!(
            fast(&["key", "--profile", "w"], Some("/e.toml"))
                .unwrap()
                .config
                .unwrap()
                .to_str(),
            Some("/e.toml")
        );
        assert_eq!(
            fast(
                &["--config", "/f.toml", "key", "--profile", "w"],
                Some("/e.toml")
            )
            .unwrap()
            .config
            .unwrap()
            .to_str(),
            Some("/f.toml")
        );
    }

    /// Found by the `helper_line` fuzz target: clap refuses a non-UTF-8 `CCGW_PROFILE` even
    /// when `--profile` overrides it, and an empty `CCGW_CONFIG` even when `--config` is
    /// given, so the fast path must leave those lines to clap.
    #[test]
    fn variables_clap_refuses_go_to_clap() {
        use std::os::unix::ffi::OsStringExt;
        let line = ["key", "--profile", "key"].map(OsString::from);
        let env = |k: &str| (k == "CCGW_PROFILE").then(|| OsString::from_vec(vec![2, 0x89, 0x60]));
        assert!(Cli::helper_line(line.iter().cloned(), env).is_none());
        let with_config = ["--config", "/c.toml", "key", "--profile", "w"].map(OsString::from);
        for l in [&line[..], &with_config[..]] {
            let env = |k: &str| (k == "CCGW_CONFIG").then(OsString::new);
            assert!(Cli::helper_line(l.iter().cloned(), env).is_none(), "{l:?}");
        }
        // A UTF-8 one is overridden by the flag, as in clap.
        let env = |k: &str| (k == "CCGW_PROFILE").then(|| OsString::from("other"));
        let cli = Cli::helper_line(line.into_iter(), env).unwrap();
        assert_eq!(cli.profile.as_deref(), Some("key"));
    }

    #[test]
    fn anything_else_goes_to_clap() {
        for line in [
            &["key"][..],
            &["key", "--profile"],
            &["key", "--profile", "w", "--refresh"],
            &["key", "--profile", "--refresh"],
            &["--profile", "w", "key"],
            &["key", "--profile=w"],
            &["env", "--profile", "w"],
            &["--config", "--x", "key", "--profile", "w"],
            &["key", "--profile", ""],
        ] {
            assert!(fast(line, None).is_none(), "{line:?}");
        }
    }
}
