//! Building and running the service: `Application::build(config)` binds the port and opens
//! the store; `run_until_stopped()` serves until SIGINT/SIGTERM, then finishes the requests in
//! flight before returning.

use crate::auth::{Caller, Role};
use crate::check_pool::CheckPool;
use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::limits::Limits;
use crate::routes::{self, Access};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use quytac_core::engine::Engine;
use quytac_core::rules::RulePack;
use quytac_service::signing::AuditSigner;
use quytac_service::{Service, Settings};
use quytac_store::Store;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service as _;
use tower_http::catch_panic::CatchPanicLayer;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    port: u16,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let pack = RulePack::builtin(&config.pack).map_err(|e| anyhow::anyhow!("{e}"))?;
        let engine = Arc::new(Engine::new(pack));
        let store = Store::connect(&config.database_url).await?;
        // Each request reads its token: on PostgreSQL, from memory while the database
        // notifies token changes (`quytac_store::token_cache`).
        store.cache_tokens();
        // The months of PostgreSQL's posts, made ahead while the service runs.
        store.keep_post_partitions_ahead(quytac_store::partitions::KEEP_AHEAD_EVERY);
        let signer = match &config.audit_key {
            Some(path) => AuditSigner::load_or_create(path)?,
            None => AuditSigner::ephemeral(),
        };
        let listener = TcpListener::bind(config.addr).await?;
        let port = listener.local_addr()?.port();
        let route_list = routes::routes();
        let access: HashMap<(&'static str, &'static str), Access> = route_list
            .iter()
            .map(|r| ((r.method, r.path), r.access))
            .collect();
        let forms = route_list
            .iter()
            .filter(|r| r.form)
            .map(|r| (r.method, r.path))
            .collect();
        let signer = Arc::new(signer);
        let settings = Settings {
            holidays: config.holidays.clone(),
            fetch: config.fetch.clone(),
            dns_server: config.dns_server,
            sessions: config.sessions,
            sign_in: config.sign_in,
        };
        let service = Service::new(engine, store.clone(), signer, settings);
        let checks = CheckPool::new(config.limits.check_workers, config.limits.check_queue)?;
        let config_limits = config.limits.clone();
        let pipeline = match &config.nats {
            Some(nats) => Some(Arc::new(crate::state::Pipeline {
                publisher: quytac_pipeline::Publisher::connect(nats).await?,
                stats: Default::default(),
            })),
            None => None,
        };
        let state = AppState::new(crate::state::Shared {
            pipeline,
            service,
            store,
            auth: Arc::default(),
            config: Arc::new(config),
            access: Arc::new(access),
            checks: Arc::new(checks),
            rate_limiter: crate::rate_limit::limiter(&config_limits),
            forms: Arc::new(forms),
        });
        let router = build_router(route_list, state.clone());
        Ok(Application {
            listener,
            router,
            state,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then drains the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = self.state.store.clone();
        // Overdue citizens' inquiries escalate while the service runs (AG-7).
        let sweep = tokio::spawn(crate::api::inquiries::sweep_forever(
            self.state.service.clone(),
        ));
        let rate_limit_sweep = crate::rate_limit::spawn_sweeper(&self.state);
        let visits = tokio::spawn(crate::visits::flush_forever(self.state.service.clone()));
        let service = self.state.service.clone();
        let served = serve(
            self.listener,
            self.router,
            &self.state.config.limits,
            self.state.config.request_timeout,
            shutdown,
        )
        .await;
        sweep.abort();
        visits.abort();
        if let Some(s) = rate_limit_sweep {
            s.abort();
        }
        if let Err(e) = service.flush_visits().await {
            tracing::warn!(error = %e, "the last visit counts were not stored");
        }
        served?;
        store.close().await;
        Ok(())
    }
}

/// Serves HTTP/1.1 on `listener` until `shutdown`, with the connection limits of `limits`:
/// at most `max_connections` open (the next ones wait in the kernel's backlog), and
/// `header_timeout` for a request's headers, counted by hyper from when a connection starts
/// waiting for a request — so a client sending its headers slowly, and a keep-alive
/// connection left idle, are both closed after it. The body and the handler are bounded by
/// the request timeout layer. On shutdown, idle connections close and requests in flight get
/// up to `drain` to finish.
async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    drain: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin,
                    // as axum::serve and hyper's examples do.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            // The peer's address, for the per-client rate limit.
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(req.map(Body::new)).await }
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A connection's errors (reset, header timeout, bad request line) are the
            // client's; hyper has already answered what could be answered.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain time; closing them");
    }
    Ok(())
}

