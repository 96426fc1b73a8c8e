//! The exclusion filter: mail that is not a citizen's request (PEC receipts, automatic replies,
//! bounces, bulk mail, the comune's own mail) gets a reason and is never counted as a topic.
//!
//! The bar is asymmetric: a citizen's message must never be excluded by mistake, so phrases that
//! a person could write in a subject ("Fuori sede: ...", "Mancato recapito ...") only count when a
//! header or the sender confirms them.

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

const AUTO_SUBJECTS_STRONG: &[&str] = &[
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
];

const AUTO_SUBJECTS_WEAK: &[&str] =
    &["Fuori ufficio", "Fuori sede:", "Assente:", "Messaggio di assenza", "Assenza:"];

/// Body phrases that confirm a weak auto-reply subject.
const ABSENCE_PHRASES: &[&str] = &[
    "sono assente",
    "sarò assente",
    "saro' assente",
    "rientrerò",
    "rientrero'",
    "al mio rientro",
    "fuori ufficio",
    "messaggio automatico",
    "risposta automatica",
    "non sono in ufficio",
    "sarò fuori",
    "per urgenze",
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
    if BOUNCE_SUBJECTS.iter().any(|p| starts_with_ci(&inner.subject_raw, p)) {
        return strong(ExclusionReason::Bounce, "bounce-subject");
    }
    // "auto-replied (zimbra; vacation)": the keyword is the token before any comment.
    let auto_keyword = inner
        .auto_submitted
        .as_deref()
        .and_then(|v| v.split(|c: char| c.is_whitespace() || c == '(' || c == ';').find(|t| !t.is_empty()));
    if auto_keyword.is_some_and(|k| k != "no") {
        return strong(ExclusionReason::AutoReply, "auto-submitted");
    }
    if inner.auto_response_suppress && inner.exchange_rules_loop {
        return strong(ExclusionReason::AutoReply, "exchange-auto-reply");
    }
    if AUTO_SUBJECTS_STRONG.iter().any(|p| starts_with_ci(&inner.subject_raw, p)) {
        return strong(ExclusionReason::AutoReply, "auto-reply-subject");
    }
    if AUTO_SUBJECTS_WEAK.iter().any(|p| starts_with_ci(&inner.subject_raw, p)) {
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
    if inner.precedence.as_deref().is_some_and(|p| matches!(p, "bulk" | "list" | "junk")) {
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
