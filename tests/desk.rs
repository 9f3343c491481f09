//! A signed-in browser's view of the web console, over raw HTTP: a real hub
//! (the [`Cluster`]'s), real accounts in its store, the console on loopback.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use sanji_domain::case::ActorRole;
use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party};
use sanji_domain::time::cst_date;
use sanji_node::accounts::Accounts;
use sanji_node::ops::{Action, Actor};
use sanji_web::{Console, RunningConsole};

use crate::{Cluster, code, township};

/// A hub with its console and four people: 刘芳 (总台), 王主任 (中心主任), 孙立
/// (司法所) and 周警官 (派出所); the county's console with 周明 (县综治办);
/// each still on a one-time password.
pub struct Desk {
    pub cluster: Cluster,
    pub console: RunningConsole,
    pub county_console: RunningConsole,
    pub passwords: HashMap<&'static str, String>,
}

/// The people of the county's console (everyone else is at the hub's).
pub const COUNTY_PEOPLE: &[&str] = &["周明"];

impl Desk {
    pub async fn start() -> Desk {
        let cluster = Cluster::start().await;
        let accounts = Accounts::new(cluster.hub_store().clone());
        let mut passwords = HashMap::new();
        for (name, role, unit) in [
            ("刘芳", ActorRole::Operator, None),
            ("王主任", ActorRole::Director, None),
            ("孙立", ActorRole::UnitStaff, Some("司法所")),
            ("周警官", ActorRole::UnitStaff, Some("派出所")),
        ] {
            let (_, password) = accounts
                .add(name, None, role, unit, 0, "测试")
                .expect("account created");
            passwords.insert(name, password);
        }
        let county_accounts = Accounts::new(cluster.county_store().clone());
        for name in COUNTY_PEOPLE {
            let (_, password) = county_accounts
                .add(name, None, ActorRole::County, None, 0, "测试")
                .expect("county account created");
            passwords.insert(name, password);
        }
        let console = sanji_web::start(
            Console::new(cluster.hub().operations.clone(), false),
            "127.0.0.1:0",
            None,
        )
        .await
        .expect("console serves");
        let county_console = sanji_web::start(
            Console::new(cluster.county().operations.clone(), false),
            "127.0.0.1:0",
            None,
        )
        .await
        .expect("the county's console serves");
        Desk {
            cluster,
            console,
            county_console,
            passwords,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.console.url.trim_end_matches('/'), path)
    }

    pub fn county_url(&self, path: &str) -> String {
        format!("{}{}", self.county_console.url.trim_end_matches('/'), path)
    }

    /// `path` on the console `login` signs in to.
    pub fn url_for(&self, login: &str, path: &str) -> String {
        if COUNTY_PEOPLE.contains(&login) {
            self.county_url(path)
        } else {
            self.url(path)
        }
    }

    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// Signs in with the one-time password and chooses a new one: a browser
    /// with a live session.
    pub async fn signed_in(&self, name: &'static str) -> reqwest::Client {
        let browser = self.browser();
        let response = self.sign_in(&browser, name, &self.passwords[name]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/password");
        let page = text(
            browser
                .get(self.url_for(name, "/password"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let csrf = hidden(&page, "csrf");
        let response = browser
            .post(self.url_for(name, "/password"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("current", self.passwords[name].as_str()),
                ("new", "一二三四五六七八"),
                ("confirm", "一二三四五六七八"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "password changed");
        browser
    }

    pub async fn sign_in(
        &self,
        browser: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = text(
            browser
                .get(self.url_for(login, "/login"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let token = hidden(&page, "token");
        browser
            .post(self.url_for(login, "/login"))
            .form(&[("login", login), ("password", password), ("token", &token)])
            .send()
            .await
            .unwrap()
    }

    /// A case registered at the center's window by the operator.
    pub async fn register(&self, party: &str) -> uuid::Uuid {
        let today = cst_date(self.cluster.hub().operations.now_ms());
        let registration = CaseRegistration {
            place: code("360123100201"),
            registered_on: today,
            source: CaseSource::Visit,
            category: Category::FamilyNeighbour,
            parties: vec![Party {
                name: party.to_owned(),
                contact: None,
            }],
            people_involved: 1,
            claim: "宅基地界址纠纷,要求调处".into(),
            first_receiver: String::new(),
            first_unit: "镇综治信访维稳中心".into(),
            complex: false,
            from_record: None,
        };
        self.act(
            "刘芳",
            ActorRole::Operator,
            Action::RegisterCase { registration },
        )
        .await
    }

    pub async fn act(&self, name: &str, role: ActorRole, action: Action) -> uuid::Uuid {
        let actor = Actor {
            name: name.into(),
            role,
            code: township(),
        };
        self.cluster
            .hub()
            .operations
            .act(&actor, action)
            .await
            .expect("action taken")
            .entity
    }

    pub fn hub_head(&self) -> u64 {
        self.cluster
            .hub_store()
            .version_vector()
            .unwrap()
            .get(&sanji_domain::Origin::node(township()))
            .copied()
            .unwrap_or(0)
    }

    pub async fn stop(self) {
        self.console.stop().await;
        self.county_console.stop().await;
        self.cluster.shutdown().await;
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn text(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

/// The value of the hidden input `name` in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}
