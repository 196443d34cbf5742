
use builtin;
use str;

set edit:completion:arg-completer[ccgw] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ccgw'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ccgw'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Set up a profile, its secret and Claude Code''s settings, then run doctor'
            cand profile 'List, show, select or remove profiles'
            cand env 'Print shell exports for the profile: eval "$(ccgw env)"'
            cand settings 'Write, remove or show the gateway keys in Claude Code''s settings files'
            cand key 'Print the gateway key (Claude Code''s apiKeyHelper)'
            cand login 'Sign in with the profile''s identity provider (an `oidc` key source)'
            cand logout 'Sign out: revoke the refresh token at the identity provider, delete it from the keyring and drop the profile''s cached tokens'
            cand secret 'Store or delete a secret in the OS keyring (the value is read from stdin)'
            cand cache 'Inspect or drop cached keys'
            cand exec 'Run a command with the profile''s environment (and, for claude, its apiKeyHelper)'
            cand doctor 'Check the whole chain: config, settings, key, network, gateway, auth, models, messages'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page, or write all man pages to a directory'
        }
        &'ccgw;init'= {
            cand --from 'Start from a published profile: a file, or an https URL (http to localhost only)'
            cand --gateway 'Gateway base URL, e.g. http://localhost:4000'
            cand --mode 'How Claude Code reaches the gateway'
            cand --key-ttl 'How long a fetched key is reused, e.g. 55m'
            cand --model 'Model for ANTHROPIC_MODEL'
            cand --header 'Extra request header ''Name: value'' (repeatable)'
            cand --bedrock-region 'AWS region for bedrock mode'
            cand --vertex-project 'GCP project for vertex mode'
            cand --vertex-region 'Vertex region for vertex mode [default: us-east5]'
            cand --key-source 'Where the gateway key comes from'
            cand --vault-addr 'Vault address [default: $VAULT_ADDR]'
            cand --vault-mount 'Vault KV mount [default: secret]'
            cand --vault-path 'Vault secret path inside the mount'
            cand --vault-identity-role 'Serve the Vault identity token of identity/oidc/token/ROLE instead of a KV secret'
            cand --vault-field 'Field of the Vault secret holding the key [default: api_key]'
            cand --vault-auth 'Vault auth method [default: token]'
            cand --vault-role-id 'AppRole role id (vault auth approle)'
            cand --vault-secret-id-file 'File holding the AppRole secret id [default: the OS keyring]'
            cand --vault-role 'Vault role (vault auth kubernetes or jwt)'
            cand --vault-jwt-file 'File holding the JWT to log in with (vault auth jwt; kubernetes defaults to the service account token)'
            cand --vault-username 'Vault user name (vault auth userpass; the password comes from the OS keyring)'
            cand --jwt-algorithm 'JWT signing algorithm, e.g. HS256, RS256, ES256, EdDSA'
            cand --jwt-secret-env 'Environment variable holding the JWT signing secret'
            cand --jwt-key-file 'PEM file holding the JWT signing key'
            cand --jwt-ttl 'Lifetime of each minted JWT, e.g. 1h'
            cand --jwt-claim 'Extra JWT claim k=v (repeatable; templates {user} {host} {profile} {env:VAR})'
            cand --oidc-issuer 'Identity provider''s issuer URL (key source `oidc`), e.g. https://login.example.com/realms/r'
            cand --oidc-client-id 'OAuth client id registered at the identity provider (key source `oidc`)'
            cand --oidc-flow 'How `ccgw login` signs in (key source `oidc`) [default: device]'
            cand --oidc-token 'Which token the gateway is sent (key source `oidc`) [default: access_token]'
            cand --oidc-scope 'Scope to ask for (repeatable; key source `oidc`) [default: openid offline_access]'
            cand --oidc-audience 'Resource / audience the token is for (key source `oidc`), when the IdP needs one'
            cand --command 'Command that prints the key (key source `command`)'
            cand --env-var 'Environment variable holding the key (key source `env`)'
            cand --scope 'Which Claude Code settings file to write'
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --non-interactive 'Never prompt; fail (exit 2) naming the first missing flag'
            cand --force 'Replace an existing profile of the same name'
            cand --no-doctor 'Do not run `ccgw doctor` at the end'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccgw;profile'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List profiles (the default is marked)'
            cand show 'Show a profile as TOML (never a secret)'
            cand use 'Make NAME the default profile and rewrite the settings ccgw wrote for the previous one'
            cand remove 'Remove a profile from the config file'
        }
        &'ccgw;profile;list'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;profile;show'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;profile;use'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;profile;remove'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;env'= {
            cand --shell 'Output syntax [default: detected from $SHELL]'
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --unset 'Print commands that unset the profile''s variables instead'
            cand --with-key 'Also export the key itself as ANTHROPIC_AUTH_TOKEN (for tools without apiKeyHelper)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;settings'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand write 'Merge the profile into a settings file (only the keys ccgw owns)'
            cand remove 'Undo exactly what ccgw wrote to a settings file'
            cand show 'Show each layer''s gateway-relevant keys'
            cand export 'Print the profile as managed settings for an MDM rollout (never a secret)'
        }
        &'ccgw;settings;write'= {
            cand --scope 'Settings scope'
            cand --file 'A settings file by path instead of a scope'
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --dry-run 'Print the diff and write nothing'
            cand --force 'Change a read-only settings file anyway (it stays read-only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccgw;settings;remove'= {
            cand --scope 'Settings scope'
            cand --file 'A settings file by path instead of a scope'
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --dry-run 'Print the diff and write nothing'
            cand --force 'Change a read-only settings file anyway (it stays read-only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccgw;settings;show'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --effective 'Show the effective value of each key and the layer it comes from'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;settings;export'= {
            cand --format 'Output format'
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccgw;key'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --no-cache 'Fetch from the source and neither read nor write the cache'
            cand --refresh 'Fetch from the source and update the cache'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;login'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --no-browser 'Never open a browser: print the URL (and the code) only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ccgw;logout'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;secret'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand set 'Store a secret read from stdin in the OS keyring'
            cand delete 'Delete the profile''s secret from the OS keyring'
        }
        &'ccgw;secret;set'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --jwt-signing-key 'Store the JWT signing key instead of the gateway key'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;secret;delete'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --jwt-signing-key 'Delete the JWT signing key instead of the gateway key'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;cache'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand status 'Show cached keys: profile, source, age, expiry (never the key)'
            cand clear 'Drop the cached key of the profile, or of every profile with --all'
        }
        &'ccgw;cache;status'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;cache;clear'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --all 'Drop every cached key'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;exec'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;doctor'= {
            cand --timeout 'Time limit for each network step'
            cand --only 'Run only these checks (by id)'
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand --json 'Print one JSON object instead of the checklist'
            cand --live 'Also send a streamed 1-token /v1/messages request'
            cand --strict 'Fail (exit 1) on warnings too'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;completions'= {
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ccgw;man'= {
            cand --out-dir 'Write ccgw.1 and one page per subcommand here instead of printing ccgw.1'
            cand --config 'Config file to use [default: <config dir>/ccgw/config.toml]'
            cand --profile 'Profile to use [default: the config''s `default_profile`]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
    ]
    $completions[$command]
}
