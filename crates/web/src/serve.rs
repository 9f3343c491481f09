//! Serving the console: HTTPS with the node's own certificate (issued by the
//! county CA for the names the township's PCs use), or plain HTTP on a
//! loopback address only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::connect_info::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use sanji_pki::CertFiles;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::Console;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("网页工作台无法在 {addr} 监听:{source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(
        "网页工作台的地址 {0} 不是本机回环地址:只有 127.0.0.1 / ::1 上可以不加密(HTTP),其他地址须用本节点证书以 HTTPS 提供"
    )]
    PlainOffLoopback(String),
    #[error("网页工作台的证书无法使用:{0}")]
    Tls(String),
    #[error(
        "本节点证书不含网页工作台的地址 {missing}(证书只含:{has})。请在县级 CA 上重新签发本节点证书,并加上这些名称或 IP"
    )]
    NameNotInCertificate { missing: String, has: String },
}

/// A console being served.
pub struct RunningConsole {
    pub addr: SocketAddr,
    /// What a person types into the browser.
    pub url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningConsole {
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Starts the console a running hub or county's configuration asks for
/// (`console_addr`), if any.
pub async fn start_for(
    node: &sanji_node::server::RunningNode,
) -> Result<Option<RunningConsole>, WebError> {
    let config = &node.config;
    let Some(addr) = config.console_addr.as_deref() else {
        return Ok(None);
    };
    let console = Console::new(node.operations.clone(), !config.console_plain_http);
    if config.console_plain_http {
        return start(console, addr, None).await.map(Some);
    }
    let certs = CertFiles::load(&config.certs_dir, &config.cert_name())
        .map_err(|e| WebError::Tls(e.to_string()))?;
    start(console, addr, Some((&certs, &config.console_names)))
        .await
        .map(Some)
}

/// How the console is reached: over HTTPS under the node's certificate for
/// `names` (the host names and addresses township PCs use), or over plain
/// HTTP (`certs: None`), which only a loopback address may serve.
pub async fn start(
    console: Console,
    addr: &str,
    certs: Option<(&CertFiles, &[String])>,
) -> Result<RunningConsole, WebError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| WebError::Bind {
        addr: addr.to_owned(),
        source,
    })?;
    let tls = match certs {
        Some((certs, names)) => Some(tls_config(certs, names)?),
        None if local.ip().is_loopback() => None,
        None => return Err(WebError::PlainOffLoopback(addr.to_owned())),
    };
    let url = match (&tls, certs) {
        (Some(_), Some((_, names))) if !names.is_empty() => {
            format!("https://{}:{}/", names[0], local.port())
        }
        (Some(_), _) => format!("https://localhost:{}/", local.port()),
        (None, _) => format!("http://{local}/"),
    };
    let acceptor = tls.map(|c| tokio_rustls::TlsAcceptor::from(Arc::new(c)));
    let (shutdown, task) = serve_router(listener, console.router(), acceptor);
    tracing::info!(%url, "网页工作台已启动");
    Ok(RunningConsole {
        addr: local,
        url,
        shutdown: Some(shutdown),
        task,
    })
}

/// Accepts connections on `listener` and serves `router` on each (over TLS
/// when `acceptor` is given), until the returned sender is used or dropped.
/// The console and the village station's local service both serve this way.
pub(crate) fn serve_router(
    listener: TcpListener,
    router: axum::Router,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let (tx, mut rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                _ = &mut rx => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "网页服务接受连接失败");
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let service = router
                .clone()
                .layer(axum::Extension(ConnectInfo(peer)))
                .map_request(|r: hyper::Request<hyper::body::Incoming>| {
                    r.map(axum::body::Body::new)
                });
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let service = hyper_util::service::TowerToHyperService::new(service);
                let builder = auto::Builder::new(TokioExecutor::new());
                let served = match acceptor {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls) => builder.serve_connection(TokioIo::new(tls), service).await,
                        Err(e) => {
                            tracing::debug!(%peer, error = %e, "网页服务 TLS 握手失败");
                            return;
                        }
                    },
                    None => {
                        builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    }
                };
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "网页服务连接中断");
                }
            });
        }
    });
    (tx, task)
}

fn tls_config(certs: &CertFiles, names: &[String]) -> Result<rustls::ServerConfig, WebError> {
    let has = certs
        .server_names()
        .map_err(|e| WebError::Tls(e.to_string()))?;
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !has.contains(n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(WebError::NameNotInCertificate {
            missing: missing.join("、"),
            has: has.join("、"),
        });
    }
    let chain = rustls_pemfile::certs(&mut certs.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| WebError::Tls(e.to_string()))?;
    let key = rustls_pemfile::private_key(&mut certs.key_pem.as_bytes())
        .map_err(|e| WebError::Tls(e.to_string()))?
        .ok_or_else(|| WebError::Tls("私钥文件中没有私钥".into()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| WebError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| WebError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
