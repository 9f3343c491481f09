//! mTLS for every link: tonic's rustls (ring provider) with the county CA as
//! the only root, and the peer's identity read from its verified certificate.

use std::time::Duration;

use sanji_domain::Code;
use sanji_pki::{CertFiles, Identity};
use tonic::transport::{
    Certificate, Channel, ClientTlsConfig, Endpoint, Identity as TlsIdentity, ServerTlsConfig,
};
use tonic::{Request, Status};

use crate::SyncError;
use crate::error::Cause;

/// Installs ring as the process-wide rustls provider. Safe to call more than once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn server_config(certs: &CertFiles) -> ServerTlsConfig {
    ServerTlsConfig::new()
        .identity(TlsIdentity::from_pem(&certs.cert_pem, &certs.key_pem))
        .client_ca_root(Certificate::from_pem(&certs.ca_pem))
}

/// The longest connecting (TCP and the TLS handshake) may take. The
/// endpoint's connect timeout covers only the TCP connect and HTTP/2 keepalive starts only once a
/// request is open, so without this a handshake the network swallows (a
/// NAT or captive portal dropping packets after the SYN) would hang a sync,
/// or the hub's forwarder, forever.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

const HANDSHAKE_TIMED_OUT: &str = "连接超时(上级长时间没有完成加密握手)";

/// The longest the TCP connect may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Client side: trust only the county CA, present our certificate, and expect
/// the server's certificate to name `server` (`<code>.sanji`). tonic's own
/// handshake timeout is a backstop for reconnects in the middle of a call,
/// a little longer than [`connect`]'s, which says why in the clerk's words.
fn client_config(certs: &CertFiles, server: &Code) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&certs.ca_pem))
        .identity(TlsIdentity::from_pem(&certs.cert_pem, &certs.key_pem))
        .domain_name(sanji_pki::server_name(server))
        .timeout(HANDSHAKE_TIMEOUT + Duration::from_secs(2))
}

/// The one way a sanji client reaches another node at `addr` (`host:port`,
/// or an address already resolved) with `certs`, expecting the server to be
/// `server`: every client (a station's sync, a hub's forwarder, the console,
/// tests, the bench) has the same TLS, timeouts and keepalive.
pub fn endpoint(addr: &str, certs: &CertFiles, server: &Code) -> Result<Endpoint, SyncError> {
    Ok(Endpoint::from_shared(format!("https://{addr}"))
        .map_err(|e| SyncError::Config(format!("地址 {addr:?} 无效:{e}")))?
        .tls_config(client_config(certs, server))
        .map_err(|e| SyncError::Config(format!("证书无法用于加密连接:{e}")))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(15))
        .keep_alive_timeout(Duration::from_secs(20)))
}

/// Connects now to `server` at `addr`, so that an unreachable node is
/// reported, in the clerk's words, before anything else. The name is
/// resolved here first, so a failed lookup is known as one by where it
/// happened.
pub async fn connect(addr: &str, certs: &CertFiles, server: &Code) -> Result<Channel, SyncError> {
    let unreachable = |reason: String| SyncError::Unreachable {
        parent: server.clone(),
        addr: addr.to_owned(),
        reason,
    };
    let resolved = match tokio::net::lookup_host(addr).await {
        Ok(mut found) => found.next(),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(SyncError::Config(format!(
                "地址 {addr:?} 无效:应为“主机:端口”,例如 10.0.0.1:7443"
            )));
        }
        Err(e) => {
            tracing::debug!(error = %e, addr, "name lookup failed");
            None
        }
    };
    let Some(resolved) = resolved else {
        let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
        return Err(unreachable(format!(
            "查不到主机名 {host} 的地址(域名解析失败):请检查地址是否写错,以及本机网络和 DNS 设置"
        )));
    };
    let endpoint = endpoint(&resolved.to_string(), certs, server)?;
    let started = tokio::time::Instant::now();
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, endpoint.connect()).await {
        Ok(Ok(channel)) => Ok(channel),
        // tonic's own handshake timeout (a little longer) can win the race
        // when the runtime was too busy to fire ours first: still a timeout.
        Ok(Err(e)) if started.elapsed() >= HANDSHAKE_TIMEOUT => {
            tracing::debug!(error = ?e, addr, "connect timed out");
            Err(unreachable(HANDSHAKE_TIMED_OUT.to_owned()))
        }
        Ok(Err(e)) => {
            tracing::debug!(error = ?e, addr, "connect failed");
            Err(unreachable(
                Cause::of(std::error::Error::source(&e)).explain(true),
            ))
        }
        Err(_) => Err(unreachable(HANDSHAKE_TIMED_OUT.to_owned())),
    }
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

/// Who may call a server: a verified certificate the county has not revoked.
/// The revocation list (`revoked.json` beside `ca.pem`) is read again
/// whenever the file changes, so a revoked laptop is refused at its next
/// call without restarting the server.
#[derive(Clone, Default)]
pub struct Gate {
    certs_dir: Option<std::path::PathBuf>,
    cache: std::sync::Arc<
        std::sync::Mutex<(Option<std::time::SystemTime>, sanji_pki::RevocationList)>,
    >,
}

impl Gate {
    pub fn new(certs_dir: &std::path::Path) -> Gate {
        Gate {
            certs_dir: Some(certs_dir.to_owned()),
            cache: Default::default(),
        }
    }

    fn revoked(&self, der: &[u8]) -> Result<Option<sanji_pki::Revoked>, Status> {
        let Some(dir) = &self.certs_dir else {
            return Ok(None);
        };
        let path = dir.join(sanji_pki::REVOKED_FILE);
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.0 != modified {
            // A list that cannot be read refuses everyone rather than no one.
            let list = sanji_pki::RevocationList::load(dir)
                .map_err(|e| Status::unavailable(format!("吊销列表无法读取,暂停服务:{e}")))?;
            *cache = (modified, list);
        }
        Ok(cache.1.contains(der).cloned())
    }

    /// The caller's identity, or why it is refused.
    pub fn identity<T>(&self, request: &Request<T>) -> Result<Identity, Status> {
        let identity = peer_identity(request)?;
        let certs = request
            .peer_certs()
            .ok_or_else(|| Status::unauthenticated("未提供客户端证书"))?;
        if let Some(leaf) = certs.first()
            && let Some(revoked) = self.revoked(leaf.as_ref())?
        {
            return Err(Status::permission_denied(format!(
                "证书已被吊销({},{}):{} 不能再同步或查询。本机数据不受影响,可导出后交镇中心处理",
                revoked.reason,
                revoked.revoked_at,
                identity.display_name()
            )));
        }
        Ok(identity)
    }
}
