//! One laptop cannot hold a hub's streams for everyone: past its stream limit
//! it is told to wait, a push left silent is ended, and other villages sync
//! throughout.

use sanji_node::server;
use sanji_proto as proto;
use sanji_tests::{Cluster, raw_replication, record_samples, township, village};
use tokio_stream::wrappers::ReceiverStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_per_station_are_limited_and_idle_pushes_are_ended() {
    sanji_sync::tls::install_crypto();
    let mut cluster = Cluster::start().await;
    cluster.stop_hub().await;
    let mut config = cluster.hub_config();
    config.limits.streams_per_peer = 2;
    config.limits.idle_timeout_ms = 300;
    let store = server::open_store(&config).unwrap();
    let hub = server::start_with(config, store, server::bind("127.0.0.1:0").unwrap())
        .await
        .unwrap();

    let (greedy, other) = (village(1), village(2));
    let channel = cluster
        .channel(&cluster.certs(&greedy), &township(), hub.addr)
        .await
        .unwrap();
    let mut client = raw_replication(channel);

    // Two silent pushes take the station's two streams.
    let mut held = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..2 {
        let (tx, rx) = tokio::sync::mpsc::channel::<proto::PushBatch>(1);
        senders.push(tx);
        held.push(
            client
                .push(ReceiverStream::new(rx))
                .await
                .expect("within the limit")
                .into_inner(),
        );
    }
    let (_tx, rx) = tokio::sync::mpsc::channel::<proto::PushBatch>(1);
    let refused = client.push(ReceiverStream::new(rx)).await.unwrap_err();
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

    // The silent pushes are ended with the reason, and their slots come back.
    for mut acks in held {
        let ended = acks.message().await.unwrap_err();
        assert_eq!(ended.code(), tonic::Code::DeadlineExceeded, "{ended:?}");
        assert!(ended.message().contains("空闲"), "{}", ended.message());
    }
    drop(senders);
    let mut laptop = cluster.open_station(&greedy);
    laptop.set_parent_addr(&hub.addr.to_string());
    record_samples(&laptop, 0, 2);
    assert!(laptop.sync(1).await.unwrap().all_acked());
    hub.stop().await.unwrap();
}
