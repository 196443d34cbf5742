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
}
