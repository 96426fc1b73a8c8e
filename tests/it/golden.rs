//! Golden tests for parsing, PEC unwrapping, exclusions and text cleaning, driven by the table in
//! `tests/fixtures/eml/CASES.md` (the fixtures' specification, written with them).

use time::format_description::well_known::Rfc3339;

use crate::support::{comune_exclusions, fixture, parse_file, squash};
use urpmail::parse::exclude::ExclusionConfig;

struct Case {
    file: String,
    channel: String,
    exclusion: String,
    subject: String,
    sender: String,
    date: String,
    must: Vec<String>,
    must_not: Vec<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixture("eml/CASES.md")).expect("CASES.md");
    let cell = |s: &str| s.trim().trim_matches('`').to_string();
    // Phrases are back-quoted and separated by <br>; a phrase may itself be "<br>".
    let phrases = |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cols: Vec<&str> = l.trim_matches('|').split(" | ").collect();
            assert_eq!(cols.len(), 8, "bad CASES.md row: {l}");
            Case {
                file: cell(cols[0]),
                channel: cell(cols[1]),
                exclusion: cell(cols[2]),
                subject: cell(cols[3]),
                sender: cell(cols[4]),
                date: cell(cols[5]),
                must: phrases(cols[6]),
                must_not: phrases(cols[7]),
            }
        })
        .collect()
}

#[test]
fn every_fixture_matches_its_case() {
    let cases = cases();
    assert!(cases.len() >= 40, "CASES.md lists {} fixtures", cases.len());
    let cfg = comune_exclusions();
    let mut failures = Vec::new();
    for c in &cases {
        let path = fixture(&format!("eml/{}", c.file));
        let mut fail = |what: String| failures.push(format!("{}: {what}", c.file));
        let parsed = match parse_file(&path, &cfg) {
            Ok(p) => p,
            Err(reason) => {
                if c.exclusion != "unparseable" {
                    fail(format!("skipped ({reason}) but expected {}", c.exclusion));
                }
                continue;
            }
        };
        if c.exclusion == "unparseable" {
            fail("parsed, but expected a skip".into());
            continue;
        }
        let m = &parsed.mail;
        if m.channel.as_str() != c.channel {
            fail(format!("channel {} != {}", m.channel, c.channel));
        }
        let got_excl = parsed.exclusion.map_or("none", |e| e.reason.as_str());
        if got_excl != c.exclusion {
            fail(format!("exclusion {got_excl} != {}", c.exclusion));
        }
        if let Some(rest) = c.subject.strip_prefix("(lossy) ") {
            for part in rest.split('…').map(str::trim).filter(|p| !p.is_empty()) {
                if !m.subject.contains(part) {
                    fail(format!("subject {:?} lacks {part:?}", m.subject));
                }
            }
        } else if m.subject != c.subject {
            fail(format!("subject {:?} != {:?}", m.subject, c.subject));
        }
        if !m.from.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(&c.sender)) {
            fail(format!("sender {:?} != {:?}", m.from, c.sender));
        }
        // Same instant and same offset as written in the source.
        let want = time::OffsetDateTime::parse(&c.date, &Rfc3339).expect("date in CASES.md");
        if m.date != Some(want) || m.date.map(|d| d.offset()) != Some(want.offset()) {
            fail(format!("date {:?} != {}", m.date.and_then(|d| d.format(&Rfc3339).ok()), c.date));
        }
        let text = squash(&parsed.clean_text);
        for p in &c.must {
            if !text.contains(&squash(p)) {
                fail(format!("text lacks {p:?}"));
            }
        }
        for p in &c.must_not {
            if text.contains(&squash(p)) {
                fail(format!("text contains {p:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn internal_mail_needs_the_configured_domain() {
    let none = ExclusionConfig::default();
    let p = parse_file(&fixture("eml/internal-sender.eml"), &none).expect("parses");
    assert_eq!(p.exclusion, None);
    // The protocol acknowledgement is recognised from its wording even without the domain, as a
    // weak exclusion that the review report shows.
    let p = parse_file(&fixture("eml/protocol-ack.eml"), &none).expect("parses");
    let e = p.exclusion.expect("excluded");
    assert_eq!(e.reason.as_str(), "internal");
    assert!(!e.strong);
}

#[test]
fn pec_details_are_kept() {
    let cfg = comune_exclusions();
    let p = parse_file(&fixture("eml/pec-nested.eml"), &cfg).expect("parses");
    let pec = p.mail.pec.expect("pec info");
    let kinds: Vec<&str> = pec.envelopes.iter().map(|e| e.as_str()).collect();
    assert_eq!(kinds, ["anomaly", "transport"]);
    let p = parse_file(&fixture("eml/pec-transport.eml"), &cfg).expect("parses");
    let d = p.mail.pec.and_then(|p| p.daticert).expect("daticert");
    assert_eq!(d.msgid.as_deref(), Some("5e1c7a09b3f24d8e9a6b2c1d0f4e3a21@pec.it"));
    assert_eq!(p.mail.message_id.as_deref(), Some("5e1c7a09b3f24d8e9a6b2c1d0f4e3a21@pec.it"));
    let p = parse_file(&fixture("eml/pec-consegna-completa.eml"), &cfg).expect("parses");
    assert_eq!(p.mail.pec.and_then(|p| p.receipt).as_deref(), Some("avvenuta-consegna"));
}

#[test]
fn attachments_are_listed_by_name_and_type() {
    let p = parse_file(&fixture("eml/attachments.eml"), &comune_exclusions()).expect("parses");
    let names: Vec<(Option<&str>, &str)> =
        p.mail.attachments.iter().map(|a| (a.name.as_deref(), a.mime.as_str())).collect();
    assert_eq!(
        names,
        [
            (Some("domanda_contributo.pdf"), "application/pdf"),
            (Some("documento_identità_fronte.png"), "image/png")
        ]
    );
    let p = parse_file(&fixture("eml/html-only.eml"), &comune_exclusions()).expect("parses");
    assert!(p.mail.html_only);
}
