//! The exclusion filter: mail that is not a citizen's request (PEC receipts, automatic replies,
//! bounces, bulk mail, the comune's own mail) gets a reason and is never counted as a topic.
//!
//! The bar is asymmetric: a citizen's message must never be excluded by mistake. A strong
//! exclusion always rests on a header or the sender (PEC receipt headers, `multipart/report`,
//! a mailer-daemon sender, `Auto-Submitted`, the null `Return-Path`, `Precedence`...), never on
//! a subject prefix alone: a person can write "Risposta automatica: ..." or "Non recapitabile:
//! ..." too. A subject prefix with confirming body wording and no header is a weak exclusion
//! (`strong == false`), which the review report shows to staff.

use super::{ParsedMail, Signals, subject::starts_with_ci};
use crate::domain::ExclusionReason;

/// Configurable part of the filter (from the rules file or the configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExclusionConfig {
    /// Sender domains of the comune itself (suffix match: `comune.x.it` matches `pec.comune.x.it`).
    pub internal_domains: Vec<String>,
    /// Single internal sender addresses.
    pub internal_addresses: Vec<String>,
}

/// An exclusion with the signal that triggered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exclusion {
    pub reason: ExclusionReason,
    /// Short identifier of the signal, for explanations and the review report.
    pub signal: &'static str,
    /// False when only a heuristic (subject and body wording) decided: such exclusions are worth
    /// a human look.
    pub strong: bool,
}

const DAEMON_LOCALS: &[&str] = &["mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"];

/// Subject prefixes of bounces. A citizen can write them too ("Non recapitabile: la cartolina
/// della TARI"), so they exclude only with a header that only automatic mail carries.
const BOUNCE_SUBJECTS: &[&str] = &[
    "Undelivered Mail Returned to Sender",
    "Delivery Status Notification",
    "Undeliverable:",
    "Undelivered:",
    "Mail delivery failed",
    "Returned mail:",
    "Delivery Failure",
    "Non recapitabile:",
];

/// Subject prefixes of automatic replies. A citizen can write them too (a student "fuori sede",
/// a complaint titled "Risposta automatica: ..."), so alone they never exclude: a header makes
/// the exclusion strong, absence wording in the body makes it weak (for review).
const AUTO_SUBJECTS: &[&str] = &[
    "Risposta automatica:",
    "Risposta automatica -",
    "Automatic reply:",
    "Auto reply:",
    "Auto-reply:",
    "Autoreply:",
    "Out of Office:",
    "Out of office reply",
    "Réponse automatique",
    "Abwesenheitsnotiz",
    "Fuori ufficio",
    "Fuori sede:",
    "Assente:",
    "Messaggio di assenza",
    "Assenza:",
];

/// Body phrases that confirm an auto-reply subject: the writer says they are away. Words about
/// automatic messages ("risposta automatica") do not count: a citizen complaining that the
/// office only sends automatic replies writes exactly those.
const ABSENCE_PHRASES: &[&str] = &[
    "sono assente",
    "sarò assente",
    "saro' assente",
    "rientrerò",
    "rientrero'",
    "al mio rientro",
    "fuori ufficio",
    "non sono in ufficio",
    "sarò fuori",
    "per urgenze",
    "out of the office",
    "out of office",
    "i am away",
];

