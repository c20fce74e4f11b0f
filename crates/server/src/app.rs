//! Building and running the service: `Application::build(config)` binds the port and opens
//! the store; `run_until_stopped()` serves until SIGINT/SIGTERM, then finishes the requests in
//! flight before returning.

use crate::auth::Caller;
use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::routes::{self, Access};
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use quytac_core::engine::Engine;
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_service::signing::AuditSigner;
use quytac_service::{Service, Settings};
use quytac_store::Store;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    port: u16,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let pack = RulePack::builtin(DEFAULT_PACK).map_err(|e| anyhow::anyhow!("{e}"))?;
        let engine = Arc::new(Engine::new(pack));
        let store = Store::connect(&config.database_url).await?;
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
        let signer = Arc::new(signer);
        let settings = Settings {
            checkpoint_every: config.checkpoint_every,
            holidays: config.holidays.clone(),
            fetch: config.fetch.clone(),
            dns_server: config.dns_server,
        };
        let service = Service::new(engine, store.clone(), signer, settings);
        let pipeline = match &config.nats {
            Some(nats) => Some(Arc::new(crate::state::Pipeline {
                publisher: quytac_pipeline::Publisher::connect(nats).await?,
                stats: Default::default(),
            })),
            None => None,
        };
        let state = AppState {
            pipeline,
            service,
            store,
            auth: Arc::default(),
            config: Arc::new(config),
            access: Arc::new(access),
        };
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
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        sweep.abort();
        served?;
        store.close().await;
        Ok(())
    }
}

fn build_router(route_list: Vec<routes::Route>, state: AppState) -> Router {
    let mut router = Router::new();
    for r in route_list {
        router = router.route(r.path, r.handler);
    }
    let timeout = state.config.request_timeout;
    router
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
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
        Access::Public | Access::Signed => next.run(req).await,
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
        Access::Console(roles) => {
            let token = crate::web::cookie_token(req.headers());
            // Back to the page asked for after signing in, query string included.
            let here = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let login = Redirect::to(&format!("/login?next={}", crate::web::url_encode(here)))
                .into_response();
            let Some(token) = token else { return login };
            match state.auth.authenticate(&state.store, &token).await {
                Ok(caller) if roles.contains(&caller.role) => {
                    req.extensions_mut().insert(caller);
                    next.run(req).await
                }
                Ok(caller) => crate::web::role_denied_page(caller.role, here),
                Err(_) => login,
            }
        }
    }
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
