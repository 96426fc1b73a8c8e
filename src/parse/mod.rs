//! Raw bytes → an owned [`ParsedMail`]: headers the pipeline needs, decoded subject and body text,
//! attachments, PEC unwrapping ([`pec`]) and the signals the exclusion filter ([`exclude`]) reads.
//!
//! `mail_parser` types never leave this module.

pub mod exclude;
pub mod pec;
pub mod subject;

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use time::OffsetDateTime;

use crate::domain::{Channel, SkipReason};

/// Resource limits applied while parsing. Messages over a limit are recorded skips or are
/// truncated (text), never crashes.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest raw message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Deepest PEC envelope nesting unwrapped.
    pub max_envelope_depth: usize,
    /// Decoded body text kept per message, in bytes (the rest is cut at a char boundary).
    pub max_text_bytes: usize,
    /// Attachments listed per message.
    pub max_attachments: usize,
    /// MIME parts per message, counting the parts of attached messages.
    pub max_mime_parts: usize,
    /// MIME nesting depth: multiparts inside multiparts and attached messages inside messages.
    pub max_mime_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 25 * 1024 * 1024,
            max_envelope_depth: 8,
            max_text_bytes: 256 * 1024,
            max_attachments: 100,
            max_mime_parts: 1_000,
            max_mime_depth: 32,
        }
    }
}

/// Where the message date came from, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// `daticert.xml` of a PEC envelope: the provider's certified time.
    Daticert,
    /// The `Date` header.
    Header,
    /// The newest `Received` header (Date missing or implausible).
    Received,
    /// The time the source saw the message (IMAP INTERNALDATE, file mtime).
    Source,
    /// No plausible date anywhere.
    None,
}

impl DateSource {
    /// Stable identifier used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::Daticert => "daticert",
            DateSource::Header => "header",
            DateSource::Received => "received",
            DateSource::Source => "source",
            DateSource::None => "none",
        }
    }
}

/// An attachment's name and MIME type (never its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: Option<String>,
    pub mime: String,
}

/// Header facts the exclusion filter needs, per envelope layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    pub auto_submitted: Option<String>,
    pub auto_response_suppress: bool,
    pub exchange_rules_loop: bool,
    pub precedence: Option<String>,
    pub list_id: bool,
    pub list_unsubscribe: bool,
    pub report_content_type: bool,
    /// `Return-Path: <>`: the null reverse-path that bounces and most automatic replies use.
    pub null_return_path: bool,
    /// `X-Autoreply` (vacation programs and webmail autoresponders).
    pub x_autoreply: bool,
    pub x_ricevuta: Option<String>,
    pub x_trasporto: Option<String>,
    pub from_address: Option<String>,
    pub subject_raw: String,
}

/// A parsed message, owned and independent of the parser.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    pub message_id: Option<String>,
    pub date: Option<OffsetDateTime>,
    pub date_source: DateSource,
    /// Sender address, lower case (for PEC: the certified sender).
    pub from: Option<String>,
    pub to: Vec<String>,
    /// Subject with reply/forward/PEC prefixes stripped.
    pub subject: String,
    /// Subject as decoded from the outermost message.
    pub subject_raw: String,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Body text of the citizen's message (text/plain preferred, else HTML as text).
    pub body: String,
    /// True when the text came from HTML only.
    pub html_only: bool,
    pub attachments: Vec<Attachment>,
    pub channel: Channel,
    /// PEC facts when an envelope was unwrapped or a receipt recognised.
    pub pec: Option<pec::PecInfo>,
    /// Signals of every layer, outermost first; the last one is the message classified.
    pub layers: Vec<Signals>,
    /// True when the body text was cut at [`Limits::max_text_bytes`].
    pub text_truncated: bool,
}

impl ParsedMail {
    /// Domain of the sender address, if any.
    pub fn sender_domain(&self) -> Option<&str> {
        self.from.as_deref().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d)
    }
}

/// What the source knows about a message besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceMeta {
    /// When the source saw it (IMAP INTERNALDATE, file mtime), Unix seconds.
    pub seen_at: Option<i64>,
    /// The time of processing, Unix seconds; an upper bound for plausible dates.
    pub now: i64,
}

