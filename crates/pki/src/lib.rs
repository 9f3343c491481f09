//! sanji-pki: owns the county CA and the certificate files; reads identities
//! from peer certificates.
//!
//! One county runs one CA (`ca.pem` + `ca-key.pem`). It issues
//! - node certificates (`<code>.pem`), one per site, carrying the URI SAN
//!   `sanji://node/<code>` and the DNS name `<code>.sanji` that clients pin;
//! - person certificates, carrying `sanji://person/<code>/<role>/<name>`,
//!   for people who sign in with a client certificate. A person's key is
//!   written encrypted under their own passphrase and opened only with it.
//!
//! The identity of a peer is read back from its certificate's URI SAN with
//! [`identity_from_der`].
//!
//! Must not depend on: tonic, sled, the network.

mod ca;
mod error;
mod files;
mod identity;
mod protect;
mod revoke;

pub use ca::{ca_county, init_ca, issue_node, issue_person, server_name};
pub use error::PkiError;
pub use files::{CA_CERT_FILE, CA_KEY_FILE, CertFiles, node_certificates};
pub use identity::{Identity, PersonRole, identity_from_der};
pub use protect::{
    MIN_PASSPHRASE_CHARS, check_passphrase, is_protected, open_key_pem, protect_key_file,
    protect_key_pem,
};
pub use revoke::{REVOKED_FILE, RevocationList, Revoked, fingerprint};
