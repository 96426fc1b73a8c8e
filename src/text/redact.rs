//! Redaction of personal data in anything staff export or the store keeps: e-mail addresses,
//! phone numbers, codice fiscale, partita IVA, IBAN, and long digit runs (document numbers).

use std::sync::OnceLock;

use regex::Regex;

struct Patterns {
    email: Regex,
    iban: Regex,
    cf: Regex,
    piva: Regex,
    phone: Regex,
    digits: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static regex compiles");
        Patterns {
            email: re(r"(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}"),
            iban: re(r"(?i)\b[a-z]{2}\d{2}(?:\s?[a-z0-9]{4}){3,7}(?:\s?[a-z0-9]{1,4})?\b"),
            cf: re(r"(?i)\b[a-z]{6}\d{2}[a-z]\d{2}[a-z]\d{3}[a-z]\b"),
            piva: re(r"(?i)\b(?:p\.?\s?iva|partita\s+iva)\s*:?\s*(?:it)?\s*\d{11}\b|\b\d{11}\b"),
            phone: re(r"(?:\+|\b00)?(?:39)?[\s.\-/]?\(?\b(?:3\d{2}|0\d{1,3})\)?[\s.\-/]?\d{2,4}[\s.\-/]?\d{2,4}(?:[\s.\-/]?\d{2,4})?\b"),
            digits: re(r"\b\d{6,}\b"),
        }
    })
}

/// Replaces personal data with placeholders (`[email]`, `[telefono]`, `[codice fiscale]`,
/// `[partita iva]`, `[iban]`, `[numero]`).
pub fn redact(text: &str) -> String {
    let p = patterns();
    let t = p.email.replace_all(text, "[email]");
    let t = p.iban.replace_all(&t, "[iban]");
    let t = p.cf.replace_all(&t, "[codice fiscale]");
    let t = p.piva.replace_all(&t, "[partita iva]");
    let t = p.phone.replace_all(&t, "[telefono]");
    p.digits.replace_all(&t, "[numero]").into_owned()
}

/// A redacted snippet: the first `max_chars` characters of `text` with white space collapsed.
pub fn snippet(text: &str, max_chars: usize) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = collapsed.chars().take(max_chars * 2).collect();
    let red = redact(&cut);
    let mut out: String = red.chars().take(max_chars).collect::<String>().trim_end().to_string();
    if red.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_replaced() {
        let s = redact(
            "Sono Mario Rossi, RSSMRA80A01H501U, mario.rossi@libero.it, tel. 333 1234567 o 0586/123456, \
             IBAN IT60 X054 2811 1010 0000 0123 456, P.IVA 01234567890, pratica 2024/15",
        );
        for leaked in ["RSSMRA80A01H501U", "mario.rossi", "1234567", "123456", "IT60", "01234567890"] {
            assert!(!s.contains(leaked), "{leaked} in {s}");
        }
        assert!(s.contains("[codice fiscale]") && s.contains("[email]") && s.contains("[telefono]"), "{s}");
        assert!(s.contains("[iban]") && s.contains("[partita iva]"), "{s}");
        assert!(s.contains("pratica 2024/15"), "short numbers stay: {s}");
    }

    #[test]
    fn snippets_are_short_and_redacted() {
        let s = snippet("Buongiorno,\n\nscrivo da   pippo@example.it per la TARI", 30);
        assert_eq!(s, "Buongiorno, scrivo da [email]…");
    }
}
