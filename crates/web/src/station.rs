//! The village station as one serving process (`sanji station serve`): it
//! alone holds the station's data folder, syncs with the hub in the
//! background, and answers the station's CLI (and, later, the clerk's pages)
//! over plain HTTP on a loopback address.
//!
//! Who may drive it: only a program that can read the per-install secret in
//! the data folder (`serve.json`, owner-only), sent as `Authorization:
//! Bearer`; and only with a loopback `Host` (a web page that rebinds a name
//! of its own to 127.0.0.1 says that name) and no `Origin` but our own (a
//! page in the clerk's browser posting here says where it comes from). Every
//! request passes these checks before anything is read from its body.
//!
//! A store sealed with a passphrase the environment does not give waits,
//! served but locked, until someone unlocks it (`POST /api/unlock`: today
//! `sanji station unlock`, later the page's prompt).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sanji_node::station_api::{StationReply, StationRequest, WireError};
use sanji_node::{NodeConfig, NodeError, Station};
use sanji_sync::{Backoff, SyncReport};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, RwLock, watch};

/// Where the station service listens when the configuration names nothing.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7181";

/// What the clerk's shortcuts to the pages are called (Start menu, desktop),
/// and so what the pages tell a clerk to click.
pub const SHORTCUT_NAME: &str = "综治信访维稳村工作站";
/// The file in the data folder that tells local programs where the service
/// is and the secret it wants.
pub const SERVE_FILE: &str = "serve.json";
/// Held locked by the serving process for as long as it runs.
const LOCK_FILE: &str = "serve.lock";
/// How often a station that is in sync looks for news from the hub.
const SYNC_EVERY: Duration = Duration::from_secs(60);
/// Retries of a hub that cannot be reached, doubling up to five minutes.
const RETRY: Backoff = Backoff {
    initial: Duration::from_secs(2),
    max: Duration::from_secs(300),
};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "本站服务只能在本机回环地址上提供(如 {DEFAULT_ADDR}),{0} 不是:别的电脑不应能操作本站。请改用 127.0.0.1 上的端口"
    )]
    NotLoopback(String),
    #[error("本站服务的地址 {0} 格式不对,应为 IP:端口,如 {DEFAULT_ADDR}")]
    BadAddr(String),
    #[error(
        "数据目录 {} 的本站服务已在运行(sanji station serve{}):无需再启动,登记、查看、同步的命令会自动交给它。要重新启动,请先运行 sanji station stop 停止它(或在它的窗口按 Ctrl-C)",
        folder.display(),
        running.as_deref().map(|a| format!(",http://{a}/")).unwrap_or_default()
    )]
    AlreadyServing {
        folder: PathBuf,
        running: Option<String>,
    },
    #[error(
        "本站服务无法在 {addr} 监听:{source}。该端口可能已被别的程序占用,请在配置中换一个 listen 端口"
    )]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// What `serve.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServeInfo {
    pub addr: SocketAddr,
    pub token: String,
    pub pid: u32,
}

impl ServeInfo {
    pub fn read(data_dir: &Path) -> Option<ServeInfo> {
        let text = std::fs::read(data_dir.join(SERVE_FILE)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Written whole (a temporary file renamed into place) and readable by
    /// its owner only: the token is what lets a program drive the station.
    fn write(&self, data_dir: &Path) -> Result<(), NodeError> {
        use std::io::Write;
        let path = data_dir.join(SERVE_FILE);
        let temp = path.with_extension("partial");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            options.mode(0o600);
            // A leftover temporary file keeps its old mode otherwise.
            let _ = std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600));
        }
        let bytes = serde_json::to_vec(self).expect("serve info serialises");
        let mut file = options.open(&temp).map_err(|e| NodeError::io(&temp, e))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| NodeError::io(&temp, e))?;
        drop(file);
        std::fs::rename(&temp, &path).map_err(|e| NodeError::io(&path, e))
    }
}

/// Parses a listen address and refuses one off loopback.
pub fn loopback_addr(text: &str) -> Result<SocketAddr, ServeError> {
    let text = text.trim();
    let addr: SocketAddr = match text.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}").parse(),
        None => text.parse(),
    }
    .map_err(|_| ServeError::BadAddr(text.to_owned()))?;
    if !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(text.to_owned()));
    }
    Ok(addr)
}

/// The station being served: open, or waiting for its passphrase.
#[derive(Clone)]
pub struct StationHost {
    inner: Arc<HostInner>,
}