/// Decides whether a parsed message is excluded, and why.
pub fn exclusion(m: &ParsedMail, cfg: &ExclusionConfig) -> Option<Exclusion> {
    let strong = |reason, signal| Some(Exclusion { reason, signal, strong: true });
    if let Some(pec) = &m.pec
        && pec.receipt.is_some()
    {
        return strong(ExclusionReason::PecReceipt, "x-ricevuta");
    }
    let inner = m.layers.last()?;
    // Anomaly envelopes often wrap bounces ("ANOMALIA MESSAGGIO: Undelivered Mail ..."): the
    // inner message decides.
    if inner.report_content_type {
        return strong(ExclusionReason::Bounce, "multipart-report");
    }
    if sender_local(inner).is_some_and(|l| DAEMON_LOCALS.contains(&l.as_str())) {
        return strong(ExclusionReason::Bounce, "daemon-sender");
    }
    let automatic_header = automatic_header(inner);
    let subject = inner.subject_raw.as_str();
    if automatic_header && BOUNCE_SUBJECTS.iter().any(|p| starts_with_ci(subject, p)) {
        return strong(ExclusionReason::Bounce, "bounce-subject-and-header");
    }
    if auto_submitted(inner) {
        return strong(ExclusionReason::AutoReply, "auto-submitted");
    }
    if inner.auto_response_suppress && inner.exchange_rules_loop {
        return strong(ExclusionReason::AutoReply, "exchange-auto-reply");
    }
    if inner.x_autoreply {
        return strong(ExclusionReason::AutoReply, "x-autoreply");
    }
    if AUTO_SUBJECTS.iter().any(|p| starts_with_ci(subject, p)) {
        if automatic_header {
            return strong(ExclusionReason::AutoReply, "auto-reply-subject-and-header");
        }
        let body = m.body.to_lowercase();
        if ABSENCE_PHRASES.iter().any(|p| body.contains(p)) {
            return Some(Exclusion {
                reason: ExclusionReason::AutoReply,
                signal: "absence-subject-and-body",
                strong: false,
            });
        }
    }
    if inner.auto_response_suppress {
        return strong(ExclusionReason::AutoReply, "x-auto-response-suppress");
    }
    if inner.list_id {
        return strong(ExclusionReason::Bulk, "list-id");
    }
    if inner.list_unsubscribe {
        return strong(ExclusionReason::Bulk, "list-unsubscribe");
    }
    if is_bulk_precedence(inner) {
        return strong(ExclusionReason::Bulk, "precedence");
    }
    if is_internal(m, cfg) {
        return strong(ExclusionReason::Internal, "internal-sender");
    }
    if is_protocol_ack(m, inner) {
        return Some(Exclusion {
            reason: ExclusionReason::Internal,
            signal: "protocol-acknowledgement",
            strong: false,
        });
    }
    None
}

/// Headers that a person's mail client does not write but automatic senders do: the null
/// reverse-path (RFC 3834 §3.3, RFC 3464), `Precedence: bulk|list|junk` (vacation programs),
/// `X-Auto-Response-Suppress`, `X-Autoreply`, `Auto-Submitted`. They confirm a subject prefix.
fn automatic_header(s: &Signals) -> bool {
    s.null_return_path
        || is_bulk_precedence(s)
        || s.auto_response_suppress
        || s.x_autoreply
        || auto_submitted(s)
}

/// `Auto-Submitted` with any value but `no`. "auto-replied (zimbra; vacation)": the keyword is
/// the token before any comment.
fn auto_submitted(s: &Signals) -> bool {
    s.auto_submitted
        .as_deref()
        .and_then(|v| v.split(|c: char| c.is_whitespace() || c == '(' || c == ';').find(|t| !t.is_empty()))
        .is_some_and(|k| k != "no")
}

fn is_bulk_precedence(s: &Signals) -> bool {
    s.precedence.as_deref().is_some_and(|p| matches!(p, "bulk" | "list" | "junk"))
}

/// The comune's protocol system acknowledging a registration: "messaggio generato
/// automaticamente" together with a protocol number. Weak: worth a look in the review report.
fn is_protocol_ack(m: &ParsedMail, inner: &Signals) -> bool {
    // ASCII needles, searched case-insensitively without lower-casing the whole body.
    use crate::text::clean::contains_ci;
    let body = m.body.as_str();
    let generated =
        contains_ci(body, "generato automaticamente") || contains_ci(body, "messaggio automatico");
    if !generated || !contains_ci(body, "non rispondere") {
        return false;
    }
    let subject = inner.subject_raw.as_str();
    ["prot. n", "prot.n", "protocollo n", "prot n.", "numero di protocollo"]
        .iter()
        .any(|p| contains_ci(subject, p) || contains_ci(body, p))
}

fn sender_local(s: &Signals) -> Option<String> {
    s.from_address.as_deref().and_then(|a| a.split_once('@')).map(|(l, _)| l.to_string())
}

fn is_internal(m: &ParsedMail, cfg: &ExclusionConfig) -> bool {
    let Some(from) = m.from.as_deref() else {
        return false;
    };
    if cfg.internal_addresses.iter().any(|a| a.eq_ignore_ascii_case(from)) {
        return true;
    }
    let Some(domain) = m.sender_domain() else {
        return false;
    };
    cfg.internal_domains.iter().any(|d| {
        let d = d.trim_start_matches('@');
        domain.eq_ignore_ascii_case(d)
            || (domain.len() > d.len()
                && domain.to_ascii_lowercase().ends_with(&format!(".{}", d.to_ascii_lowercase())))
    })
}

