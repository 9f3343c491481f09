//! Files on cases (附件) across the replication protocol: a village's
//! signed agreement travels to the hub in pieces before the step that names
//! it, so a hub that acks the step holds the file; an event naming a file
//! the hub lacks is refused and stores nothing; an upload cut off resumes
//! where the hub's pieces end; altered bytes are refused; a file attached
//! at the township reaches the village's station on its pull; a station
//! may fetch only the files of cases in its scope; an escalated case's
//! copy reaches the county with its files. Real mTLS on loopback,
//! real sled stores.

use sanji_domain::attachment::{CHUNK_BYTES, FileRef, content_hash};
use sanji_domain::case::ActorRole;
use sanji_domain::time::cst_date;
use sanji_node::attachments::{FileUpload, case_file};
use sanji_node::ops::{Action, Actor, CaseCommand, CaseView, Query};
use sanji_node::station::Station;
use sanji_proto as proto;
use sanji_tests::*;

/// A scanned agreement of `size` bytes, different for each `seed`.
fn scan(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}

/// A case registered at village 1, received, accepted and handed back to
/// the village by the township, and pulled by the station.
async fn case_at_the_village(cluster: &Cluster, station: &Station) -> String {
    let today = cst_date(cluster.hub().operations.now_ms());
    let registered = station
        .register_case(None, case_registration(&village(1), today, "周大山"))
        .unwrap();
    station.sync(1).await.unwrap();
    let hub = &cluster.hub().operations;
    hub.sweep().await.unwrap();
    let case = registered.entity.to_string();
    for (role, command) in [
        (ActorRole::Operator, CaseCommand::Accept),
        (
            ActorRole::Director,
            CaseCommand::Assign {
                unit: None,
                village: Some(village(1)),
                person: "李明".into(),
                deadline: None,
            },
        ),
    ] {
        let actor = Actor {
            name: "刘芳".into(),
            role,
            code: township(),
        };
        hub.act(
            &actor,
            Action::CaseStep {
                case: case.clone(),
                command,
            },
        )
        .await
        .unwrap();
    }
    station.sync(1).await.unwrap();
    case
}

