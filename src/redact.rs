//! Secrets and untrusted text on their way to a person: the one masking function, the scrubber
//! that takes known secrets out of text that came from a server, and the filter that makes
//! such text safe for a terminal. `settings show`, doctor and error messages all use these, so
//! no two places can disagree about how much of a secret may be shown.

/// Secrets shorter than this are masked whole: showing 8 characters of a short token would
/// give away too much of it.
pub const MASK_MIN_LEN: usize = 20;

/// Longest piece of server text ccgw prints (an error body, a model name, a health answer).
pub const MAX_SHOWN: usize = 300;

/// What a masked value reads as when none of it may be shown.
pub const MASKED: &str = "****";

/// What a secret found inside other text is replaced by.
pub const REDACTED: &str = "[redacted]";

/// A secret as shown to a person: `first4…last4` when it is long enough for that to hide most
/// of it, else [`MASKED`].
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < MASK_MIN_LEN {
        return MASKED.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Knows the secrets ccgw sent (the key, header values, passwords) and takes them out of any
/// text before it is printed.
#[derive(Debug, Default, Clone)]
pub struct Scrubber {
    secrets: Vec<String>,
}

/// Secrets shorter than this are not searched for in text: replacing every `a` in a message
/// would hide the message, not the secret. (No key source accepts a key this short.)
const MIN_SCRUBBED_LEN: usize = 3;

impl Scrubber {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remember a secret (and the encodings a server may echo it back in).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.chars().count() < MIN_SCRUBBED_LEN {
            return;
        }
        for form in [
            secret.to_owned(),
            serde_json::to_string(secret)
                .map(|s| s[1..s.len() - 1].to_owned())
                .unwrap_or_default(),
            percent_encode(secret),
        ] {
            if form.chars().count() >= MIN_SCRUBBED_LEN && !self.secrets.contains(&form) {
                self.secrets.push(form);
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    pub fn with(mut self, secret: &str) -> Self {
        self.add(secret);
        self
    }

    /// `text` without any known secret, made safe for a terminal and bounded to [`MAX_SHOWN`]
    /// characters. Use it on everything that came from the network.
    pub fn scrub(&self, text: &str) -> String {
        bounded(&terminal_safe(&self.remove_secrets(text)), MAX_SHOWN)
    }

    /// `text` without any known secret, each line made safe for a terminal; the line breaks
    /// stay and nothing is cut (for a report's own sentences, which may quote server text).
    pub fn scrub_lines(&self, text: &str) -> String {
        self.remove_secrets(text)
            .split('\n')
            .map(terminal_safe)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `text` with every known secret replaced by [`REDACTED`]; nothing else changes.
    pub fn remove_secrets(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Characters that would act on a terminal instead of being shown: C0 and C1 controls (ESC
/// starts colour, cursor and OSC sequences such as hyperlinks and title changes; CR overwrites
/// the line), DEL, and the bidirectional overrides that reorder what a reader sees.
fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character that could act on a terminal written out as an escape
/// (`\n`, `\r`, `\t`, `\u{1b}`), so a server's answer prints as one inert line.
pub fn terminal_safe(text: &str) -> String {
    if !text.chars().any(is_unsafe_for_terminal) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_for_terminal(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, saying how much was left out.
pub fn bounded(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… ({} more characters)", n - max)
}

/// The settings key that holds the helper command line.
pub const API_KEY_HELPER: &str = "apiKeyHelper";

/// The variable whose value is `Name: value` lines, some of which may carry credentials.
pub const CUSTOM_HEADERS: &str = "ANTHROPIC_CUSTOM_HEADERS";

/// Words in a variable name that say its value is a credential (`AWS_SECRET_ACCESS_KEY`,
/// `ANTHROPIC_AUTH_TOKEN`, `DB_PASSWORD`). Whole words only: `MAX_OUTPUT_TOKENS` is a number.
const CREDENTIAL_WORDS: [&str; 9] = [
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "CREDENTIALS",
    "COOKIE",
    "APIKEY",
];

/// Last words of a variable name that say it holds where a secret is, not the secret
/// (`ANTHROPIC_IDENTITY_TOKEN_FILE`).
const LOCATION_WORDS: [&str; 3] = ["FILE", "PATH", "DIR"];

/// Parts of a header (or query parameter) name that say its value is a credential
/// (`Authorization`, `x-api-key`, `x-litellm-api-key`, `Cookie`, `x-auth-token`).
const CREDENTIAL_HEADER_PARTS: [&str; 7] = [
    "auth",
    "key",
    "token",
    "secret",
    "cookie",
    "pass",
    "credential",
];

/// Whether `value`, stored under `name` (an `env` variable, or [`API_KEY_HELPER`]), is a
/// secret: by its name (`…_TOKEN`, `…_API_KEY`, `…SECRET…`), by what it holds (a URL with a
/// password, a literal key such as `sk-…`, `Bearer …`), or — for [`CUSTOM_HEADERS`] — a
/// credential header. The one rule for what `exec` keeps off the command line, what
/// `settings show` and doctor mask, and which previous values an undo record does not keep.
pub fn secret_shaped(name: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        return false;
    }
    (name != API_KEY_HELPER && credential_name(name, value))
        || (name == CUSTOM_HEADERS && header_lines(value).any(|(h, v)| secret_header(h, v)))
        || !secret_spans(value).is_empty()
}

/// Whether the header `name: value` carries a credential: by its name, or by its value.
pub fn secret_header(name: &str, value: &str) -> bool {
    credential_header_name(name) || !secret_spans(value).is_empty()
}

/// `value` (stored under `name`) as `settings show` and doctor print it: a credential variable
/// masked whole, credential headers masked one by one, a URL's password, `Bearer` tokens and
/// literal keys masked where they stand; the rest as it is. Always one terminal-safe line.
pub fn show_setting(name: &str, value: &str) -> String {
    let shown = if name == CUSTOM_HEADERS {
        value
            .split('\n')
            .map(|line| match line.split_once(':') {
                Some((h, v)) if secret_header(h, v) => format!("{h}: {}", mask(v.trim())),
                _ => mask_spans(line),
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else if name != API_KEY_HELPER && credential_name(name, value) {
        mask(value)
    } else {
        mask_spans(value)
    };
    terminal_safe(&shown)
}

/// The secrets inside `value` (stored under `name`), by the rule of [`secret_shaped`]: the
/// whole value of a credential variable, the values of credential headers, else the secret
/// parts (a URL's password, a literal key). What a [`Scrubber`] must look for once ccgw has
/// sent or handed on that value.
pub fn secret_parts<'a>(name: &str, value: &'a str) -> Vec<&'a str> {
    if value.trim().is_empty() {
        return Vec::new();
    }
    if name != API_KEY_HELPER && credential_name(name, value) {
        return vec![value];
    }
    let mut parts: Vec<&str> = secret_spans(value).into_iter().map(|r| &value[r]).collect();
    if name == CUSTOM_HEADERS {
        parts.extend(
            header_lines(value)
                .filter(|(h, v)| credential_header_name(h) && !v.is_empty())
                .map(|(_, v)| v),
        );
    }
    parts
}

/// `Name: value` pairs of an `ANTHROPIC_CUSTOM_HEADERS` value (lines without `:` skipped, as
/// Claude Code does).
fn header_lines(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .map(|(h, v)| (h.trim(), v.trim()))
}

fn credential_header_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    CREDENTIAL_HEADER_PARTS.iter().any(|p| lower.contains(p))
}

/// A variable name that says its value is a credential. A `…_KEY` variable holding a path
/// (`CLAUDE_CODE_CLIENT_KEY=/etc/tls/client.key`) names a key file, not a key.
fn credential_name(name: &str, value: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    if LOCATION_WORDS.contains(last) {
        return false;
    }
    words.iter().any(|w| CREDENTIAL_WORDS.contains(w)) || (*last == "KEY" && !is_path(value))
}

fn is_path(value: &str) -> bool {
    let v = value.trim();
    (v.starts_with('/') || v.starts_with("~/") || v.starts_with("./"))
        && !v.chars().any(char::is_whitespace)
}

/// A word that is a key by its look: `sk-…` (Anthropic, OpenAI, LiteLLM keys), a JWT, or a
/// long run of letters and digits such as a generated token.
fn is_literal_key(word: &str) -> bool {
    let token_chars = |w: &str| {
        w.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    (word.starts_with("sk-") && word.len() >= 12)
        || (word.starts_with("eyJ") && word.len() >= 20 && word.matches('.').count() == 2)
        || (word.len() >= 32
            && token_chars(word)
            && word.chars().any(|c| c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_alphabetic()))
}

/// Characters that end a word when looking for literal keys in a command line or a value.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || "'\"=:,;()<>`|&".contains(c)
}

/// Byte ranges of the secrets inside `text`: literal keys, the token after `Bearer`/`Basic`,
/// a URL's password and credential query parameters. Sorted, not overlapping.
fn secret_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    // Words, with their offsets.
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, ends_word(c)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                words.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    for (n, (at, word)) in words.iter().enumerate() {
        if is_literal_key(word) {
            spans.push(*at..at + word.len());
        }
        let scheme = word.to_ascii_lowercase();
        if (scheme == "bearer" || scheme == "basic")
            && let Some((next_at, next)) = words.get(n + 1)
        {
            spans.push(*next_at..next_at + next.len());
        }
    }
    spans.extend(url_passwords(text));
    spans.extend(credential_query_values(text));
    spans.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in spans.into_iter().filter(|r| !r.is_empty()) {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The password of every `scheme://user:password@host` in `text`.
fn url_passwords(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("://") {
        let authority_start = at + 3;
        let rest = &text[authority_start..];
        let authority_len = rest
            .find(|c: char| "/?#".contains(c) || ends_word(c) && c != ':' && c != '=')
            .unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        if let Some(userinfo_len) = authority.rfind('@')
            && let Some(colon) = authority[..userinfo_len].find(':')
        {
            out.push(authority_start + colon + 1..authority_start + userinfo_len);
        }
    }
    out
}

/// Values of query parameters whose name says credential (`?api_key=…`, `&token=…`).
fn credential_query_values(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(['?', '&']) {
        let rest = &text[at + 1..];
        let Some(eq) = rest.find('=') else { continue };
        let name = &rest[..eq];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            || !credential_header_name(name)
        {
            continue;
        }
        let value_start = at + 1 + eq + 1;
        let value = &text[value_start..];
        let len = value
            .find(|c: char| c == '&' || c == '#' || ends_word(c))
            .unwrap_or(value.len());
        out.push(value_start..value_start + len);
    }
    out
}

/// `text` with every secret span replaced by its mask.
fn mask_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in secret_spans(text) {
        out.push_str(&text[last..r.start]);
        out.push_str(&mask(&text[r.clone()]));
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_shows_only_the_ends_of_a_long_secret() {
        assert_eq!(mask("sk-ccgw-test-master-1234"), "sk-c…1234");
        assert_eq!(mask(&"a".repeat(MASK_MIN_LEN)), "aaaa…aaaa");
        assert_eq!(mask(&"a".repeat(MASK_MIN_LEN - 1)), MASKED);
        assert_eq!(mask("short"), MASKED);
        assert_eq!(mask(""), MASKED);
        // Characters, not bytes: a multi-byte secret is cut on character boundaries.
        assert_eq!(mask(&"é".repeat(MASK_MIN_LEN)), "éééé…éééé");
    }

    #[test]
    fn scrubber_removes_every_known_secret_and_its_encodings() {
        let s = Scrubber::new().with("sk-secret/1").with("hdr\"value");
        let text = r#"echo sk-secret/1, json "hdr\"value", url sk-secret%2F1, other"#;
        let out = s.remove_secrets(text);
        assert!(!out.contains("sk-secret"), "{out}");
        assert!(!out.contains("hdr"), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 3, "{out}");
        assert!(out.ends_with(", other"), "{out}");
    }

    #[test]
    fn scrubber_replaces_the_longest_secret_first_and_ignores_tiny_ones() {
        let s = Scrubber::new().with("abc").with("abcdef").with("x");
        assert_eq!(s.remove_secrets("abcdef abc x"), "[redacted] [redacted] x");
    }

    #[test]
    fn terminal_safe_escapes_controls_and_bidi_overrides() {
        assert_eq!(terminal_safe("plain text"), "plain text");
        assert_eq!(
            terminal_safe("a\u{1b}]8;;http://x\u{7}b\rc\nd\te\u{202e}f\u{9b}g\u{7f}"),
            "a\\u{1b}]8;;http://x\\u{7}b\\rc\\nd\\te\\u{202e}f\\u{9b}g\\u{7f}"
        );
        assert!(!terminal_safe("\u{1b}[2J").contains('\u{1b}'));
    }

    #[test]
    fn bounded_keeps_short_text_and_cuts_long_text() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "abc… (1 more characters)");
        let long = "é".repeat(MAX_SHOWN + 10);
        let out = Scrubber::new().scrub(&long);
        assert!(out.starts_with(&"é".repeat(MAX_SHOWN)));
        assert!(out.ends_with("(10 more characters)"), "{out}");
    }

    #[test]
    fn scrub_does_all_three() {
        let s = Scrubber::new().with("sk-live-key");
        assert_eq!(
            s.scrub("bad key sk-live-key\u{1b}[31m"),
            "bad key [redacted]\\u{1b}[31m"
        );
    }

    #[test]
    fn secret_shaped_by_name() {
        for name in [
            "ANTHROPIC_AUTH_TOKEN",
            "ANTHROPIC_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "DB_PASSWORD",
            "my-service-token",
            "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE",
            "GITHUB_APIKEY",
        ] {
            assert!(secret_shaped(name, "abc"), "{name}");
        }
        for name in [
            "CLAUDE_CODE_API_KEY_HELPER_TTL_MS",
            "CLAUDE_CODE_MAX_OUTPUT_TOKENS",
            "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
            "ANTHROPIC_IDENTITY_TOKEN_FILE",
            "ANTHROPIC_MODEL",
            "KEYBOARD",
        ] {
            assert!(!secret_shaped(name, "1"), "{name}");
        }
        // A key file's path is not a key; a key is.
        assert!(!secret_shaped(
            "CLAUDE_CODE_CLIENT_KEY",
            "/etc/tls/client.key"
        ));
        assert!(secret_shaped("ANTHROPIC_FOUNDRY_API_KEY", "abc"));
        // An empty value holds nothing.
        assert!(!secret_shaped("ANTHROPIC_AUTH_TOKEN", ""));
    }

    #[test]
    fn secret_shaped_by_value() {
        assert!(secret_shaped("ANTHROPIC_BASE_URL", "https://u:pw@gw:4000"));
        assert!(!secret_shaped("ANTHROPIC_BASE_URL", "https://u@gw:4000/x"));
        assert!(!secret_shaped(
            "ANTHROPIC_BASE_URL",
            "http://127.0.0.1:4000"
        ));
        assert!(secret_shaped(
            "HTTPS_PROXY",
            "http://proxy.corp:3128?api_key=abc"
        ));
        assert!(secret_shaped("EXTRA", "sk-ant-api03-abcdef"));
        assert!(secret_shaped("EXTRA", "Bearer abc"));
        assert!(!secret_shaped(
            "ANTHROPIC_MODEL",
            "claude-sonnet-4-5-20250929"
        ));
        assert!(!secret_shaped(
            "ANTHROPIC_MODEL",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        ));
        assert!(!secret_shaped(
            "ANTHROPIC_MODEL",
            "claude-sonnet-4-5@20250929"
        ));
    }

    #[test]
    fn literal_keys_in_helpers_are_secrets() {
        assert!(secret_shaped(API_KEY_HELPER, "echo sk-ant-api03-abcdef"));
        assert!(secret_shaped(
            API_KEY_HELPER,
            "printf %s 'abcdefghijklmnopqrstuvwxyz0123456789'"
        ));
        assert!(secret_shaped(
            API_KEY_HELPER,
            "curl -s https://me:hunter2@vault.corp/key"
        ));
        assert!(!secret_shaped(
            API_KEY_HELPER,
            "/usr/local/bin/get-key.sh --profile work"
        ));
        // The helper key is judged by its command, not by its name's `KEY`.
        assert!(!secret_shaped(
            API_KEY_HELPER,
            "'/opt/my tools/ccgw' key --profile p"
        ));
    }

    #[test]
    fn credential_headers() {
        assert!(secret_shaped(CUSTOM_HEADERS, "x-team: a\nX-Api-Key: b"));
        assert!(secret_shaped(CUSTOM_HEADERS, "Authorization: Basic dTpw"));
        assert!(secret_shaped(CUSTOM_HEADERS, "x-trace: sk-live-abcdefgh"));
        assert!(!secret_shaped(CUSTOM_HEADERS, "x-team: a\nx-trace: abc"));
        assert!(secret_header("Cookie", "s=1"));
        assert!(!secret_header("x-team", "eng"));
    }

    #[test]
    fn show_setting_masks_every_secret_shape() {
        // Credential headers masked one by one, short ones whole; the others stay readable.
        assert_eq!(
            show_setting(
                CUSTOM_HEADERS,
                "x-team: eng\nx-api-key: sk-header-secret-123456789\nCookie: s=1"
            ),
            "x-team: eng\\nx-api-key: sk-h…6789\\nCookie: ****"
        );
        // A URL's password, in place.
        assert_eq!(
            show_setting("ANTHROPIC_BASE_URL", "https://me:hunter2@gw.corp:4000/x"),
            "https://me:****@gw.corp:4000/x"
        );
        // A literal key inside a helper command, in place.
        assert_eq!(
            show_setting(API_KEY_HELPER, "echo sk-ant-api03-abcdefghijklmnop"),
            "echo sk-a…mnop"
        );
        assert_eq!(
            show_setting(API_KEY_HELPER, "'/x/ccgw' key --profile work"),
            "'/x/ccgw' key --profile work"
        );
        // A credential variable whole, however short.
        assert_eq!(show_setting("ANTHROPIC_AUTH_TOKEN", "short"), MASKED);
        assert_eq!(
            show_setting("ANTHROPIC_API_KEY", "sk-ccgw-test-master-1234"),
            "sk-c…1234"
        );
        assert_eq!(
            show_setting("HTTPS_PROXY", "http://p:3128/?token=abc&x=1"),
            "http://p:3128/?token=****&x=1"
        );
        assert_eq!(show_setting("EXTRA", "Bearer abc"), "Bearer ****");
        // Plain values as they are, and terminal-safe.
        assert_eq!(show_setting("ANTHROPIC_MODEL", "m"), "m");
        assert_eq!(show_setting("X", "a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }

    #[test]
    fn secret_parts_name_what_to_scrub() {
        assert_eq!(secret_parts("MY_TOKEN", "abc"), ["abc"]);
        assert_eq!(
            secret_parts(CUSTOM_HEADERS, "x-team: eng\nx-api-key: k123"),
            ["k123"]
        );
        assert_eq!(secret_parts("DATABASE_URL", "postgres://u:pw@db/x"), ["pw"]);
        assert!(secret_parts("ANTHROPIC_MODEL", "m").is_empty());
        assert!(secret_parts("MY_TOKEN", " ").is_empty());
    }

    #[test]
    fn scrub_lines_keeps_line_breaks_and_escapes_the_rest() {
        let s = Scrubber::new().with("sk-live-key");
        assert_eq!(
            s.scrub_lines("a sk-live-key\r\u{1b}]0;t\u{7}\nsecond"),
            "a [redacted]\\r\\u{1b}]0;t\\u{7}\nsecond"
        );
    }
}