struct HostInner {
    config: NodeConfig,
    token: String,
    port: u16,
    station: RwLock<Option<Arc<Station>>>,
    /// One sync round at a time, whoever asks.
    syncing: tokio::sync::Mutex<()>,
    /// Rounds asked for and not yet over (running, or waiting for the one
    /// that runs): the page shows a sync under way while this is above 0.
    rounds: std::sync::atomic::AtomicU32,
    /// Told each time the last round under way ends.
    rounds_ended: Notify,
    /// Asks the background sync to run now (a record was made, it was unlocked).
    wake: Notify,
    stopping: watch::Receiver<bool>,
    /// A local program (`sanji station stop`, the uninstaller) asked the
    /// service to end.
    asked_to_stop: Notify,
    browsers: crate::station_pages::BrowserSessions,
}

impl StationHost {
    pub fn config(&self) -> &NodeConfig {
        &self.inner.config
    }

    /// The open station, or the sentence that says it waits for its passphrase.
    pub async fn station(&self) -> Result<Arc<Station>, NodeError> {
        self.inner.station.read().await.clone().ok_or_else(locked)
    }

    /// Returns once a local program has asked the service to stop
    /// (`POST /api/stop`); whoever runs the service then stops it.
    pub async fn stop_asked(&self) {
        self.inner.asked_to_stop.notified().await;
    }

    /// The clerk's browsers and their tickets.
    pub(crate) fn browsers(&self) -> &crate::station_pages::BrowserSessions {
        &self.inner.browsers
    }

    /// Today at the station, China Standard Time.
    pub fn today(&self) -> chrono::NaiveDate {
        sanji_domain::time::cst_date(crate::station_pages::wall_clock_ms())
    }

    pub async fn is_locked(&self) -> bool {
        self.inner.station.read().await.is_none()
    }

    /// Answers one request through the station's own [`Station::handle`].
    pub async fn handle(&self, request: StationRequest) -> Result<StationReply, NodeError> {
        let station = self.station().await?;
        let writes = !matches!(
            request,
            StationRequest::Status
                | StationRequest::List { .. }
                | StationRequest::ShowCase { .. }
                | StationRequest::GetFile { .. }
        );
        let reply = tokio::task::spawn_blocking(move || station.handle(request))
            .await
            .map_err(|e| NodeError::Internal(format!("登记时内部任务失败:{e}")))??;
        if writes {
            self.inner.wake.notify_one();
        }
        Ok(reply)
    }

    /// One sync round now, after any round already under way; stopped (and
    /// recorded as interrupted) if the service is stopped meanwhile.
    pub async fn sync(&self, attempts: u32) -> Result<SyncReport, NodeError> {
        let _counted = RoundUnderWay::new(&self.inner);
        self.round(attempts).await
    }

    async fn round(&self, attempts: u32) -> Result<SyncReport, NodeError> {
        let station = self.station().await?;
        let _one_round_at_a_time = self.inner.syncing.lock().await;
        let mut stopping = self.inner.stopping.clone();
        let stopped = async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        station.sync_unless(attempts, stopped).await
    }

    /// Returns once no round runs or waits to run (at once if none does),
    /// without asking for one.
    pub async fn rounds_over(&self) {
        loop {
            let ended = self.inner.rounds_ended.notified();
            tokio::pin!(ended);
            // Listening before looking, so an end between the two is heard.
            ended.as_mut().enable();
            if !self.is_syncing() {
                return;
            }
            ended.await;
        }
    }

