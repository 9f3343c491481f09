//! Signing in and out, and choosing one's own password.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sanji_node::NodeError;
use sanji_node::accounts::{LoginError, check_password};
use serde::Deserialize;

use crate::session::{Person, SESSION_COOKIE, session_cookie, token};
use crate::{Console, PageError};

/// A login form's token lives in its own short cookie until the form is sent.
const LOGIN_COOKIE: &str = "sanji_login";

use super::{CsrfOnly, Frame, page};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(change_password))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    token: String,
    error: Option<String>,
    notice: Option<&'static str>,
    login: String,
}

#[derive(Deserialize)]
struct LoginNotice {
    expired: Option<String>,
    out: Option<String>,
}

async fn login_form(
    State(console): State<Console>,
    Query(notice): Query<LoginNotice>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let notice = if notice.expired.is_some() {
        Some("长时间未操作,已自动退出,请重新登录")
    } else if notice.out.is_some() {
        Some("已退出")
    } else {
        None
    };
    login_page(&console, jar, None, notice, String::new())
}

fn login_page(
    console: &Console,
    jar: CookieJar,
    error: Option<String>,
    notice: Option<&'static str>,
    login: String,
) -> Result<Response, PageError> {
    let token = token();
    let cookie = Cookie::build((LOGIN_COOKIE, token.clone()))
        .http_only(true)
        .secure(console.secure())
        .same_site(SameSite::Strict)
        .path("/login")
        .build();
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let html = LoginPage {
        token,
        error,
        notice,
        login,
    }
    .render()?;
    Ok((status, jar.add(cookie), Html(html)).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    token: Option<String>,
}

async fn login(
    State(console): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if expected.is_none() || expected != form.token {
        return Err(PageError::Csrf);
    }
    let now = console.now_ms();
    let accounts = console.accounts().clone();
    let (login, password, address) = (form.login.clone(), form.password, peer.ip().to_string());
    let signed_in =
        tokio::task::spawn_blocking(move || accounts.sign_in(&login, &password, now, &address))
            .await
            .map_err(|e| PageError::Node(NodeError::Internal(e.to_string())))?;
    match signed_in {
        Ok(account) => {
            let id = console.sessions().start(&account, now);
            let jar = jar
                .remove(Cookie::build(LOGIN_COOKIE).path("/login"))
                .add(session_cookie(id, console.secure()));
            let to = if account.must_change_password {
                "/password"
            } else {
                "/"
            };
            Ok((jar, Redirect::to(to)).into_response())
        }
        Err(e @ (LoginError::Wrong | LoginError::Locked { .. } | LoginError::Disabled)) => {
            login_page(&console, jar, Some(e.to_string()), None, form.login)
        }
    }
}

async fn logout(
    State(console): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    person: Person,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    person.check_csrf(form.csrf.as_deref())?;
    console.sessions().end(&person.session);
    console.accounts().signed_out(
        &person.account.login,
        console.now_ms(),
        &peer.ip().to_string(),
    )?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login?out=1")).into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    frame: Frame,
    first: bool,
    error: Option<String>,
    min: usize,
}

async fn password_form(
    State(console): State<Console>,
    person: Person,
) -> Result<Response, PageError> {
    page(PasswordPage {
        first: person.account.must_change_password,
        frame: Frame::of(&console, &person, ""),
        error: None,
        min: sanji_node::accounts::MIN_PASSWORD_CHARS,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: Option<String>,
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(console): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    person: Person,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    person.check_csrf(form.csrf.as_deref())?;
    let refuse = |error: String| {
        page(PasswordPage {
            first: person.account.must_change_password,
            frame: Frame::of(&console, &person, ""),
            error: Some(error),
            min: sanji_node::accounts::MIN_PASSWORD_CHARS,
        })
    };
    if form.new != form.confirm {
        return refuse("两次输入的新密码不一致".into());
    }
    if let Err(e) = check_password(&form.new) {
        return refuse(e.rule);
    }
    match console.accounts().change_password(
        &person.account.login,
        &form.current,
        &form.new,
        console.now_ms(),
        &peer.ip().to_string(),
    ) {
        Ok(_) => Ok(Redirect::to("/").into_response()),
        Err(NodeError::Invalid(e)) => refuse(e.rule),
        Err(e) => Err(e.into()),
    }
}
