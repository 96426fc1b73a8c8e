//! The store's API on both backends: every test runs on a SQLite file and on a database of the
//! test PostgreSQL (tests/it/postgres), and where it can, compares what the two return.

use std::path::Path;

use urpmail::domain::{
    Channel, DecidedBy, ExclusionReason, ReviewReason, SkipReason, Status, Uid, UidValidity,
};
use urpmail::store::{
    Advance, BatchResult, BatchUndo, Checkpoint, Correction, DecisionColumns, Lease, Location, ModelRecord,
    Redecided, RunStatus, RunTotals, Store, StoreError, StoreTarget, StoredMessage,
};

use crate::postgres;

fn advance<'a>(mailbox: &'a str, last_uid: u32, lease: Option<&'a Lease>) -> Advance<'a> {
    Advance {
        account: "urp",
        mailbox,
        checkpoint: Checkpoint { uidvalidity: UidValidity(7), last_uid: Uid(last_uid) },
        lease,
    }
}

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
        snippet: Some("Buongiorno, [EMAIL] chiede".into()),
        sender_domain: Some("example.it".into()),
        explanation: Some("{\"top\":[]}".into()),
        location: Location::Imap {
            account: "urp".into(),
            mailbox: mailbox.into(),
            uidvalidity: UidValidity(7),
            uid: Uid(uid),
        },
    }
}

/// A varied year of messages: topics, months, both channels, flagged ones, an exclusion (strong
/// and weak), skips, a file, an mbox entry and the sample as locations, and a message without date.
fn varied() -> Vec<StoredMessage> {
    let topics = ["tributi", "anagrafe", "mobilita", "rifiuti", "edilizia"];
    let mut out = Vec::new();
    for i in 0..60u32 {
        let mut m = msg(&format!("k{i:03}"), i + 1, if i % 3 == 0 { "PEC" } else { "INBOX" });
        m.topic = Some(topics[(i as usize * 7) % topics.len()].into());
        m.month = Some((i % 12 + 1) as u8);
        m.year = Some(if i % 4 == 0 { 2024 } else { 2025 });
        m.message_date =
            Some(format!("{}-{:02}-{:02}T09:00:00+01:00", m.year.unwrap_or(2025), i % 12 + 1, i % 27 + 1));
        m.channel = if i % 3 == 0 { Channel::Pec } else { Channel::Email };
        m.confidence = Some(0.3 + f64::from(i % 7) / 10.0);
        if i % 5 == 0 {
            m.review = true;
            m.review_reasons = vec![ReviewReason::LowConfidence];
        }
        if i % 11 == 0 {
            m.decided_by = Some(DecidedBy::Fallback);
            m.topic = Some("altro".into());
        }
        if i % 13 == 0 {
            m.tipologia = None;
        }
        match i {
            50 => {
                m.status = Status::Excluded;
                m.exclusion = Some((ExclusionReason::AutoReply, true));
            }
            51 => {
                m.status = Status::Excluded;
                m.exclusion = Some((ExclusionReason::AutoReply, false));
            }
            52 | 53 => {
                m.status = Status::Skipped;
                m.skip = Some(SkipReason::TooLarge { size: 99, limit: 10 });
                m.topic = None;
                m.confidence = None;
                m.decided_by = None;
            }
            54 => m.location = Location::File { path: "/archivio/a.eml".into(), mbox_index: None },
            55 => m.location = Location::File { path: "/archivio/box.mbox".into(), mbox_index: Some(4) },
            56 => m.location = Location::Sample { name: "1.M1:2,S".into() },
            57 => {
                m.message_date = None;
                m.year = None;
                m.month = None;
            }
            _ => {}
        }
        out.push(m);
    }
    out
}

/// Runs `test` on a fresh SQLite store and on a fresh PostgreSQL database, returning what each
/// gave (SQLite first; PostgreSQL absent when it is not installed outside CI).
fn each_backend<T>(name: &str, test: impl Fn(&StoreTarget) -> T) -> (T, Option<T>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = test(&StoreTarget::File(dir.path().join("s.db")));
    let pg = postgres::database(name).map(|db| test(&db.target()));
    (sqlite, pg)
}

