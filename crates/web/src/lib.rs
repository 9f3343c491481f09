//! sanji-web: the web console of a township hub (中心总台, 中心主任, 成员单位)
//! and of the county (县综治办). Pages are rendered on the server from askama
//! templates compiled into the binary, Chinese first, with a stylesheet and
//! no script of our own beyond what a form needs.
//!
//! Owns: serving the console (HTTPS with the node's certificate, or plain
//! HTTP on loopback only), sign-in and sessions, CSRF checks, and turning
//! forms into the operator layer's commands and its answers into pages.
//!
//! Must not depend on: sled or the store's internals, gRPC, the CLI. Every
//! rule, check and message comes from the operator layer (`sanji_node::ops`,
//! `sanji_node::accounts`) or the domain; a page never holds a rule of its own.

mod pages;
mod serve;
mod session;
pub mod station;
pub mod station_client;
mod station_pages;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sanji_node::NodeError;
use sanji_node::accounts::Accounts;
use sanji_node::ops::Operations;

pub use serve::{RunningConsole, WebError, start, start_for};
pub use session::{IDLE_MS, SESSION_COOKIE};

/// The console of one node: its operator layer, its accounts and the
/// sessions of the people signed in.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    operations: Operations,
    accounts: Accounts,
    sessions: session::Sessions,
    /// Cookies are marked `Secure` when the console is served over HTTPS.
    secure: bool,
    /// Each person's file previewed for import and not yet confirmed (one
    /// each: a new upload replaces it).
    imports: std::sync::Mutex<std::collections::HashMap<String, pages::HeldImport>>,
}

impl Console {
    pub fn new(operations: Operations, secure: bool) -> Console {
        Console {
            inner: Arc::new(Inner {
                accounts: Accounts::new(operations.store().clone()),
                operations,
                sessions: session::Sessions::default(),
                secure,
                imports: Default::default(),
            }),
        }
    }

    pub fn operations(&self) -> &Operations {
        &self.inner.operations
    }

    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    fn sessions(&self) -> &session::Sessions {
        &self.inner.sessions
    }

    fn now_ms(&self) -> u64 {
        self.inner.operations.now_ms()
    }

    fn secure(&self) -> bool {
        self.inner.secure
    }

    fn hold_import(&self, login: &str, held: pages::HeldImport) {
        self.held_imports().insert(login.to_owned(), held);
    }

    /// The file `login` previewed, if `token` names it; taken, so a
    /// confirmation sent twice imports once.
    fn take_import(&self, login: &str, token: &str) -> Option<pages::HeldImport> {
        let mut held = self.held_imports();
        if held.get(login).is_some_and(|h| h.token() == token) {
            held.remove(login)
        } else {
            None
        }
    }

    fn held_imports(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, pages::HeldImport>> {
        // A panic while holding it leaves a map that is still whole.
        self.inner
            .imports
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every page and form of the console.
    pub fn router(&self) -> Router {
        pages::router().with_state(self.clone())
    }
}

/// Why a page could not be shown, as a page a person can read.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("表单已过期或不是从本系统的页面提交的,请返回刷新页面后重新填写")]
    Csrf,
    #[error("{0}")]
    Forbidden(String),
    #[error("找不到{0}")]
    NotFound(String),
    #[error(transparent)]
    Node(NodeError),
    #[error("页面无法生成:{0}")]
    Render(#[from] askama::Error),
}

impl From<NodeError> for PageError {
    fn from(e: NodeError) -> PageError {
        match e {
            NodeError::NotFound(what) => PageError::NotFound(what),
            NodeError::Forbidden(why) => PageError::Forbidden(why),
            other => PageError::Node(other),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = match &self {
            PageError::Csrf | PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Node(NodeError::Invalid(_)) => StatusCode::BAD_REQUEST,
            PageError::Node(_) | PageError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "网页工作台出错");
        }
        (status, Html(pages::error_page(status, &self.to_string()))).into_response()
    }
}
