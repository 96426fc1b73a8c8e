//! The pages: login, the theme table (`/temi`), the service's state (`/stato`) and the review
//! (`/revisione`). Each handler does its store and mailbox work on a blocking thread and renders
//! a template; forms answer with a redirect.

use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{App, AppState, COOKIE, LOGIN_COOKIE, Staff, cookie, set_cookie};
use crate::commands::report::{self as report_cmd, Format, ReviewArgs, ThemesArgs};
use crate::commands::{Error, StoreChoice, learn, status};
use crate::report::themes::{self, By, Cell, Count, CsvStyle, Numbers};
use crate::store::{Correction, Store};

/// Review items shown on one page.
const PAGE: usize = 20;
/// Characters of a message's text shown in the review.
const TEXT_CHARS: usize = 3000;

/// The bar above every page of a logged-in user.
pub(crate) struct Nav {
    user: String,
    csrf: String,
    here: &'static str,
    /// The ente whose store the page shows, when it has one.
    ente: Option<String>,
    /// A consortium administrator's choice of ente: (id, name, the one shown).
    enti: Vec<(String, String, bool)>,
}

fn nav(staff: &Staff, here: &'static str) -> Option<Nav> {
    let current = staff.session.ente.as_deref();
    Some(Nav {
        user: staff.session.user.clone(),
        csrf: staff.session.csrf.clone(),
        here,
        ente: super::ente_of(&staff.store).map(|e| e.name.clone()),
        enti: staff
            .choices
            .iter()
            .map(|(id, name)| (id.clone(), name.clone(), Some(id.as_str()) == current))
            .collect(),
    })
}

/// A rendered page, or a plain error page when rendering fails.
fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page not rendered");
            (StatusCode::INTERNAL_SERVER_ERROR, "Errore interno: la pagina non si genera.").into_response()
        }
    }
}

/// An error page for a failed command (the message names the problem; no message content is in
/// it).
fn failed(e: &Error) -> Response {
    tracing::warn!(error = %e, "request failed");
    let status = match e {
        Error::Input(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, format!("Operazione non riuscita: {e}")).into_response()
}

/// Runs store or mailbox work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Input(format!("the request's worker stopped: {e}")))?
}

/// Whether a form's token is the session's, compared in constant time.
fn csrf_ok(staff: &Staff, given: &str) -> bool {
    let a = staff.session.csrf.as_bytes();
    let b = given.as_bytes();
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn csrf_refused() -> Response {
    (StatusCode::FORBIDDEN, "Richiesta rifiutata: il modulo è scaduto. Ricaricate la pagina e riprovate.")
        .into_response()
}

pub(crate) async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("stile.css"),
    )
        .into_response()
}

// ---- login ----

#[derive(Template)]
#[template(path = "accesso.html")]
struct AccessoPage {
    nav: Option<Nav>,
    error: Option<String>,
    token: String,
}