    /// Whether a sync round runs now or has been asked for.
    pub fn is_syncing(&self) -> bool {
        self.inner.rounds.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    /// Starts a round in the background (the clerk's 立即同步): counted as
    /// under way before this returns, so the page shown next says so.
    pub fn start_sync(&self) {
        let counted = RoundUnderWay::new(&self.inner);
        let host = self.clone();
        tokio::spawn(async move {
            let _counted = counted;
            if let Err(e) = host.round(3).await {
                tracing::warn!(error = %e, "网页上发起的同步未成功");
            }
        });
    }

    /// Opens the sealed store with `passphrase`; a wrong one leaves it locked.
    pub async fn unlock(&self, passphrase: &str) -> Result<(), NodeError> {
        let mut slot = self.inner.station.write().await;
        if slot.is_some() {
            return Ok(());
        }
        let (config, passphrase) = (self.inner.config.clone(), passphrase.to_owned());
        let station =
            tokio::task::spawn_blocking(move || Station::open_with_passphrase(config, &passphrase))
                .await
                .map_err(|e| NodeError::Internal(format!("解锁时内部任务失败:{e}")))??;
        *slot = Some(Arc::new(station));
        tracing::info!(folder = %self.inner.config.data_dir.display(), "本站数据已解锁");
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Syncs whenever the hub can be reached: at once, then every minute
    /// (or as soon as a record is made), retrying a failure with a growing
    /// pause, until the service stops.
    async fn keep_in_sync(self) {
        let mut stopping = self.inner.stopping.clone();
        let mut failures = 0u32;
        loop {
            let pause = if self.is_locked().await {
                Duration::MAX
            } else {
                match self.sync(1).await {
                    Ok(report) => {
                        failures = 0;
                        tracing::info!(
                            sent = report.push.sent,
                            acked = report.push.acked,
                            received = report.pull.stored,
                            "后台同步完成"
                        );
                        if report.all_acked() {
                            SYNC_EVERY
                        } else {
                            RETRY.delay(0)
                        }
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let pause = RETRY.delay(failures - 1);
                        tracing::warn!(error = %e, retry_in_secs = pause.as_secs(), "后台同步未成功,稍后重试");
                        pause
                    }
                }
            };
            if *stopping.borrow() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(pause.min(Duration::from_secs(86_400))) => {}
                () = self.inner.wake.notified() => {}
                _ = stopping.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Every route of the station service: the API for local programs
    /// behind the secret, the clerk's pages behind a ticket's session, and
    /// all of it behind the Host and Origin checks.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/api/ping", get(ping))
            .route("/api/request", post(request))
            .route("/api/sync", post(sync))
            .route("/api/unlock", post(unlock))
            .route("/api/ticket", post(ticket))
            .route("/api/stop", post(stop))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                needs_secret,
            ));
        api.merge(crate::station_pages::router())
            .layer(axum::middleware::from_fn_with_state(self.clone(), guard))
            .with_state(self.clone())
    }

    fn allowed_hosts(&self) -> Vec<String> {
        let port = self.inner.port;
        ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|h| format!("{h}:{port}"))
            .collect()
    }
}

/// Counts a round as under way for as long as it lives.
struct RoundUnderWay(Arc<HostInner>);

impl RoundUnderWay {
    fn new(inner: &Arc<HostInner>) -> RoundUnderWay {
        inner
            .rounds
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        RoundUnderWay(inner.clone())
    }
}

impl Drop for RoundUnderWay {
    fn drop(&mut self) {
        let before = self
            .0
            .rounds
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        if before == 1 {
            self.0.rounds_ended.notify_waiters();
        }
    }
}

fn locked() -> NodeError {
    NodeError::Refused(
        "本站数据用口令加密,本站服务尚未解锁:请运行 sanji station unlock 输入口令后再试".into(),
    )
}

/// A request is served only with a loopback Host of our port and no
/// foreign Origin; otherwise it is refused before its body is read.
async fn guard(State(host): State<StationHost>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let allowed = host.allowed_hosts();
    let named = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !allowed.iter().any(|a| a == named) {
        tracing::warn!(host = named, "拒绝了 Host 不是本机的请求");
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "本站服务只接受发给本机的请求(http://{}/),不接受发给 {named:?} 的",
                allowed[0]
            ),
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        if !allowed.iter().any(|a| origin == format!("http://{a}")) {
            tracing::warn!(origin, "拒绝了来自其他网页的请求");
            return refuse(
                StatusCode::FORBIDDEN,
                format!("本站服务不接受来自其他网页({origin})的请求"),
            );
        }
    }
    next.run(request).await
}

/// The API is for programs that can read `serve.json`: it wants the secret.
async fn needs_secret(State(host): State<StationHost>, request: Request, next: Next) -> Response {
    if !carries_token(request.headers(), &host.inner.token) {
        tracing::warn!("拒绝了没有本站服务密钥的请求");
        return refuse(
            StatusCode::UNAUTHORIZED,
            format!(
                "请求缺少本站服务的密钥,或密钥不对:请用本机的 sanji 命令操作(密钥在数据目录 {} 的 {SERVE_FILE} 中,只有本账号可读)",
                host.inner.config.data_dir.display()
            ),
        );
    }
    next.run(request).await
}

fn carries_token(headers: &HeaderMap, token: &str) -> bool {
    let Some(sent) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    // Compared in full whatever differs, so the time taken tells nothing.
    sent.len() == token.len()
        && sent
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn refuse(status: StatusCode, error: String) -> Response {
    let wire = WireError {
        error,
        field: None,
        refusal: None,
    };
    (status, Json(wire)).into_response()
}

fn failed(e: &NodeError) -> Response {
    let status = match e {
        NodeError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        NodeError::StepRefused(_) | NodeError::Refused(_) => StatusCode::CONFLICT,
        NodeError::Forbidden(_) => StatusCode::FORBIDDEN,
        NodeError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, Json(WireError::from(e))).into_response()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    pub code: sanji_domain::Code,
    pub locked: bool,
    pub pid: u32,
}

async fn ping(State(host): State<StationHost>) -> Json<Ping> {
    Json(Ping {
        code: host.config().code.clone(),
        locked: host.is_locked().await,
        pid: std::process::id(),
    })
}

async fn request(State(host): State<StationHost>, body: axum::body::Bytes) -> Response {
    let request: StationRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return failed(&NodeError::Invalid(sanji_domain::FieldError::new(
                "request",
                format!("不是有效的请求:{e}"),
            )));
        }
    };
    match host.handle(request).await {
        Ok(reply) => Json(reply).into_response(),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncAsk {
    pub attempts: u32,
}

async fn sync(State(host): State<StationHost>, Json(ask): Json<SyncAsk>) -> Response {
    match host.sync(ask.attempts).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => failed(&e),
    }
}

