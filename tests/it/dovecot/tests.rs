//! Tests of the Dovecot harness itself.

use super::*;

fn msg(i: usize) -> Vec<u8> {
    format!(
        "From: cittadino{i}@example.org\r\nTo: urp@comune.borgoesempio.it\r\nSubject: prova {i}\r\n\
         Message-ID: <msg-{i:05}@urpmail.test>\r\nDate: Mon, 5 Jan 2026 10:00:00 +0100\r\n\r\nTesto {i}.\r\n"
    )
    .into_bytes()
}

#[test]
fn dovecot_greets_on_plain_port() {
    let t = Instant::now();
    let Some(d) = Dovecot::start() else { return };
    let started = t.elapsed();
    let g = greeting(d.imap_port()).expect("greeting");
    assert!(g.contains("Dovecot ready") || g.starts_with("* OK"), "{g}");
    assert!(g.contains("STARTTLS"), "plain port offers STARTTLS: {g}");
    assert_ne!(d.imap_port(), d.imaps_port());
    let t = Instant::now();
    drop(d);
    eprintln!("dovecot: start {started:?}, drop {:?}", t.elapsed());
}

fn s_client(port: u16, ca: &Path) -> Output {
    Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-CAfile"])
        .arg(ca)
        .args(["-verify_return_error", "-verify_ip", "127.0.0.1"])
        .stdin(Stdio::null())
        .output()
        .expect("openssl s_client")
}