/// Earliest plausible message date: 1990-01-01T00:00:00Z.
pub const MIN_PLAUSIBLE_DATE: i64 = 631_152_000;
/// A date this far after the reference time is implausible (clock skew allowance).
pub const MAX_FUTURE_SKEW_SECS: i64 = 2 * 86_400;

/// Parses raw bytes. Returns a skip reason when the bytes are not a message at all; every other
/// oddity (broken MIME, bad charsets, absurd dates) is tolerated and parsed as far as possible.
pub fn parse(raw: &[u8], meta: SourceMeta, limits: &Limits) -> Result<ParsedMail, SkipReason> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SkipReason::Empty);
    }
    if raw.len() > limits.max_message_bytes {
        return Err(SkipReason::TooLarge { size: raw.len(), limit: limits.max_message_bytes });
    }
    // A panic inside the third-party parser (a bug on hostile input) must not end the run: it
    // becomes a recorded skip like any other unreadable message.
    std::panic::catch_unwind(|| parse_inner(raw, meta, limits)).unwrap_or(Err(SkipReason::ParserFailure))
}

/// mail-parser's header parsers for the fields the pipeline reads; every other field is only
/// located, not decoded (its raw bytes stay reachable through the header offsets, which is how
/// the exclusion and PEC signals read `X-` fields). In particular `Received`: parsing every
/// relay's trace line was a good share of the parse time of real mail, and a Received date is
/// only needed when the message has no usable Date (see [`received_dates`]).
static PARSER: std::sync::LazyLock<MessageParser> = std::sync::LazyLock::new(|| {
    use mail_parser::HeaderName as H;
    let mut p = MessageParser::new().default_header_ignore();
    // The same parser for each field as mail-parser's default configuration.
    for h in [H::Subject, H::ContentDescription, H::ContentLocation, H::ContentTransferEncoding] {
        p = p.header_text(h);
    }
    for h in [H::From, H::To, H::ReplyTo, H::ListId, H::ListUnsubscribe] {
        p = p.header_address(h);
    }
    p = p.header_date(H::Date);
    for h in [H::MessageId, H::References, H::InReplyTo, H::ContentId] {
        p = p.header_id(h);
    }
    p = p.header_comma_separated(H::ContentLanguage);
    for h in [H::ContentType, H::ContentDisposition] {
        p = p.header_content_type(h);
    }
    p
});

/// Dates of a message's Received headers, newest (topmost) first: its header block parsed
/// again with the Received parser, which [`PARSER`] skips.
fn received_dates(msg: &Message<'_>) -> Vec<OffsetDateTime> {
    let Some(headers) = MessageParser::default().parse_headers(msg.raw_message()) else { return Vec::new() };
    headers.received_all().filter_map(|r| r.date.as_ref().and_then(to_offset)).collect()
}

fn parse_inner(raw: &[u8], meta: SourceMeta, limits: &Limits) -> Result<ParsedMail, SkipReason> {
    let parser = &*PARSER;
    let msg = parser.parse(raw).ok_or(SkipReason::NotAMessage)?;
    // Random bytes can look like a header block to a tolerant parser: require at least one
    // standard header field.
    if !msg.headers().iter().any(|h| !matches!(h.name, mail_parser::HeaderName::Other(_))) {
        return Err(SkipReason::NotAMessage);
    }
    check_structure(&msg, limits)?;
    let unwrapped = pec::unwrap(parser, &msg, limits.max_envelope_depth);
    let inner: &Message<'_> = unwrapped.inner.as_ref().unwrap_or(&msg);
    if unwrapped.inner.is_some() {
        // An envelope's message re-parsed from encoded bytes has its own tree: same limits.
        check_structure(inner, limits)?;
    }

    let mut layers: Vec<Signals> = unwrapped.outer_signals;
    layers.push(signals(inner));

    let (mut body, html_only) = body_text(inner);
    let mut text_truncated = false;
    if body.len() > limits.max_text_bytes {
        let mut cut = limits.max_text_bytes;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        text_truncated = true;
    }

    let subject_raw = msg.subject().unwrap_or_default().to_string();
    let subject = subject::strip_prefixes(inner.subject().unwrap_or(&subject_raw));

    let pec_info = unwrapped.info;
    // Envelopes and receipts both arrive through the PEC box.
    let channel = if pec_info.as_ref().is_some_and(|p| p.envelope.is_some() || p.receipt.is_some()) {
        Channel::Pec
    } else {
        Channel::Email
    };

    let from = pec_info
        .as_ref()
        .and_then(|p| p.daticert.as_ref())
        .and_then(|d| d.mittente.clone())
        .or_else(|| first_address(inner.from()))
        .or_else(|| first_address(inner.reply_to()));

    let reference = meta.seen_at.unwrap_or(meta.now).max(meta.now);
    let (date, date_source) = pick_date(pec_info.as_ref(), inner, &msg, meta.seen_at, reference);

    Ok(ParsedMail {
        message_id: inner
            .message_id()
            .or_else(|| msg.message_id())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        date,
        date_source,
        from,
        to: addresses(inner.to()),
        subject,
        subject_raw,
        in_reply_to: id_list(inner.in_reply_to()),
        references: id_list(inner.references()),
        body,
        html_only,
        attachments: attachments(inner, limits.max_attachments),
        channel,
        pec: pec_info,
        layers,
        text_truncated,
    })
}

