//! The mTLS port: only certificates of the county's own CA get in, plaintext
//! does not; the standard health check and server reflection answer over
//! mTLS; the console serves the node's own people only.

use std::collections::BTreeMap;

use sanji_node::views::PeerRow;
use sanji_pki::CertFiles;
use sanji_proto as proto;
use sanji_proto::console_client::ConsoleClient;
use sanji_tests::{
    Cluster, county, heads, ledger, plaintext_channel, raw_replication, record_samples, township,
    village,
};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

/// What a client whose certificate the hub refused in the TLS layer sees: a
/// status its own transport made up, not one the hub sent. UNKNOWN
/// ("transport error") over the IO error of the hub's TLS alert
/// (InvalidData: h2 keeps only its text) or, when the hub closed the
/// connection before the alert was read, a broken pipe; or CANCELLED when
/// the connection was found closed before the call went out.
fn refused_in_tls(status: &tonic::Status) {
    assert!(
        status.metadata().get(sanji_sync::STATUS_TAG).is_none(),
        "not a status the hub sent: {status:?}"
    );
    let mut source = std::error::Error::source(status);
    while let Some(e) = source {
        if let Some(hyper) = e.downcast_ref::<hyper::Error>()
            && status.code() == tonic::Code::Cancelled
        {
            assert!(hyper.is_canceled(), "{status:?}");
            return;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            assert_eq!(status.code(), tonic::Code::Unknown, "{status:?}");
            assert!(
                matches!(
                    io.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::BrokenPipe
                ),
                "{status:?}"
            );
            return;
        }
        source = e.source();
    }
    panic!("neither an IO error nor a cancelled call under {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_of_another_ca_is_refused() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);

    // A second CA for the same county issues a certificate with the very same identity.
    let rogue_dir = cluster.dir.path().join("rogue-ca");
    sanji_pki::init_ca(&rogue_dir, &county()).unwrap();
    sanji_pki::issue_node(&rogue_dir, &v, &rogue_dir, &[]).unwrap();
    let rogue = CertFiles::load(&rogue_dir, v.as_str()).unwrap();
    let genuine = cluster.certs(&v);
    assert_eq!(rogue.identity().unwrap(), genuine.identity().unwrap());
    // It trusts the real CA (so it can verify the hub) but presents its own certificate.
    let impostor = CertFiles {
        ca_pem: genuine.ca_pem.clone(),
        ..rogue
    };

    // Under TLS 1.3 the client's handshake completes before the server has
    // judged its certificate: the refusal shows on the first RPC, as a status
    // the client's own transport makes up, not one the hub sends
    // (ARCHITECTURE.md, "gRPC statuses").
    let channel = cluster
        .channel(&impostor, &township(), cluster.hub_addr())
        .await
        .expect("the client's side of the handshake completes");
    let refused = raw_replication(channel)
        .heads(proto::HeadsRequest {
            local_heads: vec![sanji_proto::convert::origin_seq(&ledger(&v), 0)],
        })
        .await
        .expect_err("the hub answered a certificate of another CA");
    refused_in_tls(&refused);

    // Without any client certificate, the same.
    let genuine_ca = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(&genuine.ca_pem))
        .domain_name(sanji_pki::server_name(&township()));
    let channel =
        tonic::transport::Endpoint::from_shared(format!("https://{}", cluster.hub_addr()))
            .unwrap()
            .tls_config(genuine_ca)
            .unwrap()
            .connect()
            .await
            .expect("the client's side of the handshake completes");
    let refused = raw_replication(channel)
        .heads(proto::HeadsRequest {
            local_heads: vec![sanji_proto::convert::origin_seq(&ledger(&v), 0)],
        })
        .await
        .expect_err("the hub answered a client without a certificate");
    refused_in_tls(&refused);

    // The same request with the genuine certificate is answered.
    let mut client = cluster.hub_client(&v).await;
    assert_eq!(heads(&mut client, &ledger(&v), 0).await, 0);

    assert_eq!(
        cluster
            .hub_store()
            .version_vector()
            .unwrap()
            .get(&ledger(&v)),
        None
    );
    cluster.shutdown().await;
}

/// English and raw text from tonic, hyper, rustls or the resolver, none of
/// which a clerk should read.
const RAW: [&str; 9] = [
    "dns error",
    "failed to lookup",
    "invalid peer certificate",
    "UnknownIssuer",
    "transport error",
    "alert",
    "broken pipe",
    "The caller",
    "error trying to connect",
];

