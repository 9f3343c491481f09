//! mTLS for every link: tonic's rustls (ring provider) with the county CA as
//! the only root, and the peer's identity read from its verified certificate.

use sanji_domain::Code;
use sanji_pki::{CertFiles, Identity};
use tonic::transport::{Certificate, ClientTlsConfig, Identity as TlsIdentity, ServerTlsConfig};
use tonic::{Request, Status};

/// Installs ring as the process-wide rustls provider. Safe to call more than once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn server_config(certs: &CertFiles) -> ServerTlsConfig {
    ServerTlsConfig::new()
        .identity(TlsIdentity::from_pem(&certs.cert_pem, &certs.key_pem))
        .client_ca_root(Certificate::from_pem(&certs.ca_pem))
}

/// Client side: trust only the county CA, present our certificate, and expect
/// the server's certificate to name `parent` (`<code>.sanji`).
pub fn client_config(certs: &CertFiles, parent: &Code) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&certs.ca_pem))
        .identity(TlsIdentity::from_pem(&certs.cert_pem, &certs.key_pem))
        .domain_name(sanji_pki::server_name(parent))
}

/// The verified identity of the caller. Only tonic's own TLS acceptor fills
/// `peer_certs`, so a plaintext or certificate-less caller ends here.
pub fn peer_identity<T>(request: &Request<T>) -> Result<Identity, Status> {
    let certs = request.peer_certs().ok_or_else(|| {
        Status::unauthenticated("未提供客户端证书:须使用县级 CA 签发的证书通过 mTLS 连接")
    })?;
    let leaf = certs
        .first()
        .ok_or_else(|| Status::unauthenticated("客户端证书链为空"))?;
    sanji_pki::identity_from_der(leaf.as_ref())
        .map_err(|e| Status::unauthenticated(format!("客户端证书无法识别身份:{e}")))
}
