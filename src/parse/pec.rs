//! PEC (posta elettronica certificata, RFC 6109): transport envelopes (`X-Trasporto:
//! posta-certificata`), anomaly envelopes (`X-Trasporto: errore`), receipts (`X-Ricevuta`) and the
//! certification data in `daticert.xml`. Envelopes nest; the innermost message is the citizen's.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use time::OffsetDateTime;

use super::{Signals, signals, subject::starts_with_ci};

/// The two kinds of envelope that wrap a real message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// Busta di trasporto: a certified message.
    Transport,
    /// Busta di anomalia: a non-certified or failed-check message delivered to a PEC box.
    Anomaly,
}

impl Envelope {
    /// Stable identifier used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Envelope::Transport => "transport",
            Envelope::Anomaly => "anomaly",
        }
    }
}

/// Certification data from `daticert.xml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daticert {
    pub tipo: Option<String>,
    pub errore: Option<String>,
    pub mittente: Option<String>,
    pub oggetto: Option<String>,
    pub date: Option<OffsetDateTime>,
    pub identificativo: Option<String>,
    pub msgid: Option<String>,
}

/// What PEC unwrapping found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PecInfo {
    /// The outermost envelope, if the message was wrapped.
    pub envelope: Option<Envelope>,
    /// Every envelope, outermost first.
    pub envelopes: Vec<Envelope>,
    /// Receipt or notice kind (`X-Ricevuta` value or daticert `tipo`) when the message is one.
    pub receipt: Option<String>,
    /// The innermost certification data found.
    pub daticert: Option<Daticert>,
}

pub(crate) struct Unwrapped {
    pub info: Option<PecInfo>,
    pub inner: Option<Message<'static>>,
    pub outer_signals: Vec<Signals>,
}

/// Subject prefixes of provider receipts and notices (RFC 6109 and providers' practice).
pub const RECEIPT_SUBJECTS: &[&str] = &[
    "ACCETTAZIONE:",
    "AVVISO DI NON ACCETTAZIONE:",
    "PRESA IN CARICO:",
    "CONSEGNA:",
    "AVVENUTA CONSEGNA:",
    "AVVISO DI MANCATA CONSEGNA:",
    "PREAVVISO DI MANCATA CONSEGNA",
    "PROBLEMA DI SICUREZZA:",
    "AVVISO DI RILEVAZIONE VIRUS:",
];

/// daticert `tipo` values that are receipts or notices rather than messages.
const RECEIPT_TIPI: &[&str] = &[
    "accettazione",
    "non-accettazione",
    "presa-in-carico",
    "avvenuta-consegna",
    "errore-consegna",
    "preavviso-errore-consegna",
    "rilevazione-virus",
];

pub(crate) fn unwrap(parser: &MessageParser, msg: &Message<'_>, max_depth: usize) -> Unwrapped {
    let mut info: Option<PecInfo> = None;
    let mut outer_signals = Vec::new();
    let mut current: Option<Message<'static>> = None;
    for _ in 0..max_depth {
        let m = current.as_ref().unwrap_or(msg);
        let daticert = find_daticert(m);
        if let Some(kind) = receipt_kind(m, daticert.as_ref()) {
            let i = info.get_or_insert_with(PecInfo::default);
            i.receipt = Some(kind);
            if daticert.is_some() {
                i.daticert = daticert;
            }
            break;
        }
        let Some(kind) = envelope_kind(m) else { break };
        let i = info.get_or_insert_with(PecInfo::default);
        i.envelope.get_or_insert(kind);
        i.envelopes.push(kind);
        if daticert.is_some() {
            i.daticert = daticert;
        }
        let Some(next) = inner_message(parser, m) else {
            break;
        };
        outer_signals.push(signals(m));
        current = Some(next);
    }
    Unwrapped { info, inner: current, outer_signals }
}

fn envelope_kind(m: &Message<'_>) -> Option<Envelope> {
    match m.header_raw("X-Trasporto").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("posta-certificata") => return Some(Envelope::Transport),
        Some("errore") => return Some(Envelope::Anomaly),
        _ => {}
    }
    // Secondary signal for envelopes whose X-Trasporto was lost in forwarding: the provider's
    // subject prefix *and* the provider's sender.
    let subject = m.subject().unwrap_or_default();
    let from_provider = m
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .is_some_and(|a| a.to_ascii_lowercase().starts_with("posta-certificata@"));
    if !from_provider {
        return None;
    }
    if starts_with_ci(subject, "POSTA CERTIFICATA:") {
        Some(Envelope::Transport)
    } else if starts_with_ci(subject, "ANOMALIA MESSAGGIO:") {
        Some(Envelope::Anomaly)
    } else {
        None
    }
}

