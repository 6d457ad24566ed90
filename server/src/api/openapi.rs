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
    let mut spec = json!({
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
                },
                "ErrorBatch": {
                    "type": "object",
                    "required": ["environment", "entries"],
                    "additionalProperties": false,
                    "properties": {
                        "environment": { "type": "string", "minLength": 1, "description": "An existing environment's name; an unknown one is a 422." },
                        "entries": { "type": "array", "minItems": 1, "maxItems": 10000, "items": { "$ref": "#/components/schemas/ErrorEntry" } }
                    }
                },
                "ErrorEntry": {
                    "type": "object",
                    "required": ["occurred_at", "message"],
                    "additionalProperties": false,
                    "properties": {
                        "id": { "type": "string", "maxLength": 500, "description": "The sender's id; makes retries idempotent. Lengths count characters; control characters other than tab and line breaks are refused." },
                        "occurred_at": { "type": "string", "format": "date-time", "description": "RFC 3339 with a time zone offset. Not before 2000-01-01 and not more than a day ahead of the console's clock (else 422). A leap second is stored as the millisecond before it." },
                        "map": { "type": "string", "maxLength": 500, "description": "An existing table map of the environment; an unknown one is a 422." },
                        "direction": { "enum": ["fo_to_dataverse", "dataverse_to_fo"] },
                        "record_key": { "type": "string", "maxLength": 500 },
                        "legal_entity": { "type": "string", "maxLength": 500 },
                        "message": { "type": "string", "minLength": 1, "maxLength": 10000, "description": "Required; blank (only spaces) is a 422." },
                        "detail": { "description": "Raw detail: a string or any JSON value, kept verbatim; at most 1,000,000 characters per entry (else 422)." }
                    }
                },
                "ErrorBatchResult": {
                    "type": "object",
                    "properties": {
                        "accepted": { "type": "integer", "description": "Entries acknowledged (stored now or before)." },
                        "stored": { "type": "integer", "description": "Entries stored by this call." },
                        "items": { "type": "array", "items": { "type": "object", "properties": {
                            "id": { "type": "string", "description": "The sender's id, or sha256:… of the content." },
                            "group_id": { "type": "string" },
                            "category": { "enum": ["missing_field_mapping", "invalid_value_conversion", "dependency_order", "plugin_throw", "duplicate_record", "authentication_permission", "throttling_timeout", "other"] },
                            "duplicate": { "type": "boolean" }
                        } } }
                    }
                },
                "ErrorBatchRejection": {
                    "type": "object",
                    "properties": {
                        "error": { "type": "string" },
                        "items": { "type": "array", "items": { "type": "object", "properties": {
                            "index": { "type": "integer" }, "reason": { "type": "string" } } } }
                    }
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
                    "401": error_response("Missing, unknown or revoked token"),
                    "503": error_response("The database is unavailable")
                }
            }},
            "/api/v1/errors": { "post": {
                "summary": "Ingest a batch of dual-write error entries.",
                "description": "The batch is checked whole and stored in one transaction, or rejected whole with a reason per item. An entry's `id` (or, without one, a hash of its content) makes retries safe: an entry already stored comes back with `duplicate: true` and is not stored again. At most 10,000 entries per batch.",
                "security": [ { "bearer": [] } ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBatch" } } } },
                "responses": {
                    "200": { "description": "Stored (or already stored)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBatchResult" } } } },
                    "400": error_response("The body is not JSON"),
                    "401": error_response("Missing, unknown or revoked token"),
                    "408": error_response("The request took longer than the request timeout; nothing stored"),
                    "413": error_response("More than 10,000 entries, or a body over the size limit"),
                    "422": { "description": "Rejected whole; nothing stored", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBatchRejection" } } } },
                    "503": error_response("The database is busy or unavailable; nothing stored, send it again")
                }
            }}
        }
    });
    spec["paths"]["/api/v1/throughput"] = throughput_path();
    spec
}

/// The throughput ingest call (its own `json!`: one macro call for the
/// whole document passes the macro recursion limit).
fn throughput_path() -> Value {
    json!({ "post": {
                    "summary": "Ingest records synced and failed per map, direction and minute.",
                    "description": "Each item adds to its minute, hour and day. The batch is checked whole and stored in one transaction, or rejected whole with a reason per item. An item's `id` (or, without one, a hash of its content) makes retries safe: an item counted before is not counted again. At most 10,000 items per batch and 1,000 latencies per item.",
                    "security": [ { "bearer": [] } ],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object",
                        "required": ["environment", "items"],
                        "additionalProperties": false,
                        "properties": {
                            "environment": { "type": "string", "minLength": 1, "description": "An existing environment's name; an unknown one is a 422." },
                            "items": { "type": "array", "minItems": 1, "maxItems": 10000, "items": {
                                "type": "object",
                                "required": ["map", "direction", "minute", "synced"],
                                "additionalProperties": false,
                                "properties": {
                                    "id": { "type": "string", "description": "The sender's id for the item." },
                                    "map": { "type": "string", "description": "The table map's name in the rule book." },
                                    "direction": { "enum": ["fo_to_dataverse", "dataverse_to_fo"] },
                                    "minute": { "type": "string", "format": "date-time", "description": "RFC 3339; seconds are dropped. Not more than 5 minutes ahead of the console's clock (else 422)." },
                                    "synced": { "type": "integer", "minimum": 0, "maximum": 1000000000, "description": "Records synced in the minute. An item with synced and failed both 0 counts nothing and is a 422." },
                                    "failed": { "type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0 },
                                    "latency_ms": { "type": "array", "maxItems": 1000, "items": { "type": "number", "minimum": 0 } }
                                }
                            } }
                        }
                    } } } },
                    "responses": {
                        "200": { "description": "Counted (or counted before)", "content": { "application/json": { "schema": {
                            "type": "object", "properties": {
                                "accepted": { "type": "integer" }, "stored": { "type": "integer" }, "duplicates": { "type": "integer" } } } } } },
                        "400": error_response("The body is not JSON"),
                        "401": error_response("Missing, unknown or revoked token"),
                        "408": error_response("The request took longer than the request timeout; nothing stored"),
                        "413": error_response("More than 10,000 items, or a body over the size limit"),
                        "422": { "description": "Rejected whole; nothing stored (a bad item, or a period's stored total that would pass 2^53 - 1)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBatchRejection" } } } },
                        "503": error_response("The database is busy or unavailable; nothing stored, send it again")
                    }
    }})
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ingest_calls_document_every_status_they_answer() {
        let spec = super::spec();
        for path in ["/api/v1/errors", "/api/v1/throughput"] {
            let responses = spec["paths"][path]["post"]["responses"]
                .as_object()
                .unwrap();
            for status in ["200", "400", "401", "408", "413", "422", "503"] {
                assert!(responses.contains_key(status), "{path} {status}");
            }
        }
    }

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
