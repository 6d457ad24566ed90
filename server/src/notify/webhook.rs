//! A generic JSON webhook, signed as Standard Webhooks v1 says: headers
//! `webhook-id` (the same on every retry, so the receiver can drop
//! repeats), `webhook-timestamp` (Unix seconds, so it can refuse old
//! replays) and `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
//! `{id}.{timestamp}.{body}` under the secret. The secret is shown once as
//! `whsec_` and its base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The channel store makes the secrets, when an admin adds a webhook.
pub use app::alerts::outbox::{SECRET_PREFIX, new_secret};

/// The JSON body of a notification: Standard Webhooks' suggested
/// envelope (`type`, `timestamp`, `data`), the alerts in `data.alerts`.
pub fn payload(group: &str, timestamp: i64, alerts: &[app::alerts::Message]) -> serde_json::Value {
    let kind = if group == "test" {
        "alert.test"
    } else {
        "alert.notification"
    };
    serde_json::json!({
        "type": kind,
        "timestamp": chrono::DateTime::from_timestamp(timestamp, 0).map(|d| d.to_rfc3339()),
        "data": { "group": group, "alerts": alerts },
    })
}

/// The key bytes of a `whsec_` secret.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(b64.trim())
        .map_err(|_| "The signing secret is not whsec_ followed by base64.".to_string())?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "The signing secret has {} bytes; Standard Webhooks secrets have 24 to 64.",
            key.len()
        ));
    }
    Ok(key)
}

/// HMAC-SHA256 of `content` under `key`.
pub fn hmac_sha256(key: &[u8], content: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(content);
    mac.finalize().into_bytes().into()
}

/// The `webhook-signature` header value for a message.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac_sha256(key, &content)))
}

/// The three headers of a signed request.
pub fn headers(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> [(&'static str, String); 3] {
    [
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature(key, id, timestamp, body)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_a_published_test_vector() {
        // GitHub's webhook documentation: this secret and body give this
        // HMAC-SHA256.
        let mac = hmac_sha256(b"It's a Secret to Everybody", b"Hello, World!");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn the_signature_covers_id_timestamp_and_body_as_the_spec_says() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        let key = secret_key(&secret).unwrap();
        assert_eq!(key.len(), 32);
        let body = br#"{"status":"firing"}"#;
        let [id, ts, sig] = headers(&key, "msg_1", 1_764_568_800, body);
        assert_eq!((id.0, id.1.as_str()), ("webhook-id", "msg_1"));
        assert_eq!((ts.0, ts.1.as_str()), ("webhook-timestamp", "1764568800"));
        // What a receiver does: recompute over id.timestamp.body.
        let expected = hmac_sha256(&key, br#"msg_1.1764568800.{"status":"firing"}"#);
        let sent = sig.1.strip_prefix("v1,").unwrap();
        assert_eq!(STANDARD.decode(sent).unwrap(), expected);
        // Any change to the signed parts changes the signature.
        assert_ne!(signature(&key, "msg_2", 1_764_568_800, body), sig.1);
        assert_ne!(signature(&key, "msg_1", 1_764_568_801, body), sig.1);
        assert_ne!(signature(&key, "msg_1", 1_764_568_800, b"{}"), sig.1);
    }

    #[test]
    fn malformed_secrets_are_refused_with_the_reason() {
        assert!(secret_key("whsec_***").unwrap_err().contains("base64"));
        let short = format!("whsec_{}", STANDARD.encode([1u8; 8]));
        assert!(secret_key(&short).unwrap_err().contains("24 to 64"));
    }
}