fn receipt_kind(m: &Message<'_>, daticert: Option<&Daticert>) -> Option<String> {
    if let Some(v) = m.header_raw("X-Ricevuta") {
        let v = v.trim().to_ascii_lowercase();
        return Some(if v.is_empty() { "ricevuta".to_string() } else { v });
    }
    let tipo = daticert.and_then(|d| d.tipo.as_deref());
    if let Some(t) = tipo
        && RECEIPT_TIPI.contains(&t)
    {
        return Some(t.to_string());
    }
    // Subject alone is not enough (a citizen may write "Consegna: ..."): it must come from a
    // provider address.
    let subject = m.subject().unwrap_or_default();
    let from_provider = m
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .is_some_and(|a| a.to_ascii_lowercase().starts_with("posta-certificata@"));
    if from_provider && RECEIPT_SUBJECTS.iter().any(|p| starts_with_ci(subject, p)) {
        return Some("ricevuta".to_string());
    }
    None
}

fn inner_message(parser: &MessageParser, m: &Message<'_>) -> Option<Message<'static>> {
    let mut fallback: Option<&Message<'_>> = None;
    for part in m.parts.iter().skip(1) {
        match &part.body {
            PartType::Message(nested) => {
                let named = part.attachment_name().is_some_and(|n| n.eq_ignore_ascii_case("postacert.eml"));
                if named {
                    return Some(nested.clone().into_owned());
                }
                fallback.get_or_insert(nested);
            }
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                // Encoded message/rfc822 parts deeper than mail-parser's nesting limit come back
                // as binary: parse them again on their own.
                let is_message =
                    part.content_type().is_some_and(|ct| {
                        ct.c_type.eq_ignore_ascii_case("message")
                            && ct.c_subtype.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("rfc822"))
                    }) || part.attachment_name().is_some_and(|n| n.to_ascii_lowercase().ends_with(".eml"));
                if is_message && let Some(reparsed) = parser.parse(bytes.as_ref()) {
                    return Some(reparsed.into_owned());
                }
            }
            _ => {}
        }
    }
    fallback.map(|n| n.clone().into_owned())
}

fn find_daticert(m: &Message<'_>) -> Option<Daticert> {
    for part in m.parts.iter().skip(1) {
        if matches!(part.body, PartType::Message(_) | PartType::Multipart(_)) {
            continue;
        }
        let named = part.attachment_name().is_some_and(|n| n.eq_ignore_ascii_case("daticert.xml"));
        let xml = part
            .content_type()
            .is_some_and(|ct| ct.c_subtype.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("xml")));
        if !named && !xml {
            continue;
        }
        let text = String::from_utf8_lossy(part.contents());
        if text.contains("<postacert") {
            return Some(parse_daticert(&text));
        }
    }
    None
}

/// Reads the fields of a `daticert.xml`. The format is small and fixed, so a tolerant tag scan
/// is used instead of a full XML parser; missing fields stay `None`.
pub fn parse_daticert(xml: &str) -> Daticert {
    let root = tag_open(xml, "postacert");
    let data_open = tag_open(xml, "data");
    let zona = data_open.as_deref().and_then(|t| attr(t, "zona"));
    let date = match (element(xml, "giorno"), element(xml, "ora")) {
        (Some(g), Some(o)) => parse_pec_date(&g, &o, zona.as_deref()),
        _ => None,
    };
    Daticert {
        tipo: root.as_deref().and_then(|t| attr(t, "tipo")).map(|s| s.to_ascii_lowercase()),
        errore: root.as_deref().and_then(|t| attr(t, "errore")),
        mittente: element(xml, "mittente").map(|s| s.trim().to_ascii_lowercase()),
        oggetto: element(xml, "oggetto"),
        date,
        identificativo: element(xml, "identificativo"),
        msgid: element(xml, "msgid").map(|s| s.trim().trim_matches(['<', '>']).to_string()),
    }
}

/// `dd/mm/yyyy` + `hh:mm:ss` + zone `+0100`.
fn parse_pec_date(giorno: &str, ora: &str, zona: Option<&str>) -> Option<OffsetDateTime> {
    let mut g = giorno.trim().split('/');
    let (d, m, y) =
        (g.next()?.parse::<u8>().ok()?, g.next()?.parse::<u8>().ok()?, g.next()?.parse::<i32>().ok()?);
    let mut o = ora.trim().split(':');
    let (hh, mm) = (o.next()?.parse::<u8>().ok()?, o.next()?.parse::<u8>().ok()?);
    let ss = o.next().and_then(|s| s.parse::<u8>().ok()).unwrap_or(0);
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    let t = time::Time::from_hms(hh, mm, ss).ok()?;
    let offset = zona.and_then(parse_zone).unwrap_or(time::UtcOffset::UTC);
    Some(date.with_time(t).assume_offset(offset))
}