/// Both backends gave the same.
fn same<T: std::fmt::Debug + PartialEq>(name: &str, test: impl Fn(&StoreTarget) -> T) -> T {
    let (sqlite, pg) = each_backend(name, test);
    if let Some(pg) = pg {
        assert_eq!(pg, sqlite, "{name}: PostgreSQL and SQLite differ");
    }
    sqlite
}

fn fill(target: &StoreTarget, messages: &[StoredMessage]) -> (Store, i64) {
    let mut s = Store::open(target).expect("open");
    let run = s.begin_run("poll").expect("run");
    s.write_batch(run, messages, None).expect("write");
    let mut totals = RunTotals::default();
    messages.iter().for_each(|m| totals.count(m));
    s.finish_run(run, &totals, RunStatus::Ok, None).expect("finish");
    (s, run)
}

#[test]
fn batches_are_idempotent_and_advance_the_checkpoint_on_both_backends() {
    same("idempotent", |target| {
        let mut s = Store::open(target).expect("open");
        let run = s.begin_run("poll").expect("run");
        let cp = s.visit_mailbox("urp", "INBOX", UidValidity(7), 2, None).expect("visit");
        assert_eq!(cp, Checkpoint { uidvalidity: UidValidity(7), last_uid: Uid(0) });
        let r = s
            .write_batch(run, &[msg("a", 1, "INBOX"), msg("b", 2, "INBOX")], Some(advance("INBOX", 2, None)))
            .expect("write");
        assert_eq!(r, BatchResult { inserted: 2, duplicates: 0 });
        // The same message in a second mailbox, and a re-run: counted once.
        let r = s.write_batch(run, &[msg("a", 9, "PEC"), msg("a", 1, "INBOX")], None).expect("write");
        assert_eq!(r, BatchResult { inserted: 0, duplicates: 2 });
        assert_eq!(s.message_count().expect("count"), 2);
        // A checkpoint never moves back within a UIDVALIDITY.
        s.write_batch(run, &[], Some(advance("INBOX", 1, None))).expect("write");
        assert_eq!(
            s.checkpoint("urp", "INBOX").expect("cp"),
            Some(Checkpoint { uidvalidity: UidValidity(7), last_uid: Uid(2) })
        );
        assert_eq!(s.located("urp", "INBOX", 7).expect("located"), 2);
        assert_eq!(s.located("urp", "PEC", 7).expect("located"), 1);
        // UIDVALIDITY change restarts the checkpoint.
        assert_eq!(
            s.visit_mailbox("urp", "INBOX", UidValidity(8), 2, None).expect("visit"),
            Checkpoint { uidvalidity: UidValidity(8), last_uid: Uid(0) }
        );
        s.record_mailbox_sync("urp", "INBOX", Some("connection reset")).expect("sync error");
        s.record_mailbox_sync("urp", "Nuova", Some("no such mailbox")).expect("first visit failed");
        let counts = s.counts().expect("counts");
        drop(s);
        let ro = Store::open_readonly(target).expect("read-only");
        let boxes: Vec<_> = ro
            .mailboxes()
            .expect("mailboxes")
            .into_iter()
            .map(|m| (m.account, m.mailbox, m.uidvalidity, m.last_uid, m.exists, m.last_error))
            .collect();
        (counts, ro.message_count().expect("count"), boxes)
    });
}

#[test]
fn counts_review_rows_and_message_rows_are_the_same_on_both_backends() {
    same("counts", |target| {
        let (s, _) = fill(target, &varied());
        let counts = s.counts().expect("counts");
        let doubtful: Vec<_> = s
            .doubtful(None, None)
            .expect("doubtful")
            .into_iter()
            .map(|r| (r.content_key, r.topic, r.review_reasons, r.location, r.exclusion_strong, r.snippet))
            .collect();
        let confident: Vec<_> = s
            .confident(Some("2025-02-01"), Some("2025-10-31"))
            .expect("confident")
            .into_iter()
            .map(|r| r.content_key)
            .collect();
        let rows: Vec<_> = s
            .message_rows(Some(2025))
            .expect("rows")
            .into_iter()
            .map(|r| (r.id, r.location, r.date, r.status, r.topic, r.confidence, r.reviewed, r.run))
            .collect();
        let keys = s.by_keys(&["k001".into(), "k052".into(), "nessuno".into()]).expect("keys").len();
        let run = s
            .last_run()
            .expect("run")
            .map(|r| (r.kind, r.status, r.fetched, r.classified, r.excluded, r.skipped));
        (counts, doubtful, confident, rows, keys, run, s.decision_versions().expect("versions"))
    });
}

