//! The operator console RPC: read views and actions for the people of this
//! node. Reads need this node's own certificate or a person certified for
//! this node's code; actions need a person (or, at the county, the county's
//! own certificate), who becomes the author of what is written.

use std::collections::BTreeMap;

use sanji_proto as proto;
use tonic::{Request, Response, Status};

use crate::ops::{Action, Actor, Admin, Operations, Query, WireAction};
use crate::{NodeError, ops};
use sanji_pki::Identity;

#[derive(Clone)]
pub struct ConsoleService {
    operations: Operations,
    gate: sanji_sync::tls::Gate,
}

/// Carries a step's typed refusal (its reason, the case's status, the steps
/// allowed now) to the CLI, beside the status's sentence.
const REFUSAL_KEY: &str = "sanji-refusal-bin";
/// Carries a bad field's path and rule, so the CLI names the flag typed.
const FIELD_KEY: &str = "sanji-field-bin";

impl ConsoleService {
    pub fn new(operations: Operations) -> ConsoleService {
        ConsoleService {
            operations,
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
        NodeError::Invalid(f) => {
            let mut status = Status::invalid_argument(f.to_string());
            let pair = serde_json::to_vec(&(&f.field, &f.rule)).expect("fields serialise");
            status
                .metadata_mut()
                .insert_bin(FIELD_KEY, tonic::metadata::MetadataValue::from_bytes(&pair));
            status
        }
        NodeError::StepRefused(refusal) => {
            let mut status = Status::failed_precondition(refusal.to_string());
            let json = serde_json::to_vec(&refusal).expect("refusals serialise");
            status.metadata_mut().insert_bin(
                REFUSAL_KEY,
                tonic::metadata::MetadataValue::from_bytes(&json),
            );
            status
        }
        NodeError::Refused(reason) => Status::failed_precondition(reason),
        NodeError::Forbidden(reason) => Status::permission_denied(reason),
        NodeError::NotFound(what) => Status::not_found(format!("找不到 {what}")),
        other => Status::internal(other.to_string()),
    }
}

/// Every status the console returns is tagged as this node's own answer
/// (`sanji_sync::STATUS_TAG`), so a client tells a refusal from a transport
/// failure without reading message text.
#[tonic::async_trait]
impl proto::console_server::Console for ConsoleService {
    async fn query(
        &self,
        request: Request<proto::QueryRequest>,
    ) -> Result<Response<proto::QueryReply>, Status> {
        self.answer_query(request)
            .await
            .map_err(sanji_sync::error::tagged)
    }

    async fn act(
        &self,
        request: Request<proto::ActRequest>,
    ) -> Result<Response<proto::ActReply>, Status> {
        self.answer_act(request)
            .await
            .map_err(sanji_sync::error::tagged)
    }
}

impl ConsoleService {
    async fn answer_query(
        &self,
        request: Request<proto::QueryRequest>,
    ) -> Result<Response<proto::QueryReply>, Status> {
        let identity = self.gate.identity(&request)?;
        ops::reads_here(&identity, self.operations.node()).map_err(status_of)?;
        let req = request.into_inner();
        let query = query_from_wire(&req.view, req.params)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let json = self.operations.query(query).await.map_err(status_of)?;
        Ok(Response::new(proto::QueryReply {
            view: req.view,
            json: json.to_string(),
        }))
    }

