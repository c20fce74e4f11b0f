//! The Ed25519 key that signs the audit log's heads (and badges and attestations). It lives
//! outside the database, so whoever can rewrite the database cannot forge a signed head.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use quytac_store::audit::{HeadSigner, SignedHead};
use quytac_store::model::Checkpoint;
use rand::RngCore;
use std::path::Path;

pub struct AuditSigner {
    key: SigningKey,
}

/// What a checkpoint of the log before chains covered (kept to verify those).
pub fn checkpoint_message(seq: i64, hash: &str) -> String {
    format!("quytac-audit:{seq}:{hash}")
}

impl AuditSigner {
    pub fn ephemeral() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        AuditSigner {
            key: SigningKey::from_bytes(&bytes),
        }
    }

    /// Reads the key (64 hex digits) or creates the file with a new one.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        if path.exists() {
            let text = std::fs::read_to_string(path)?;
            let bytes = hex::decode(text.trim())?;
            let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                anyhow::anyhow!("{}: an audit key is 32 bytes in hex", path.display())
            })?;
            return Ok(AuditSigner {
                key: SigningKey::from_bytes(&bytes),
            });
        }
        let signer = Self::ephemeral();
        write_private(path, &hex::encode(signer.key.to_bytes()))?;
        Ok(signer)
    }

    /// The key itself: badges and staff attestations are signed with it too (quytac-core
    /// `identity::badge`), under the key id derived from its public key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// The key id published with the key (`quytac_core::identity::badge::key_id`).
    pub fn key_id(&self) -> String {
        quytac_core::identity::badge::key_id(&self.key.verifying_key())
    }

    pub fn sign(&self, seq: i64, hash: &str) -> String {
        hex::encode(
            self.key
                .sign(checkpoint_message(seq, hash).as_bytes())
                .to_bytes(),
        )
    }
}

impl HeadSigner for AuditSigner {
    fn key_id(&self) -> String {
        AuditSigner::key_id(self)
    }

    fn public_key_hex(&self) -> String {
        AuditSigner::public_key_hex(self)
    }

    fn sign_message(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }
}

/// Whether a signed head's signature is valid for `public_key` (hex) and names its key id.
pub fn verify_head(head: &SignedHead, public_key: &str) -> bool {
    let Some(vk) = verifying_key(public_key) else {
        return false;
    };
    if head.key_id != quytac_core::identity::badge::key_id(&vk) {
        return false;
    }
    let Some(sig) = signature(&head.signature) else {
        return false;
    };
    vk.verify(head.message().as_bytes(), &sig).is_ok()
}

fn verifying_key(hex_key: &str) -> Option<VerifyingKey> {
    let pk = hex::decode(hex_key).ok()?;
    let pk = <[u8; 32]>::try_from(pk.as_slice()).ok()?;
    VerifyingKey::from_bytes(&pk).ok()
}

fn signature(hex_sig: &str) -> Option<Signature> {
    let sig = hex::decode(hex_sig).ok()?;
    let sig = <[u8; 64]>::try_from(sig.as_slice()).ok()?;
    Some(Signature::from_bytes(&sig))
}

/// Whether a checkpoint's signature is valid for its own public key.
pub fn verify_checkpoint(c: &Checkpoint) -> bool {
    let Ok(pk) = hex::decode(&c.public_key) else {
        return false;
    };
    let Ok(pk) = <[u8; 32]>::try_from(pk.as_slice()) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    let Ok(sig) = hex::decode(&c.signature) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else {
        return false;
    };
    vk.verify(
        checkpoint_message(c.seq, &c.hash).as_bytes(),
        &Signature::from_bytes(&sig),
    )
    .is_ok()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_checkpoints_verify_and_tampered_ones_do_not() {
        let s = AuditSigner::ephemeral();
        let mut c = Checkpoint {
            seq: 3,
            hash: "ab".into(),
            signature: s.sign(3, "ab"),
            public_key: s.public_key_hex(),
            at: 0,
        };
        assert!(verify_checkpoint(&c));
        c.hash = "ac".into();
        assert!(!verify_checkpoint(&c));
    }

    #[test]
    fn signed_heads_verify_with_their_key_only() {
        let s = AuditSigner::ephemeral();
        let chains = vec![quytac_store::audit::ChainHead {
            chain: 0,
            pos: 2,
            hash: "ab".into(),
        }];
        let hash = quytac_store::audit::merkle_root(&chains);
        let message = quytac_store::audit::head_message(2, &hash, 9, &s.key_id(), &chains);
        let mut head = SignedHead {
            id: 1,
            seq: 2,
            hash,
            time: 9,
            key_id: s.key_id(),
            public_key: s.public_key_hex(),
            signature: s.sign_message(message.as_bytes()),
            chains,
        };
        assert!(verify_head(&head, &s.public_key_hex()));
        assert!(!verify_head(
            &head,
            &AuditSigner::ephemeral().public_key_hex()
        ));
        head.chains[0].pos = 3;
        assert!(!verify_head(&head, &s.public_key_hex()));
    }
}
