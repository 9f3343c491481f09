//! The clerk's pages on a village station service, as a browser reaches
//! them: a real hub (the [`Cluster`]'s), a real station store served by
//! [`sanji_web::station::start`] on loopback, and a browser let in the way
//! the Start-menu shortcut lets it in (a one-time ticket from the service).

use reqwest::StatusCode;
use sanji_domain::Code;
use sanji_domain::case::ActorRole;
use sanji_node::ops::{Action, Actor, CaseCommand};
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_node::views::{CaseRow, ScreeningRow, VisitRow, ZeroReportRow};
use sanji_web::station::RunningStation;
use sanji_web::station_client::StationClient;

use crate::{Cluster, township, village};

/// The station's records, as its ledger holds them.
pub struct Ledgers {
    pub screenings: Vec<ScreeningRow>,
    pub visits: Vec<VisitRow>,
    pub cases: Vec<CaseRow>,
    pub zero_reports: Vec<ZeroReportRow>,
}

pub struct StationDesk {
    pub cluster: Cluster,
    pub service: RunningStation,
    pub village: Code,
}

impl StationDesk {
    /// The hub, and village 1's station served on a free loopback port.
    pub async fn start() -> StationDesk {
        StationDesk::serve(true).await
    }

    /// [`StationDesk::start`], the service waiting for the store's
    /// passphrase (as a sealed station started without it does).
    pub async fn start_locked() -> StationDesk {
        StationDesk::serve(false).await
    }

    async fn serve(open: bool) -> StationDesk {
        let cluster = Cluster::start().await;
        let village = village(1);
        // Initialised first, as `sanji station init` leaves it.
        drop(cluster.open_station(&village));
        let config = cluster.station_config(&village);
        let claimed = sanji_web::station::claim_folder(&config).expect("the folder is free");
        let station =
            open.then(|| sanji_node::Station::open(config.clone()).expect("station opens"));
        let service =
            sanji_web::station::start(config, station, "127.0.0.1:0".parse().unwrap(), claimed)
                .await
                .expect("the station serves");
        StationDesk {
            cluster,
            service,
            village,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.service.addr)
    }

    /// A one-time address that lets a browser in, as `sanji station open` gets it.
    pub async fn ticket_url(&self) -> String {
        let client = StationClient::find(&self.cluster.station_dir(&self.village))
            .await
            .expect("serve.json readable")
            .expect("the service answers");
        client.page_url().await.expect("a ticket")
    }

    /// A browser (cookies kept, redirects not followed) let in with a ticket.
    pub async fn signed_in(&self) -> reqwest::Client {
        let browser = crate::desk::browser();
        let response = browser.get(self.ticket_url().await).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "the ticket lets in"
        );
        browser
    }

    /// The page at `path`, as `browser` is shown it (refused unless 200).
    pub async fn page(&self, browser: &reqwest::Client, path: &str) -> String {
        let response = browser.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        crate::desk::text(response).await
    }

    /// The session's CSRF token, as every page of the session carries it.
    pub async fn csrf(&self, browser: &reqwest::Client) -> String {
        crate::desk::hidden(&self.page(browser, "/").await, "csrf")
    }

    /// Posts a form of the clerk's pages with the session's token, as the
    /// clerk's browser sends it.
    pub async fn post(
        &self,
        browser: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let csrf = self.csrf(browser).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        browser
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// What the station's ledger holds, asked of the service itself.
    pub async fn ledgers(&self) -> Ledgers {
        let request = StationRequest::List {
            screenings: true,
            visits: true,
            cases: true,
            zero_reports: true,
        };
        match self.service.host.handle(request).await.expect("the lists") {
            StationReply::Lists {
                screenings,
                visits,
                cases,
                zero_reports,
            } => Ledgers {
                screenings,
                visits,
                cases,
                zero_reports,
            },
            other => panic!("not the lists: {other:?}"),
        }
    }

    /// One sync round with the hub now, as the 立即同步 button asks.
    pub async fn sync(&self) {
        self.service.host.sync(1).await.expect("the station syncs");
    }

    /// The township takes these steps on a case its hub holds, each as a
    /// person of the given role, after its tracker has received the case.
    pub async fn township_takes(&self, case: &str, steps: Vec<(ActorRole, CaseCommand)>) {
        let hub = &self.cluster.hub().operations;
        hub.sweep().await.expect("the tracker's sweep");
        for (role, command) in steps {
            let actor = Actor {
                name: "刘芳".into(),
                role,
                code: township(),
            };
            let case = case.to_string();
            hub.act(&actor, Action::CaseStep { case, command })
                .await
                .expect("the township's step");
        }
    }

    /// Accepted at the township and handed back to the village's 李明,
    /// due 2027-01-10: the steps a village's case usually meets first.
    pub fn accepted_and_assigned_back(&self) -> Vec<(ActorRole, CaseCommand)> {
        vec![
            (ActorRole::Operator, CaseCommand::Accept),
            (
                ActorRole::Director,
                CaseCommand::Assign {
                    unit: None,
                    village: Some(self.village.clone()),
                    person: "李明".into(),
                    deadline: Some("2027-01-10".parse().unwrap()),
                },
            ),
        ]
    }

    pub async fn stop(self) {
        self.service.stop().await;
        self.cluster.shutdown().await;
    }
}
