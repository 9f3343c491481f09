//! Hostile input below the RPCs: bytes that are not TLS, connections that say
//! nothing or half a handshake, more connections than the hub allows,
//! connections that never open a stream, and messages ten times the allowed
//! size. Each is closed or answered with a clear status, nothing is stored,
//! and a well-behaved station syncs while or right after it happens.
//!
//! Timeouts are set small through the hub's `[limits]`; every wait is on a
//! real event (a socket read returning end-of-file, the hub's count of open
//! connections changing), with a bound only as a failure guard.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut};
use sanji_node::NodeConfig;
use sanji_proto as proto;
use sanji_tests::{Cluster, ledger, record_samples, record_samples_batched, township, village};
use tokio::net::TcpStream;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;

/// Long enough never to fire during a test: the behaviour under test is not
/// a timer.
const NEVER_MS: u64 = 600_000;

/// The failure guard on every wait.
const GUARD: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {GUARD:?}"))
}

/// A cluster whose hub has these connection limits.
async fn cluster_with(
    max_connections: usize,
    handshake_timeout_ms: u64,
    connection_idle_timeout_ms: u64,
) -> Cluster {
    sanji_sync::tls::install_crypto();
    let mut cluster = Cluster::start().await;
    cluster.stop_hub().await;
    cluster
        .start_hub_with(|config: &mut NodeConfig| {
            config.limits.max_connections = max_connections;
            config.limits.handshake_timeout_ms = handshake_timeout_ms;
            config.limits.connection_idle_timeout_ms = connection_idle_timeout_ms;
        })
        .await;
    cluster
}

/// Waits until the hub holds exactly `n` connections.
async fn hub_holds(cluster: &Cluster, n: usize) {
    let mut open = cluster.hub().connections.open();
    within(&format!("the hub holding {n} connections"), async {
        open.wait_for(|&now| now == n).await.expect("the hub runs");
    })
    .await;
}

async fn send(socket: &TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        socket.writable().await.expect("writable");
        match socket.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("write failed: {e}"),
        }
    }
}

/// Reads until the hub closes the connection (end of file or a reset) and
/// returns what it sent before closing.
async fn closed_by_hub(what: &str, socket: &TcpStream) -> Vec<u8> {
    within(&format!("{what}: the hub closing the connection"), async {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if socket.readable().await.is_err() {
                return got;
            }
            match socket.try_read(&mut buf) {
                Ok(0) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return got,
            }
        }
    })
    .await
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("TCP connects")
}

/// A station records `n` events and syncs them all to the hub.
async fn station_syncs(cluster: &Cluster, n_village: usize, first: usize, n: usize) {
    let v = village(n_village);
    let station = cluster.open_station(&v);
    record_samples(&station, first, n);
    let report = within("a station's sync", station.sync(1))
        .await
        .expect("a well-behaved station syncs");
    assert!(report.all_acked(), "{report:?}");
    assert_eq!(
        cluster
            .hub_store()
            .head(&ledger(&v))
            .unwrap()
            .map(|h| h.seq),
        Some((first + n) as u64)
    );
}

