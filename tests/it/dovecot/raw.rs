//! A minimal raw IMAP client for tests of the harness and of read-only behaviour.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::*;
/// A minimal blocking IMAP client over plain TCP, for tests of the harness itself.
#[derive(Debug)]
pub(crate) struct RawImap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl RawImap {
    /// Connects and reads the greeting.
    pub(crate) fn connect(port: u16) -> RawImap {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect {port}: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(30))).expect("set_read_timeout");
        let writer = s.try_clone().expect("try_clone");
        let mut c = RawImap { reader: BufReader::new(s), writer, tag: 0 };
        let g = c.line().expect("greeting");
        assert!(g.starts_with("* OK"), "greeting: {g:?}");
        c
    }

    /// Connects and logs in as the instance's user.
    pub(crate) fn login(d: &Dovecot) -> RawImap {
        let mut c = RawImap::connect(d.imap_port());
        let r = c.cmd(&format!("LOGIN {} {}", d.user(), d.password()));
        assert!(r.lines().last().is_some_and(|l| l.contains(" OK ")), "login: {r}");
        c
    }

    /// One line (CRLF stripped), `None` on EOF.
    pub(crate) fn line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(String::from_utf8_lossy(&buf).trim_end_matches(['\r', '\n']).to_string()),
        }
    }

    /// Sends a tagged command, returns every line up to and including the tagged one.
    pub(crate) fn cmd(&mut self, command: &str) -> String {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.writer.write_all(format!("{tag} {command}\r\n").as_bytes()).expect("write command");
        let mut out = String::new();
        loop {
            let l = self.line().unwrap_or_else(|| panic!("EOF during {command:?}, got: {out}"));
            out.push_str(&l);
            out.push('\n');
            if l.starts_with(&format!("{tag} ")) {
                return out;
            }
        }
    }
}

impl RawImap {
    /// IMAP APPEND of one message (a literal), as a mail client or MTA would deliver it.
    pub(crate) fn append(&mut self, mailbox: &str, bytes: &[u8]) -> String {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.writer
            .write_all(format!("{tag} APPEND {mailbox} {{{}}}\r\n", bytes.len()).as_bytes())
            .expect("write APPEND");
        let cont = self.line().expect("continuation");
        assert!(cont.starts_with('+'), "APPEND continuation: {cont}");
        self.writer.write_all(bytes).expect("write literal");
        self.writer.write_all(b"\r\n").expect("write CRLF");
        let mut out = String::new();
        loop {
            let l = self.line().expect("APPEND response");
            out.push_str(&l);
            out.push('\n');
            if l.starts_with(&format!("{tag} ")) {
                assert!(l.contains(" OK"), "APPEND: {out}");
                return out;
            }
        }
    }
}

/// `[UIDVALIDITY n]` from an EXAMINE/SELECT response.
pub(crate) fn uidvalidity(response: &str) -> u32 {
    let i = response.find("[UIDVALIDITY ").unwrap_or_else(|| panic!("no UIDVALIDITY in {response}"));
    response[i + 13..].split(']').next().and_then(|n| n.parse().ok()).expect("UIDVALIDITY number")
}