fn in_chinese(said: &str, expected: &str) {
    assert!(said.contains(expected), "{said}");
    for raw in RAW {
        assert!(!said.contains(raw), "{raw:?} in {said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_lookup_and_certificate_failures_reach_the_clerk_in_chinese() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let genuine = cluster.certs(&v);
    let upstream = |addr: String, certs: CertFiles| sanji_sync::Upstream {
        addr,
        parent: township(),
        certs,
        clock: sanji_sync::Clock::system(),
    };
    let said = |result: Result<sanji_sync::Link, sanji_sync::SyncError>| match result {
        Ok(_) => panic!("connected"),
        Err(e) => e.to_string(),
    };

    // A hub address whose name does not resolve (`.invalid` never does).
    let lookup =
        sanji_sync::Link::connect(&upstream("hub.sanji.invalid:7443".into(), genuine.clone()))
            .await;
    in_chinese(&said(lookup), "查不到主机名 hub.sanji.invalid 的地址");

    // A laptop whose folder holds another CA: it cannot verify the hub.
    let rogue_dir = cluster.dir.path().join("rogue-ca");
    sanji_pki::init_ca(&rogue_dir, &county()).unwrap();
    sanji_pki::issue_node(&rogue_dir, &v, &rogue_dir, &[]).unwrap();
    let rogue = CertFiles::load(&rogue_dir, v.as_str()).unwrap();
    let foreign =
        sanji_sync::Link::connect(&upstream(cluster.hub_addr().to_string(), rogue.clone())).await;
    in_chinese(&said(foreign), "上级的证书不是本县 CA 签发的");

    // A laptop that trusts the hub but shows a certificate of another CA:
    // refused by the hub in the TLS layer, seen at the first call.
    let impostor = CertFiles {
        ca_pem: genuine.ca_pem.clone(),
        ..rogue
    };
    let link = sanji_sync::Link::connect(&upstream(cluster.hub_addr().to_string(), impostor))
        .await
        .expect("the client's side of the handshake completes");
    let station = cluster.open_station(&v);
    record_samples(&station, 0, 1);
    let refused = link.push(station.store(), &ledger(&v)).await.unwrap_err();
    assert!(
        matches!(refused, sanji_sync::SyncError::Unreachable { .. }),
        "{refused:?}"
    );
    in_chinese(&refused.to_string(), "不认本机的证书");
    drop(station);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_client_is_refused() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    for addr in [cluster.hub_addr(), cluster.county_addr()] {
        let refused = match plaintext_channel(addr).await {
            Err(_) => true,
            Ok(channel) => raw_replication(channel)
                .heads(proto::HeadsRequest {
                    local_heads: vec![sanji_proto::convert::origin_seq(&ledger(&village(1)), 0)],
                })
                .await
                .is_err(),
        };
        assert!(refused, "{addr} answered plaintext");
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_and_county_answer_health_checks_and_reflection_over_mtls() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    // The hub as seen by a station, the county as seen by the hub.
    let targets = [
        (village(1), township(), cluster.hub_addr()),
        (township(), county(), cluster.county_addr()),
    ];
    for (who, server, addr) in targets {
        let channel = cluster
            .channel(&cluster.certs(&who), &server, addr)
            .await
            .expect("TLS connection");

        let mut health = HealthClient::new(channel.clone());
        for service in ["sanji.v1.Replication", "sanji.v1.Console"] {
            let reply = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .unwrap_or_else(|s| panic!("{server} health of {service}: {s:?}"))
                .into_inner();
            assert_eq!(
                reply.status,
                ServingStatus::Serving as i32,
                "{server} {service}"
            );
        }
        let unknown = health
            .check(HealthCheckRequest {
                service: "sanji.v1.Nothing".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), tonic::Code::NotFound);

        let mut reflection = ServerReflectionClient::new(channel);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut replies = reflection
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .expect("reflection answers")
            .into_inner();
        let reply = replies.message().await.unwrap().expect("one reply");
        let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
            panic!("not a service list: {reply:?}");
        };
        let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
        for want in [
            "sanji.v1.Replication",
            "sanji.v1.Console",
            "grpc.health.v1.Health",
        ] {
            assert!(names.contains(&want), "{server} lists {names:?}");
        }
    }
    cluster.shutdown().await;
}

async fn stations_view(console: &mut ConsoleClient<tonic::transport::Channel>) -> Vec<PeerRow> {
    let reply = console
        .query(proto::QueryRequest {
            view: "stations".into(),
            params: Default::default(),
        })
        .await
        .expect("the hub's own certificate may query")
        .into_inner();
    assert_eq!(reply.view, "stations");
    serde_json::from_str(&reply.json).expect("the view is JSON rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_console_shows_each_station_in_sync_and_refuses_station_certificates() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let mut heads_by_station = BTreeMap::new();
    for (n, records) in [(1, 12), (2, 7), (3, 20)] {
        let v = village(n);
        let station = cluster.open_station(&v);
        record_samples(&station, 100 * n, records);
        let report = station.sync(1).await.unwrap();
        assert!(report.all_acked());
        heads_by_station.insert(v.to_string(), records as u64);
    }

    let mut console = cluster.hub_console(&township()).await;
    let rows = stations_view(&mut console).await;
    let listed: BTreeMap<String, (u64, u64)> = rows
        .iter()
        .map(|r| (r.code.clone(), (r.acked, r.pending)))
        .collect();
    let want: BTreeMap<String, (u64, u64)> = heads_by_station
        .iter()
        .map(|(code, head)| (code.clone(), (*head, 0)))
        .collect();
    assert_eq!(listed, want, "{rows:?}");
    for row in &rows {
        assert!(
            row.last_contact_ms > 0 && row.last_push_ms.is_some() && row.last_pull_ms.is_some()
        );
        assert_eq!(row.last_error, None);
    }

    // An unknown view names the field.
    let status = console
        .query(proto::QueryRequest {
            view: "gossip".into(),
            params: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("view"), "{status:?}");

    // A station's certificate may not read the hub's console.
    let mut as_station = cluster.hub_console(&village(1)).await;
    let status = as_station
        .query(proto::QueryRequest {
            view: "stations".into(),
            params: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_direct_children_may_sync_and_only_node_certificates() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let heads_of = |origin: sanji_domain::Origin| proto::HeadsRequest {
        local_heads: vec![sanji_proto::convert::origin_seq(&origin, 0)],
    };

    // A station may not talk to the county directly…
    let channel = cluster
        .channel(&cluster.certs(&v), &county(), cluster.county_addr())
        .await
        .unwrap();
    let status = raw_replication(channel)
        .heads(heads_of(ledger(&v)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains(v.as_str()), "{status:?}");

    // …nor another township's hub to ours.
    let neighbour = sanji_tests::code("360123101");
    let channel = cluster
        .channel(&cluster.certs(&neighbour), &township(), cluster.hub_addr())
        .await
        .unwrap();
    let status = raw_replication(channel)
        .heads(heads_of(sanji_domain::Origin::outbox(neighbour.clone())))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");

    // A station pulls only its own scope, and names its vector properly.
    let mut client = cluster.hub_client(&v).await;
    let status = client
        .pull(proto::PullRequest {
            scope: village(2).to_string(),
            version_vector: vec![],
            batch_limit: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("scope"), "{status:?}");
    let twice = sanji_proto::convert::origin_seq(&ledger(&v), 1);
    let status = client
        .pull(proto::PullRequest {
            scope: v.to_string(),
            version_vector: vec![twice.clone(), twice],
            batch_limit: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("version_vector[1].origin"),
        "{status:?}"
    );

    // A person's certificate is for the console, not for replication.
    let people = cluster.dir.path().join("people");
    let clerk = sanji_tests::issue_person(
        &cluster.ca_dir(),
        &v,
        sanji_pki::PersonRole::VillageStaff,
        "李明",
        &people,
    );
    let channel = cluster
        .channel(&clerk, &township(), cluster.hub_addr())
        .await
        .unwrap();
    let status = raw_replication(channel)
        .heads(heads_of(ledger(&v)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("人员证书"), "{status:?}");

    assert!(cluster.hub_holds_no_village_ledger());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_serves_the_nodes_own_people_and_filters_by_village() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let mut expected = BTreeMap::new();
    for n in [1, 2] {
        let station = cluster.open_station(&village(n));
        let events = record_samples(&station, 10 * n, 15);
        station.sync(1).await.unwrap();
        expected.insert(village(n), sanji_tests::Tally::of(&events));
    }

    let people = cluster.dir.path().join("people");
    let issue = |code: &sanji_domain::Code, role, name: &str| {
        sanji_tests::issue_person(&cluster.ca_dir(), code, role, name, &people)
    };
    let operator = issue(&township(), sanji_pki::PersonRole::Operator, "周总台");
    let clerk = issue(&village(1), sanji_pki::PersonRole::VillageStaff, "李明");

    let channel = cluster
        .channel(&operator, &township(), cluster.hub_addr())
        .await
        .unwrap();
    let mut console = ConsoleClient::new(channel);
    for (v, tally) in &expected {
        let reply = console
            .query(proto::QueryRequest {
                view: "screenings".into(),
                params: [("village".to_owned(), v.to_string())]
                    .into_iter()
                    .collect(),
            })
            .await
            .expect("the hub's operator may query")
            .into_inner();
        let rows: Vec<sanji_node::views::ScreeningRow> = serde_json::from_str(&reply.json).unwrap();
        let ids: std::collections::BTreeSet<_> = rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, tally.screenings, "{v}");
        assert!(rows.iter().all(|r| r.village == *v));
    }

    let channel = cluster
        .channel(&clerk, &township(), cluster.hub_addr())
        .await
        .unwrap();
    let status = ConsoleClient::new(channel)
        .query(proto::QueryRequest {
            view: "screenings".into(),
            params: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    assert!(
        sanji_sync::error::from_a_parent(&status),
        "the console's refusal is tagged as its own answer: {status:?}"
    );

    // The county's console answers the county only: the hub's certificate is refused there.
    let channel = cluster
        .channel(
            &cluster.certs(&township()),
            &county(),
            cluster.county_addr(),
        )
        .await
        .unwrap();
    let status = ConsoleClient::new(channel)
        .query(proto::QueryRequest {
            view: "townships".into(),
            params: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    cluster.shutdown().await;
}