#[test]
fn dovecot_imaps_verifies_with_its_ca_only() {
    let Some(d) = Dovecot::start() else { return };
    let ok = s_client(d.imaps_port(), &d.ca_pem());
    assert!(ok.status.success(), "with ca.pem: {}", describe(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Verify return code: 0 (ok)"));
    let bad = s_client(d.imaps_port(), &d.other_ca_pem());
    assert!(!bad.status.success(), "with other_ca.pem must fail: {}", describe(&bad));
}

#[test]
fn dovecot_deliver_counts_and_seen() {
    let Some(d) = Dovecot::start() else { return };
    for i in 1..=3 {
        d.deliver("INBOX", &msg(i));
    }
    assert_eq!(d.message_count("INBOX"), 3);
    assert_eq!(d.seen_count("INBOX"), 0);

    d.create_mailbox("PEC");
    d.deliver("PEC", &msg(4));
    assert_eq!(d.message_count("PEC"), 1);
    assert_eq!(d.message_count("INBOX"), 3);

    // EXAMINE sees them without setting \Seen; a STORE is what sets it.
    let mut c = RawImap::login(&d);
    let r = c.cmd("EXAMINE INBOX");
    assert!(r.contains("* 3 EXISTS"), "{r}");
    let r = c.cmd("UID FETCH 1:3 (BODY[])");
    assert!(r.contains("msg-00003@urpmail.test"), "{r}");
    assert_eq!(d.seen_count("INBOX"), 0, "EXAMINE + BODY[] is read-only");
    let r = c.cmd("SELECT PEC");
    assert!(r.contains("* 1 EXISTS"), "{r}");
    let r = c.cmd("UID STORE 1 +FLAGS (\\Seen)");
    assert!(r.contains("OK"), "{r}");
    c.cmd("LOGOUT");
    assert_eq!(d.seen_count("PEC"), 1);
    assert_eq!(d.seen_count("INBOX"), 0);
}

#[test]
fn dovecot_reset_uidvalidity_renumbers() {
    let Some(d) = Dovecot::start() else { return };
    d.deliver("INBOX", &msg(1));
    d.deliver("INBOX", &msg(2));
    let mut c = RawImap::connect(d.imap_port());
    let r = c.cmd("LOGIN test secret");
    assert!(r.contains("OK"), "{r}");
    let r = c.cmd("EXAMINE INBOX");
    let v1 = uidvalidity(&r);
    assert!(r.contains("[UIDNEXT 3]"), "{r}");
    c.cmd("LOGOUT");
    drop(c);
    d.kick(); // makes sure the session process is gone

    d.reset_uidvalidity("INBOX");
    d.deliver("INBOX", &msg(3));
    let mut c = RawImap::login(&d);
    let r = c.cmd("EXAMINE INBOX");
    let v2 = uidvalidity(&r);
    assert_ne!(v1, v2, "{r}");
    assert!(r.contains("* 3 EXISTS") && r.contains("[UIDNEXT 4]"), "renumbered from 1: {r}");
    let r = c.cmd("UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    assert!(r.contains("msg-00001@"), "{r}");
    c.cmd("LOGOUT");

    drop(c);
    d.kick();
    d.set_uidvalidity("INBOX", 4242);
    let mut c = RawImap::login(&d);
    assert_eq!(uidvalidity(&c.cmd("EXAMINE INBOX")), 4242);
}

#[test]
fn dovecot_kill_and_restart() {
    let Some(mut d) = Dovecot::start() else { return };
    d.deliver("INBOX", &msg(1));
    let mut c = RawImap::login(&d);
    c.cmd("EXAMINE INBOX");
    let t = Instant::now();
    d.kill();
    let killed = t.elapsed();
    assert!(!d.is_running());
    assert!(c.line().is_none(), "the session is dropped with the server");
    assert!(TcpStream::connect(("127.0.0.1", d.imap_port())).is_err(), "port closed");
    d.kill(); // idempotent
    let t = Instant::now();
    d.restart();
    let restarted = t.elapsed();
    let g = greeting(d.imap_port()).expect("greeting after restart");
    assert!(g.starts_with("* OK"), "{g}");
    assert_eq!(d.message_count("INBOX"), 1, "same mail dir");
    let mut c = RawImap::login(&d);
    assert!(c.cmd("EXAMINE INBOX").contains("* 1 EXISTS"));
    d.restart(); // also works while running (kills first)
    assert!(greeting(d.imap_port()).is_some());
    eprintln!("dovecot: kill {killed:?}, restart {restarted:?}");
}

#[test]
fn dovecot_kick_and_kill_sessions() {
    let Some(d) = Dovecot::start() else { return };
    d.kick(); // no session: fine
    d.kill_sessions(); // no session: fine

    let mut c = RawImap::login(&d);
    c.cmd("EXAMINE INBOX");
    d.kick();
    let mut rest = Vec::new();
    while let Some(l) = c.line() {
        rest.push(l);
    }
    assert!(rest.iter().any(|l| l.starts_with("* BYE")), "kick sends BYE: {rest:?}");

    let mut c = RawImap::login(&d);
    c.cmd("EXAMINE INBOX");
    d.kill_sessions();
    assert!(c.line().is_none(), "hard kill: EOF with no BYE");
    // The server itself is still there.
    assert!(greeting(d.imap_port()).is_some());
}

#[test]
fn dovecot_deliver_many_keeps_order() {
    let Some(d) = Dovecot::start() else { return };
    let messages: Vec<Vec<u8>> = (1..=2000).map(msg).collect();
    let t = Instant::now();
    d.deliver_many("INBOX", &messages);
    let delivered = t.elapsed();
    let t = Instant::now();
    assert_eq!(d.message_count("INBOX"), 2000);
    let counted = t.elapsed();
    assert_eq!(d.seen_count("INBOX"), 0);
    eprintln!("dovecot: deliver_many(2000) {delivered:?}, first message_count {counted:?}");

    let mut c = RawImap::login(&d);
    let r = c.cmd("EXAMINE INBOX");
    assert!(r.contains("* 2000 EXISTS") && r.contains("[UIDNEXT 2001]"), "{r}");
    for uid in [1, 2, 999, 1000, 1999, 2000] {
        let r = c.cmd(&format!("UID FETCH {uid} (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"));
        assert!(r.contains(&format!("<msg-{uid:05}@urpmail.test>")), "UID {uid}: {r}");
    }
    // A later single delivery comes after the batch.
    d.deliver("INBOX", &msg(2001));
    let r = c.cmd("NOOP");
    assert!(r.contains("* 2001 EXISTS"), "{r}");
    let r = c.cmd("UID FETCH 2001 (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    assert!(r.contains("<msg-02001@urpmail.test>"), "{r}");
    c.cmd("LOGOUT");
    assert_eq!(d.seen_count("INBOX"), 0);
}
