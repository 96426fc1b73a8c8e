//! Body cleaning before tokenising: quoted replies, signatures and mobile footers, privacy
//! disclaimers, and protocol numbers replaced by a placeholder. What remains is what the citizen
//! wrote in this message.

use std::sync::OnceLock;

use regex::Regex;

/// Placeholder that replaces protocol numbers ("Prot. n. 0012345 del 12/03/2024").
pub const PROTOCOL_PLACEHOLDER: &str = " numprotocollo ";

/// Below this many words of new text, a reply keeps its quoted part: a bare "vedi sotto" on top
/// of a forwarded exchange says nothing by itself.
const MIN_NEW_WORDS: usize = 4;

struct Patterns {
    gmail_quote: Regex,
    gmail_quote_start: Regex,
    outlook_field: Regex,
    original_sep: Regex,
    forward_sep: Regex,
    footer: Regex,
    closing: Regex,
    protocol: Regex,
    disclaimer_trigger: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static regex compiles");
        Patterns {
            gmail_quote: re(r"(?i)^\s*(il|in data|on)\b.{0,200}\b(ha scritto|wrote)\s*:?\s*$"),
            gmail_quote_start: re(r"(?i)^\s*(il|in data|on)\b"),
            outlook_field: re(r"(?i)^\s*\*?(da|from|inviato|sent|data|date|a|to|cc|oggetto|subject)\s*:\*?\s"),
            original_sep: re(
                r"(?i)^\s*(-{2,}\s*(messaggio originale|original message|risposta originale)\s*-{2,}|_{10,})\s*$",
            ),
            forward_sep: re(
                r"(?i)^\s*(-{2,}\s*(messaggio inoltrato|forwarded message|inizio messaggio inoltrato)\s*-{2,}|inizio messaggio inoltrato:|begin forwarded message:)\s*$",
            ),
            footer: re(
                r"(?i)^\s*(inviato da (il mio |dal mio )?(iphone|ipad|smartphone|dispositivo|cellulare|telefono|outlook|samsung|huawei|xiaomi|libero|email\.it|tim|android|mobile)\b.*|inviato dal mio .*|sent from my .*|get outlook for .*|ottieni outlook per .*|scarica outlook per .*|prima di stampare.*|please consider the environment.*|mail priva di virus.*|virus-free.*)$",
            ),
            closing: re(
                r"(?i)^\s*(cordiali saluti|distinti saluti|cordialmente|saluti|un saluto|cari saluti|ringrazio|ringraziando|grazie|grazie mille|buona giornata|buon lavoro|in attesa di (un )?(cortese )?riscontro|resto in attesa.*|best regards|regards|kind regards)[\s,.!]*$",
            ),
            protocol: re(
                r"(?i)\b(prot(?:ocollo)?\.?(?:\s*gen(?:erale)?\.?)?\s*(?:n\.?|nr\.?|num\.?|numero|n°)?\s*[:°]?\s*\d{3,}(?:[/-]\d{2,4})?(?:\s+del(?:l')?\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})?)",
            ),
            disclaimer_trigger: re(
                r"(?i)(d\.?\s?lgs\.?\s*(n\.?\s*)?196|regolamento\s*(\(?ue\)?|europeo)\s*(n\.?\s*)?(2016/)?679|\bgdpr\b|informazioni contenute|ricevuto (questo messaggio )?per errore|destinatari[oa]? (indicat|in indirizzo)|riservat[oaie]|confidential|intended (only )?for|if you (have )?received this|prima di stampare|questo messaggio (e|è) destinato)",
            ),
        }
    })
}

// Each line test runs a cheap byte-level guard first, so the regex only sees lines that could
// match it (every match contains what the guard looks for).
impl Patterns {
    fn is_gmail_quote(&self, l: &str) -> bool {
        // The pattern starts with "il", "in data" or "on" after blanks: look at that byte first.
        let first = l.trim_start().bytes().next();
        first.is_some_and(|b| matches!(b, b'i' | b'I' | b'o' | b'O') || !b.is_ascii())
            && (contains_ci(l, "scritto") || contains_ci(l, "wrote"))
            && self.gmail_quote.is_match(l)
    }

    fn is_outlook_field(&self, l: &str) -> bool {
        l.contains(':') && self.outlook_field.is_match(l)
    }

    fn is_original_sep(&self, l: &str) -> bool {
        doubled(l, b'-', b'_') && self.original_sep.is_match(l)
    }

    fn is_forward_sep(&self, l: &str) -> bool {
        (doubled(l, b'-', b'-') || contains_ci(l, "inoltrato") || contains_ci(l, "forwarded"))
            && self.forward_sep.is_match(l)
    }
}