#[cfg(test)]
mod tests {
    use super::{Exclusion, ExclusionConfig, exclusion};
    use crate::domain::ExclusionReason;
    use crate::parse::{Limits, SourceMeta, parse};

    fn check(bytes: &[u8]) -> Option<Exclusion> {
        let meta = SourceMeta { seen_at: None, now: 1_767_225_600 };
        let m = parse(bytes, meta, &Limits::default()).expect("parses");
        exclusion(&m, &ExclusionConfig::default())
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/eml/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).expect("fixture")
    }

    fn msg(headers: &str, body: &str) -> Vec<u8> {
        format!(
            "From: Anna Neri <anna.neri@example.it>\nTo: urp@comune.borgoesempio.it\n\
             Date: Mon, 2 Sep 2024 10:00:00 +0200\n{headers}\n\n{body}\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_citizen_subject_prefix_alone_never_excludes() {
        for subject in [
            "Risposta automatica: nessuno mi risponde",
            "Automatic reply: still waiting",
            "Out of Office: richiesta",
            "Fuori sede: studenti e residenza",
            "Non recapitabile: la cartolina TARI",
            "Undeliverable: avviso di pagamento",
            "Undelivered Mail Returned to Sender",
        ] {
            let body = "Buongiorno, ricevo solo la vostra risposta automatica, un messaggio automatico.";
            assert_eq!(check(&msg(&format!("Subject: {subject}"), body)), None, "{subject}");
        }
        for file in ["citizen-subject-risposta-automatica.eml", "citizen-subject-non-recapitabile.eml"] {
            assert_eq!(check(&fixture(file)), None, "{file}");
        }
    }

    #[test]
    fn a_subject_prefix_with_absence_wording_is_a_weak_exclusion() {
        let e = check(&msg("Subject: Out of Office: R: TARI", "Sono assente fino al 9 settembre."))
            .expect("excluded");
        assert_eq!(
            (e.reason, e.signal, e.strong),
            (ExclusionReason::AutoReply, "absence-subject-and-body", false)
        );
        let e = check(&fixture("autoreply-subject-only.eml")).expect("excluded");
        assert!(!e.strong);
    }

    #[test]
    fn a_subject_prefix_confirmed_by_a_header_is_strong() {
        let cases = [
            ("Return-Path: <>\nSubject: Non recapitabile: R: TARI", ExclusionReason::Bounce),
            ("Precedence: junk\nSubject: Risposta automatica: R: TARI", ExclusionReason::AutoReply),
            ("Return-Path: <>\nSubject: Fuori sede: R: TARI", ExclusionReason::AutoReply),
        ];
        for (headers, reason) in cases {
            let e = check(&msg(headers, "Testo qualsiasi.")).expect(headers);
            assert_eq!((e.reason, e.strong), (reason, true), "{headers}");
        }
        // A header alone is enough: X-Autoreply as vacation programs write it.
        let e = check(&msg("X-Autoreply: yes\nSubject: Re: TARI", "Testo.")).expect("excluded");
        assert_eq!((e.reason, e.signal, e.strong), (ExclusionReason::AutoReply, "x-autoreply", true));
        // An ordinary Return-Path confirms nothing.
        let plain = msg("Return-Path: <anna.neri@example.it>\nSubject: Non recapitabile: TARI", "Testo.");
        assert_eq!(check(&plain), None);
    }

    #[test]
    fn real_auto_replies_and_bounces_stay_strong() {
        for (file, reason) in [
            ("autoreply-vacation-precedence.eml", ExclusionReason::AutoReply),
            ("autoreply-rfc3834.eml", ExclusionReason::AutoReply),
            ("autoreply-exchange.eml", ExclusionReason::AutoReply),
            ("autoreply-english.eml", ExclusionReason::AutoReply),
            ("bounce-null-sender.eml", ExclusionReason::Bounce),
            ("bounce-dsn.eml", ExclusionReason::Bounce),
            ("bounce-mancato-recapito.eml", ExclusionReason::Bounce),
        ] {
            let e = check(&fixture(file)).expect(file);
            assert_eq!((e.reason, e.strong), (reason, true), "{file}");
        }
    }
}
