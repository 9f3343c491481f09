//! One laptop cannot hold a hub's streams for everyone: past its stream limit
//! it is told to wait, a push left silent is ended, and other villages sync
//! throughout.

use sanji_node::server;
use sanji_proto as proto;
use sanji_tests::{Cluster, raw_replication, record_samples, township, village};
use tokio_stream::wrappers::ReceiverStream;

/// A hub with these limits on the cluster's hub folder (its own hub stopped).
async fn hub_with(
    cluster: &Cluster,
    streams_per_peer: usize,
    idle_timeout_ms: u64,
) -> server::RunningNode {
    let mut config = cluster.hub_config();
    config.limits.streams_per_peer = streams_per_peer;
    config.limits.idle_timeout_ms = idle_timeout_ms;
    let store = server::open_store(&config).unwrap();
    server::start_with(config, store, server::bind("127.0.0.1:0").unwrap())
        .await
        .unwrap()
}

/// A push stream that sends nothing: its batches' sender and the acks.
async fn silent_push(
    client: &mut proto::replication_client::ReplicationClient<tonic::transport::Channel>,
) -> Result<
    (
        tokio::sync::mpsc::Sender<proto::PushBatch>,
        tonic::Streaming<proto::PushAck>,
    ),
    tonic::Status,
> {
    let (tx, rx) = tokio::sync::mpsc::channel::<proto::PushBatch>(1);
    let acks = client.push(ReceiverStream::new(rx)).await?.into_inner();
    Ok((tx, acks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_per_station_are_limited_and_idle_pushes_are_ended() {
    sanji_sync::tls::install_crypto();
    let mut cluster = Cluster::start().await;
    cluster.stop_hub().await;
    let (greedy, other) = (village(1), village(2));

    // The limit, with no idle timer that could end a stream meanwhile.
    let hub = hub_with(&cluster, 2, 600_000).await;
    let channel = cluster
        .channel(&cluster.certs(&greedy), &township(), hub.addr)
        .await
        .unwrap();
    let mut client = raw_replication(channel);
    // Two silent pushes take the station's two streams.
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(silent_push(&mut client).await.expect("within the limit"));
    }
    let refused = silent_push(&mut client).await.unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::ResourceExhausted,
        "{refused:?}"
    );
    assert!(
        refused.message().contains("最多 2 个"),
        "{}",
        refused.message()
    );

    // Another village is not affected.
    let mut neighbour = cluster.open_station(&other);
    neighbour.set_parent_addr(&hub.addr.to_string());
    record_samples(&neighbour, 0, 3);
    assert!(neighbour.sync(1).await.unwrap().all_acked());

    // Ended by the station, the streams give their slots back.
    for (tx, mut acks) in held {
        drop(tx);
        assert!(acks.message().await.unwrap().is_none());
    }
    let mut laptop = cluster.open_station(&greedy);
    laptop.set_parent_addr(&hub.addr.to_string());
    record_samples(&laptop, 0, 2);
    assert!(laptop.sync(1).await.unwrap().all_acked());
    drop(laptop);
    hub.stop().await.unwrap();

    // A push left silent is ended with the reason, and its slot comes back.
    let hub = hub_with(&cluster, 1, 300).await;
    let channel = cluster
        .channel(&cluster.certs(&greedy), &township(), hub.addr)
        .await
        .unwrap();
    let (_tx, mut acks) = silent_push(&mut raw_replication(channel))
        .await
        .expect("within the limit");
    let ended = acks.message().await.unwrap_err();
    assert_eq!(ended.code(), tonic::Code::DeadlineExceeded, "{ended:?}");
    assert!(ended.message().contains("空闲"), "{}", ended.message());
    let mut laptop = cluster.open_station(&greedy);
    laptop.set_parent_addr(&hub.addr.to_string());
    record_samples(&laptop, 2, 2);
    assert!(laptop.sync(1).await.unwrap().all_acked());
    drop(laptop);
    hub.stop().await.unwrap();
    cluster.shutdown().await;
}