/// Whether `l` has `a` twice in a row, or `b` twice in a row (`"--"`, `"__"`).
fn doubled(l: &str, a: u8, b: u8) -> bool {
    let bytes = l.as_bytes();
    memchr::memchr2_iter(a, b, bytes).any(|i| bytes.get(i + 1) == Some(&bytes[i]))
}

/// Cleans a body. `is_forward` keeps forwarded content (the citizen forwards the matter itself);
/// in replies the quoted exchange is dropped.
pub fn clean_body(body: &str, is_forward: bool) -> String {
    clean_parts(body, is_forward, false).0
}

/// [`clean_body`], and when `removed` is asked for, also the text it took out as quoted reply,
/// forwarded block or signature (without attribution lines, header fields and quote markers):
/// words the citizen did not write in this message, which still say what it is about. Footers
/// and privacy disclaimers are noise and stay out of both.
pub fn clean_parts(body: &str, is_forward: bool, removed: bool) -> (String, String) {
    let p = patterns();
    let lines: Vec<&str> = body.lines().collect();
    let cut = quote_cut(&lines, is_forward, p);
    let mut kept: Vec<&str> = lines[..cut].to_vec();
    let keep_quoted = is_forward || !has_words(&kept, MIN_NEW_WORDS);
    let is_marker =
        |l: &str| p.is_outlook_field(l) || p.is_original_sep(l) || p.is_forward_sep(l) || p.is_gmail_quote(l);
    let mut quoted: Vec<&str> = Vec::new();
    if keep_quoted {
        // Keep the quoted/forwarded text but not its header lines and quote markers.
        kept = lines.iter().copied().filter(|l| !is_marker(l)).collect();
    } else if removed {
        quoted.extend(kept.iter().copied().filter(|l| l.trim_start().starts_with('>')));
        quoted.extend(lines[cut..].iter().copied().filter(|l| !is_marker(l)));
    }
    // Quote markers off; mobile and mail-client footers out.
    let strip = |l: &&str| {
        let l = l.trim_start_matches(['>', ' ']);
        (!(footer_like(l) && p.footer.is_match(l))).then(|| l.to_string())
    };
    let mut out_lines: Vec<String> =
        kept.iter().filter(|l| keep_quoted || !l.trim_start().starts_with('>')).filter_map(strip).collect();
    let signature = cut_signature(&mut out_lines, p);
    let mut removed_text: Vec<String> = Vec::new();
    if removed {
        removed_text.extend(quoted.iter().filter_map(strip));
        removed_text.extend(signature);
    }
    cut_disclaimer(&mut out_lines, p);
    cut_disclaimer(&mut removed_text, p);
    let text = out_lines.join("\n");
    let text = if contains_ci(&text, "prot") {
        p.protocol.replace_all(&text, PROTOCOL_PLACEHOLDER).into_owned()
    } else {
        text
    };
    (text, removed_text.join("\n"))
}

/// Whether the unquoted lines hold at least `n` words (stops counting there).
fn has_words(lines: &[&str], n: usize) -> bool {
    let mut words =
        lines.iter().filter(|l| !l.trim_start().starts_with('>')).flat_map(|l| l.split_whitespace());
    n == 0 || words.nth(n - 1).is_some()
}

/// Index of the first line of quoted material in a reply (or `lines.len()`).
fn quote_cut(lines: &[&str], is_forward: bool, p: &Patterns) -> usize {
    // Cheap byte-level guards run first: the regexes only see lines that could match them.
    for (i, line) in lines.iter().enumerate() {
        if p.is_gmail_quote(line) {
            return i;
        }
        // Gmail wraps long attributions: "Il giorno ... <addr>" / "ha scritto:".
        if i + 1 < lines.len()
            && ends_with_ci(lines[i + 1].trim(), "ha scritto:")
            && p.gmail_quote_start.is_match(line)
        {
            return i;
        }
        if p.is_original_sep(line) || (!is_forward && p.is_forward_sep(line)) {
            return i;
        }
        // Outlook block: "Da:" followed within a few lines by another header field.
        let t = line.trim_start();
        if (starts_with_ci(t, "da:") || starts_with_ci(t, "from:") || starts_with_ci(t, "*da:"))
            && lines[i + 1..].iter().take(4).filter(|l| p.is_outlook_field(l)).count() >= 2
        {
            return i;
        }
        // A run of "> " lines is a quote even without an attribution line.
        if t.starts_with('>') && lines[i..].iter().take(3).all(|l| l.trim_start().starts_with('>')) {
            return i;
        }
    }
    lines.len()
}

