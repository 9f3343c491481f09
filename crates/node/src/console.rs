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
