//! Revocation (a lost laptop): the county keeps a list of revoked
//! certificates next to its CA, `revoked.json`, and copies it into every
//! hub's and the county's certificate folder. A server refuses a listed
//! certificate at its next call, whatever the certificate still says.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{Identity, PkiError, identity_from_der};

/// The list's file name, beside `ca.pem`.
pub const REVOKED_FILE: &str = "revoked.json";

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revoked {
    /// Who the certificate named, for people reading the list.
    pub identity: String,
    pub reason: String,
    /// `YYYY-MM-DD HH:MM` China Standard Time.
    pub revoked_at: String,
}

/// Revoked certificates by the SHA-256 fingerprint of their DER encoding.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RevocationList {
    pub revoked: BTreeMap<String, Revoked>,
}

/// The fingerprint a list names a certificate by.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

impl RevocationList {
    /// Reads `<dir>/revoked.json`; a folder without one revokes nothing.
    pub fn load(dir: &Path) -> Result<RevocationList, PkiError> {
        let path = dir.join(REVOKED_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| PkiError::BadFile {
                path: path.clone(),
                what: "吊销列表",
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RevocationList::default()),
            Err(source) => Err(PkiError::Io { path, source }),
        }
    }

    pub fn contains(&self, der: &[u8]) -> Option<&Revoked> {
        self.revoked.get(&fingerprint(der))
    }

    /// Adds the certificate in `cert_pem` to the list in `dir`, written whole
    /// (temporary file, then rename) so a crash never leaves half a list.
    pub fn revoke(
        dir: &Path,
        cert_pem: &str,
        reason: &str,
        now: &str,
    ) -> Result<Identity, PkiError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes()).map_err(|e| {
            PkiError::BadCert {
                reason: format!("证书 PEM 无法解析({e})"),
            }
        })?;
        let identity = identity_from_der(&pem.contents)?;
        let mut list = RevocationList::load(dir)?;
        list.revoked.insert(
            fingerprint(&pem.contents),
            Revoked {
                identity: identity.display_name(),
                reason: reason.to_owned(),
                revoked_at: now.to_owned(),
            },
        );
        let path = dir.join(REVOKED_FILE);
        let temp = dir.join(format!("{REVOKED_FILE}.tmp"));
        let bytes = serde_json::to_vec_pretty(&list).expect("lists serialise");
        std::fs::write(&temp, bytes).map_err(|source| PkiError::Io {
            path: temp.clone(),
            source,
        })?;
        std::fs::rename(&temp, &path).map_err(|source| PkiError::Io { path, source })?;
        Ok(identity)
    }
}
