//! Running a hub or the county: replication, the console, gRPC health and
//! reflection on one mTLS port; for a hub, the forwarder to the county too.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sanji_pki::CertFiles;
use sanji_store::Store;
use sanji_sync::{Clock, ReplicationService, Upstream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tracing::info;

use crate::NodeError;
use crate::config::{NodeConfig, Role};
use crate::connections::Connections;
use crate::console::ConsoleService;
use crate::forward::Forwarder;
use crate::ops::Operations;

/// How often a hub re-derives and re-forwards even when nothing wakes it.
pub const FORWARD_PERIOD: Duration = Duration::from_secs(30);

/// Binds `addr` with TCP_NODELAY (tonic ignores `Server::tcp_nodelay` with an
/// incoming stream, and without it every batch waits ~20 ms on Nagle).
pub fn bind(addr: &str) -> Result<TcpIncoming, NodeError> {
    let sock: SocketAddr = addr
        .parse()
        .map_err(|e| NodeError::Config(format!("监听地址 {addr:?} 无效:{e}")))?;
    TcpIncoming::bind(sock)
        .map(|i| i.with_nodelay(Some(true)))
        .map_err(|e| NodeError::Serve(format!("无法监听 {addr}:{e}")))
}

pub fn open_store(config: &NodeConfig) -> Result<Store, NodeError> {
    Ok(Store::open(
        &config.data_dir,
        &config.code,
        config.store_options()?,
    )?)
}

/// A hub or county serving in this process.
pub struct RunningNode {
    pub config: NodeConfig,
    pub addr: SocketAddr,
    pub store: Store,
    /// The operator layer over this node's store: what consoles call.
    pub operations: Operations,
    /// The hub's forwarder to the county; `None` on the county.
    pub forwarder: Option<Arc<Forwarder>>,
    /// The connections open now (see `limits.max_connections`).
    pub connections: Connections,
    stop_forwarder: Arc<Notify>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), NodeError>>,
    forward_task: Option<JoinHandle<()>>,
}

impl RunningNode {
    /// Stops serving, waits for in-flight work, and closes the store.
    pub async fn stop(mut self) -> Result<(), NodeError> {
        self.stop_forwarder.notify_one();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(f) = self.forward_task.take() {
            let _ = f.await;
        }
        (&mut self.task)
            .await
            .map_err(|e| NodeError::Serve(e.to_string()))?
    }

    /// Resolves when the server ends by itself (an error) — for `serve` commands.
    pub async fn wait(&mut self) -> Result<(), NodeError> {
        (&mut self.task)
            .await
            .map_err(|e| NodeError::Serve(e.to_string()))?
    }
}

/// Opens the store and starts serving `config` on `listen`.
pub async fn start(config: NodeConfig, listen: &str) -> Result<RunningNode, NodeError> {
    if config.role == Role::Station {
        return Err(NodeError::Config(
            "村工作站不提供服务;请用 sanji station sync 同步".into(),
        ));
    }
    let store = open_store(&config)?;
    start_with(config, store, bind(listen)?).await
}

/// Starts serving with a store and listener the caller prepared.
pub async fn start_with(
    config: NodeConfig,
    store: Store,
    incoming: TcpIncoming,
) -> Result<RunningNode, NodeError> {
    sanji_sync::tls::install_crypto();
    let addr = incoming
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?;
    let certs = CertFiles::load(&config.certs_dir, &config.cert_name())?;
    let clock = Clock::skewed(config.clock_offset_ms);
    let gate = sanji_sync::tls::Gate::new(&config.certs_dir);
    let replication = ReplicationService::new(store.clone(), clock)
        .with_gate(gate.clone())
        .with_limits(sanji_sync::Limits {
            streams_per_peer: config.limits.streams_per_peer.max(1),
            idle: Duration::from_millis(config.limits.idle_timeout_ms.max(1)),
        });
    let woken = replication.pushed();
    let operations = Operations::new(store.clone(), config.policy, clock).waking(woken);

    let stop_forwarder = Arc::new(Notify::new());
    let (forwarder, forward_task) = if config.role == Role::Hub {
        let upstream = match (&config.parent_addr, config.parent()) {
            (Some(addr), Some(parent)) => Some(Upstream {
                addr: addr.clone(),
                parent,
                certs: certs.clone(),
                clock,
            }),
            _ => None,
        };
        let forwarder = Arc::new(Forwarder::new(
            store.clone(),
            upstream,
            clock,
            config.policy,
            operations.clone(),
        ));
        let task = tokio::spawn(forwarder.clone().run(
            replication.pushed(),
            stop_forwarder.clone(),
            FORWARD_PERIOD,
        ));
        (Some(forwarder), Some(task))
    } else {
        (None, None)
    };

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<sanji_proto::replication_server::ReplicationServer<ReplicationService>>()
        .await;
    health
        .set_serving::<sanji_proto::console_server::ConsoleServer<ConsoleService>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(sanji_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| NodeError::Serve(e.to_string()))?;

    let limits = config.limits;
    let connections = Connections::new(
        limits.max_connections,
        Duration::from_millis(limits.connection_idle_timeout_ms.max(1)),
    );
    let tls = sanji_sync::tls::server_config(&certs)
        .timeout(Duration::from_millis(limits.handshake_timeout_ms.max(1)));
    let router = Server::builder()
        .tls_config(tls)
        .map_err(|e| NodeError::Serve(format!("证书无法用于 TLS:{e}")))?
        .initial_stream_window_size(sanji_sync::server::SERVER_WINDOW_BYTES)
        .initial_connection_window_size(sanji_sync::server::SERVER_WINDOW_BYTES)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        .layer(connections.layer())
        .add_service(health_service)
        .add_service(reflection)
        .add_service(replication.into_server())
        .add_service(
            ConsoleService::new(operations.clone())
                .with_gate(gate)
                .into_server(),
        );
    let (tx, rx) = oneshot::channel::<()>();
    let code = config.code.clone();
    let incoming = connections.incoming(incoming);
    info!(node = %code, role = ?config.role, %addr, "serving");
    let task = tokio::spawn(async move {
        let result = router
            .serve_with_incoming_shutdown(incoming, async {
                let _ = rx.await;
            })
            .await
            .map_err(|e| NodeError::Serve(e.to_string()));
        info!(node = %code, "stopped");
        result
    });
    Ok(RunningNode {
        config,
        addr,
        store,
        operations,
        forwarder,
        connections,
        stop_forwarder,
        shutdown: Some(tx),
        task,
        forward_task,
    })
}
