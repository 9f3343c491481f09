//! The station CLI's side of the station service: finds a running
//! `sanji station serve` through `serve.json` in the data folder and sends it
//! requests with the secret found there.

use std::path::Path;
use std::time::Duration;

use sanji_node::NodeError;
use sanji_node::station_api::{StationReply, StationRequest, WireError};
use sanji_sync::SyncReport;

use crate::station::{PageTicket, Ping, ServeInfo, SyncAsk, UnlockAsk};

/// A running station service, as reached from the same computer.
pub struct StationClient {
    info: ServeInfo,
    http: reqwest::Client,
}

impl StationClient {
    /// The service serving `data_dir`, if one is running there; `None` when
    /// there is none (no `serve.json`, or one left by a service that died).
    pub async fn find(data_dir: &Path) -> Result<Option<StationClient>, NodeError> {
        let Some(info) = ServeInfo::read(data_dir) else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            // Loopback only: a proxy from the environment must not see it.
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| NodeError::Internal(format!("无法建立本机连接:{e}")))?;
        let client = StationClient { info, http };
        match client.ping().await {
            Ok(_) => Ok(Some(client)),
            Err(Unreached) => Ok(None),
        }
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.info.addr
    }

    async fn ping(&self) -> Result<Ping, Unreached> {
        let answer = self
            .http
            .get(self.url("/api/ping"))
            .bearer_auth(&self.info.token)
            .send()
            .await
            .map_err(|_| Unreached)?;
        if !answer.status().is_success() {
            // Someone else's program on that port, or a service of another install.
            return Err(Unreached);
        }
        let bytes = answer.bytes().await.map_err(|_| Unreached)?;
        serde_json::from_slice(&bytes).map_err(|_| Unreached)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.info.addr)
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, NodeError> {
        let body = serde_json::to_vec(body).expect("requests serialise");
        let lost = |e: reqwest::Error| {
            NodeError::Remote(format!(
                "与本站服务(http://{})的连接中断:{e}。若服务已停止,刚才的操作可能未完成,请运行 sanji station status 查看",
                self.info.addr
            ))
        };
        let answer = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.info.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(lost)?;
        let ok = answer.status().is_success();
        let bytes = answer.bytes().await.map_err(lost)?;
        let bad_reply =
            |e: serde_json::Error| NodeError::Internal(format!("本站服务的答复无法读取:{e}"));
        if ok {
            serde_json::from_slice(&bytes).map_err(bad_reply)
        } else {
            let wire: WireError = serde_json::from_slice(&bytes).map_err(bad_reply)?;
            Err(wire.into())
        }
    }

    pub async fn handle(&self, request: &StationRequest) -> Result<StationReply, NodeError> {
        self.post("/api/request", request).await
    }

    pub async fn sync(&self, attempts: u32) -> Result<SyncReport, NodeError> {
        self.post("/api/sync", &SyncAsk { attempts }).await
    }

    /// A one-time address that opens the clerk's pages in a browser,
    /// signed in; good for one use within a minute.
    pub async fn page_url(&self) -> Result<String, NodeError> {
        let ticket: PageTicket = self.post("/api/ticket", &serde_json::json!({})).await?;
        Ok(ticket.url)
    }

    /// Asks the service to stop, and waits (up to half a minute) until it
    /// no longer answers; `false` when it still does.
    pub async fn stop(&self) -> Result<bool, NodeError> {
        let _: serde_json::Value = self.post("/api/stop", &serde_json::json!({})).await?;
        for _ in 0..300 {
            if self.ping().await.is_err() {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(false)
    }

    pub async fn unlock(&self, passphrase: &str) -> Result<(), NodeError> {
        let _: serde_json::Value = self
            .post(
                "/api/unlock",
                &UnlockAsk {
                    passphrase: passphrase.to_owned(),
                },
            )
            .await?;
        Ok(())
    }
}

/// No service answered where `serve.json` says.
struct Unreached;