#[test]
fn corrections_their_undo_and_precision_are_the_same_on_both_backends() {
    same("corrections", |target| {
        let (mut s, _) = fill(target, &varied());
        let items = vec![
            Correction {
                content_key: "k001".into(),
                new_topic: "anagrafe".into(),
                tipologia: None,
                note: Some("nota".into()),
            },
            Correction {
                content_key: "k002".into(),
                new_topic: "mobilita".into(),
                tipologia: Some("reclamo".into()),
                note: None,
            },
            Correction {
                content_key: "k051".into(),
                new_topic: "tributi".into(),
                tipologia: None,
                note: None,
            },
            Correction {
                content_key: "k054".into(),
                new_topic: "rifiuti".into(),
                tipologia: None,
                note: None,
            },
        ];
        let (batch, applied) =
            s.apply_corrections("maria", "revisione.json", Some("m1"), &items).expect("apply");
        let applied: Vec<_> = applied
            .iter()
            .map(|a| (a.content_key.clone(), a.kind, a.old_topic.clone(), a.location.clone()))
            .collect();
        // The same file again changes nothing.
        let (_, again) = s.apply_corrections("maria", "revisione.json", Some("m1"), &items).expect("again");
        s.finish_batch(batch, Some("m2"), &[1, 2]).expect("finish");
        s.record_export(2025, "temi-2025.xlsx").expect("export");
        let outcomes = s.reviewed_outcomes(Some(2025)).expect("outcomes");
        let after = s.counts().expect("counts");
        let models = s.batch_models(batch).expect("models");
        let undo = s.undo_batch(batch).expect("undo");
        let undo_again = s.undo_batch(batch).expect("undo again");
        let restored = s.counts().expect("counts");
        let missing = s.undo_batch(999).expect("missing");
        let changed = s.changes_since_export(2025).expect("changes").map(|(_, n)| n);
        assert!(matches!(undo_again, BatchUndo::AlreadyUndone(_)));
        assert_eq!(missing, BatchUndo::NoSuchBatch);
        (applied, again.len(), outcomes, after, models, undo, restored, changed)
    });
}

#[test]
fn learned_models_and_reclassify_runs_are_the_same_on_both_backends() {
    same("models", |target| {
        let (mut s, _) = fill(target, &varied());
        assert_eq!(s.active_model().expect("active"), None);
        let rec = |v: &str, parent: Option<&str>| ModelRecord {
            version: v.into(),
            parent_version: parent.map(Into::into),
            file: target.models_dir().map(|d| d.join(format!("{v}.model"))),
            created_at: "2026-12-08T10:00:00Z".into(),
            batch_id: Some(1),
            documents: 3,
            in_store: target.models_dir().is_none(),
        };
        s.record_model(&rec("v1", None), b"model one", "learn batch 1").expect("record");
        s.record_model(&rec("v2", Some("v1")), b"model two", "learn batch 2").expect("record");
        let active = s.active_model().expect("active").map(|m| m.version);
        // A database keeps the bytes; a file store keeps files (none here).
        let bytes = s.model_bytes("v2").expect("bytes");
        assert_eq!(bytes.is_some(), target.models_dir().is_none(), "{target}");
        s.forget_model_file("v1").expect("forget");
        assert_eq!(s.model_bytes("v1").expect("bytes"), None);
        s.activate_model(Some("v1"), "undo").expect("activate");
        let back = s.active_model().expect("active").map(|m| m.version);
        s.activate_model(None, "undo").expect("activate none");
        let none = s.active_model().expect("active");
        let lineage: Vec<_> = s
            .learned_models()
            .expect("learned")
            .into_iter()
            .map(|m| (m.version, m.parent_version, m.documents))
            .collect();

        // reclassify: every unreviewed decision of 2025 moves to "sociale", then the run is undone.
        let run = s.begin_run("reclassify").expect("run");
        let rows = s.redo_candidates(None, None, Some(2025)).expect("candidates");
        let n_candidates = rows.len();
        let changes: Vec<_> = rows
            .iter()
            .map(|r| Redecided {
                id: r.id,
                year: r.year,
                old: r.decision.clone(),
                new: DecisionColumns {
                    topic: Some("sociale".into()),
                    model_version: Some("v2".into()),
                    ..r.decision.clone()
                },
            })
            .collect();
        let changed = s.apply_redecisions(run, &changes).expect("apply");
        s.finish_run(run, &RunTotals::default(), RunStatus::Ok, None).expect("finish");
        let moved = s.counts().expect("counts");
        let undone = s.undo_reclassify(run).expect("undo");
        let undo_again = s.undo_reclassify(run).expect_err("twice").to_string();
        assert!(undo_again.contains("already undone"), "{undo_again}");
        let restored = s.counts().expect("counts");
        (active, back, none, lineage, n_candidates, changed, moved, undone, restored)
    });
}