fn login_page(app: &App, error: Option<String>, status: StatusCode) -> Response {
    let token = super::session::token();
    let mut res = page(&AccessoPage { nav: None, error, token: token.clone() });
    *res.status_mut() = status;
    if let Ok(v) = set_cookie(app, LOGIN_COOKIE, &token).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub(crate) async fn login_form(state: AppState, headers: HeaderMap) -> Response {
    if cookie(&headers, COOKIE).and_then(|id| state.sessions.get(id)).is_some() {
        return Redirect::to("/temi").into_response();
    }
    login_page(&state, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    token: String,
    username: String,
    password: String,
}

pub(crate) async fn login(
    state: AppState,
    ConnectInfo(super::Peer(peer)): ConnectInfo<super::Peer>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let app: Arc<App> = state.0.clone();
    if f.token.is_empty() || cookie(&headers, LOGIN_COOKIE) != Some(f.token.as_str()) {
        return login_page(
            &app,
            Some("Il modulo di accesso è scaduto: riprovate.".into()),
            StatusCode::FORBIDDEN,
        );
    }
    let name = f.username.trim().to_string();
    // Slowed per name (guessing one account's password) and per client address (trying one
    // password on many names; behind a proxy every client shares one address).
    let from = format!("address {}", peer.ip());
    tokio::time::sleep(app.throttle.delay(&name).max(app.throttle.delay(&from))).await;
    let users = app.users.clone();
    let (who, password) = (name.clone(), f.password);
    let ok = blocking(move || {
        let users = super::users::Users::load(&users)?;
        Ok(users.verify(&who, &password).then(|| users.scope(&who).cloned().unwrap_or_default()))
    })
    .await;
    match ok {
        Err(e) => failed(&e),
        Ok(None) => {
            app.throttle.failed(&name);
            app.throttle.failed(&from);
            tracing::warn!(user = %name, "failed login");
            login_page(&app, Some("Utente o password non validi.".into()), StatusCode::UNAUTHORIZED)
        }
        Ok(Some(scope)) => {
            app.throttle.succeeded(&name);
            app.throttle.succeeded(&from);
            let ente = match app.session_ente(&scope) {
                Ok(e) => e,
                Err(why) => {
                    tracing::warn!(user = %name, "login refused: the account's ente is not served here");
                    return login_page(&app, Some(why.into()), StatusCode::FORBIDDEN);
                }
            };
            tracing::info!(user = %name, ente = ente.as_deref().unwrap_or("-"), "login");
            let id = app.sessions.start(&name, ente, scope == super::users::Scope::Admin);
            let mut res = Redirect::to("/temi").into_response();
            for c in [set_cookie(&app, COOKIE, &id), set_cookie(&app, LOGIN_COOKIE, "")] {
                if let Ok(v) = c.parse() {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn logout(state: AppState, staff: Staff, Form(f): Form<CsrfForm>) -> Response {
    if !csrf_ok(&staff, &f.csrf) {
        return csrf_refused();
    }
    state.sessions.end(&staff.id);
    tracing::info!(user = %staff.session.user, "logout");
    let mut res = Redirect::to("/accesso").into_response();
    if let Ok(v) = set_cookie(&state, COOKIE, "").parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub(crate) struct EnteForm {
    #[serde(default)]
    csrf: String,
    ente: String,
}

/// A consortium administrator shows another ente's store.
pub(crate) async fn ente(state: AppState, staff: Staff, Form(f): Form<EnteForm>) -> Response {
    if !csrf_ok(&staff, &f.csrf) {
        return csrf_refused();
    }
    if !staff.session.admin || !staff.choices.iter().any(|(id, _)| *id == f.ente) {
        return (StatusCode::FORBIDDEN, "Questo account non può mostrare un altro ente.").into_response();
    }
    state.sessions.switch(&staff.id, &f.ente);
    tracing::info!(user = %staff.session.user, ente = %f.ente, "administrator switched ente");
    Redirect::to("/temi").into_response()
}

// ---- the theme table ----

/// The table's choices, as the form sends them (an empty value: the default, or none).
#[derive(Deserialize, Default, Clone)]
pub(crate) struct TemiQuery {
    anno: Option<String>,
    confronto: Option<String>,
    per: Option<String>,
    pubblica: Option<String>,
    precisione: Option<String>,
    formato: Option<String>,
}

impl TemiQuery {
    fn year(&self) -> Option<i32> {
        self.anno.as_deref().and_then(|y| y.trim().parse().ok())
    }

    /// Absent: the previous year with data; empty: no comparison.
    fn compare(&self) -> Option<Vec<i32>> {
        self.confronto.as_deref().map(|c| c.trim().parse().map(|y| vec![y]).unwrap_or_default())
    }

    fn by(&self) -> Option<By> {
        match self.per.as_deref() {
            Some("mese") => Some(By::Month),
            Some("canale") => Some(By::Channel),
            Some("tipologia") => Some(By::Tipologia),
            _ => None,
        }
    }

    fn publish(&self) -> bool {
        self.pubblica.as_deref().is_some_and(|v| !v.is_empty())
    }

    fn accuracy(&self) -> bool {
        self.precisione.as_deref().is_some_and(|v| !v.is_empty())
    }

    fn args(&self, store: &StoreChoice) -> ThemesArgs {
        ThemesArgs {
            store: store.target().clone(),
            rules: store.rules(),
            year: self.year(),
            compare: self.compare(),
            by: self.by(),
            format: Format::Table,
            out: None,
            chart: None,
            min_cell: self.publish().then_some(5),
            mapping: None,
            with_accuracy: self.accuracy(),
        }
    }
}

/// A table cell for the page: its text, a class for alignment, a tooltip for hidden counts.
struct HtmlCell {
    text: String,
    class: &'static str,
    title: Option<String>,
}

fn html_cell(c: &Cell) -> HtmlCell {
    let (class, title) = match c {
        Cell::Count(Count::Small(m)) => {
            ("nascosto", Some(format!("meno di {m} messaggi: non mostrato per la riservatezza")))
        }
        Cell::Count(Count::Secondary) => {
            ("nascosto", Some("non mostrato: con i totali farebbe ricavare una cella piccola".to_string()))
        }
        Cell::Count(_) | Cell::Share(_) | Cell::Change(_) | Cell::ChangePct(_) => ("num", None),
        Cell::Text(_) | Cell::NoData | Cell::New | Cell::Dash => ("testo", None),
    };
    HtmlCell { text: c.text(Numbers::Italian), class, title }
}

#[derive(Template)]
#[template(path = "temi.html")]
struct TemiPage {
    nav: Option<Nav>,
    title: String,
    year: i32,
    /// Each year with data: (year, the table's year, the compared year).
    years: Vec<(i32, bool, bool)>,
    by: &'static str,
    publish: bool,
    accuracy: bool,
    head: Vec<String>,
    rows: Vec<Vec<HtmlCell>>,
    total: Vec<HtmlCell>,
    notes: Vec<String>,
    query: String,
    svg: String,
}

/// The years with classified mail in the store, oldest first.
fn years_with_data(store: &StoreChoice) -> Result<Vec<i32>, Error> {
    let path = store.target();
    let store = Store::open_readonly(path).map_err(crate::commands::store_error(path))?;
    Ok(themes::years(&store.counts().map_err(crate::commands::store_error(path))?))
}

/// The years with classified mail, and the table.
fn build_table(store: &StoreChoice, q: &TemiQuery) -> Result<(Vec<i32>, themes::ThemeTable), Error> {
    let years = years_with_data(store)?;
    if years.is_empty() {
        return Err(Error::Input(
            "l'archivio non ha ancora messaggi classificati con una data: la tabella sarà pronta dopo la prima lettura della casella".into(),
        ));
    }
    let (table, _) = report_cmd::themes(&q.args(store))?;
    Ok((years, table))
}

/// The query string of the table shown (for its download links).
fn query_of(t: &themes::ThemeTable, q: &TemiQuery) -> String {
    let mut s = format!(
        "anno={}&confronto={}",
        t.year,
        t.compare.first().map(ToString::to_string).unwrap_or_default()
    );
    if let Some(by) = &q.per {
        s += &format!("&per={}", by.chars().filter(char::is_ascii_alphabetic).collect::<String>());
    }
    if q.publish() {
        s += "&pubblica=1";
    }
    if q.accuracy() {
        s += "&precisione=1";
    }
    s
}

pub(crate) async fn temi(staff: Staff, Query(q): Query<TemiQuery>) -> Response {
    let store = staff.store.clone();
    let q2 = q.clone();
    let built = blocking(move || build_table(&store, &q2)).await;
    let (years, t) = match built {
        Ok(x) => x,
        Err(e) => return failed(&e),
    };
    let grid = themes::grid(&t);
    let head: Vec<String> =
        grid.first().map(|r| r.iter().map(|c| c.text(Numbers::Italian)).collect()).unwrap_or_default();
    let mut rows: Vec<Vec<HtmlCell>> =
        grid.iter().skip(1).map(|r| r.iter().map(html_cell).collect()).collect();
    let total = rows.pop().unwrap_or_default();
    let svg = crate::report::chart::svg(&t).unwrap_or_default();
    let svg = svg.find("<svg").map_or(String::new(), |i| svg[i..].to_string());
    page(&TemiPage {
        nav: nav(&staff, "temi"),
        title: themes::title(&t),
        year: t.year,
        years: years.iter().map(|y| (*y, *y == t.year, t.compare.first() == Some(y))).collect(),
        by: match q.by() {
            Some(By::Month) => "mese",
            Some(By::Channel) => "canale",
            Some(By::Tipologia) => "tipologia",
            None => "",
        },
        publish: q.publish(),
        accuracy: q.accuracy(),
        head,
        rows,
        total,
        notes: themes::notes(&t).into_iter().map(|n| n.trim().to_string()).collect(),
        query: query_of(&t, &q),
        svg,
    })
}

/// The table as a file to download (xlsx, Excel CSV, Markdown); it counts as an export, like
/// `report themes --out`.
pub(crate) async fn scarica(staff: Staff, Query(q): Query<TemiQuery>) -> Response {
    let store = staff.store.clone();
    let user = staff.session.user.clone();
    let made = blocking(move || {
        let (_, t) = build_table(&store, &q)?;
        let suffix = if q.publish() { "-pubblicazione" } else { "" };
        let (bytes, ext, mime) = match q.formato.as_deref() {
            Some("csv") => {
                (themes::to_csv(&t, CsvStyle::Excel).into_bytes(), "csv", "text/csv; charset=utf-8")
            }
            Some("md") => (themes::to_markdown(&t).into_bytes(), "md", "text/markdown; charset=utf-8"),
            _ => (
                crate::report::xlsx::to_bytes(&t, time::OffsetDateTime::now_utc()).map_err(Error::Export)?,
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        };
        let name = format!("temi-{}{suffix}.{ext}", t.year);
        let target = store.target();
        let mut w = Store::open(target).map_err(crate::commands::store_error(target))?;
        w.record_export(t.year, &format!("pagina web: {name} ({user})"))
            .map_err(crate::commands::store_error(target))?;
        Ok((bytes, name, mime))
    })
    .await;
    match made {
        Ok((bytes, name, mime)) => (
            [
                (header::CONTENT_TYPE, mime.to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

// ---- the service's state ----

struct MailboxView {
    name: String,
    synced: String,
    backlog: String,
    error: String,
    failing: bool,
    /// The daemon reading it now (several daemons sharing a database).
    held_by: Option<String>,
}

#[derive(Template)]
#[template(path = "stato.html")]
struct StatoPage {
    nav: Option<Nav>,
    messages: u64,
    classified: u64,
    excluded: u64,
    skipped: u64,
    review: u64,
    mailboxes: Vec<MailboxView>,
    model: String,
    lineage: String,
    last_run: String,
}

/// An RFC 3339 time as staff read it: "08/12/2026 14:05 UTC" (as stored when it does not parse).
fn data_it(at: &str) -> String {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[day]/[month]/[year] [hour]:[minute] UTC")).ok()
        })
        .unwrap_or_else(|| at.to_string())
}

/// "3 minuti fa", "2 ore fa", "5 giorni fa".
fn ago(secs: i64) -> String {
    match secs {
        s if s < 90 => format!("{} secondi fa", s.max(0)),
        s if s < 90 * 60 => format!("{} minuti fa", s / 60),
        s if s < 36 * 3600 => format!("{} ore fa", s / 3600),
        s => format!("{} giorni fa", s / 86400),
    }
}

pub(crate) async fn stato(staff: Staff) -> Response {
    let path = staff.store.target().clone();
    let st = match blocking(move || status::read(&path)).await {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let model = match &st.active_model {
        Some(m) => format!(
            "Modello appreso {} (dal gruppo di correzioni {}, {} messaggi rivisti), in uso dal {}.",
            m.version,
            m.batch_id.map_or_else(|| "-".into(), |b| b.to_string()),
            m.documents,
            data_it(&m.created_at)
        ),
        None => "Il modello configurato (quello incluso in urpmail, se la configurazione non ne indica un altro); nessun modello appreso dalle correzioni.".into(),
    };
    let last_run = st.last_run.as_ref().map_or_else(
        || "Nessuna.".to_string(),
        |r| {
            format!(
                "N. {} ({}), {}: iniziata {}, letti {}, classificati {}, duplicati {}, errori {}{}",
                r.id,
                r.kind,
                r.status,
                data_it(&r.started_at),
                r.fetched,
                r.classified,
                r.duplicates,
                r.errors,
                r.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
            )
        },
    );
    page(&StatoPage {
        nav: nav(&staff, "stato"),
        messages: st.messages,
        classified: st.classified,
        excluded: st.excluded.values().sum(),
        skipped: st.skipped,
        review: st.review,
        mailboxes: st
            .mailboxes
            .iter()
            .map(|m| MailboxView {
                name: format!("{}/{}", m.state.account, m.state.mailbox),
                synced: m.synced_secs_ago.map_or_else(|| "mai".into(), ago),
                backlog: m.backlog.map_or_else(|| "?".into(), |b| b.to_string()),
                error: if m.failing { m.state.last_error.clone().unwrap_or_default() } else { String::new() },
                failing: m.failing,
                held_by: m.held_by.as_ref().map(|h| format!("{} (dal {})", h.daemon, data_it(&h.since))),
            })
            .collect(),
        model,
        lineage: st.lineage.join(" ← "),
        last_run,
    })
}

// ---- the review ----

struct ItemView {
    id: String,
    /// The year of the message's date (empty when it has none).
    year: String,
    subject: String,
    date: String,
    channel: String,
    sender_domain: Option<String>,
    motivo: String,
    text: String,
    topic: String,
    label: String,
    confidence: String,
    tipologia: Option<String>,
    top: String,
    rules: String,
    terms: String,
}

/// A message of the review after a registration or a reclassify run, with its undo.
struct Flash {
    text: String,
    /// The correction batch to undo.
    undo: Option<i64>,
    /// The reclassify run to undo.
    undo_run: Option<i64>,
    /// After a correction: offer to re-decide a year with the updated model.
    offer_reclassify: bool,
}

#[derive(Template)]
#[template(path = "revisione.html")]
struct RevisionePage {
    nav: Option<Nav>,
    csrf: String,
    flash: Option<Flash>,
    /// Items in the queue (the page shows the first [`PAGE`]).
    queued: usize,
    items: Vec<ItemView>,
    topics: Choices,
    tipologie: Choices,
    /// Years with data, newest first (for reclassify).
    years: Vec<i32>,
}

#[derive(Deserialize, Default)]
pub(crate) struct RevisioneQuery {
    fatto: Option<i64>,
    annullato: Option<i64>,
    riclassificato: Option<i64>,
    anno: Option<i32>,
    cambiati: Option<u64>,
    spostati: Option<u64>,
    ripristinato: Option<i64>,
}

/// The subject and text of a message read live, redacted; or why it cannot be read now.
fn live_text(bytes: Result<Vec<u8>, String>) -> (String, String) {
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            return (
                "(messaggio non leggibile ora)".into(),
                format!("Il messaggio non si può leggere ora: {e}"),
            );
        }
    };
    let meta = crate::parse::SourceMeta { seen_at: None, now: crate::commands::now() };
    match crate::parse::parse(&bytes, meta, &crate::parse::Limits::default()) {
        Ok(p) => {
            let text: String = crate::text::redact::redact(&p.body).chars().take(TEXT_CHARS).collect();
            (crate::text::redact::redact(&p.subject), text)
        }
        Err(e) => ("(messaggio non leggibile)".into(), format!("Il messaggio non si legge come e-mail: {e}")),
    }
}

/// (id, label) pairs of a form's select.
type Choices = Vec<(String, String)>;

/// What the review page shows: the items, how many the queue holds, the topics and tipologie
/// staff choose from, the years with data (newest first).
type ReviewPage = (Vec<ItemView>, usize, Choices, Choices, Vec<i32>);

fn review_page(store: &StoreChoice) -> Result<ReviewPage, Error> {
    let args = ReviewArgs::defaults(store.target().clone(), store.rules());
    let (rows, taxonomy) = report_cmd::review_queue(&args)?;
    let queued = rows.len();
    let rows: Vec<_> = rows.into_iter().take(PAGE).collect();
    let locations: Vec<_> = rows.iter().filter_map(|r| r.location.clone()).collect();
    let accounts = store.config().map_or(&[][..], |c| c.accounts.as_slice());
    let mut read = crate::source::read_at(&locations, accounts).into_iter();
    let label =
        |id: &str| taxonomy.find(id).map_or_else(|| id.to_string(), |t| taxonomy.topic(t).label.clone());
    let items = rows
        .iter()
        .map(|r| {
            let bytes = if r.location.is_some() {
                read.next().map_or_else(|| Err("non letto".into()), |raw| raw.bytes)
            } else {
                Err("l'archivio non sa dove si trova".into())
            };
            let (subject, text) = live_text(bytes);
            let item = crate::report::review::item(r, &taxonomy);
            let when = item.date.as_deref().and_then(|d| {
                time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
            });
            ItemView {
                id: item.id.clone(),
                year: when.map(|w| w.year().to_string()).unwrap_or_default(),
                subject,
                date: when
                    .and_then(|w| {
                        w.format(time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]"))
                            .ok()
                    })
                    .unwrap_or_else(|| "data sconosciuta".into()),
                channel: if item.channel == "pec" { "PEC".into() } else { "e-mail".into() },
                sender_domain: item.sender_domain.clone(),
                motivo: item.motivo.clone(),
                text,
                topic: item.topic.clone(),
                label: item.label.clone(),
                confidence: format!("{:.0}%", item.confidence * 100.0),
                tipologia: r.tipologia.clone(),
                top: item.top_topics.iter().skip(1).map(|s| label(&s.topic)).collect::<Vec<_>>().join(", "),
                rules: item.rules.join(", "),
                terms: item.model_terms.join(", "),
            }
        })
        .collect();
    let topics = taxonomy.topics().iter().map(|t| (t.id.clone(), t.label.clone())).collect();
    let rules = store.rules().load()?;
    let tipologie = rules
        .map(|r| r.tipologie().iter().map(|t| (t.id.clone(), t.label.clone())).collect())
        .unwrap_or_default();
    let mut years = years_with_data(store)?;
    years.reverse();
    Ok((items, queued, topics, tipologie, years))
}

pub(crate) async fn revisione(staff: Staff, Query(q): Query<RevisioneQuery>) -> Response {
    let store = staff.store.clone();
    let (items, queued, topics, tipologie, years) = match blocking(move || review_page(&store)).await {
        Ok(x) => x,
        Err(e) => return failed(&e),
    };
    page(&RevisionePage {
        nav: nav(&staff, "revisione"),
        csrf: staff.session.csrf.clone(),
        flash: flash(&staff, &q),
        queued,
        items,
        topics,
        tipologie,
        years,
    })
}

/// What the review page says after a form of this session.
fn flash(staff: &Staff, q: &RevisioneQuery) -> Option<Flash> {
    let batch = |b: i64| staff.session.batches.contains(&b);
    let run = |r: i64| staff.session.runs.contains(&r);
    let plain = |text: String| Flash { text, undo: None, undo_run: None, offer_reclassify: false };
    if let Some(b) = q.fatto.filter(|b| batch(*b)) {
        return Some(Flash {
            text: format!(
                "Registrato (gruppo di correzioni {b}); il modello aggiornato è già in uso per i messaggi nuovi."
            ),
            undo: Some(b),
            undo_run: None,
            offer_reclassify: true,
        });
    }
    if let Some(b) = q.annullato.filter(|b| batch(*b)) {
        return Some(plain(format!("Gruppo di correzioni {b} annullato.")));
    }
    if let Some(r) = q.riclassificato.filter(|r| run(*r)) {
        return Some(Flash {
            text: format!(
                "Riclassificato il {}: {} decisioni aggiornate, {} messaggi contati sotto un altro tema (esecuzione {r}). Le decisioni rivedute dal personale non cambiano.",
                q.anno.map(|y| y.to_string()).unwrap_or_default(),
                q.cambiati.unwrap_or(0),
                q.spostati.unwrap_or(0)
            ),
            undo: None,
            undo_run: Some(r),
            offer_reclassify: false,
        });
    }
    q.ripristinato
        .filter(|r| run(*r))
        .map(|r| plain(format!("Riclassificazione {r} annullata: le decisioni di prima sono tornate.")))
}

#[derive(Deserialize)]
pub(crate) struct CorreggiForm {
    #[serde(default)]
    csrf: String,
    id: String,
    topic: String,
    #[serde(default)]
    tipologia: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn correggi(state: AppState, staff: Staff, Form(f): Form<CorreggiForm>) -> Response {
    if !csrf_ok(&staff, &f.csrf) {
        return csrf_refused();
    }
    if f.note.chars().count() > 500 || f.id.is_empty() {
        return (StatusCode::BAD_REQUEST, "Richiesta non valida.").into_response();
    }
    let app = state.0.clone();
    let user = staff.session.user.clone();
    // One correction at a time: each learns from the model the previous one made.
    let _turn = app.learning.lock().await;
    let store = staff.store.clone();
    let done = blocking(move || {
        let rules =
            store.rules().load()?.ok_or_else(|| Error::Input("the rules define no taxonomy".into()))?;
        if rules.taxonomy.find(&f.topic).is_none() {
            return Err(Error::Input(format!("{:?} non è un tema", f.topic)));
        }
        let tipologia = (!f.tipologia.is_empty()).then_some(f.tipologia.clone());
        if let Some(t) = &tipologia
            && !rules.tipologie().iter().any(|x| &x.id == t)
        {
            return Err(Error::Input(format!("{t:?} non è una tipologia")));
        }
        let path = store.target();
        let known = Store::open_readonly(path)
            .and_then(|s| s.by_keys(std::slice::from_ref(&f.id)))
            .map_err(crate::commands::store_error(path))?;
        if known.is_empty() {
            return Err(Error::Input("il messaggio non è nell'archivio: ricaricate la pagina".into()));
        }
        let args = learn::Args {
            store: store.target().clone(),
            rules: store.rules(),
            model: store.model(),
            model_out: None,
            reviewer: None,
            file: PathBuf::new(),
            config: store.config().cloned(),
            local_weight: learn::LOCAL_WEIGHT,
        };
        let note = (!f.note.trim().is_empty()).then(|| f.note.trim().to_string());
        let c = Correction { content_key: f.id.clone(), new_topic: f.topic.clone(), tipologia, note };
        learn::apply(&args, &user, "pagina web", &[c])
    })
    .await;
    match done {
        Ok(s) => {
            state.sessions.record_batch(&staff.id, s.batch);
            tracing::info!(user = %staff.session.user, batch = s.batch, "correction registered from the web page");
            Redirect::to(&format!("/revisione?fatto={}", s.batch)).into_response()
        }
        Err(e) => failed(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct AnnullaForm {
    #[serde(default)]
    csrf: String,
    batch: i64,
}

pub(crate) async fn annulla(state: AppState, staff: Staff, Form(f): Form<AnnullaForm>) -> Response {
    let mine = staff.session.batches.contains(&f.batch);
    let refusal = "Si possono annullare qui solo le registrazioni fatte in questa sessione.";
    let path = staff.store.target().clone();
    let undo = move || learn::undo(&path, f.batch).map(drop);
    undo_own(&state, &staff, &f.csrf, mine, refusal, undo, format!("/revisione?annullato={}", f.batch)).await
}

/// An undo of this session's own work: refused without the form's token or for work the
/// session did not do; run under the corrections' lock; then back to the review at `done`.
async fn undo_own(
    state: &AppState,
    staff: &Staff,
    csrf: &str,
    mine: bool,
    refusal: &'static str,
    undo: impl FnOnce() -> Result<(), Error> + Send + 'static,
    done: String,
) -> Response {
    if !csrf_ok(staff, csrf) {
        return csrf_refused();
    }
    if !mine {
        return (StatusCode::FORBIDDEN, refusal).into_response();
    }
    let _turn = state.learning.lock().await;
    match blocking(undo).await {
        Ok(()) => {
            tracing::info!(user = %staff.session.user, to = %done, "undone from the web page");
            Redirect::to(&done).into_response()
        }
        Err(e) => failed(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct RiclassificaForm {
    #[serde(default)]
    csrf: String,
    anno: i32,
}

/// Re-decides the unreviewed decisions of a year with the active model, as `urpmail reclassify
/// --year` does (messages re-read read-only where they were found).
pub(crate) async fn riclassifica(state: AppState, staff: Staff, Form(f): Form<RiclassificaForm>) -> Response {
    if !csrf_ok(&staff, &f.csrf) {
        return csrf_refused();
    }
    let app = state.0.clone();
    let _turn = app.learning.lock().await;
    let args = crate::commands::reclassify::Args {
        store: staff.store.clone(),
        year: Some(f.anno),
        since: None,
        until: None,
        dry_run: false,
        threads: 1,
    };
    match blocking(move || crate::commands::reclassify::run(&args, &mut std::io::sink())).await {
        Ok(s) => {
            let Some(run) = s.run else {
                return failed(&Error::Input("the reclassify run was not recorded".into()));
            };
            state.sessions.record_run(&staff.id, run);
            tracing::info!(user = %staff.session.user, run, year = f.anno, changed = s.changed, "reclassified from the web page");
            Redirect::to(&format!(
                "/revisione?riclassificato={run}&anno={}&cambiati={}&spostati={}",
                f.anno, s.changed, s.moved
            ))
            .into_response()
        }
        Err(e) => failed(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct RunForm {
    #[serde(default)]
    csrf: String,
    run: i64,
}

pub(crate) async fn riclassifica_annulla(state: AppState, staff: Staff, Form(f): Form<RunForm>) -> Response {
    let mine = staff.session.runs.contains(&f.run);
    let refusal = "Si possono annullare qui solo le riclassificazioni fatte in questa sessione.";
    let path = staff.store.target().clone();
    let undo = move || crate::commands::reclassify::undo(&path, f.run).map(drop);
    undo_own(&state, &staff, &f.csrf, mine, refusal, undo, format!("/revisione?ripristinato={}", f.run)).await
}