/// The station keeps `bytes` and names them on `case` as `title`.
fn attach_at_station(
    station: &Station,
    case: &str,
    title: &str,
    name: &str,
    bytes: &[u8],
) -> FileRef {
    let file = sanji_node::attachments::take_in(
        station.store(),
        &FileUpload {
            name: name.into(),
            bytes: bytes.to_vec(),
        },
    )
    .unwrap();
    station
        .case_step(
            None,
            case,
            CaseCommand::Attach {
                title: title.into(),
                file: file.clone(),
            },
        )
        .unwrap();
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_villages_agreement_reaches_the_hub_before_its_step_and_the_townships_scan_comes_back() {
    let cluster = Cluster::start().await;
    let station = cluster.open_station(&village(1));
    let case = case_at_the_village(&cluster, &station).await;

    // 2.5 MB: three pieces, the last one short.
    let agreement = scan(CHUNK_BYTES * 2 + CHUNK_BYTES / 2, 7);
    let file = attach_at_station(&station, &case, "调解协议书", "协议书.jpg", &agreement);
    assert_eq!(file.sha256, content_hash(&agreement));
    let report = station.sync(1).await.unwrap();
    assert_eq!(report.push.files_sent, 1, "{report:?}");
    assert!(report.all_acked());
    let hub = cluster.hub_store();
    assert!(hub.holds_attachment(&file).unwrap());
    let (attachment, bytes) = case_file(hub, &case, &file.sha256).unwrap();
    assert_eq!(attachment.title, "调解协议书");
    assert_eq!(bytes, agreement, "the hub holds the very bytes");
    let view: CaseView = serde_json::from_value(
        cluster
            .hub()
            .operations
            .query(Query::Case { case: case.clone() })
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(view.file.attachments.len(), 1);
    assert_eq!(view.file.attachments[0].by, "李明");

    // A second round sends nothing again.
    let again = station.sync(1).await.unwrap();
    assert_eq!(again.push.files_sent, 0);

    // The township scans the petition letter onto the same case; the
    // village's station fetches it with its pull.
    let letter = scan(300_000, 9);
    let hub_ops = &cluster.hub().operations;
    let operator = Actor {
        name: "刘芳".into(),
        role: ActorRole::Operator,
        code: township(),
    };
    let taken = hub_ops
        .take_in_file(
            &operator,
            FileUpload {
                name: "来信.pdf".into(),
                bytes: letter.clone(),
            },
        )
        .await
        .unwrap();
    hub_ops
        .act(
            &operator,
            Action::CaseStep {
                case: case.clone(),
                command: CaseCommand::Attach {
                    title: "来信扫描件".into(),
                    file: taken.clone(),
                },
            },
        )
        .await
        .unwrap();
    let pulled = station.sync(1).await.unwrap();
    assert_eq!(pulled.pull.files_received, 1, "{pulled:?}");
    let (_, at_village) = case_file(station.store(), &case, &taken.sha256).unwrap();
    assert_eq!(at_village, letter);

    // Escalated, the case's copy goes up to the county with both files.
    hub_ops
        .act(
            &operator,
            Action::CaseStep {
                case: case.clone(),
                command: CaseCommand::Escalate {
                    reason: "涉及多户,请县里协调".into(),
                },
            },
        )
        .await
        .unwrap();
    cluster.forward().await;
    let county = cluster.county_store();
    for (sha256, bytes) in [(&file.sha256, &agreement), (&taken.sha256, &letter)] {
        let (_, at_county) = case_file(county, &case, sha256).unwrap();
        assert_eq!(&at_county, bytes);
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_refuses_a_step_naming_a_file_it_lacks_and_a_file_that_is_not_what_it_is_named() {
    let cluster = Cluster::start().await;
    let station = cluster.open_station(&village(1));
    let case = case_at_the_village(&cluster, &station).await;
    let agreement = scan(CHUNK_BYTES + 10, 3);
    let file = attach_at_station(&station, &case, "调解协议书", "协议书.png", &agreement);
    let origin = ledger(&village(1));
    let mut client = cluster.hub_client(&village(1)).await;
    let acked = heads(&mut client, &origin, 0).await;
    let pending: Vec<_> = held(station.store(), &origin)
        .into_iter()
        .filter(|e| e.seq > acked)
        .collect();
    assert_eq!(pending.len(), 1, "only the step is pending");

    // The step without its file: refused, nothing stored.
    let refused = push(&mut client, vec![batch(1, &pending)])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("附件「调解协议书」"),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains("尚未完整上传"),
        "{}",
        refused.message()
    );
    assert_eq!(heads(&mut client, &origin, 0).await, acked);

    // The file's first piece, then the rest altered on the way: refused,
    // and what was held of it is let go.
    let piece = |offset: usize, data: &[u8]| proto::AttachmentPiece {
        sha256: file.sha256.clone(),
        size: file.size,
        offset: offset as u64,
        data: data.to_vec(),
    };
    let mut altered = agreement[CHUNK_BYTES..].to_vec();
    altered[0] ^= 1;
    let refused = client
        .put_attachment(tokio_stream::iter(vec![
            piece(0, &agreement[..CHUNK_BYTES]),
            piece(CHUNK_BYTES, &altered),
        ]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("不符"), "{}", refused.message());
    assert!(
        cluster
            .hub_store()
            .attachment_held(&file.sha256)
            .unwrap()
            .is_none()
    );

    // A piece out of order is refused in words.
    let refused = client
        .put_attachment(tokio_stream::iter(vec![piece(
            CHUNK_BYTES,
            &agreement[CHUNK_BYTES..],
        )]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("应从第 0 字节开始"),
        "{}",
        refused.message()
    );

    // An upload cut off after its first piece: the hub keeps the piece, and
    // the station's next round sends only the rest, then the step.
    let held_now = client
        .put_attachment(tokio_stream::iter(vec![piece(
            0,
            &agreement[..CHUNK_BYTES],
        )]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(held_now.received, CHUNK_BYTES as u64);
    assert!(!held_now.complete);
    let asked = client
        .attachments_held(proto::AttachmentsHeldRequest {
            sha256: vec![file.sha256.clone()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(asked.held[0].received, CHUNK_BYTES as u64);
    let report = station.sync(1).await.unwrap();
    assert_eq!(report.push.files_sent, 1);
    assert!(report.all_acked(), "{report:?}");
    let (_, bytes) = case_file(cluster.hub_store(), &case, &file.sha256).unwrap();
    assert_eq!(bytes, agreement);

    // Another village may not fetch a file of a case it has nothing to do with.
    let mut other = cluster.hub_client(&village(2)).await;
    let refused = other
        .get_attachment(proto::GetAttachmentRequest {
            sha256: file.sha256.clone(),
            offset: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    assert!(refused.message().contains("不在"), "{}", refused.message());
    // The village itself may, from any piece.
    let mut pieces = client
        .get_attachment(proto::GetAttachmentRequest {
            sha256: file.sha256.clone(),
            offset: CHUNK_BYTES as u64,
        })
        .await
        .unwrap()
        .into_inner();
    let tail = pieces.message().await.unwrap().unwrap();
    assert_eq!(tail.data, agreement[CHUNK_BYTES..]);
    assert!(pieces.message().await.unwrap().is_none());
    cluster.shutdown().await;
}