#[test]
fn prune_keeps_the_counts_on_both_backends() {
    same("prune", |target| {
        let (mut s, _) = fill(target, &varied());
        let before = s.counts().expect("counts");
        let total = s.message_count().expect("count");
        let (snippets, rows) = s.prune("2025-01-01", false).expect("prune");
        assert_eq!(s.counts().expect("counts"), before, "{target}: counts survive retention");
        assert_eq!(s.message_count().expect("count"), total);
        // A pruned message coming back (an archive ingested again) is not counted twice.
        let run = s.begin_run("ingest").expect("run");
        let again = s.write_batch(run, &varied(), None).expect("write");
        (snippets, rows, again, s.counts().expect("counts") == before)
    });
}

#[test]
fn a_database_without_a_store_says_so_and_is_created_on_first_write() {
    let Some(db) = postgres::database("empty") else { return };
    let target = db.target();
    let e = Store::open_readonly(&target).expect_err("no store yet");
    assert!(matches!(e, StoreError::NoStore { .. }), "{e}");
    assert!(e.to_string().contains("no store yet"), "{e}");
    assert!(!Store::exists(&target).expect("exists"));
    // Four daemons starting at once: the schema is made once, every one of them opens it.
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| Store::open(&target).map(drop))).collect();
        for h in handles {
            h.join().expect("thread").expect("open");
        }
    });
    assert!(Store::exists(&target).expect("exists"));
    let versions: i64 =
        db.admin().query_one("SELECT COUNT(*) FROM urpmail.schema_version", &[]).expect("versions").get(0);
    assert_eq!(versions, 1, "migrated once");
    // A read-only store refuses writes.
    let mut ro = Store::open_readonly(&target).expect("read-only");
    let e = ro.begin_run("poll").expect_err("read-only");
    assert!(e.to_string().contains("25006") || e.to_string().contains("read-only"), "{e}");
}

#[test]
fn concurrent_writers_store_each_message_exactly_once() {
    let Some(db) = postgres::database("concurrent") else { return };
    let target = db.target();
    let messages = varied();
    // Four writers, overlapping batches of the same messages, in different orders.
    std::thread::scope(|scope| {
        for w in 0..4 {
            let (target, messages) = (&target, &messages);
            scope.spawn(move || {
                let mut s = Store::open(target).expect("open");
                let run = s.begin_run("poll").expect("run");
                let mut order = messages.to_vec();
                order.rotate_left(w * 13);
                for chunk in order.chunks(7) {
                    s.write_batch(run, chunk, None).expect("write");
                }
            });
        }
    });
    let s = Store::open_readonly(&target).expect("open");
    assert_eq!(s.message_count().expect("count"), messages.len() as u64);
    let dir = tempfile::tempdir().expect("tempdir");
    let (sqlite, _) = fill(&StoreTarget::File(dir.path().join("s.db")), &messages);
    assert_eq!(s.counts().expect("counts"), sqlite.counts().expect("counts"));
}

