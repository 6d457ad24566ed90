//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the API, written
//! by hand so that it documents exactly what the handlers do.

use axum::Json;
use serde_json::{Value, json};

/// The OpenAPI document.
pub async fn document() -> Json<Value> {
    Json(spec())
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

/// Builds the document.
pub fn spec() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Dual-write Console API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Endpoints for collectors and scripts. Authenticate with an API token: `Authorization: Bearer <token>`."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "string", "description": "What is wrong, for a person to read." } }
                }
            }
        },
        "paths": {
            "/healthz": { "get": {
                "summary": "Liveness: the process is serving.",
                "responses": { "200": { "description": "Alive", "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "status": { "const": "ok" } } } } } } }
            }},
            "/readyz": { "get": {
                "summary": "Readiness: the database answers.",
                "responses": {
                    "200": { "description": "Ready" },
                    "503": { "description": "The database does not answer" }
                }
            }},
            "/api/v1/token": { "get": {
                "summary": "Identify the API token making the call.",
                "security": [ { "bearer": [] } ],
                "responses": {
                    "200": { "description": "The token is live", "content": { "application/json": { "schema": {
                        "type": "object",
                        "properties": { "token": { "type": "object", "properties": {
                            "id": { "type": "integer" }, "name": { "type": "string" } } } }
                    } } } },
                    "401": error_response("Missing, unknown or revoked token")
                }
            }}
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_path_has_at_least_one_documented_response() {
        let spec = super::spec();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (_, op) in item.as_object().unwrap() {
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{path}"
                );
            }
        }
    }
}