/// ASCII case-insensitive substring test without allocating: a SIMD scan for the first
/// byte in either case, then a comparison of the rest.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else { return true };
    if h.len() < n.len() {
        return false;
    }
    let starts = &h[..=h.len() - n.len()];
    memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), starts)
        .any(|i| h[i + 1..i + n.len()].eq_ignore_ascii_case(rest))
}

fn starts_with_ci(hay: &str, prefix: &str) -> bool {
    hay.len() >= prefix.len() && hay.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn ends_with_ci(hay: &str, suffix: &str) -> bool {
    hay.len() >= suffix.len()
        && hay.as_bytes()[hay.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Footers start with one of a few words: only such lines go to the footer regex.
fn footer_like(line: &str) -> bool {
    let t = line.trim_start();
    ["inviato", "sent ", "get outlook", "ottieni", "scarica", "prima di", "please", "mail priva", "virus"]
        .iter()
        .any(|w| starts_with_ci(t, w))
}

/// Drops the signature: after "-- ", or after a closing formula when what follows is short.
/// Returns the lines it dropped.
fn cut_signature(lines: &mut Vec<String>, p: &Patterns) -> Vec<String> {
    let mut cut = match lines.iter().position(|l| l == "-- " || l == "--") {
        Some(i) => lines.split_off(i),
        None => Vec::new(),
    };
    let n = lines.len();
    if n < 2 {
        return cut;
    }
    // Search closings only in the last part of the message.
    let start = n / 3;
    // Closing formulas are short lines.
    // Every closing formula starts with one of these letters: only such lines go to the regex.
    let closing_like =
        |l: &str| l.trim_start().bytes().next().is_some_and(|b| b"bcdgikrsuBCDGIKRSU".contains(&b));
    if let Some(i) =
        (start..n).find(|&i| lines[i].len() <= 60 && closing_like(&lines[i]) && p.closing.is_match(&lines[i]))
    {
        let tail_nonempty = lines[i + 1..].iter().filter(|l| !l.trim().is_empty()).count();
        if tail_nonempty <= 8 {
            let mut tail = lines.split_off(i);
            tail.append(&mut cut);
            cut = tail;
        }
    }
    cut
}

/// Literals of which every match of `disclaimer_trigger` contains one (ASCII case folded).
const DISCLAIMER_NEEDLES: [&str; 12] = [
    "196",
    "679",
    "gdpr",
    "informazioni contenute",
    "per errore",
    "destinatari",
    "riservat",
    "confidential",
    "intended",
    "received this",
    "prima di stampare",
    "destinato",
];

fn disclaimer_needles() -> &'static aho_corasick::AhoCorasick {
    static N: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    N.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(DISCLAIMER_NEEDLES)
            .expect("static needles build")
    })
}