/// Refuses a message whose MIME tree is larger or deeper than the limits. The walk uses an
/// explicit stack, so a hostile nesting cannot overflow ours, and stops at the first limit.
fn check_structure(msg: &Message<'_>, limits: &Limits) -> Result<(), SkipReason> {
    let mut parts = 0usize;
    // (message, part index, depth of that part)
    let mut stack: Vec<(&Message<'_>, u32, usize)> = vec![(msg, 0, 0)];
    while let Some((m, id, depth)) = stack.pop() {
        if depth > limits.max_mime_depth {
            return Err(SkipReason::TooDeep { limit: limits.max_mime_depth });
        }
        let Some(part) = m.parts.get(id as usize) else { continue };
        parts += 1;
        if parts > limits.max_mime_parts {
            return Err(SkipReason::TooManyParts { limit: limits.max_mime_parts });
        }
        match &part.body {
            // The part count bounds the walk even if a broken tree repeated an id.
            PartType::Multipart(children) => stack.extend(children.iter().map(|c| (m, *c, depth + 1))),
            PartType::Message(inner) => stack.push((inner, 0, depth + 1)),
            _ => {}
        }
    }
    Ok(())
}

/// Message-ID and Date of a header block alone (for messages whose body is never fetched).
pub fn header_facts(header: &[u8]) -> (Option<String>, Option<OffsetDateTime>) {
    let Some(m) = MessageParser::default().parse_headers(header) else { return (None, None) };
    let mid = m.message_id().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    (mid, m.date().and_then(to_offset))
}

fn pick_date(
    pec: Option<&pec::PecInfo>,
    inner: &Message<'_>,
    outer: &Message<'_>,
    seen_at: Option<i64>,
    reference: i64,
) -> (Option<OffsetDateTime>, DateSource) {
    let plausible = |d: &OffsetDateTime| {
        let ts = d.unix_timestamp();
        (MIN_PLAUSIBLE_DATE..=reference + MAX_FUTURE_SKEW_SECS).contains(&ts)
    };
    if let Some(d) = pec.and_then(|p| p.daticert.as_ref()).and_then(|d| d.date)
        && plausible(&d)
    {
        return (Some(d), DateSource::Daticert);
    }
    if let Some(d) = inner.date().or_else(|| outer.date()).and_then(to_offset)
        && plausible(&d)
    {
        return (Some(d), DateSource::Header);
    }
    // The newest Received header is the one our side added: the first in the list.
    if let Some(d) = received_dates(outer).into_iter().find(|d| plausible(d)) {
        return (Some(d), DateSource::Received);
    }
    if let Some(d) = seen_at.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        && plausible(&d)
    {
        return (Some(d), DateSource::Source);
    }
    (None, DateSource::None)
}

pub(crate) fn to_offset(d: &mail_parser::DateTime) -> Option<OffsetDateTime> {
    if !d.is_valid() {
        return None;
    }
    let month = time::Month::try_from(d.month).ok()?;
    let date = time::Date::from_calendar_date(i32::from(d.year), month, d.day).ok()?;
    let t = time::Time::from_hms(d.hour, d.minute, d.second).ok()?;
    let secs = i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60;
    let offset = time::UtcOffset::from_whole_seconds(if d.tz_before_gmt { -secs } else { secs }).ok()?;
    Some(date.with_time(t).assume_offset(offset))
}

fn signals(m: &Message<'_>) -> Signals {
    // One pass over the header block; like `Message::header_raw`, the last occurrence of a field
    // counts.
    const FIELDS: [&str; 8] = [
        "auto-submitted",
        "x-auto-response-suppress",
        "x-ms-exchange-inbox-rules-loop",
        "precedence",
        "x-ricevuta",
        "x-trasporto",
        "return-path",
        "x-autoreply",
    ];
    let mut found: [Option<&str>; 8] = [None; 8];
    let raw_message: &[u8] = m.raw_message.as_ref();
    for h in m.parts.first().map(|p| p.headers.as_slice()).unwrap_or_default() {
        let name = h.name.as_str();
        if let Some(i) = FIELDS.iter().position(|f| f.eq_ignore_ascii_case(name))
            && let Some(v) = raw_message.get(h.offset_start as usize..h.offset_end as usize)
        {
            found[i] = std::str::from_utf8(v).ok();
        }
    }
    let raw = |i: usize| found[i].map(|v| v.trim().to_ascii_lowercase());
    Signals {
        auto_submitted: raw(0),
        auto_response_suppress: found[1].is_some(),
        exchange_rules_loop: found[2].is_some(),
        precedence: raw(3),
        list_id: !matches!(m.list_id(), HeaderValue::Empty),
        list_unsubscribe: !matches!(m.list_unsubscribe(), HeaderValue::Empty),
        report_content_type: m.content_type().is_some_and(|ct| {
            ct.c_type.eq_ignore_ascii_case("multipart")
                && ct.c_subtype.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("report"))
        }),
        null_return_path: found[6].is_some_and(|v| v.trim() == "<>"),
        x_autoreply: found[7].is_some_and(|v| !v.trim().eq_ignore_ascii_case("no")),
        x_ricevuta: raw(4),
        x_trasporto: raw(5),
        from_address: first_address(m.from()),
        subject_raw: m.subject().unwrap_or_default().to_string(),
    }
}

