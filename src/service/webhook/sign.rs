//! Signatures of the Standard Webhooks specification (symmetric, `v1`): HMAC-SHA256 over
//! `"{webhook-id}.{webhook-timestamp}.{body}"` with the endpoint's secret, sent base64-encoded as
//! `v1,<signature>` in `webhook-signature`. Secrets are shown as `whsec_` + base64 of 32 random bytes
//! (the specification asks for 24 to 64).

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::{AppError, Result};

const PREFIX: &str = "whsec_";

/// A new signing secret in the specification's serialisation.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a `whsec_` secret (the prefix is optional, as in the reference libraries).
fn key(secret: &str) -> Result<Vec<u8>> {
    let encoded = secret.strip_prefix(PREFIX).unwrap_or(secret);
    STANDARD
        .decode(encoded)
        .map_err(|_| AppError::Internal("a webhook secret is not base64".into()))
}

/// The `webhook-signature` header's value for one message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)?)
        .map_err(|_| AppError::Internal("HMAC refused a key".into()))?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Whether `header` (space-separated signatures) holds a valid `v1` signature of the message,
/// compared in constant time; what a receiver does (the tests' receiver uses it).
pub fn verify(secret: &str, msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Ok(key) = key(secret) else {
        return false;
    };
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|expected| {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
                return false;
            };
            mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
            mac.update(body);
            mac.verify_slice(&expected).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published examples of the specification's reference libraries
    /// (standard-webhooks/standard-webhooks: `libraries/rust/src/lib.rs` `test_sign` and
    /// `libraries/python/tests/test_webhooks.py` `test_sign_function`).
    #[test]
    fn signatures_match_the_specifications_published_examples() {
        assert_eq!(
            sign(
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user"}"#,
            )
            .unwrap(),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        assert_eq!(
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#,
            )
            .unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_signature_verifies_and_a_changed_body_does_not() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_") && key(&secret).unwrap().len() == 32);
        let header = sign(&secret, "msg_1_1", 1700000000, b"{}").unwrap();
        assert!(verify(
            &secret,
            "msg_1_1",
            1700000000,
            b"{}",
            &format!("v1a,xyz {header}")
        ));
        assert!(!verify(&secret, "msg_1_1", 1700000000, b"{ }", &header));
        assert!(!verify(&secret, "msg_1_1", 1700000001, b"{}", &header));
    }
}
