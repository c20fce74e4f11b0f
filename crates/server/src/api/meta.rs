//! `/healthz` and `/openapi.json`.

use crate::error::{ApiError, ApiResult, Code};
use crate::routes::{routes, Access};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

pub async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state
        .store
        .audit_head()
        .await
        .map_err(|e| ApiError::new(Code::DatabaseUnavailable, e.message))?;
    Ok(Json(
        json!({"status": "ok", "pack": state.engine.pack().id}),
    ))
}

/// The OpenAPI 3.1 document, built from the route table so it cannot drift from the router.
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for r in routes() {
        if !(r.path.starts_with("/v1") || r.path == "/healthz" || r.path == "/openapi.json") {
            continue;
        }
        let mut op = json!({
            "summary": r.summary,
            "responses": {
                "200": {"description": "Success"},
                "4XX": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        match r.access {
            Access::Public => op["security"] = json!([]),
            Access::Api(roles) | Access::Console(roles) => {
                op["security"] = json!([{"bearer": []}]);
                op["x-roles"] = json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>());
            }
            Access::Signed => {
                op["security"] = json!([]);
                op["x-signature"] = json!("X-Hub-Signature: sha256=<HMAC-SHA256 of the body>");
            }
        }
        if r.method == "POST" {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_ascii_lowercase()] = op;
    }
    let codes: Vec<Value> = Code::all()
        .map(|(c, s)| json!({"code": c, "status": s.as_u16()}))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "quytac", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Executable code of conduct for Vietnamese social networks: checking, moderation, audit, transparency."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {"type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
            }},
        },
        "x-error-codes": codes,
    })
}

pub async fn openapi() -> Json<Value> {
    Json(openapi_document())
}
