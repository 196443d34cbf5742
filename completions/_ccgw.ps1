
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ccgw' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ccgw'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ccgw' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Set up a profile, its secret and Claude Code''s settings, then run doctor')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'List, show, select or remove profiles')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print shell exports for the profile: eval "$(ccgw env)"')
            [CompletionResult]::new('settings', 'settings', [CompletionResultType]::ParameterValue, 'Write, remove or show the gateway keys in Claude Code''s settings files')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Print the gateway key (Claude Code''s apiKeyHelper)')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with the profile''s identity provider (an `oidc` key source)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Sign out: revoke the refresh token at the identity provider, delete it from the keyring and drop the profile''s cached tokens')
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'Store or delete a secret in the OS keyring (the value is read from stdin)')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect or drop cached keys')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with the profile''s environment (and, for claude, its apiKeyHelper)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the whole chain: config, settings, key, network, gateway, auth, models, messages')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page, or write all man pages to a directory')
            break
        }
        'ccgw;init' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Start from a published profile: a file, or an https URL (http to localhost only)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'Gateway base URL, e.g. http://localhost:4000')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'How Claude Code reaches the gateway')
            [CompletionResult]::new('--key-ttl', '--key-ttl', [CompletionResultType]::ParameterName, 'How long a fetched key is reused, e.g. 55m')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model for ANTHROPIC_MODEL')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header ''Name: value'' (repeatable)')
            [CompletionResult]::new('--bedrock-region', '--bedrock-region', [CompletionResultType]::ParameterName, 'AWS region for bedrock mode')
            [CompletionResult]::new('--vertex-project', '--vertex-project', [CompletionResultType]::ParameterName, 'GCP project for vertex mode')
            [CompletionResult]::new('--vertex-region', '--vertex-region', [CompletionResultType]::ParameterName, 'Vertex region for vertex mode [default: us-east5]')
            [CompletionResult]::new('--key-source', '--key-source', [CompletionResultType]::ParameterName, 'Where the gateway key comes from')
            [CompletionResult]::new('--vault-addr', '--vault-addr', [CompletionResultType]::ParameterName, 'Vault address [default: $VAULT_ADDR]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'Vault KV mount [default: secret]')
            [CompletionResult]::new('--vault-path', '--vault-path', [CompletionResultType]::ParameterName, 'Vault secret path inside the mount')
            [CompletionResult]::new('--vault-identity-role', '--vault-identity-role', [CompletionResultType]::ParameterName, 'Serve the Vault identity token of identity/oidc/token/ROLE instead of a KV secret')
            [CompletionResult]::new('--vault-field', '--vault-field', [CompletionResultType]::ParameterName, 'Field of the Vault secret holding the key [default: api_key]')
            [CompletionResult]::new('--vault-auth', '--vault-auth', [CompletionResultType]::ParameterName, 'Vault auth method [default: token]')
            [CompletionResult]::new('--vault-role-id', '--vault-role-id', [CompletionResultType]::ParameterName, 'AppRole role id (vault auth approle)')
            [CompletionResult]::new('--vault-secret-id-file', '--vault-secret-id-file', [CompletionResultType]::ParameterName, 'File holding the AppRole secret id [default: the OS keyring]')
            [CompletionResult]::new('--vault-role', '--vault-role', [CompletionResultType]::ParameterName, 'Vault role (vault auth kubernetes or jwt)')
            [CompletionResult]::new('--vault-jwt-file', '--vault-jwt-file', [CompletionResultType]::ParameterName, 'File holding the JWT to log in with (vault auth jwt; kubernetes defaults to the service account token)')
            [CompletionResult]::new('--vault-username', '--vault-username', [CompletionResultType]::ParameterName, 'Vault user name (vault auth userpass; the password comes from the OS keyring)')
            [CompletionResult]::new('--jwt-algorithm', '--jwt-algorithm', [CompletionResultType]::ParameterName, 'JWT signing algorithm, e.g. HS256, RS256, ES256, EdDSA')
            [CompletionResult]::new('--jwt-secret-env', '--jwt-secret-env', [CompletionResultType]::ParameterName, 'Environment variable holding the JWT signing secret')
            [CompletionResult]::new('--jwt-key-file', '--jwt-key-file', [CompletionResultType]::ParameterName, 'PEM file holding the JWT signing key')
            [CompletionResult]::new('--jwt-ttl', '--jwt-ttl', [CompletionResultType]::ParameterName, 'Lifetime of each minted JWT, e.g. 1h')
            [CompletionResult]::new('--jwt-claim', '--jwt-claim', [CompletionResultType]::ParameterName, 'Extra JWT claim k=v (repeatable; templates {user} {host} {profile} {env:VAR})')
            [CompletionResult]::new('--oidc-issuer', '--oidc-issuer', [CompletionResultType]::ParameterName, 'Identity provider''s issuer URL (key source `oidc`), e.g. https://login.example.com/realms/r')
            [CompletionResult]::new('--oidc-client-id', '--oidc-client-id', [CompletionResultType]::ParameterName, 'OAuth client id registered at the identity provider (key source `oidc`)')
            [CompletionResult]::new('--oidc-flow', '--oidc-flow', [CompletionResultType]::ParameterName, 'How `ccgw login` signs in (key source `oidc`) [default: device]')
            [CompletionResult]::new('--oidc-token', '--oidc-token', [CompletionResultType]::ParameterName, 'Which token the gateway is sent (key source `oidc`) [default: access_token]')
            [CompletionResult]::new('--oidc-scope', '--oidc-scope', [CompletionResultType]::ParameterName, 'Scope to ask for (repeatable; key source `oidc`) [default: openid offline_access]')
            [CompletionResult]::new('--oidc-audience', '--oidc-audience', [CompletionResultType]::ParameterName, 'Resource / audience the token is for (key source `oidc`), when the IdP needs one')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'Command that prints the key (key source `command`)')
            [CompletionResult]::new('--env-var', '--env-var', [CompletionResultType]::ParameterName, 'Environment variable holding the key (key source `env`)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Which Claude Code settings file to write')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--non-interactive', '--non-interactive', [CompletionResultType]::ParameterName, 'Never prompt; fail (exit 2) naming the first missing flag')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing profile of the same name')
            [CompletionResult]::new('--no-doctor', '--no-doctor', [CompletionResultType]::ParameterName, 'Do not run `ccgw doctor` at the end')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccgw;profile' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles (the default is marked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a profile as TOML (never a secret)')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make NAME the default profile and rewrite the settings ccgw wrote for the previous one')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile from the config file')
            break
        }
        'ccgw;profile;list' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;profile;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;profile;use' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;profile;remove' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;env' {
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Output syntax [default: detected from $SHELL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Print commands that unset the profile''s variables instead')
            [CompletionResult]::new('--with-key', '--with-key', [CompletionResultType]::ParameterName, 'Also export the key itself as ANTHROPIC_AUTH_TOKEN (for tools without apiKeyHelper)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;settings' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('write', 'write', [CompletionResultType]::ParameterValue, 'Merge the profile into a settings file (only the keys ccgw owns)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Undo exactly what ccgw wrote to a settings file')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show each layer''s gateway-relevant keys')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print the profile as managed settings for an MDM rollout (never a secret)')
            break
        }
        'ccgw;settings;write' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Settings scope')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A settings file by path instead of a scope')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the diff and write nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Change a read-only settings file anyway (it stays read-only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccgw;settings;remove' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Settings scope')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A settings file by path instead of a scope')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the diff and write nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Change a read-only settings file anyway (it stays read-only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccgw;settings;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--effective', '--effective', [CompletionResultType]::ParameterName, 'Show the effective value of each key and the layer it comes from')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;settings;export' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccgw;key' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Fetch from the source and neither read nor write the cache')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch from the source and update the cache')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;login' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Never open a browser: print the URL (and the code) only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ccgw;logout' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;secret' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store a secret read from stdin in the OS keyring')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete the profile''s secret from the OS keyring')
            break
        }
        'ccgw;secret;set' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--jwt-signing-key', '--jwt-signing-key', [CompletionResultType]::ParameterName, 'Store the JWT signing key instead of the gateway key')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;secret;delete' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--jwt-signing-key', '--jwt-signing-key', [CompletionResultType]::ParameterName, 'Delete the JWT signing key instead of the gateway key')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;cache' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show cached keys: profile, source, age, expiry (never the key)')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Drop the cached key of the profile, or of every profile with --all')
            break
        }
        'ccgw;cache;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;cache;clear' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Drop every cached key')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;exec' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;doctor' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit for each network step')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only these checks (by id)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object instead of the checklist')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Also send a streamed 1-token /v1/messages request')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 1) on warnings too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ccgw;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write ccgw.1 and one page per subcommand here instead of printing ccgw.1')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to use [default: <config dir>/ccgw/config.toml]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use [default: the config''s `default_profile`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
