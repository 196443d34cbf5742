# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ccgw_global_optspecs
    string join \n config= profile= h/help V/version
end

function __fish_ccgw_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ccgw_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ccgw_using_subcommand
    set -l cmd (__fish_ccgw_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ccgw -n "__fish_ccgw_needs_command" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_needs_command" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccgw -n "__fish_ccgw_needs_command" -s V -l version -d 'Print version'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "init" -d 'Set up a profile, its secret and Claude Code\'s settings, then run doctor'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "profile" -d 'List, show, select or remove profiles'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "env" -d 'Print shell exports for the profile: eval "$(ccgw env)"'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "settings" -d 'Write, remove or show the gateway keys in Claude Code\'s settings files'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "key" -d 'Print the gateway key (Claude Code\'s apiKeyHelper)'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "login" -d 'Sign in with the profile\'s identity provider (an `oidc` key source)'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "logout" -d 'Sign out: revoke the refresh token at the identity provider, delete it from the keyring and drop the profile\'s cached tokens'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "secret" -d 'Store or delete a secret in the OS keyring (the value is read from stdin)'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "cache" -d 'Inspect or drop cached keys'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "exec" -d 'Run a command with the profile\'s environment (and, for claude, its apiKeyHelper)'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "doctor" -d 'Check the whole chain: config, settings, key, network, gateway, auth, models, messages'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c ccgw -n "__fish_ccgw_needs_command" -f -a "man" -d 'Print the man page, or write all man pages to a directory'
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l from -d 'Start from a published profile: a file, or an https URL (http to localhost only)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l gateway -d 'Gateway base URL, e.g. http://localhost:4000' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l mode -d 'How Claude Code reaches the gateway' -r -f -a "unified\t'The gateway\'s Anthropic-compatible endpoint (recommended)'
anthropic\t'The gateway\'s `/anthropic` pass-through route'
bedrock\t'The gateway\'s `/bedrock` pass-through route'
vertex\t'The gateway\'s `/vertex_ai` pass-through route'"
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l key-ttl -d 'How long a fetched key is reused, e.g. 55m' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l model -d 'Model for ANTHROPIC_MODEL' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l header -d 'Extra request header \'Name: value\' (repeatable)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l bedrock-region -d 'AWS region for bedrock mode' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vertex-project -d 'GCP project for vertex mode' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vertex-region -d 'Vertex region for vertex mode [default: us-east5]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l key-source -d 'Where the gateway key comes from' -r -f -a "keyring\t'The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service)'
vault\t'HashiCorp Vault or OpenBao'
jwt\t'A short-lived JWT minted and signed locally'
command\t'The first line printed by a command'
env\t'An environment variable'
oidc\t'Sign-in with the organisation\'s OpenID Connect identity provider (`ccgw login`)'"
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-addr -d 'Vault address [default: $VAULT_ADDR]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-mount -d 'Vault KV mount [default: secret]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-path -d 'Vault secret path inside the mount' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-identity-role -d 'Serve the Vault identity token of identity/oidc/token/ROLE instead of a KV secret' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-field -d 'Field of the Vault secret holding the key [default: api_key]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-auth -d 'Vault auth method [default: token]' -r -f -a "token\t''
approle\t''
kubernetes\t''
jwt\t''
userpass\t''"
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-role-id -d 'AppRole role id (vault auth approle)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-secret-id-file -d 'File holding the AppRole secret id [default: the OS keyring]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-role -d 'Vault role (vault auth kubernetes or jwt)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-jwt-file -d 'File holding the JWT to log in with (vault auth jwt; kubernetes defaults to the service account token)' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l vault-username -d 'Vault user name (vault auth userpass; the password comes from the OS keyring)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l jwt-algorithm -d 'JWT signing algorithm, e.g. HS256, RS256, ES256, EdDSA' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l jwt-secret-env -d 'Environment variable holding the JWT signing secret' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l jwt-key-file -d 'PEM file holding the JWT signing key' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l jwt-ttl -d 'Lifetime of each minted JWT, e.g. 1h' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l jwt-claim -d 'Extra JWT claim k=v (repeatable; templates {user} {host} {profile} {env:VAR})' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l oidc-issuer -d 'Identity provider\'s issuer URL (key source `oidc`), e.g. https://login.example.com/realms/r' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l oidc-client-id -d 'OAuth client id registered at the identity provider (key source `oidc`)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l oidc-flow -d 'How `ccgw login` signs in (key source `oidc`) [default: device]' -r -f -a "device\t'Device authorization grant (RFC 8628): a code to enter on any device\'s browser'
browser\t'Authorization code with PKCE and a loopback redirect (RFC 8252) on this machine'"
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l oidc-token -d 'Which token the gateway is sent (key source `oidc`) [default: access_token]' -r -f -a "access_token\t''
id_token\t''"
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l oidc-scope -d 'Scope to ask for (repeatable; key source `oidc`) [default: openid offline_access]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l oidc-audience -d 'Resource / audience the token is for (key source `oidc`), when the IdP needs one' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l command -d 'Command that prints the key (key source `command`)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l env-var -d 'Environment variable holding the key (key source `env`)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l scope -d 'Which Claude Code settings file to write' -r -f -a "user\t''
project\t''
local\t''
managed\t''
none\t'Write no settings file (use `ccgw env` or `ccgw exec`)'"
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l non-interactive -d 'Never prompt; fail (exit 2) naming the first missing flag'
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l force -d 'Replace an existing profile of the same name'
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -l no-doctor -d 'Do not run `ccgw doctor` at the end'
complete -c ccgw -n "__fish_ccgw_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and not __fish_seen_subcommand_from list show use remove" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and not __fish_seen_subcommand_from list show use remove" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and not __fish_seen_subcommand_from list show use remove" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and not __fish_seen_subcommand_from list show use remove" -f -a "list" -d 'List profiles (the default is marked)'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and not __fish_seen_subcommand_from list show use remove" -f -a "show" -d 'Show a profile as TOML (never a secret)'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and not __fish_seen_subcommand_from list show use remove" -f -a "use" -d 'Make NAME the default profile and rewrite the settings ccgw wrote for the previous one'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and not __fish_seen_subcommand_from list show use remove" -f -a "remove" -d 'Remove a profile from the config file'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from list" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from list" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from show" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from show" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from use" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from use" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from remove" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from remove" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand profile; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand env" -l shell -d 'Output syntax [default: detected from $SHELL]' -r -f -a "bash\t''
zsh\t''
fish\t''
powershell\t''
nu\t''
dotenv\t''
json\t''"
complete -c ccgw -n "__fish_ccgw_using_subcommand env" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand env" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand env" -l unset -d 'Print commands that unset the profile\'s variables instead'
complete -c ccgw -n "__fish_ccgw_using_subcommand env" -l with-key -d 'Also export the key itself as ANTHROPIC_AUTH_TOKEN (for tools without apiKeyHelper)'
complete -c ccgw -n "__fish_ccgw_using_subcommand env" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and not __fish_seen_subcommand_from write remove show export" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and not __fish_seen_subcommand_from write remove show export" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and not __fish_seen_subcommand_from write remove show export" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and not __fish_seen_subcommand_from write remove show export" -f -a "write" -d 'Merge the profile into a settings file (only the keys ccgw owns)'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and not __fish_seen_subcommand_from write remove show export" -f -a "remove" -d 'Undo exactly what ccgw wrote to a settings file'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and not __fish_seen_subcommand_from write remove show export" -f -a "show" -d 'Show each layer\'s gateway-relevant keys'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and not __fish_seen_subcommand_from write remove show export" -f -a "export" -d 'Print the profile as managed settings for an MDM rollout (never a secret)'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from write" -l scope -d 'Settings scope' -r -f -a "user\t'`~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`)'
project\t'`.claude/settings.json` in the current directory (shared in git)'
local\t'`.claude/settings.local.json` in the current directory (not committed)'
managed\t'The machine-wide managed settings (administrators)'"
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from write" -l file -d 'A settings file by path instead of a scope' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from write" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from write" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from write" -l dry-run -d 'Print the diff and write nothing'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from write" -l force -d 'Change a read-only settings file anyway (it stays read-only)'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from write" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from remove" -l scope -d 'Settings scope' -r -f -a "user\t'`~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`)'
project\t'`.claude/settings.json` in the current directory (shared in git)'
local\t'`.claude/settings.local.json` in the current directory (not committed)'
managed\t'The machine-wide managed settings (administrators)'"
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from remove" -l file -d 'A settings file by path instead of a scope' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from remove" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from remove" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from remove" -l dry-run -d 'Print the diff and write nothing'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from remove" -l force -d 'Change a read-only settings file anyway (it stays read-only)'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from show" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from show" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from show" -l effective -d 'Show the effective value of each key and the layer it comes from'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from export" -l format -d 'Output format' -r -f -a "json\t'managed-settings.json (Linux /etc/claude-code, macOS, Windows C:\\Program Files\\ClaudeCode)'
mobileconfig\t'A macOS configuration profile for the com.anthropic.claudecode preference domain'
reg\t'A Windows .reg file setting HKLM\\SOFTWARE\\Policies\\ClaudeCode\\Settings'"
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from export" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from export" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand settings; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccgw -n "__fish_ccgw_using_subcommand key" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand key" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand key" -l no-cache -d 'Fetch from the source and neither read nor write the cache'
complete -c ccgw -n "__fish_ccgw_using_subcommand key" -l refresh -d 'Fetch from the source and update the cache'
complete -c ccgw -n "__fish_ccgw_using_subcommand key" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand login" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand login" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand login" -l no-browser -d 'Never open a browser: print the URL (and the code) only'
complete -c ccgw -n "__fish_ccgw_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ccgw -n "__fish_ccgw_using_subcommand logout" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand logout" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand logout" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and not __fish_seen_subcommand_from set delete" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and not __fish_seen_subcommand_from set delete" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and not __fish_seen_subcommand_from set delete" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and not __fish_seen_subcommand_from set delete" -f -a "set" -d 'Store a secret read from stdin in the OS keyring'
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and not __fish_seen_subcommand_from set delete" -f -a "delete" -d 'Delete the profile\'s secret from the OS keyring'
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from set" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from set" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from set" -l jwt-signing-key -d 'Store the JWT signing key instead of the gateway key'
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from delete" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from delete" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from delete" -l jwt-signing-key -d 'Delete the JWT signing key instead of the gateway key'
complete -c ccgw -n "__fish_ccgw_using_subcommand secret; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and not __fish_seen_subcommand_from status clear" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and not __fish_seen_subcommand_from status clear" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and not __fish_seen_subcommand_from status clear" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and not __fish_seen_subcommand_from status clear" -f -a "status" -d 'Show cached keys: profile, source, age, expiry (never the key)'
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and not __fish_seen_subcommand_from status clear" -f -a "clear" -d 'Drop the cached key of the profile, or of every profile with --all'
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and __fish_seen_subcommand_from status" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and __fish_seen_subcommand_from status" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and __fish_seen_subcommand_from clear" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and __fish_seen_subcommand_from clear" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and __fish_seen_subcommand_from clear" -l all -d 'Drop every cached key'
complete -c ccgw -n "__fish_ccgw_using_subcommand cache; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand exec" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand exec" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand exec" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -l timeout -d 'Time limit for each network step' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -l only -d 'Run only these checks (by id)' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -l json -d 'Print one JSON object instead of the checklist'
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -l live -d 'Also send a streamed 1-token /v1/messages request'
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -l strict -d 'Fail (exit 1) on warnings too'
complete -c ccgw -n "__fish_ccgw_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand completions" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand completions" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand completions" -s h -l help -d 'Print help'
complete -c ccgw -n "__fish_ccgw_using_subcommand man" -l out-dir -d 'Write ccgw.1 and one page per subcommand here instead of printing ccgw.1' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand man" -l config -d 'Config file to use [default: <config dir>/ccgw/config.toml]' -r -F
complete -c ccgw -n "__fish_ccgw_using_subcommand man" -l profile -d 'Profile to use [default: the config\'s `default_profile`]' -r
complete -c ccgw -n "__fish_ccgw_using_subcommand man" -s h -l help -d 'Print help'