fn build_router(route_list: Vec<routes::Route>, state: AppState) -> Router {
    let mut router = Router::new();
    let limiter = crate::rate_limit::layer(&state);
    for r in route_list {
        let handler = match &limiter {
            Some(limiter) if crate::rate_limit::applies_to(&r) => r.handler.layer(limiter.clone()),
            _ => r.handler,
        };
        router = router.route(r.path, handler);
    }
    let timeout = state.config.request_timeout;
    let behind_https = state.config.behind_https;
    router
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::visits::count,
        ))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                Code::MethodNotAllowed,
                "this endpoint does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(middleware::from_fn(
            move |req: Request, next: Next| async move {
                match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(resp) => resp,
                    Err(_) => {
                        ApiError::new(Code::Timeout, "the request took too long").into_response()
                    }
                }
            },
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(Code::Internal, "a handler panicked").into_response()
        }))
        // A web page's errors are HTML pages in the reader's language (`/v1` keeps JSON).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::errors::html_errors,
        ))
        // Every answer, error pages included, gets the security headers.
        .layer(middleware::map_response(move |r: Response| async move {
            crate::headers::secure(r, behind_https)
        }))
        // Outermost, so that the line is written for every answer, timeouts and panics
        // included; a layer of the router still sees the matched route template.
        .layer(middleware::from_fn(crate::observe::log_request))
        .with_state(state)
}

/// Checks the caller against the route's access rule and hands handlers a [`Caller`].
async fn authorize(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    // A route without an access rule is refused: the table is the only way in.
    let access = state
        .access
        .get(&(req.method().as_str(), path.as_str()))
        .copied()
        .unwrap_or(Access::Api(&[]));
    match access {
        Access::Public | Access::Signed => {
            let form = state
                .forms
                .contains(&(req.method().as_str(), path.as_str()));
            if form
                && crate::web::session::is_unsafe(req.method())
                && crate::web::session::cross_site(req.headers())
            {
                return crate::web::session::cross_site_page(req.uri().path());
            }
            next.run(req).await
        }
        Access::Api(roles) => {
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_string());
            let Some(token) = token else {
                return ApiError::new(
                    Code::MissingToken,
                    "this endpoint needs `Authorization: Bearer <token>`",
                )
                .into_response();
            };
            match state.auth.authenticate(&state.store, &token).await {
                Ok(caller) if roles.contains(&caller.role) => {
                    req.extensions_mut().insert(caller);
                    next.run(req).await
                }
                Ok(caller) => {
                    ApiError::forbidden(format!("the role `{}` may not do this", caller.role))
                        .into_response()
                }
                Err(e) => e.into_response(),
            }
        }
        Access::Console(roles) => console(&state, roles, req, next).await,
    }
}

/// A console page: the session from the cookie, with one of `roles`; a form post must come
/// from this site and carry the session's CSRF token.
async fn console(state: &AppState, roles: &[Role], req: Request, next: Next) -> Response {
    use crate::web::session::{self, Csrf};
    // Back to the page asked for after signing in, query string included.
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let login = || {
        (
            [(header::SET_COOKIE, session::session_clear_cookie(state))],
            Redirect::to(&format!("/login?next={}", crate::web::url_encode(&here))),
        )
            .into_response()
    };
    let Some(id) = session::session_cookie(req.headers()) else {
        return Redirect::to(&format!("/login?next={}", crate::web::url_encode(&here)))
            .into_response();
    };
    let live = match state.service.console_session(&id).await {
        Ok(live) => live,
        Err(e) if e.kind == quytac_service::ErrorKind::DatabaseUnavailable => {
            return ApiError::from(e).into_response()
        }
        Err(_) => return login(),
    };
    if !roles.contains(&live.actor.role) {
        return crate::web::role_denied_page(live.actor.role, &here);
    }
    let mut req = req;
    if session::is_unsafe(req.method()) {
        if session::cross_site(req.headers()) {
            return session::cross_site_page(&here);
        }
        // The form's CSRF token: the body is read here (within the body limit) and handed on.
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, state.config.body_limit).await {
            Ok(b) => b,
            Err(_) => {
                return ApiError::new(Code::PayloadTooLarge, "the form is too large")
                    .into_response()
            }
        };
        let given = session::form_csrf(&bytes).unwrap_or_default();
        if !live.csrf_matches(&given) {
            return session::cross_site_page(&here);
        }
        req = Request::from_parts(parts, axum::body::Body::from(bytes));
    }
    req.extensions_mut()
        .insert(crate::web::sign_in::SignedInName(live.shown_name()));
    req.extensions_mut().insert(live.actor);
    req.extensions_mut().insert(Csrf(live.csrf));
    next.run(req).await
}

impl axum::extract::FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::new(Code::MissingToken, "this endpoint needs a token"))
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            // Without a Ctrl-C handler the service still stops on SIGTERM; stopping now would
            // take it down the moment it started.
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
