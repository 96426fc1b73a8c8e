//! Tests of the SQLite backend: creation races, migrations, idempotent batches.

use rusqlite::Connection;

use super::{MIGRATIONS, Sqlite, location_columns, location_from_columns};
use crate::domain::{Channel, DecidedBy, SkipReason, Status, Uid, UidValidity};
use crate::store::{Location, StoredMessage};

fn msg(key: &str, uid: u32, mailbox: &str) -> StoredMessage {
    StoredMessage {
        content_key: key.into(),
        message_date: Some("2025-03-01T10:00:00+01:00".into()),
        date_source: "header",
        year: Some(2025),
        month: Some(3),
        channel: Channel::Email,
        status: Status::Classified,
        topic: Some("tributi".into()),
        confidence: Some(0.9),
        decided_by: Some(DecidedBy::Both),
        review: false,
        review_reasons: Vec::new(),
        tipologia: Some("informazione".into()),
        exclusion: None,
        skip: None,
        taxonomy: "urp-it-1".into(),
        rules_version: Some("1.0.0".into()),
        model_version: Some("abc".into()),
        snippet: None,
        sender_domain: Some("example.it".into()),
        explanation: None,
        location: Location::Imap {
            account: "urp".into(),
            mailbox: mailbox.into(),
            uidvalidity: UidValidity(7),
            uid: Uid(uid),
        },
    }
}

#[test]
fn a_reader_never_sees_a_store_without_its_tables() {
    // `urpmail status` polled while the daemon creates its store for the first time.
    for round in 0..20 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(format!("s{round}.db"));
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| {
                let mut reads = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    if path.exists() {
                        let s = Sqlite::open_readonly(&path).expect("opens");
                        s.message_count().expect("a complete schema");
                        s.counts().expect("a complete schema");
                        reads += 1;
                    }
                }
                reads
            });
            let s = Sqlite::open(&path).expect("creates");
            assert_eq!(s.message_count().expect("count"), 0);
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            reader.join().expect("reader")
        });
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("creating"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }
}

#[test]
fn migration_4_rewrites_the_status_check_and_keeps_the_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v3.db");
    {
        // A store as version 3 left it, with one message.
        let conn = Connection::open(&path).expect("open");
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).expect("old migration");
        }
        conn.pragma_update(None, "user_version", 3).expect("version");
        conn.execute("INSERT INTO runs (kind, started_at, status) VALUES ('poll', 'x', 'ok')", [])
            .expect("run");
        conn.execute(
            "INSERT INTO messages (content_key, date_source, channel, status, topic, confidence, decided_by,
               review, review_reasons, taxonomy, run_id, recorded_at)
             VALUES ('k', 'header', 'email', 'excluded', 'altro', 0.5, 'exclusion', 0, '', 't', 1, 'x')",
            [],
        )
        .expect("row");
    }
    // A reader that opened the store before the migration.
    let reader = Connection::open(&path).expect("reader");
    let before: i64 = reader.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0)).expect("count");
    assert_eq!(before, 1);

    let s = Sqlite::open(&path).expect("migrates");
    assert_eq!(s.user_version().expect("version"), MIGRATIONS.len() as i64);
    let sql: String = s
        .conn
        .query_row("SELECT sql FROM sqlite_schema WHERE name = 'messages'", [], |r| r.get(0))
        .expect("schema");
    assert!(
        sql.contains("CHECK (status = 'classified' OR status = 'excluded' OR status = 'skipped')"),
        "{sql}"
    );
    assert!(!sql.contains("status IN"), "{sql}");
    let ok: String = s.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");
    assert_eq!(s.message_count().expect("count"), 1, "rows kept");
    // The constraint still holds, for this connection and for the one opened before.
    for conn in [&s.conn, &reader] {
        let bad = conn.execute(
            "INSERT INTO messages (content_key, date_source, channel, status, topic, confidence, decided_by,
               review, review_reasons, taxonomy, run_id, recorded_at)
             VALUES ('k2', 'header', 'email', 'lost', 'altro', 0.5, 'x', 0, '', 't', 1, 'x')",
            [],
        );
        assert!(bad.is_err_and(|e| e.to_string().contains("CHECK constraint failed")));
    }
    let reader_sql: String = reader
        .query_row("SELECT sql FROM sqlite_schema WHERE name = 'messages'", [], |r| r.get(0))
        .expect("schema");
    assert_eq!(reader_sql, sql, "the other connection reloaded the schema");
}