/// A one-time address that signs a browser in to the clerk's pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageTicket {
    pub url: String,
}

async fn ticket(State(host): State<StationHost>) -> Json<PageTicket> {
    let ticket = host.browsers().mint(crate::station_pages::wall_clock_ms());
    Json(PageTicket {
        url: format!("http://127.0.0.1:{}/open?ticket={ticket}", host.inner.port),
    })
}

/// Asks the service to end; it stops as Ctrl-C stops it (a round under
/// way is recorded as interrupted) once this answer has gone.
async fn stop(State(host): State<StationHost>) -> Json<serde_json::Value> {
    tracing::info!("本机程序要求本站服务停止");
    // A permit is kept if nobody waits yet, so the ask is never lost.
    host.inner.asked_to_stop.notify_one();
    Json(serde_json::json!({ "stopping": true }))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockAsk {
    pub passphrase: String,
}

async fn unlock(State(host): State<StationHost>, Json(ask): Json<UnlockAsk>) -> Response {
    match host.unlock(&ask.passphrase).await {
        Ok(()) => Json(serde_json::json!({ "unlocked": true })).into_response(),
        Err(e) => failed(&e),
    }
}

/// A station service that is running.
pub struct RunningStation {
    pub addr: SocketAddr,
    pub host: StationHost,
    stop: watch::Sender<bool>,
    server: tokio::sync::oneshot::Sender<()>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    data_dir: PathBuf,
    _lock: std::fs::File,
}

impl RunningStation {
    /// Stops syncing (a round under way is recorded as interrupted), stops
    /// serving and removes `serve.json`.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.server.send(());
        for task in self.tasks {
            let _ = task.await;
        }
        let _ = std::fs::remove_file(self.data_dir.join(SERVE_FILE));
        tracing::info!("本站服务已停止");
    }
}

/// Claims the data folder for one serving process: a second `serve` is
/// told the service already runs, before it touches the store.
pub fn claim_folder(config: &NodeConfig) -> Result<std::fs::File, ServeError> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| NodeError::io(dir, e))?;
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| NodeError::io(&path, e))?;
    match fs2::FileExt::try_lock_exclusive(&file) {
        Ok(()) => Ok(file),
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.raw_os_error() == fs2::lock_contended_error().raw_os_error() =>
        {
            Err(ServeError::AlreadyServing {
                folder: dir.clone(),
                running: ServeInfo::read(dir).map(|i| i.addr.to_string()),
            })
        }
        Err(e) => Err(NodeError::io(&path, e).into()),
    }
}

/// Serves `station` (or, with `None`, a sealed station waiting for its
/// passphrase) on `addr`, a loopback address, holding the folder claimed by
/// [`claim_folder`]; syncs in the background from now on.
pub async fn start(
    config: NodeConfig,
    station: Option<Station>,
    addr: SocketAddr,
    claimed: std::fs::File,
) -> Result<RunningStation, ServeError> {
    if !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr.to_string()));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: addr.to_string(),
        source,
    })?;
    let token = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    };
    let (stop, stopping) = watch::channel(false);
    let data_dir = config.data_dir.clone();
    let host = StationHost {
        inner: Arc::new(HostInner {
            config,
            token: token.clone(),
            port: local.port(),
            station: RwLock::new(station.map(Arc::new)),
            syncing: tokio::sync::Mutex::new(()),
            rounds: Default::default(),
            rounds_ended: Notify::new(),
            wake: Notify::new(),
            stopping,
            asked_to_stop: Notify::new(),
            browsers: Default::default(),
        }),
    };
    ServeInfo {
        addr: local,
        token,
        pid: std::process::id(),
    }
    .write(&data_dir)?;
    let (server, serving) = crate::serve::serve_router(listener, host.router(), None);
    let syncing = tokio::spawn(host.clone().keep_in_sync());
    tracing::info!(addr = %local, folder = %data_dir.display(), "本站服务已启动");
    Ok(RunningStation {
        addr: local,
        host,
        stop,
        server,
        tasks: vec![syncing, serving],
        data_dir,
        _lock: claimed,
    })
}
