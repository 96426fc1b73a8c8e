//! `urpmail serve`: the staff web page. Server-side HTML from templates (askama), forms and
//! redirects, no JavaScript. It runs as the service user on the service's own store, so staff
//! need neither a shell nor the IMAP password.
//!
//! Safety: it listens on loopback unless it speaks HTTPS itself (`web::tls`) or is told it sits
//! behind a TLS reverse proxy; accounts are
//! argon2id hashes in a 0600 file ([`users`]); a session is a random 256-bit id in an HttpOnly,
//! SameSite=Strict cookie ([`session`]); every POST carries the session's CSRF token and is
//! refused when the browser says it comes from another site; failed logins are slowed down; a
//! Content-Security-Policy allows only this site's stylesheet. Message text shown in the review
//! is read live from the message's location, redacted, and never written to disk or logs.

mod pages;
pub mod session;
mod tls;
pub mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::commands::{Error, StoreChoice};

/// Arguments of `serve`.
#[derive(Debug)]
pub struct ServeArgs {
    /// The stores shown: one (`--config`, `--store`), or one per ente (`--enti`); with
    /// configurations, their passwords too (to read messages from the mailboxes for the review).
    pub stores: Vec<StoreChoice>,
    /// The accounts file (`urpmail users add`).
    pub users: PathBuf,
    pub listen: SocketAddr,
    /// A TLS reverse proxy on this machine forwards to us: any address is allowed and the
    /// session cookie is marked Secure.
    pub behind_proxy: bool,
    /// HTTPS of its own: the certificate chain and the private key (PEM).
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// What every request handler shares.
pub(crate) struct App {
    /// One store, or one per ente (each configuration with its `[ente]`).
    pub(crate) stores: Vec<StoreChoice>,
    pub(crate) users: PathBuf,
    pub(crate) sessions: session::Sessions,
    pub(crate) throttle: session::Throttle,
    pub(crate) secure_cookies: bool,
    /// Corrections are applied one at a time: each learns from the model the last one made.
    pub(crate) learning: tokio::sync::Mutex<()>,
}

/// The ente id of a store the page serves (`None`: a store without `[ente]`).
pub(crate) fn ente_of(s: &StoreChoice) -> Option<&crate::config::Ente> {
    s.config().and_then(|c| c.ente.as_ref())
}

impl App {
    /// The store a session shows: its ente's.
    pub(crate) fn store_for(&self, session: &session::Session) -> Option<&StoreChoice> {
        self.stores.iter().find(|s| ente_of(s).map(|e| &e.id) == session.ente.as_ref())
    }

    /// The ente a new session of an account starts on, or why the account cannot log in here
    /// (in Italian, for the login page).
    pub(crate) fn session_ente(&self, scope: &users::Scope) -> Result<Option<String>, &'static str> {
        let first = self.stores.first().and_then(ente_of).map(|e| e.id.clone());
        match scope {
            users::Scope::Admin => Ok(first),
            users::Scope::Ente(id) => {
                match self.stores.iter().any(|s| ente_of(s).is_some_and(|e| &e.id == id)) {
                    true => Ok(Some(id.clone())),
                    false => Err("Questo account è di un ente che questa pagina non mostra."),
                }
            }
            users::Scope::Served if self.stores.len() == 1 => Ok(first),
            users::Scope::Served => Err(
                "Questo account non indica il proprio ente: chiedete all'amministratore di assegnarlo (urpmail users add NOME --ente ID).",
            ),
        }
    }
}

/// The session cookie.
pub(crate) const COOKIE: &str = "urpmail_sessione";
/// The login form's own token cookie (against login CSRF).
pub(crate) const LOGIN_COOKIE: &str = "urpmail_accesso";