fn first_address(a: Option<&Address<'_>>) -> Option<String> {
    a.and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| s.contains('@'))
}

fn addresses(a: Option<&Address<'_>>) -> Vec<String> {
    a.map(|a| a.iter().filter_map(|x| x.address()).map(|s| s.trim().to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Text of the message: all text/plain bodies, else HTML converted to text; plus the text of
/// forwarded messages attached as `message/rfc822` (one level), which citizens use to forward.
fn body_text(m: &Message<'_>) -> (String, bool) {
    let mut out = String::new();
    let mut html_only = true;
    for (i, id) in m.text_body.iter().enumerate() {
        if let Some(part) = m.parts.get(*id as usize)
            && matches!(part.body, PartType::Text(_))
        {
            html_only = false;
        }
        if let Some(t) = m.body_text(i) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&t);
        }
    }
    if out.trim().is_empty() {
        for i in 0..m.html_body_count() {
            if let Some(t) = m.body_html(i) {
                out.push_str(&mail_parser::decoders::html::html_to_text(&t));
                out.push('\n');
            }
        }
    } else if m.text_body.is_empty() {
        html_only = false;
    }
    if m.text_body.is_empty() && m.html_body.is_empty() {
        html_only = false;
    }
    for part in m.attachments() {
        if let Some(nested) = part.message() {
            let (t, _) = body_text_flat(nested);
            if !t.trim().is_empty() {
                out.push('\n');
                out.push_str(&t);
            }
        }
    }
    (out, html_only)
}

fn body_text_flat(m: &Message<'_>) -> (String, bool) {
    let mut out = String::new();
    for i in 0..m.text_body_count() {
        if let Some(t) = m.body_text(i) {
            out.push_str(&t);
            out.push('\n');
        }
    }
    (out, false)
}

fn attachments(m: &Message<'_>, max: usize) -> Vec<Attachment> {
    m.attachments()
        .take(max)
        .map(|p| Attachment {
            name: p.attachment_name().map(str::to_string),
            mime: p
                .content_type()
                .map(|ct| match &ct.c_subtype {
                    Some(s) => format!("{}/{}", ct.c_type, s).to_ascii_lowercase(),
                    None => ct.c_type.to_ascii_lowercase(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_string()),
        })
        .collect()
}
