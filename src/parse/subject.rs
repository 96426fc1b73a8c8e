//! Subject clean-up: reply, forward and PEC prefixes in Italian and English, stripped repeatedly
//! (`ANOMALIA MESSAGGIO: POSTA CERTIFICATA: R: Re: ...`).

/// Prefixes, lower case, without the colon. `r` and `i` are Italian Outlook's reply and forward.
const PREFIXES: &[&str] = &[
    "anomalia messaggio",
    "posta certificata",
    "re",
    "r",
    "rif",
    "i",
    "fw",
    "fwd",
    "inoltra",
    "inoltro",
    "aw",
    "wg",
    "tr",
    "rv",
    // PEC receipt prefixes: what follows is the subject of the message the receipt refers to.
    "accettazione",
    "avviso di non accettazione",
    "presa in carico",
    "consegna",
    "avvenuta consegna",
    "avviso di mancata consegna",
    "preavviso di mancata consegna",
    "problema di sicurezza",
];

/// Strips every leading reply/forward/PEC prefix and collapses white space.
pub fn strip_prefixes(subject: &str) -> String {
    let mut s = subject.trim();
    while let Some(rest) = strip_one(s) {
        s = rest.trim_start();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_one(s: &str) -> Option<&str> {
    // Bracketed list tags like "[URP]" are kept: they carry meaning for staff.
    let colon = s.find(':')?;
    let head = s[..colon].trim_end();
    // "Re[2]" and "Re(2)" counters.
    let word = head
        .split_once(['[', '('])
        .filter(|(_, rest)| rest.trim_end_matches([']', ')']).chars().all(|c| c.is_ascii_digit()))
        .map_or(head, |(w, _)| w.trim_end());
    let lower = word.to_lowercase();
    PREFIXES.contains(&lower.as_str()).then(|| &s[colon + 1..])
}

/// True when `subject` starts with `prefix` (ASCII case-insensitive), ignoring leading spaces.
pub fn starts_with_ci(subject: &str, prefix: &str) -> bool {
    let s = subject.trim_start();
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_italian_and_english_prefixes_repeatedly() {
        assert_eq!(strip_prefixes("R: RE: I: Fw: Inoltra: RIF: Re: Fwd: Info ZTL"), "Info ZTL");
        assert_eq!(
            strip_prefixes("ANOMALIA MESSAGGIO: POSTA CERTIFICATA: R: Re: Rinnovo loculo"),
            "Rinnovo loculo"
        );
        assert_eq!(strip_prefixes("Re[2]: tari"), "tari");
        assert_eq!(strip_prefixes("  Re :  doppio   spazio "), "doppio spazio");
    }

    #[test]
    fn keeps_subjects_that_only_look_like_prefixes() {
        assert_eq!(strip_prefixes("Richiesta: certificato"), "Richiesta: certificato");
        assert_eq!(strip_prefixes("IMU: scadenza"), "IMU: scadenza");
        assert_eq!(strip_prefixes("Orari: ufficio"), "Orari: ufficio");
        assert_eq!(strip_prefixes(""), "");
        assert_eq!(strip_prefixes("Re:"), "");
    }
}
