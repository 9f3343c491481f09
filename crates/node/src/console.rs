//! The operator console RPC: read views and actions for the people of this
//! node. Reads need this node's own certificate or a person certified for
//! this node's code; actions need a person (or, at the county, the county's
//! own certificate), who becomes the author of what is written.

use std::collections::BTreeMap;
use std::sync::Arc;

use sanji_domain::deadline::DeadlinePolicy;
use sanji_pki::Identity;
use sanji_proto as proto;
use sanji_store::Store;
use sanji_sync::Clock;
use tokio::sync::{Mutex, Notify};
use tonic::{Request, Response, Status};

use crate::ops::{Action, Actor};
use crate::views::ViewContext;
use crate::{NodeError, ops, views};

#[derive(Clone)]
pub struct ConsoleService {
    store: Store,
    policy: DeadlinePolicy,
    clock: Clock,
    /// Case steps are taken one at a time, shared with the deadline tracker:
    /// case numbers are handed out in order, and an automatic urge never
    /// lands on a case an operator has just closed.
    acting: Arc<Mutex<()>>,
    /// Woken after an action, so the hub forwards and derives promptly.
    acted: Arc<Notify>,
    gate: sanji_sync::tls::Gate,
}

impl ConsoleService {
    pub fn new(
        store: Store,
        policy: DeadlinePolicy,
        clock: Clock,
        acting: Arc<Mutex<()>>,
        acted: Arc<Notify>,
    ) -> ConsoleService {
        ConsoleService {
            store,
            policy,
            clock,
            acting,
            acted,
            gate: sanji_sync::tls::Gate::default(),
        }
    }

    /// Refuses the certificates the county revoked.
    pub fn with_gate(mut self, gate: sanji_sync::tls::Gate) -> ConsoleService {
        self.gate = gate;
        self
    }

    pub fn into_server(self) -> proto::console_server::ConsoleServer<ConsoleService> {
        proto::console_server::ConsoleServer::new(self)
    }
}

fn status_of(e: NodeError) -> Status {
    match e {
        NodeError::Invalid(f) => Status::invalid_argument(f.to_string()),
        NodeError::Refused(reason) => Status::failed_precondition(reason),
        NodeError::NotFound(what) => Status::not_found(format!("找不到 {what}")),
        other => Status::internal(other.to_string()),
    }
}

#[tonic::async_trait]
impl proto::console_server::Console for ConsoleService {
    async fn query(
        &self,
        request: Request<proto::QueryRequest>,
    ) -> Result<Response<proto::QueryReply>, Status> {
        let me = self.store.node();
        let allowed = match self.gate.identity(&request)? {
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
        let ctx = ViewContext {
            policy: self.policy,
            now_ms: self.clock.now_ms(),
        };
        let json = tokio::task::spawn_blocking(move || views::query(&store, &view, &params, &ctx))
            .await
            .map_err(|e| Status::internal(e.to_string()))?
            .map_err(status_of)?;
        Ok(Response::new(proto::QueryReply {
            view: req.view,
            json: json.to_string(),
        }))
    }

    async fn act(
        &self,
        request: Request<proto::ActRequest>,
    ) -> Result<Response<proto::ActReply>, Status> {
        let identity = self.gate.identity(&request)?;
        let actor = Actor::from_identity(&identity)
            .map_err(|e| Status::permission_denied(e.to_string()))?;
        if actor.code != *self.store.node() {
            return Err(Status::permission_denied(format!(
                "{} 的证书属于 {},不能在 {} 办理",
                actor.label(),
                actor.code,
                self.store.node()
            )));
        }
        let req = request.into_inner();
        let action = Action::from_wire(&req.action, &req.json)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let _one_at_a_time = self.acting.lock().await;
        let (store, policy, now) = (self.store.clone(), self.policy, self.clock.now_ms());
        let outcome =
            tokio::task::spawn_blocking(move || ops::perform(&store, &actor, action, &policy, now))
                .await
                .map_err(|e| Status::internal(e.to_string()))?
                .map_err(status_of)?;
        self.acted.notify_one();
        let json = serde_json::to_string(&outcome).expect("outcomes serialise");
        Ok(Response::new(proto::ActReply { json }))
    }
}

/// A console connection to a running hub or county, as this node or as a
/// person whose certificate stem (in the node's certificate folder) is given.
async fn console_client(
    config: &crate::NodeConfig,
    person: Option<&str>,
) -> Result<proto::console_client::ConsoleClient<tonic::transport::Channel>, NodeError> {
    sanji_sync::tls::install_crypto();
    let listen = config
        .listen
        .as_deref()
        .ok_or_else(|| NodeError::Config("配置中没有 listen 地址,无法找到运行中的服务".into()))?;
    let addr = local_address(listen);
    let certs =
        sanji_pki::CertFiles::load(&config.certs_dir, person.unwrap_or(&config.cert_name()))?;
    let endpoint = sanji_sync::tls::endpoint(&addr, &certs, &config.code)?;
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
    Ok(proto::console_client::ConsoleClient::new(channel)
        .max_decoding_message_size(sanji_proto::MAX_MESSAGE_BYTES))
}

fn remote_error(s: Status) -> NodeError {
    match s.code() {
        tonic::Code::FailedPrecondition => NodeError::Refused(s.message().to_owned()),
        tonic::Code::InvalidArgument => {
            NodeError::Invalid(sanji_domain::FieldError::new("", s.message()))
        }
        _ => NodeError::Serve(format!("被拒绝({:?}):{}", s.code(), s.message())),
    }
}

/// Asks a running hub or county for a view — how operators' read commands
/// reach the live server.
pub async fn query_remote(
    config: &crate::NodeConfig,
    view: &str,
    params: BTreeMap<String, String>,
) -> Result<serde_json::Value, NodeError> {
    let reply = console_client(config, None)
        .await?
        .query(proto::QueryRequest {
            view: view.to_owned(),
            params: params.into_iter().collect(),
        })
        .await
        .map_err(remote_error)?
        .into_inner();
    serde_json::from_str(&reply.json)
        .map_err(|e| NodeError::Serve(format!("服务返回的数据无法解析:{e}")))
}

/// Takes an action on a running hub or county as the person `person`
/// (a certificate stem in the node's certificate folder).
pub async fn act_remote(
    config: &crate::NodeConfig,
    person: Option<&str>,
    action: &Action,
) -> Result<ops::ActOutcome, NodeError> {
    let (name, json) = action.to_wire();
    let reply = console_client(config, person)
        .await?
        .act(proto::ActRequest { action: name, json })
        .await
        .map_err(remote_error)?
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