#[test]
fn migration_5_gives_skips_their_kind_and_keeps_the_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v4.db");
    {
        // A store as version 4 left it: a skipped and a classified message.
        let conn = Connection::open(&path).expect("open");
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).expect("old migration");
        }
        conn.pragma_update(None, "user_version", 4).expect("version");
        conn.execute("INSERT INTO runs (kind, started_at, status) VALUES ('poll', 'x', 'ok')", [])
            .expect("run");
        conn.execute_batch(
            "INSERT INTO messages (content_key, date_source, channel, status, topic, confidence, decided_by,
               review, review_reasons, skip_reason, taxonomy, run_id, recorded_at, year, month)
             VALUES ('s', 'none', 'email', 'skipped', 'altro', 0.0, 'fallback', 0, '',
                     'message too large: 9 bytes, limit 5', 't', 1, 'x', 2025, 3),
                    ('c', 'header', 'email', 'classified', 'tributi', 0.9, 'both', 0, '', NULL, 't', 1, 'x', 2025, 3);",
        )
        .expect("rows");
    }
    let mut s = Sqlite::open(&path).expect("migrates");
    assert_eq!(s.user_version().expect("version"), MIGRATIONS.len() as i64);
    let old: (String, Option<String>, String) = s
        .conn
        .query_row("SELECT topic, skip_kind, skip_reason FROM messages WHERE content_key = 's'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("old skip");
    assert_eq!(old.0, "altro", "rows written before keep their values");
    assert_eq!(old.1.as_deref(), Some("message too large"));
    assert_eq!(old.2, "message too large: 9 bytes, limit 5");
    let ok: String = s.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");

    // A new skip has no topic, and counts group old and new skips by one kind.
    let run = s.begin_run("ingest").expect("run");
    let mut m = msg("s2", 0, "x");
    m.status = Status::Skipped;
    m.topic = None;
    m.confidence = None;
    m.decided_by = None;
    m.tipologia = None;
    m.skip = Some(SkipReason::TooLarge { size: 12, limit: 5 });
    s.write_batch(run, &[m], None).expect("write");
    let topic: Option<String> = s
        .conn
        .query_row("SELECT topic FROM messages WHERE content_key = 's2'", [], |r| r.get(0))
        .expect("new");
    assert_eq!(topic, None);
    let skips: Vec<(String, u64)> = s
        .counts()
        .expect("counts")
        .into_iter()
        .filter(|r| r.status == Status::Skipped)
        .map(|r| (r.key, r.count))
        .collect();
    assert_eq!(skips, vec![("message too large".to_string(), 2)]);
    // A skipped message is not something staff can correct: it has no text to learn from.
    assert!(s.by_keys(&["s".into(), "s2".into(), "c".into()]).expect("keys").len() == 1);
}

#[test]
fn locations_keep_the_columns_existing_stores_hold() {
    let cases = [
        (Location::File { path: "/m/a.eml".into(), mbox_index: None }, ("", "/m/a.eml", 0, 0)),
        (Location::File { path: "/m/box".into(), mbox_index: Some(3) }, ("", "/m/box", 0, 3)),
        (Location::Sample { name: "1.M1:2,S".into() }, ("", "sample:1.M1:2,S", 0, 0)),
        (
            Location::Imap {
                account: "urp".into(),
                mailbox: "INBOX".into(),
                uidvalidity: UidValidity(9),
                uid: Uid(42),
            },
            ("urp", "INBOX", 9, 42),
        ),
    ];
    for (l, (account, mailbox, uidvalidity, uid)) in cases {
        let (a, m, v, u) = location_columns(&l);
        assert_eq!((a, m.as_ref(), v, u), (account, mailbox, uidvalidity, uid));
        let back = location_from_columns(a.to_string(), m.into_owned(), v, u);
        assert_eq!(back, l);
    }
}