#[test]
fn database_errors_name_the_store_and_the_fix() {
    let Some(db) = postgres::database("errors") else { return };
    let cluster = postgres::cluster().expect("cluster");
    let plain = |e: StoreError| {
        let text = e.at(&db.target()).to_string();
        assert!(!text.contains("Error {") && !text.contains("kind:"), "no Debug output: {text}");
        text
    };
    // A wrong password.
    let mut wrong = db.target();
    if let StoreTarget::Postgres(pg) = &mut wrong {
        pg.password = urpmail::store::PgPassword::File(cluster.write_file("wrong.pw", "nope\n"));
    }
    let e = plain(Store::open(&wrong).expect_err("wrong password"));
    assert!(e.contains("password_file") && e.contains(&db.name), "{e}");
    // A password file others can read.
    let mut open_file = db.target();
    let loose = cluster.write_file("loose.pw", "x\n");
    std::fs::set_permissions(&loose, std::os::unix::fs::PermissionsExt::from_mode(0o644)).expect("chmod");
    if let StoreTarget::Postgres(pg) = &mut open_file {
        pg.password = urpmail::store::PgPassword::File(loose);
    }
    let e = plain(Store::open(&open_file).expect_err("loose password file"));
    assert!(e.contains("chmod 600"), "{e}");
    // Nobody listening: unavailable (the daemon retries; exit 75).
    let mut closed = db.target();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    if let StoreTarget::Postgres(pg) = &mut closed {
        pg.port = port;
    }
    let err = Store::open(&closed).expect_err("nobody listening");
    assert!(err.is_unavailable(), "{err}");
    let e = plain(err);
    assert!(e.contains("cannot reach the database server"), "{e}");
    // A database that does not exist.
    let mut missing = db.target();
    if let StoreTarget::Postgres(pg) = &mut missing {
        pg.database = "nessuna".into();
    }
    let e = plain(Store::open(&missing).expect_err("no database"));
    assert!(e.contains("does not exist"), "{e}");
}

#[test]
fn tls_verifies_the_server_against_the_ca_file() {
    let Some(db) = postgres::database("tls") else { return };
    let cluster = postgres::cluster().expect("cluster");
    let with_ca = |ca: &Path| {
        let mut t = db.target();
        if let StoreTarget::Postgres(pg) = &mut t {
            pg.ca_file = Some(ca.to_path_buf());
        }
        t
    };
    let good = with_ca(&db.ca_file);
    let mut s = Store::open(&good).expect("TLS with the right CA");
    s.begin_run("poll").expect("write over TLS");
    let ssl: bool = db
        .admin()
        .query_one("SELECT bool_or(ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'urpmail'", &[])
        .expect("pg_stat_ssl")
        .get(0);
    assert!(ssl, "the store's connection uses TLS");
    drop(s);
    let e = Store::open(&with_ca(&cluster.other_ca())).expect_err("another CA").at(&good).to_string();
    assert!(e.contains("ca_file") || e.contains("certificate"), "{e}");
}

