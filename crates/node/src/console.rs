//! The operator console RPC: read views for the people of this node. Only
//! this node's own certificate, or a person certified for this node's code,
//! may ask.

use std::collections::BTreeMap;

use sanji_pki::Identity;
use sanji_proto as proto;
use sanji_store::Store;
use tonic::{Request, Response, Status};

use crate::{NodeError, views};

#[derive(Clone)]
pub struct ConsoleService {
    store: Store,
}

impl ConsoleService {
    pub fn new(store: Store) -> ConsoleService {
        ConsoleService { store }
    }

    pub fn into_server(self) -> proto::console_server::ConsoleServer<ConsoleService> {
        proto::console_server::ConsoleServer::new(self)
    }
}

#[tonic::async_trait]
impl proto::console_server::Console for ConsoleService {
    async fn query(
        &self,
        request: Request<proto::QueryRequest>,
    ) -> Result<Response<proto::QueryReply>, Status> {
        let me = self.store.node();
        let allowed = match sanji_sync::tls::peer_identity(&request)? {
            Identity::Node(code) => code == *me,
            Identity::Person { code, .. } => code == *me,
        };
        if !allowed {
            return Err(Status::permission_denied(format!(
                "只有 {me} 本单位的证书可以查询本节点"
            )));
        }
        let req = request.into_inner();
        let params: BTreeMap<String, String> = req.params.into_iter().collect();
        let store = self.store.clone();
        let view = req.view.clone();
        let json = tokio::task::spawn_blocking(move || views::query(&store, &view, &params))
            .await
            .map_err(|e| Status::internal(e.to_string()))?
            .map_err(|e| match e {
                NodeError::Invalid(f) => Status::invalid_argument(f.to_string()),
                other => Status::internal(other.to_string()),
            })?;
        Ok(Response::new(proto::QueryReply {
            view: req.view,
            json: json.to_string(),
        }))
    }
}

/// Asks a running hub or county for a view, as that node (with its own
/// certificate) — how operators' read commands reach the live server.
pub async fn query_remote(
    config: &crate::NodeConfig,
    view: &str,
    params: BTreeMap<String, String>,
) -> Result<serde_json::Value, NodeError> {
    sanji_sync::tls::install_crypto();
    let listen = config
        .listen
        .as_deref()
        .ok_or_else(|| NodeError::Config("配置中没有 listen 地址,无法找到运行中的服务".into()))?;
    let addr = local_address(listen);
    let certs = sanji_pki::CertFiles::load(&config.certs_dir, &config.cert_name())?;
    let endpoint = tonic::transport::Endpoint::from_shared(format!("https://{addr}"))
        .map_err(|e| NodeError::Config(format!("地址 {addr:?} 无效:{e}")))?
        .tls_config(sanji_sync::tls::client_config(&certs, &config.code))
        .map_err(|e| NodeError::Config(e.to_string()))?
        .connect_timeout(std::time::Duration::from_secs(5));
    let channel = endpoint.connect().await.map_err(|e| {
        NodeError::Serve(format!(
            "连不上本节点的服务 {addr}:{e}。请确认 sanji {} serve 正在运行",
            if config.role == crate::Role::County {
                "county"
            } else {
                "hub"
            }
        ))
    })?;
    let reply = proto::console_client::ConsoleClient::new(channel)
        .max_decoding_message_size(sanji_proto::MAX_MESSAGE_BYTES)
        .query(proto::QueryRequest {
            view: view.to_owned(),
            params: params.into_iter().collect(),
        })
        .await
        .map_err(|s| NodeError::Serve(format!("查询被拒绝({:?}):{}", s.code(), s.message())))?
        .into_inner();
    serde_json::from_str(&reply.json)
        .map_err(|e| NodeError::Serve(format!("服务返回的数据无法解析:{e}")))
}

/// A wildcard listen address is reached on loopback from the same machine.
fn local_address(listen: &str) -> String {
    match listen.rsplit_once(':') {
        Some(("0.0.0.0" | "[::]" | "::", port)) => format!("127.0.0.1:{port}"),
        _ => listen.to_owned(),
    }
}
