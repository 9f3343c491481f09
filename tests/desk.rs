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
        let console = plain_console(&cluster.hub().operations).await;
        let county_console = plain_console(&cluster.county().operations).await;
        Desk {
            cluster,
            console,
            county_console,
            passwords,
        }
    }

    pub fn url(&self, path: &str) -> String {
        url_at(&self.console, path)
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
        browser()
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

    /// The county's console beside this hub, with one account: 赵科长 (县综治办).
    pub async fn county_desk(&self) -> CountyDesk {
        let accounts = Accounts::new(self.cluster.county_store().clone());
        let (_, password) = accounts
            .add("赵科长", None, ActorRole::County, None, 0, "测试")
            .expect("account created");
        let console = plain_console(&self.cluster.county().operations).await;
        CountyDesk { console, password }
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

    /// Takes `steps` on `case` at the hub, each by the fixture's person of
    /// its role (王主任 the director, 刘芳 otherwise).
    pub async fn take_steps(
        &self,
        case: uuid::Uuid,
        steps: impl IntoIterator<Item = (ActorRole, sanji_node::ops::CaseCommand)>,
    ) {
        for (role, command) in steps {
            let name = if role == ActorRole::Director {
                "王主任"
            } else {
                "刘芳"
            };
            let case = case.to_string();
            self.act(name, role, Action::CaseStep { case, command })
                .await;
        }
    }

    /// A view of the hub's operator layer, as the pages read it.
    pub async fn view<T: serde::de::DeserializeOwned>(&self, query: sanji_node::ops::Query) -> T {
        let value = self.cluster.hub().operations.query(query).await.unwrap();
        serde_json::from_value(value).unwrap()
    }

    /// A ledger only the township center reads: a member unit's staff (孙立)
    /// are refused it (403), and the county keeps none (404).
    pub async fn assert_center_only(&self, path: &str) {
        let staff = self.signed_in("孙立").await;
        let response = staff.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} for 孙立");
        let county = self.signed_in("周明").await;
        let response = county.get(self.url_for("周明", path)).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "{path} at the county"
        );
    }

    /// The page at `path` of the hub's console, as `browser` is shown it.
    pub async fn page(&self, browser: &reqwest::Client, path: &str) -> String {
        text(browser.get(self.url(path)).send().await.unwrap()).await
    }

    /// The hub's report for `month`, computed now, through the operator layer.
    pub async fn report(
        &self,
        month: sanji_domain::report::Month,
    ) -> sanji_domain::report::MonthlyReport {
        let value = self
            .cluster
            .hub()
            .operations
            .query(sanji_node::ops::Query::Report {
                month: month.to_string(),
            })
            .await
            .expect("the report");
        serde_json::from_value(value).expect("a monthly report")
    }

    /// How many events people's actions wrote on the hub's own ledger
    /// (see [`crate::written_by_people`]).
    pub fn hub_head(&self) -> u64 {
        crate::written_by_people(
            self.cluster.hub_store(),
            &sanji_domain::Origin::node(township()),
        )
    }

    pub async fn stop(self) {
        self.console.stop().await;
        self.county_console.stop().await;
        self.cluster.shutdown().await;
    }
}

/// The county's console, from [`Desk::county_desk`]; stop it before the desk.
pub struct CountyDesk {
    pub console: RunningConsole,
    pub password: String,
}

impl CountyDesk {
    pub fn url(&self, path: &str) -> String {
        url_at(&self.console, path)
    }

    /// 赵科长, signed in with a password of his own.
    pub async fn signed_in(&self) -> reqwest::Client {
        signed_in_at(&self.console, "赵科长", &self.password).await
    }

    pub async fn stop(self) {
        self.console.stop().await;
    }
}

fn url_at(console: &RunningConsole, path: &str) -> String {
    format!("{}{}", console.url.trim_end_matches('/'), path)
}

