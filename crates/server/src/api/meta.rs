//! `/healthz` and `/openapi.json`.

use crate::error::{ApiError, ApiResult, Code};
use crate::routes::{routes, Access, Body, Route};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// What `/healthz` answers.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the database answers.
    pub status: String,
    /// The active rule pack.
    pub pack: String,
}

pub async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state
        .store
        .audit_head()
        .await
        .map_err(|e| ApiError::new(Code::DatabaseUnavailable, e.message))?;
    Ok(Json(Health {
        status: "ok".to_string(),
        pack: state.service.engine().pack().id.clone(),
    }))
}

pub async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 document, built from the route table so it cannot drift from the router:
/// each route's bodies and parameters come from the types its handler reads and answers.
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Vec::new();
    for r in routes() {
        if !(r.path.starts_with("/v1") || r.path == "/healthz" || r.path == "/openapi.json") {
            continue;
        }
        let op = operation(&r, &mut schemas);
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_ascii_lowercase()] = op;
    }
    let mut components = Map::new();
    components.insert(
        "Error".into(),
        json!({
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "request_id": {"type": "string"}}}},
        }),
    );
    for (name, schema) in schemas {
        components
            .entry(name)
            .or_insert_with(|| serde_json::to_value(schema).unwrap_or(Value::Null));
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
            "schemas": components,
        },
        "x-error-codes": codes,
    })
}

fn operation(r: &Route, schemas: &mut crate::routes::doc::Schemas) -> Value {
    let error = json!({"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut responses = Map::new();
    match &r.doc.response {
        Some((status, body)) => {
            responses.insert(
                status.to_string(),
                json!({"description": "Success", "content": content(body, schemas)}),
            );
        }
        None => {
            responses.insert("200".into(), json!({"description": "Success"}));
        }
    }
    responses.insert("4XX".into(), error.clone());
    responses.insert("5XX".into(), error);
    let mut op = json!({"summary": r.summary, "responses": responses});
    let mut params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = r
                .doc
                .path_params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, schema)| serde_json::to_value(schema()).unwrap_or(Value::Null))
                .unwrap_or_else(|| json!({"type": "string"}));
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    if let Some(query) = r.doc.query {
        params.extend(
            query()
                .into_iter()
                .filter_map(|p| serde_json::to_value(p).ok()),
        );
    }
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
    // A route that declares no body takes none (a command without fields, e.g. `…/close`).
    if let Some(body) = &r.doc.request {
        op["requestBody"] = json!({"required": true, "content": content(body, schemas)});
    }
    op
}

fn content(body: &Body, schemas: &mut crate::routes::doc::Schemas) -> Value {
    (body.collect)(schemas);
    let schema = body
        .schema
        .map(|s| serde_json::to_value(s()).unwrap_or(Value::Null))
        .unwrap_or_else(|| json!({"type": "string"}));
    json!({ body.content_type: {"schema": schema} })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Two types with one schema name would overwrite each other in the components: every
    /// name the route table brings in must stand for one schema.
    #[test]
    fn every_schema_name_stands_for_one_type() {
        let mut schemas = Vec::new();
        for r in routes() {
            for body in r
                .doc
                .request
                .iter()
                .chain(r.doc.response.iter().map(|(_, b)| b))
            {
                (body.collect)(&mut schemas);
            }
        }
        let mut by_name: HashMap<String, Value> = HashMap::new();
        for (name, schema) in schemas {
            let schema = serde_json::to_value(schema).unwrap();
            if let Some(seen) = by_name.insert(name.clone(), schema.clone()) {
                assert_eq!(seen, schema, "two types are both named `{name}`");
            }
        }
        assert!(by_name.len() >= 25, "{} schemas", by_name.len());
    }

    #[test]
    fn integer_ids_are_declared_as_integers() {
        let doc = openapi_document();
        let id = &doc["paths"]["/v1/cases/{id}"]["get"]["parameters"][0];
        assert_eq!(id["name"], "id");
        assert_eq!(id["schema"]["type"], "integer");
    }
}
