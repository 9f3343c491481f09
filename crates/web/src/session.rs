//! Signed-in people: server-side sessions behind an unguessable id in an
//! `HttpOnly; SameSite=Strict` cookie (and `Secure` over HTTPS), ended by
//! signing out or by thirty minutes without a request, each with its own
//! CSRF token that every form which changes anything must carry back.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::Rng;
use sanji_node::accounts::Account;

use crate::Console;

pub const SESSION_COOKIE: &str = "sanji_session";
/// Sessions end after this long without a request.
pub const IDLE_MS: u64 = 30 * 60 * 1000;

/// 256 random bits, as hex.
pub fn token() -> String {
    hex::encode(rand::rng().random::<[u8; 32]>())
}

#[derive(Debug, Clone)]
struct Session {
    login: String,
    csrf: String,
    last_seen_ms: u64,
    /// The account's `sessions_ended` when this session began.
    generation: u32,
}

#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// A new session for `account`: its id (for the cookie).
    pub fn start(&self, account: &Account, now_ms: u64) -> String {
        let id = token();
        let session = Session {
            login: account.login.clone(),
            csrf: token(),
            last_seen_ms: now_ms,
            generation: account.sessions_ended,
        };
        let mut open = self.open.lock().expect("sessions lock");
        open.retain(|_, s| now_ms.saturating_sub(s.last_seen_ms) < IDLE_MS);
        open.insert(id.clone(), session);
        id
    }

    /// The login and CSRF token of a live session, which this request keeps alive.
    fn touch(&self, id: &str, now_ms: u64) -> Option<(String, String, u32)> {
        let mut open = self.open.lock().expect("sessions lock");
        let live = open
            .get(id)
            .is_some_and(|s| now_ms.saturating_sub(s.last_seen_ms) < IDLE_MS);
        if !live {
            open.remove(id);
            return None;
        }
        let session = open.get_mut(id)?;
        session.last_seen_ms = now_ms;
        Some((
            session.login.clone(),
            session.csrf.clone(),
            session.generation,
        ))
    }

    /// Ends one session; returns whose it was.
    pub fn end(&self, id: &str) -> Option<String> {
        self.open
            .lock()
            .expect("sessions lock")
            .remove(id)
            .map(|s| s.login)
    }
}

pub fn session_cookie(id: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, id))
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .path("/")
        .build()
}

/// The person behind a request, signed in. A handler that takes a `Person`
/// is never reached without one: the browser is sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct Person {
    pub account: Account,
    pub session: String,
    pub csrf: String,
}

impl Person {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), crate::PageError> {
        match sent {
            Some(token) if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) => Ok(()),
            _ => Err(crate::PageError::Csrf),
        }
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where a request without a live session goes.
pub struct SignInFirst {
    to: &'static str,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        Redirect::to(self.to).into_response()
    }
}

impl<S> FromRequestParts<S> for Person
where
    S: Send + Sync,
    Console: FromRef<S>,
{
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let console = Console::from_ref(state);
        let jar = CookieJar::from_headers(&parts.headers);
        let sign_in = SignInFirst { to: "/login" };
        let id = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or(SignInFirst { to: "/login" })?;
        let now = console.now_ms();
        let (login, csrf, generation) = console.sessions().touch(&id, now).ok_or(SignInFirst {
            to: "/login?expired=1",
        })?;
        let account = match console.accounts().get(&login) {
            // A disabled account, or one whose password was reset since
            // this session began, has no live session.
            Ok(Some(account)) if !account.disabled && account.sessions_ended == generation => {
                account
            }
            _ => {
                console.sessions().end(&id);
                return Err(sign_in);
            }
        };
        // A one-time password is good for one thing only: choosing one's own.
        if account.must_change_password && !matches!(parts.uri.path(), "/password" | "/logout") {
            return Err(SignInFirst { to: "/password" });
        }
        Ok(Person {
            account,
            session: id,
            csrf,
        })
    }
}