    async fn answer_act(
        &self,
        request: Request<proto::ActRequest>,
    ) -> Result<Response<proto::ActReply>, Status> {
        let identity = self.gate.identity(&request)?;
        let req = request.into_inner();
        // Whoever holds this node's own key (the administrator, on the
        // server) manages accounts; every other action names a person.
        if identity == Identity::Node(self.operations.node().clone())
            && let Ok(admin) = Admin::from_wire(&req.action, &req.json)
        {
            return act_reply(self.operations.admin(admin, "管理员(本节点证书)").await);
        }
        let actor = Actor::from_identity(&identity)
            .map_err(|e| Status::permission_denied(e.to_string()))?;
        let ops = &self.operations;
        match req.action.as_str() {
            IMPORT_ACTION => act_reply(
                ops.import(&actor, act_request(&req.json, "导入请求")?)
                    .await,
            ),
            TAKE_IN_FILE_ACTION => act_reply(
                ops.take_in_file(&actor, act_request(&req.json, "上传的文件")?)
                    .await,
            ),
            _ => {
                let action = Action::from_wire(&req.action, &req.json)
                    .map_err(|e| Status::invalid_argument(e.to_string()))?;
                act_reply(ops.act(&actor, action).await)
            }
        }
    }
}

/// The parameters of an action the operator layer takes apart from `Action`.
fn act_request<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, Status> {
    serde_json::from_str(json).map_err(|e| Status::invalid_argument(format!("{what}无法识别:{e}")))
}

/// What an action did, as the console RPC answers it.
fn act_reply<T: serde::Serialize>(
    done: Result<T, NodeError>,
) -> Result<Response<proto::ActReply>, Status> {
    let json = serde_json::to_string(&done.map_err(status_of)?).expect("outcomes serialise");
    Ok(Response::new(proto::ActReply { json }))
}

/// A view named on the wire with its parameters, as the typed query.
fn query_from_wire(
    view: &str,
    params: impl IntoIterator<Item = (String, String)>,
) -> Result<Query, sanji_domain::FieldError> {
    let mut object = serde_json::Map::new();
    for (key, text) in params {
        let value = match key.strip_suffix(JSON_PARAM) {
            Some(name) => {
                let value = serde_json::from_str(&text).map_err(|e| {
                    sanji_domain::FieldError::new(name, format!("查询参数无法解析:{e}"))
                })?;
                object.insert(name.to_owned(), value);
                continue;
            }
            None => serde_json::Value::String(text),
        };
        object.insert(key, value);
    }
    object.insert("view".into(), view.into());
    serde_path_to_error::deserialize(serde_json::Value::Object(object)).map_err(|e| {
        let path = e.path().to_string();
        sanji_domain::FieldError::new(
            if path == "." { "view".to_owned() } else { path },
            format!("查询无法识别:{}", e.inner()),
        )
    })
}

/// The console RPC's parameters are text: a parameter that is not (a
/// year, a search's filters) travels as its JSON under its name with this
/// suffix, so that text which merely looks like a number (a case number
/// `0007`, `7`) is never taken for one.
const JSON_PARAM: &str = ":json";

fn query_to_wire(query: &Query) -> (String, BTreeMap<String, String>) {
    let value = serde_json::to_value(query).expect("queries serialise");
    let mut view = String::new();
    let mut params = BTreeMap::new();
    for (key, value) in value.as_object().into_iter().flatten() {
        match (key.as_str(), value) {
            ("view", serde_json::Value::String(v)) => view = v.clone(),
            (_, serde_json::Value::String(v)) => {
                params.insert(key.clone(), v.clone());
            }
            (_, serde_json::Value::Null) => {}
            (_, other) => {
                params.insert(format!("{key}{JSON_PARAM}"), other.to_string());
            }
        }
    }
    (view, params)
}

/// A console connection to a running hub or county, as this node or as the
/// person whose opened certificate set is given.
async fn console_client(
    config: &crate::NodeConfig,
    person: Option<&sanji_pki::CertFiles>,
) -> Result<proto::console_client::ConsoleClient<tonic::transport::Channel>, NodeError> {
    sanji_sync::tls::install_crypto();
    let listen = config
        .listen
        .as_deref()
        .ok_or_else(|| NodeError::Config("配置中没有 listen 地址,无法找到运行中的服务".into()))?;
    let addr = local_address(listen);
    let node_certs;
    let certs = match person {
        Some(certs) => certs,
        None => {
            node_certs = sanji_pki::CertFiles::load(&config.certs_dir, &config.cert_name())?;
            &node_certs
        }
    };
    let endpoint = sanji_sync::tls::endpoint(&addr, certs, &config.code)?;
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
    if !sanji_sync::error::from_a_parent(&s) {
        // Not this node's answer: the connection itself failed (TLS refused,
        // the service stopped mid-call).
        return NodeError::Serve(format!(
            "与本节点服务的连接中断({:?}):{}。请确认服务仍在运行,再试一次",
            s.code(),
            s.message()
        ));
    }
    if let Some(refusal) = s
        .metadata()
        .get_bin(REFUSAL_KEY)
        .and_then(|v| v.to_bytes().ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        return NodeError::StepRefused(refusal);
    }
    match s.code() {
        tonic::Code::FailedPrecondition => NodeError::Refused(s.message().to_owned()),
        tonic::Code::PermissionDenied => NodeError::Forbidden(s.message().to_owned()),
        tonic::Code::InvalidArgument => {
            let (field, rule): (String, String) = s
                .metadata()
                .get_bin(FIELD_KEY)
                .and_then(|v| v.to_bytes().ok())
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_else(|| (String::new(), s.message().to_owned()));
            NodeError::Invalid(sanji_domain::FieldError::new(field, rule))
        }
        _ => NodeError::Serve(format!("被拒绝({:?}):{}", s.code(), s.message())),
    }
}

/// An administrator's action on a running hub or county, under the node's
/// own certificate.
pub async fn admin_remote(
    config: &crate::NodeConfig,
    admin: &Admin,
) -> Result<ops::AdminOutcome, NodeError> {
    act_on_wire(config, None, admin).await
}

/// Sends one action of the console RPC and reads its JSON answer.
async fn act_on_wire<A: WireAction, T: serde::de::DeserializeOwned>(
    config: &crate::NodeConfig,
    person: Option<&sanji_pki::CertFiles>,
    action: &A,
) -> Result<T, NodeError> {
    let (name, json) = action.to_wire();
    send_act(config, person, name, json).await
}

async fn send_act<T: serde::de::DeserializeOwned>(
    config: &crate::NodeConfig,
    person: Option<&sanji_pki::CertFiles>,
    action: String,
    json: String,
) -> Result<T, NodeError> {
    let reply = console_client(config, person)
        .await?
        .act(proto::ActRequest { action, json })
        .await
        .map_err(remote_error)?
        .into_inner();
    parse_reply(&reply.json)
}

fn parse_reply<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, NodeError> {
    serde_json::from_str(json).map_err(|e| NodeError::Serve(format!("服务返回的数据无法解析:{e}")))
}

/// Asks a running hub or county for a view — how operators' read commands
/// reach the live server.
pub async fn query_remote(
    config: &crate::NodeConfig,
    query: &Query,
) -> Result<serde_json::Value, NodeError> {
    let (view, params) = query_to_wire(query);
    let reply = console_client(config, None)
        .await?
        .query(proto::QueryRequest {
            view,
            params: params.into_iter().collect(),
        })
        .await
        .map_err(remote_error)?
        .into_inner();
    parse_reply(&reply.json)
}

/// Takes an action on a running hub or county as the person whose
/// certificate set `person` is (opened with their passphrase,
/// [`sanji_pki::CertFiles::load_person`]), or as the node itself.
pub async fn act_remote(
    config: &crate::NodeConfig,
    person: Option<&sanji_pki::CertFiles>,
    action: &Action,
) -> Result<ops::ActOutcome, NodeError> {
    act_on_wire(config, person, action).await
}

/// The console RPC's action name for an import (`Operations::import`).
const IMPORT_ACTION: &str = "import";

/// Imports an old ledger into a running hub as the person `person`.
pub async fn import_remote(
    config: &crate::NodeConfig,
    person: Option<&sanji_pki::CertFiles>,
    request: &crate::import::ImportRequest,
) -> Result<crate::import::ImportReport, NodeError> {
    let json = serde_json::to_string(request).expect("requests serialise");
    send_act(config, person, IMPORT_ACTION.to_owned(), json).await
}

/// The console RPC's action name for a file on its way to a case.
const TAKE_IN_FILE_ACTION: &str = "take_in_file";

/// Sends a file to a running hub as the person `person`, ready for the step
/// 上传附件 to name it.
pub async fn take_in_file_remote(
    config: &crate::NodeConfig,
    person: Option<&sanji_pki::CertFiles>,
    upload: &crate::attachments::FileUpload,
) -> Result<sanji_domain::attachment::FileRef, NodeError> {
    let json = serde_json::to_string(upload).expect("uploads serialise");
    send_act(config, person, TAKE_IN_FILE_ACTION.to_owned(), json).await
}

/// A wildcard listen address is reached on loopback from the same machine.
fn local_address(listen: &str) -> String {
    match listen.rsplit_once(':') {
        Some(("0.0.0.0" | "[::]" | "::", port)) => format!("127.0.0.1:{port}"),
        _ => listen.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every query reaches the server as it was asked: numbers and a
    /// search's filters too, and text that looks like a number stays text.
    #[test]
    fn queries_cross_the_wire_unchanged() {
        let filter = crate::views::CaseFilter {
            party: Some("周大山".into()),
            status: Some(sanji_domain::case::CaseStatus::Accepted),
            offset: 20,
            limit: Some(10),
            ..Default::default()
        };
        for query in [
            Query::Register { year: 2026 },
            Query::Notices {
                year: 2025,
                book: "交办".into(),
            },
            Query::CaseSearch { filter },
            Query::Case { case: "7".into() },
            Query::Case {
                case: "0007".into(),
            },
            Query::Screenings { village: None },
        ] {
            let (view, params) = query_to_wire(&query);
            assert_eq!(query_from_wire(&view, params), Ok(query));
        }
        let broken = query_from_wire("register", [("year:json".to_owned(), "twenty".to_owned())])
            .unwrap_err();
        assert_eq!(broken.field, "year");
    }
}
