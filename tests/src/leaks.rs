//! Looking for secrets in a log: a secret is found as written and escaped the ways a log line
//! might escape it (`{:?}`, `\u{…}`, `\uXXXX`, `\xNN` bytes, percent-encoding), through ANSI
//! colour sequences.

/// `text` without ANSI colour sequences (`ESC [ … letter`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `secret` as written and as a log line might escape it.
pub fn forms(secret: &str) -> Vec<String> {
    let json_escaped: String = secret
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\u{:04x}", c as u32)
            }
        })
        .collect();
    let bytes_escaped: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii() {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    let percent: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut out = vec![
        secret.to_owned(),
        secret.escape_debug().to_string(),
        secret.escape_default().to_string(),
        json_escaped.clone(),
        json_escaped.to_uppercase(),
        bytes_escaped,
        percent.clone(),
        percent.to_lowercase(),
    ];
    out.sort();
    out.dedup();
    out
}

/// Every place in `text` where one of `secrets` shows, as (what, the line).
pub fn leaks(text: &str, secrets: &[(String, String)]) -> Vec<String> {
    let text = strip_ansi(text);
    let mut out = Vec::new();
    for (what, secret) in secrets {
        for form in forms(secret) {
            if let Some(line) = text.lines().find(|l| l.contains(&form)) {
                let line: String = line.chars().take(300).collect();
                out.push(format!("{what} ({form}) in: {line}"));
            }
        }
    }
    out
}