/// Drops a privacy disclaimer: the first paragraph (after the first) with two trigger phrases,
/// and everything after it. The first paragraph is never cut: a GDPR request starts there.
fn cut_disclaimer(lines: &mut Vec<String>, p: &Patterns) {
    // Two trigger matches need two disjoint needle occurrences, which a left-to-right
    // non-overlapping scan always finds (the first match it reports ends no later than the first
    // trigger's needle): without two, no paragraph can qualify and the regex need not run.
    // No needle spans a line break, so one search over the joined lines finds what a search of
    // each line would.
    if disclaimer_needles().find_iter(lines.join("\n").as_str()).take(2).count() < 2 {
        return;
    }
    let mut para_start = 0;
    let mut first_para_done = false;
    let mut i = 0;
    while i <= lines.len() {
        let end_of_para = i == lines.len() || lines[i].trim().is_empty();
        if end_of_para {
            if i > para_start {
                if first_para_done {
                    let para = lines[para_start..i].join(" ");
                    if p.disclaimer_trigger.find_iter(&para).take(2).count() >= 2 {
                        lines.truncate(para_start);
                        return;
                    }
                }
                first_para_done = true;
            }
            para_start = i + 1;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_cleaning_takes_out_is_kept_apart_on_request() {
        let body = "Confermo la richiesta.\nQuando posso passare per il ritiro?\n\nCordiali saluti\nMario Rossi\nUfficio Tecnico Edilizia\n\nIl giorno lun 3 mar 2025 alle 10:00 URP <urp@example.it> ha scritto:\n> La sua pratica di permesso di costruire e' pronta.\n> Distinti saluti\n";
        let (clean, removed) = clean_parts(body, false, true);
        assert_eq!(clean, clean_body(body, false), "the cleaned text does not depend on the request");
        assert!(
            clean.contains("ritiro") && !clean.contains("permesso") && !clean.contains("Edilizia"),
            "{clean}"
        );
        assert!(removed.contains("permesso di costruire"), "the quoted reply: {removed}");
        assert!(removed.contains("Ufficio Tecnico Edilizia"), "the signature: {removed}");
        assert!(
            !removed.contains("ha scritto") && !removed.contains('>'),
            "no attribution or markers: {removed}"
        );
        assert_eq!(clean_parts(body, false, false).1, "", "nothing is collected unless asked");
        // A forward keeps its content in the text itself: nothing is quoted.
        let fwd = "Vi giro la mail.\n\n---------- Forwarded message ---------\nDa: ufficio\nOggetto: rimborso\n\nil rimborso TARI e' pronto\n";
        let (clean, removed) = clean_parts(fwd, true, true);
        assert!(clean.contains("rimborso TARI") && !removed.contains("rimborso TARI"), "{clean} / {removed}");
    }

    fn check(input: &str, forward: bool, must: &[&str], must_not: &[&str]) {
        let out = clean_body(input, forward);
        for m in must {
            assert!(out.contains(m), "missing {m:?} in {out:?}");
        }
        for m in must_not {
            assert!(!out.contains(m), "unexpected {m:?} in {out:?}");
        }
    }

    #[test]
    fn drops_gmail_quotes() {
        check(
            "Grazie, ma la TARI risulta ancora non pagata nel vostro sistema.\n\nIl giorno lun 15 gen 2024 alle ore 10:12 Ufficio Tributi <tributi@comune.it> ha scritto:\n> Gentile utente, la pratica edilizia...\n> saluti",
            false,
            &["TARI"],
            &["pratica edilizia", "ha scritto"],
        );
        check(
            "Va bene, porterò i documenti per la residenza domani mattina.\nIl giorno mar 16 gen 2024 alle ore 09:00 Ufficio Anagrafe\n<anagrafe@comune.it> ha scritto:\n\n> Buongiorno, servono i documenti",
            false,
            &["residenza"],
            &["servono"],
        );
    }

    #[test]
    fn drops_outlook_blocks_and_original_message() {
        check(
            "Vi sollecito una risposta sulla buca in via Roma, ancora aperta.\n\nDa: URP <urp@comune.it>\nInviato: lunedì 3 giugno 2024 10:00\nA: Mario <m@x.it>\nOggetto: R: buca\n\nGentile cittadino, parcheggio",
            false,
            &["buca"],
            &["parcheggio", "Inviato"],
        );
        check(
            "Ecco i dati richiesti per il contrassegno disabili di mia madre.\n-----Messaggio originale-----\nDa: x\nla biblioteca",
            false,
            &["contrassegno"],
            &["biblioteca"],
        );
    }

    #[test]
    fn keeps_forwarded_content_and_short_replies() {
        check(
            "vedete voi\n\n---------- Forwarded message ---------\nDa: Esempio Ambiente <info@x.it>\nOggetto: ritiro ingombranti\n\nIl ritiro ingombranti è fissato",
            true,
            &["ritiro ingombranti è fissato", "vedete voi"],
            &["Forwarded message"],
        );
        check(
            "ok\n\nIl giorno lun 1 gen 2024 Ufficio <u@c.it> ha scritto:\n> la mensa scolastica",
            false,
            &["mensa scolastica"],
            &[],
        );
    }

    #[test]
    fn drops_signatures_footers_and_disclaimers() {
        check(
            "Chiedo informazioni sul bando per il contributo affitto.\n\nCordiali saluti\nMario Rossi\nTel. 333 1234567\n\nInviato da iPhone",
            false,
            &["contributo affitto"],
            &["Mario Rossi", "iPhone", "333"],
        );
        check(
            "Richiedo copia della delibera di giunta n. 12.\n\nStudio Legale Bianchi\n\nAi sensi del D.lgs. 196/2003 e del Regolamento UE 2016/679 le informazioni contenute in questo messaggio sono riservate.\nThis message is confidential.",
            false,
            &["delibera"],
            &["riservate", "confidential"],
        );
    }

    #[test]
    fn gdpr_request_in_first_paragraph_is_kept() {
        check(
            "Ai sensi del Regolamento UE 2016/679 (GDPR) chiedo l'accesso ai miei dati personali e le informazioni contenute nei vostri archivi.",
            false,
            &["dati personali"],
            &[],
        );
    }

    #[test]
    fn replaces_protocol_numbers() {
        check(
            "In riferimento alla vostra nota Prot. n. 0012345 del 12/03/2024 e al prot. 4567/2024 chiedo",
            false,
            &["numprotocollo"],
            &["0012345", "4567"],
        );
    }
}