/// Checks the arguments, then serves until SIGTERM or Ctrl-C. `ready` is told the address
/// really bound (port 0 picks a free one) and whether it speaks HTTPS.
pub fn serve(args: ServeArgs, ready: impl FnOnce(SocketAddr, bool)) -> Result<(), Error> {
    if !args.listen.ip().is_loopback() && !args.behind_proxy && args.tls.is_none() {
        return Err(Error::Input(format!(
            "--listen {}: not a loopback address, and passwords must not cross the network in clear: give the page a certificate (--tls-cert FILE --tls-key FILE), or put a TLS reverse proxy on this machine in front of it, listen on 127.0.0.1 and pass --behind-proxy (docs/service.md)",
            args.listen
        )));
    }
    let acceptor = match &args.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    users::Users::load(&args.users)?;
    for s in &args.stores {
        crate::commands::existing_store(s.target())?;
    }
    let app = Arc::new(App {
        stores: args.stores,
        users: args.users,
        sessions: session::Sessions::default(),
        throttle: session::Throttle::default(),
        secure_cookies: args.behind_proxy || args.tls.is_some(),
        learning: tokio::sync::Mutex::new(()),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io { context: "starting the web server".into(), source: e })?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Error::Io { context: format!("listening on {}", args.listen), source: e })?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::Io { context: "reading the bound address".into(), source: e })?;
        tracing::info!(address = %bound, tls = acceptor.is_some(), "serving the staff page");
        ready(bound, acceptor.is_some());
        let io = |e| Error::Io { context: "serving the staff page".into(), source: e };
        match acceptor {
            Some(acceptor) => {
                let listener = tls::TlsListener::new(listener, acceptor).map_err(io)?;
                let service = router(app).into_make_service_with_connect_info::<Peer>();
                axum::serve(listener, service).with_graceful_shutdown(shutdown()).await.map_err(io)
            }
            None => {
                let service = router(app).into_make_service_with_connect_info::<Peer>();
                axum::serve(listener, service).with_graceful_shutdown(shutdown()).await.map_err(io)
            }
        }
    })
}

async fn shutdown() {
    let term = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!("stopping the staff page");
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/temi") }))
        .route("/accesso", get(pages::login_form).post(pages::login))
        .route("/uscita", post(pages::logout))
        .route("/temi", get(pages::temi))
        .route("/temi/scarica", get(pages::scarica))
        .route("/stato", get(pages::stato))
        .route("/revisione", get(pages::revisione).post(pages::correggi))
        .route("/revisione/annulla", post(pages::annulla))
        .route("/riclassifica", post(pages::riclassifica))
        .route("/riclassifica/annulla", post(pages::riclassifica_annulla))
        .route("/ente", post(pages::ente))
        .route("/stile.css", get(pages::css))
        .layer(middleware::from_fn(guard))
        .with_state(app)
}

/// Every response: security headers. Every POST: refused when the browser says it comes from
/// another site (Sec-Fetch-Site, Origin), before any handler runs.
async fn guard(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && !same_site(req.headers()) {
        return (StatusCode::FORBIDDEN, "Richiesta rifiutata: non viene da questa pagina.").into_response();
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on its own forms.
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    res
}

/// A POST from this site: `Sec-Fetch-Site` (sent by current browsers) is same-origin, and an
/// `Origin`, when sent, names the host the request was sent to.
fn same_site(h: &HeaderMap) -> bool {
    let text = |k: header::HeaderName| h.get(k).and_then(|v| v.to_str().ok());
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
    {
        return false;
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// The value of a cookie of the request.
pub(crate) fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, the whole site, Secure behind a TLS proxy;
/// an empty value with Max-Age=0 deletes it.
pub(crate) fn set_cookie(app: &App, name: &str, value: &str) -> String {
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    let age = if value.is_empty() { "; Max-Age=0" } else { "" };
    format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/{secure}{age}")
}

/// A logged-in member of staff: pages that need one redirect to the login page without it.
pub(crate) struct Staff {
    pub(crate) id: String,
    pub(crate) session: session::Session,
    /// The store the session shows (its ente's).
    pub(crate) store: StoreChoice,
    /// For a consortium administrator, the enti to choose from: (id, name).
    pub(crate) choices: Vec<(String, String)>,
}

impl FromRequestParts<Arc<App>> for Staff {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let id = cookie(&parts.headers, COOKIE).ok_or_else(|| Redirect::to("/accesso"))?;
        let session = app.sessions.get(id).ok_or_else(|| Redirect::to("/accesso"))?;
        let store = app.store_for(&session).ok_or_else(|| Redirect::to("/accesso"))?.clone();
        let choices = match session.admin {
            true => app.stores.iter().filter_map(ente_of).map(|e| (e.id.clone(), e.name.clone())).collect(),
            false => Vec::new(),
        };
        Ok(Staff { id: id.to_string(), session, store, choices })
    }
}

/// The client's address, for the login throttle.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub(crate) SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// The shared state, for handlers.
pub(crate) type AppState = State<Arc<App>>;