/// The first bytes of a TLS ClientHello: a record header announcing 512
/// bytes, the handshake header, the version and part of the random. The
/// rest never comes.
fn half_client_hello() -> Vec<u8> {
    let mut bytes = vec![
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    bytes.extend((0u8..20).map(|i| i.wrapping_mul(37)));
    bytes
}

/// Deterministic noise (xorshift), not starting like a TLS record.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    assert!(!(0x14..=0x18).contains(&bytes[0]), "noise looks like TLS");
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_not_tls_are_closed_at_once_and_stations_keep_syncing() {
    // No timer can be what closes these connections.
    let cluster = cluster_with(2_000, NEVER_MS, NEVER_MS).await;
    let addr = cluster.hub_addr();

    let http1 = connect(addr).await;
    send(
        &http1,
        b"GET /sanji.v1.Replication/Heads HTTP/1.1\r\nHost: hub\r\n\r\n",
    )
    .await;
    let random = connect(addr).await;
    send(&random, &noise(4096)).await;

    // A station syncs while both are being dealt with.
    station_syncs(&cluster, 1, 0, 5).await;

    let answer = closed_by_hub("an HTTP/1 request", &http1).await;
    assert!(
        !answer.starts_with(b"HTTP/"),
        "the hub answered in HTTP: {:?}",
        String::from_utf8_lossy(&answer)
    );
    closed_by_hub("random bytes", &random).await;
    hub_holds(&cluster, 0).await;

    // And after.
    station_syncs(&cluster, 2, 0, 3).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_and_half_a_handshake_are_closed_after_the_handshake_timeout() {
    let timeout = Duration::from_millis(1_000);
    let cluster = cluster_with(2_000, timeout.as_millis() as u64, NEVER_MS).await;
    let addr = cluster.hub_addr();

    let opened = Instant::now();
    let silent = connect(addr).await;
    let half = connect(addr).await;
    send(&half, &half_client_hello()).await;
    hub_holds(&cluster, 2).await;

    // A station syncs while both are held open.
    station_syncs(&cluster, 1, 0, 5).await;

    let said = closed_by_hub("a silent connection", &silent).await;
    assert!(
        opened.elapsed() >= timeout,
        "closed before the handshake timeout"
    );
    assert!(said.is_empty(), "{said:?}");
    closed_by_hub("half a ClientHello", &half).await;
    hub_holds(&cluster, 0).await;

    station_syncs(&cluster, 2, 0, 3).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_closed_and_those_within_it_sync() {
    let cluster = cluster_with(3, NEVER_MS, NEVER_MS).await;
    let addr = cluster.hub_addr();

    // Two silent connections hold two of the three places; a station takes
    // the third and syncs.
    let mut held = vec![connect(addr).await, connect(addr).await];
    hub_holds(&cluster, 2).await;
    station_syncs(&cluster, 1, 0, 5).await;
    hub_holds(&cluster, 2).await;

    // The third place taken: the next connection is closed without a word,
    // and a station that tries now is told it cannot connect.
    held.push(connect(addr).await);
    hub_holds(&cluster, 3).await;
    let refused_before = cluster.hub().connections.refused();
    let over = connect(addr).await;
    let said = closed_by_hub("a connection past the cap", &over).await;
    assert!(said.is_empty(), "{said:?}");
    let v = village(2);
    let station = cluster.open_station(&v);
    record_samples(&station, 0, 3);
    let error = within("a refused sync", station.sync(1))
        .await
        .expect_err("no place left for the station");
    assert!(error.to_string().contains("无法连接上级"), "{error}");
    assert!(error.to_string().contains("连接数已满"), "{error}");
    assert!(cluster.hub().connections.refused() >= refused_before + 2);
    assert_eq!(cluster.hub_store().head(&ledger(&v)).unwrap(), None);
    hub_holds(&cluster, 3).await;

    // One leaves: the station gets its place and syncs.
    drop(held.pop());
    hub_holds(&cluster, 2).await;
    let report = within("the sync", station.sync(1)).await.unwrap();
    assert!(report.all_acked(), "{report:?}");
    drop(held);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_opens_no_stream_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(1_000);
    let cluster = cluster_with(2_000, NEVER_MS, idle.as_millis() as u64).await;

    // A station's certificate, a finished handshake, and then nothing.
    let v = village(1);
    let opened = Instant::now();
    let channel = cluster
        .channel(&cluster.certs(&v), &township(), cluster.hub_addr())
        .await
        .expect("TLS connection to the hub");
    // Silence before TLS is closed by the same timer.
    let silent = connect(cluster.hub_addr()).await;

    // Another station syncs meanwhile.
    station_syncs(&cluster, 2, 0, 5).await;

    closed_by_hub("a silent TCP connection", &silent).await;
    hub_holds(&cluster, 0).await;
    assert!(opened.elapsed() >= idle, "closed before the idle timeout");

    // The idle station's own channel connects again when it next has
    // something to say.
    let mut client = sanji_tests::raw_replication(channel);
    let mut reconnected = None;
    for _ in 0..2 {
        // The first call may meet the closed connection.
        match client
            .heads(proto::HeadsRequest {
                local_heads: vec![sanji_proto::convert::origin_seq(&ledger(&v), 0)],
            })
            .await
        {
            Ok(reply) => {
                reconnected = Some(reply.into_inner());
                break;
            }
            // Met the connection the hub closed: the client's own transport
            // says so (UNAVAILABLE, or a broken pipe it reports as UNKNOWN
            // with the IO error as its cause), never a status from the hub.
            Err(status) => assert!(
                status.code() == tonic::Code::Unavailable
                    || (status.code() == tonic::Code::Unknown
                        && std::error::Error::source(&status).is_some()
                        && status.metadata().get(sanji_sync::STATUS_TAG).is_none()),
                "{status:?}"
            ),
        }
    }
    assert!(reconnected.is_some(), "the channel did not reconnect");
    drop(client);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_push_is_not_cut_by_the_connection_idle_timeout() {
    let cluster = cluster_with(2_000, NEVER_MS, 1_000).await;
    let v = village(1);
    let station = cluster.open_station(&v);
    record_samples_batched(&station, 0, 500);
    let events = station.store().events_after(&ledger(&v), 0, 500).unwrap();
    let batch = |no: u64, part: &[sanji_domain::Event]| proto::PushBatch {
        batch_no: no,
        events: part.iter().map(proto::convert::event_to_wire).collect(),
    };

    // A push stream, open and silent after its first ack.
    let channel = cluster
        .channel(&cluster.certs(&v), &township(), cluster.hub_addr())
        .await
        .expect("TLS connection to the hub");
    let mut client = sanji_tests::raw_replication(channel);
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let mut acks = client
        .push(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("the push opens")
        .into_inner();
    tx.send(batch(1, &events[..250])).await.unwrap();
    let first = within("the first ack", acks.message())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.acked.map(|a| a.seq), Some(250));

    // A connection opened after the push's last byte is closed by the idle
    // timer: the push's connection has been silent longer than that by now.
    let silent = connect(cluster.hub_addr()).await;
    closed_by_hub("a silent TCP connection", &silent).await;

    // The push's stream was open all along, so its connection is still there.
    tx.send(batch(2, &events[250..])).await.unwrap();
    let second = within("the second ack", acks.message())
        .await
        .expect("the push is not cut")
        .unwrap();
    assert_eq!(second.acked.map(|a| a.seq), Some(500));
    drop(tx);
    assert!(
        within("the end of the push", acks.message())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        cluster
            .hub_store()
            .head(&ledger(&v))
            .unwrap()
            .map(|h| h.seq),
        Some(500)
    );
    drop(station);
    cluster.shutdown().await;
}

/// Sends and receives raw bytes: what a broken or hostile client puts on the wire.
#[derive(Clone, Copy)]
struct RawCodec;
struct RawEncoder;
struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_ten_times_the_allowed_size_is_refused_naming_the_limit() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    let event = record_samples(&station, 0, 1).remove(0);
    let wire = sanji_proto::convert::event_to_wire(&event);
    let channel = cluster
        .channel(&cluster.certs(&v), &township(), cluster.hub_addr())
        .await
        .expect("TLS connection to the hub");
    // A client that lets itself send what the hub never accepts.
    let mut client = proto::replication_client::ReplicationClient::new(channel.clone())
        .max_encoding_message_size(usize::MAX);
    let limit = proto::MAX_MESSAGE_BYTES.to_string();

    // One batch of 160 MiB: its event's payload alone is ten times the limit.
    let mut huge = wire.clone();
    huge.payload = vec![b' '; 10 * proto::MAX_MESSAGE_BYTES];
    let status = within(
        "the oversized push",
        sanji_tests::push(
            &mut client,
            vec![proto::PushBatch {
                batch_no: 1,
                events: vec![huge],
            }],
        ),
    )
    .await
    .expect_err("a message ten times the limit is refused");
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    assert!(status.message().contains(&limit), "{status:?}");
    assert!(status.message().contains("上限"), "{status:?}");
    // tonic's own words are not passed on.
    assert!(!status.message().contains("too large"), "{status:?}");

    // The same size in a unary call.
    let status = within(
        "the oversized heads",
        client.heads(proto::HeadsRequest {
            local_heads: vec![proto::OriginSeq {
                origin: "x".repeat(10 * proto::MAX_MESSAGE_BYTES),
                seq: 1,
            }],
        }),
    )
    .await
    .expect_err("a message ten times the limit is refused");
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    assert!(status.message().contains(&limit), "{status:?}");

    // Ten times the events a batch may carry, in a message of allowed size.
    let status = within(
        "the push of 10,000 events",
        sanji_tests::push(
            &mut client,
            vec![proto::PushBatch {
                batch_no: 1,
                events: vec![wire.clone(); 10 * proto::MAX_BATCH_EVENTS],
            }],
        ),
    )
    .await
    .expect_err("ten times the events is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("10000"), "{status:?}");
    assert!(
        status
            .message()
            .contains(&proto::MAX_BATCH_EVENTS.to_string()),
        "{status:?}"
    );

    // A push whose message is not protobuf is refused too, not ended as if
    // it had been fine.
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("the hub is ready");
    let status = within("the garbled push", async {
        let mut replies = grpc
            .streaming(
                tonic::Request::new(tokio_stream::iter(vec![vec![0x0a, 0x7f, 0x61]])),
                PathAndQuery::from_static("/sanji.v1.Replication/Push"),
                RawCodec,
            )
            .await?
            .into_inner();
        while replies.message().await?.is_some() {}
        Ok::<(), Status>(())
    })
    .await
    .expect_err("a garbled push is refused");
    // The sender's bytes are at fault, not the hub's storage (INTERNAL).
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with("PushBatch: "), "{status:?}");
    assert!(
        status.message().contains("不是合法的 PushBatch 消息"),
        "{status:?}"
    );
    assert!(!status.message().contains("decode"), "{status:?}");
    assert!(
        status.metadata().get(sanji_sync::STATUS_TAG).is_some(),
        "said by the hub: {status:?}"
    );

    assert!(cluster.hub_holds_no_village_ledger(), "nothing was stored");

    // The station itself, and another, sync normally.
    let report = within("the sync", station.sync(1)).await.unwrap();
    assert_eq!((report.push.acked, report.push.stored), (1, 1));
    station_syncs(&cluster, 2, 0, 3).await;
    cluster.shutdown().await;
}