fn parse_zone(z: &str) -> Option<time::UtcOffset> {
    let z = z.trim();
    let (sign, digits) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => (1, z),
    };
    let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    time::UtcOffset::from_whole_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// The opening tag `<name ...>` (attributes included), without the brackets.
fn tag_open(xml: &str, name: &str) -> Option<String> {
    let needle = format!("<{name}");
    let mut from = 0;
    while let Some(pos) = find(&xml[from..], &needle) {
        let start = from + pos + 1;
        let after = xml[start + name.len()..].chars().next()?;
        if after == '>' || after == '/' || after.is_whitespace() {
            let end = xml[start..].find('>')? + start;
            return Some(xml[start..end].to_string());
        }
        from = start;
    }
    None
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=");
    let mut from = 0;
    while let Some(pos) = tag[from..].find(&key) {
        let at = from + pos;
        let boundary = tag[..at].chars().last().is_none_or(char::is_whitespace);
        let rest = &tag[at + key.len()..];
        if boundary {
            let quote = rest.chars().next()?;
            if quote == '"' || quote == '\'' {
                let end = rest[1..].find(quote)?;
                return Some(xml_unescape(&rest[1..1 + end]));
            }
        }
        from = at + key.len();
    }
    None
}

/// Byte offset of the first `needle` in `hay` (SIMD search: a daticert is read eight times).
fn find(hay: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes())
}

/// Text content of the first `<name>` element (nested tags removed).
fn element(xml: &str, name: &str) -> Option<String> {
    let open = tag_open(xml, name)?;
    if open.ends_with('/') {
        return None;
    }
    let open_full = format!("<{open}>");
    let start = find(xml, &open_full)? + open_full.len();
    let end = find(&xml[start..], &format!("</{name}>"))? + start;
    let inner = &xml[start..end];
    let mut text = String::with_capacity(inner.len());
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = xml_unescape(text.trim());
    (!text.is_empty()).then_some(text)
}

fn xml_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';').filter(|&p| p <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32)
            }
            e if e.starts_with('#') => e[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATICERT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<postacert tipo="posta-certificata" errore="nessuno">
  <intestazione>
    <mittente>Mario.Bianchi@pec.it</mittente>
    <destinatari tipo="certificato">protocollo@pec.comune.borgoesempio.it</destinatari>
    <risposte>mario.bianchi@pec.it</risposte>
    <oggetto>Richiesta certificato &amp; stato di famiglia</oggetto>
  </intestazione>
  <dati>
    <gestore-emittente>ARUBA PEC S.p.A.</gestore-emittente>
    <data zona="+0100"><giorno>12/03/2024</giorno><ora>10:15:32</ora></data>
    <identificativo>opec275.20240312101532.12345.67.1.8@pec.aruba.it</identificativo>
    <msgid>&lt;abc123@mail.pec.it&gt;</msgid>
  </dati>
</postacert>"#;

    #[test]
    fn reads_daticert_fields() {
        let d = parse_daticert(DATICERT);
        assert_eq!(d.tipo.as_deref(), Some("posta-certificata"));
        assert_eq!(d.errore.as_deref(), Some("nessuno"));
        assert_eq!(d.mittente.as_deref(), Some("mario.bianchi@pec.it"));
        assert_eq!(d.oggetto.as_deref(), Some("Richiesta certificato & stato di famiglia"));
        assert_eq!(d.msgid.as_deref(), Some("abc123@mail.pec.it"));
        let date = d.date.expect("date");
        assert_eq!(date.unix_timestamp(), 1_710_234_932);
        assert_eq!(date.offset().whole_hours(), 1);
    }

    #[test]
    fn tolerates_broken_daticert() {
        let d = parse_daticert("<postacert tipo='accettazione'><data><giorno>99/99/2024</giorno>");
        assert_eq!(d.tipo.as_deref(), Some("accettazione"));
        assert_eq!(d.date, None);
        assert_eq!(parse_daticert("garbage &amp"), Daticert::default());
        assert_eq!(xml_unescape("a &#233; &#xE8; &bogus; &"), "a é è &bogus; &");
    }
}