#[test]
fn a_mailbox_claim_keeps_other_daemons_out_and_fences_a_daemon_that_lost_it() {
    use std::time::Duration;
    // SQLite: one writer, every claim granted.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut file = Store::open(&StoreTarget::File(dir.path().join("s.db"))).expect("open");
    let a = file.claim_mailbox("urp", "INBOX", "a", Duration::from_secs(60)).expect("claim");
    assert!(
        a.is_some()
            && file.claim_mailbox("urp", "INBOX", "b", Duration::from_secs(60)).expect("claim").is_some()
    );

    let Some(db) = postgres::database("leases") else { return };
    let target = db.target();
    let (mut a, mut b) = (Store::open(&target).expect("a"), Store::open(&target).expect("b"));
    let ttl = Duration::from_secs(60);
    let lease_a = a.claim_mailbox("urp", "INBOX", "host-a/1/aa", ttl).expect("claim").expect("free");
    assert_eq!(b.claim_mailbox("urp", "INBOX", "host-b/2/bb", ttl).expect("claim"), None, "held by a");
    assert!(
        b.claim_mailbox("urp", "PEC", "host-b/2/bb", ttl).expect("claim").is_some(),
        "another mailbox is free"
    );
    let run = a.begin_run("poll").expect("run");
    a.visit_mailbox("urp", "INBOX", UidValidity(7), 3, Some(&lease_a)).expect("visit");
    a.write_batch(run, &[msg("x1", 1, "INBOX")], Some(advance("INBOX", 1, Some(&lease_a))))
        .expect("a writes");
    let held = b.leases().expect("leases");
    assert_eq!(held.iter().filter(|l| l.active).count(), 2, "{held:?}");
    assert!(held.iter().any(|l| l.mailbox == "INBOX" && l.holder == "host-a/1/aa"), "{held:?}");

    // a gives it back; b takes it; a's late batch is refused and writes nothing.
    a.release_mailbox(&lease_a).expect("release");
    let lease_b = b.claim_mailbox("urp", "INBOX", "host-b/2/bb", ttl).expect("claim").expect("released");
    assert!(lease_b.token > lease_a.token);
    let e = a
        .write_batch(run, &[msg("x2", 2, "INBOX")], Some(advance("INBOX", 2, Some(&lease_a))))
        .expect_err("fenced");
    assert!(matches!(&e, StoreError::LeaseLost { holder, .. } if holder == "host-b/2/bb"), "{e}");
    assert!(
        a.visit_mailbox("urp", "INBOX", UidValidity(9), 3, Some(&lease_a)).is_err(),
        "a visit is fenced too"
    );
    assert_eq!(a.message_count().expect("count"), 1, "the fenced batch left nothing");
    assert_eq!(
        a.checkpoint("urp", "INBOX").expect("cp").map(|c| (c.uidvalidity, c.last_uid)),
        Some((UidValidity(7), Uid(1)))
    );
    b.write_batch(run, &[msg("x2", 2, "INBOX")], Some(advance("INBOX", 2, Some(&lease_b))))
        .expect("b writes");

    // A claim that is not renewed expires: a killed daemon's mailbox is taken over.
    let short = a
        .claim_mailbox("urp", "Archivio", "host-a/1/aa", Duration::from_millis(500))
        .expect("claim")
        .expect("free");
    assert_eq!(b.claim_mailbox("urp", "Archivio", "host-b/2/bb", ttl).expect("claim"), None);
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        b.claim_mailbox("urp", "Archivio", "host-b/2/bb", ttl).expect("claim").is_some(),
        "expired, taken over"
    );
    assert!(
        a.write_batch(run, &[], Some(advance("Archivio", 1, Some(&short)))).is_err(),
        "fenced after expiry"
    );
}

#[test]
fn a_lost_database_connection_is_replaced_at_the_next_use() {
    let Some(db) = postgres::database("reconnect") else { return };
    let target = db.target();
    let (mut s, _) = fill(&target, &varied()[..10]);
    let mut ro = Store::open_readonly(&target).expect("read-only");
    let cut = || {
        let n: i64 = db
            .admin()
            .query_one(
                "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = $1 AND usename = 'urpmail') t",
                &[&db.name],
            )
            .expect("terminate")
            .get(0);
        assert_eq!(n, 2, "both connections cut");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    cut();
    // The call that meets the closed connection may fail (its transaction is gone); the next one
    // connects again, in the store's schema, with what was written before the cut.
    let first = s.message_count();
    let again = s.message_count().expect("reconnected");
    assert_eq!(again, 10, "first try: {first:?}");
    let run = s.begin_run("poll").expect("writes again");
    s.write_batch(run, &varied()[10..20], None).expect("a batch after the cut");
    let _ = ro.message_count();
    assert_eq!(ro.message_count().expect("reconnected"), 20);
    // A reading store stays read-only after it reconnected.
    assert!(ro.begin_run("poll").is_err(), "read-only after the reconnection too");
}