/// The console of `operations` on a free loopback port, over plain HTTP.
pub async fn plain_console(operations: &sanji_node::ops::Operations) -> RunningConsole {
    sanji_web::start(Console::new(operations.clone(), false), "127.0.0.1:0", None)
        .await
        .expect("the console serves")
}

/// A browser over raw HTTP: cookies kept, redirects not followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn sign_in_at(
    console: &RunningConsole,
    browser: &reqwest::Client,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let page = text(browser.get(url_at(console, "/login")).send().await.unwrap()).await;
    let token = hidden(&page, "token");
    browser
        .post(url_at(console, "/login"))
        .form(&[("login", login), ("password", password), ("token", &token)])
        .send()
        .await
        .unwrap()
}

/// Signs in with a one-time password and chooses a new one.
async fn signed_in_at(console: &RunningConsole, login: &str, once: &str) -> reqwest::Client {
    let browser = browser();
    let response = sign_in_at(console, &browser, login, once).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/password");
    let page = text(
        browser
            .get(url_at(console, "/password"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let csrf = hidden(&page, "csrf");
    let response = browser
        .post(url_at(console, "/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", once),
            ("new", "一二三四五六七八"),
            ("confirm", "一二三四五六七八"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "password changed");
    browser
}

/// The steps that take a new case to a reward: accepted, assigned to the
/// 司法所 by the director, resolved by agreement, fed back and followed up
/// (satisfied, no recurrence, no petition); each with the role that takes it.
pub fn steps_to_a_confirmed_agreement() -> Vec<(ActorRole, sanji_node::ops::CaseCommand)> {
    use sanji_domain::case::Outcome;
    use sanji_node::ops::CaseCommand;
    vec![
        (ActorRole::Operator, CaseCommand::Accept),
        (
            ActorRole::Director,
            CaseCommand::Assign {
                unit: Some("司法所".into()),
                village: None,
                person: "孙立".into(),
                deadline: None,
            },
        ),
        (
            ActorRole::Director,
            CaseCommand::Resolve {
                outcome: Outcome::Agreement,
                kind: None,
                summary: "双方签订调解协议".into(),
            },
        ),
        (
            ActorRole::Operator,
            CaseCommand::Feedback {
                note: "已告知当事人".into(),
            },
        ),
        (
            ActorRole::Operator,
            CaseCommand::FollowUp {
                recurred: false,
                satisfied: true,
                petitioned: false,
                skip_level: false,
                note: "当事人满意".into(),
            },
        ),
    ]
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

/// Headless Chromium through chromedriver (Debian's `chromium` and
/// `chromium-driver`), for the browser tests: the driver, signing in, waiting
/// for a page, screenshots in `target/screenshots/`. A test fails when the
/// browser is missing; it never skips.
pub mod browser {
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};

    use fantoccini::{Client, ClientBuilder, Locator};
    use sanji_domain::case::ActorRole;
    use sanji_node::accounts::Accounts;

    /// The password every browser test's account has (no first-login change).
    pub const PASSWORD: &str = "dongshan-2026";

    /// An account at the node of `store` that signs in with [`PASSWORD`].
    pub fn account(store: &sanji_store::Store, name: &str, login: &str, role: ActorRole) {
        let accounts = Accounts::new(store.clone());
        let (_, once) = accounts
            .add(name, Some(login), role, None, 0, "测试")
            .expect("account created");
        accounts
            .change_password(login, &once, PASSWORD, 0, "测试")
            .expect("password chosen");
    }

    /// chromedriver as a child process, on the port it chose.
    pub struct Driver {
        child: Child,
        port: u16,
    }

    impl Driver {
        pub fn start() -> Driver {
            let mut child = Command::new("chromedriver")
                .arg("--port=0")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect(
                    "chromedriver is not installed: apt-get install chromium chromium-driver fonts-noto-cjk",
                );
            let stdout = child.stdout.take().expect("chromedriver's output");
            let mut lines = BufReader::new(stdout).lines();
            // "ChromeDriver was started successfully on port 36391."
            let port = lines
                .by_ref()
                .map_while(Result::ok)
                .find_map(|line| {
                    line.split("successfully on port ")
                        .nth(1)
                        .and_then(|p| p.trim_end_matches('.').parse().ok())
                })
                .expect("chromedriver did not say which port it serves");
            std::thread::spawn(move || lines.for_each(drop));
            Driver { child, port }
        }

        pub async fn browser(&self) -> Client {
            let mut caps = serde_json::Map::new();
            caps.insert(
                "goog:chromeOptions".into(),
                serde_json::json!({
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--window-size=1366,768", "--lang=zh-CN",
                    ],
                }),
            );
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{}", self.port))
                .await
                .expect("a Chromium session (is chromium installed?)")
        }
    }

    impl Drop for Driver {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    pub fn screenshot_dir() -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub async fn screenshot(browser: &Client, name: &str) {
        let png = browser.screenshot().await.expect("a screenshot");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), &png).unwrap();
        // The README shows these; the rest are for looking at.
        let in_readme = match name {
            "today" | "case" => Some(format!("console-{name}.png")),
            "station-home-waiting" | "station-sync-news" => Some(format!("{name}.png")),
            _ => None,
        };
        if let Some(file) = in_readme
            && std::env::var_os("SANJI_UPDATE_SCREENSHOTS").is_some()
        {
            let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
            std::fs::write(docs.join(file), &png).unwrap();
        }
    }

    pub async fn body(browser: &Client) -> String {
        browser
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn sign_in(browser: &Client, base: &str, login: &str, password: &str) {
        browser.goto(&format!("{base}login")).await.unwrap();
        let form = browser.form(Locator::Css("form")).await.unwrap();
        form.set_by_name("login", login).await.unwrap();
        form.set_by_name("password", password).await.unwrap();
        send(browser, "form").await;
        arrive(browser, "today").await;
    }

    /// Waits until the page the browser shows is `page` (its `data-page`): the
    /// next page has loaded, whatever the redirects in between.
    pub async fn arrive(browser: &Client, page: &str) {
        browser
            .wait()
            .for_element(Locator::Css(&format!("body[data-page='{page}']")))
            .await
            .unwrap_or_else(|e| panic!("never arrived at {page}: {e}"));
    }

    /// Clicks the form's button, as a person would, and returns once the page
    /// it was on has gone. WebDriver's click waits for a navigation only when
    /// it starts at once; a form posting a file can start later, and a page
    /// that answers with the same `data-page` would then be "arrived at"
    /// before the answer came (a CI run found exactly that).
    pub async fn send(browser: &Client, form: &str) {
        // A mark on this page's window, which the next page's window lacks.
        browser
            .execute("window.sanjiLeaving = true; return true;", Vec::new())
            .await
            .expect("the page runs a script");
        browser
            .find(Locator::Css(&format!("{form} button[type=submit]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let started = std::time::Instant::now();
        loop {
            // While the next page loads, the script may fail to run at all.
            let still_here = browser
                .execute("return window.sanjiLeaving === true;", Vec::new())
                .await
                .map_or(true, |v| v != serde_json::Value::Bool(false));
            if !still_here {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "the form {form} was sent but its page never went away"
            );
            // The same polling fantoccini's own waits do.
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Clicks the element `css` names, as a person would.
    pub async fn click(browser: &Client, css: &str) {
        browser
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("{css} is on the page"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks the link that says `text`, as a person would, and waits for `page`.
    pub async fn follow(browser: &Client, text: &str, page: &str) {
        browser
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|_| panic!("a link {text}"))
            .click()
            .await
            .unwrap();
        arrive(browser, page).await;
    }

    pub async fn sign_out(browser: &Client) {
        browser
            .find(Locator::Css("header form button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        arrive(browser, "login").await;
    }
}
