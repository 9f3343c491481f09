//! Bytes that are not protobuf at all: the hub answers with a status that
//! names the message and field it could not decode, stores nothing, and keeps
//! serving the stations that speak properly.

use bytes::{Buf, BufMut};
use sanji_tests::{Cluster, ledger, record_samples, village};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;

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
        let bytes = src.copy_to_bytes(src.remaining());
        Ok(Some(bytes.to_vec()))
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

async fn send_raw(
    cluster: &Cluster,
    method: &'static str,
    body: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let v = village(1);
    let channel = cluster
        .channel(
            &cluster.certs(&v),
            &sanji_tests::township(),
            cluster.hub_addr(),
        )
        .await
        .expect("TLS connection to the hub");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("the hub is ready");
    let path = PathAndQuery::from_static(method);
    grpc.unary(tonic::Request::new(body), path, RawCodec)
        .await
        .map(|r| r.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_not_protobuf_are_refused_naming_the_field() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let before = cluster.hub_store().event_count().unwrap();

    // Field 1 of HeadsRequest is a repeated message; a varint there is malformed.
    let status = send_raw(&cluster, "/sanji.v1.Replication/Heads", vec![0x08, 0x01])
        .await
        .unwrap_err();
    // gRPC's status-code table asks for INTERNAL on a parse failure; the
    // message names the message type and the field.
    assert_eq!(status.code(), tonic::Code::Internal, "{status:?}");
    assert!(
        status.message().contains("HeadsRequest.local_heads"),
        "{}",
        status.message()
    );

    // A PullRequest whose scope (field 1, a string) is not UTF-8.
    let status = send_raw(
        &cluster,
        "/sanji.v1.Replication/Pull",
        vec![0x0a, 0x02, 0xff, 0xfe],
    )
    .await
    .unwrap_err();
    assert!(
        status.message().contains("PullRequest.scope"),
        "{}",
        status.message()
    );

    // A length that runs past the end of the message.
    let status = send_raw(&cluster, "/sanji.v1.Console/Query", vec![0x0a, 0x7f, 0x61])
        .await
        .unwrap_err();
    assert!(status.message().contains("decode"), "{}", status.message());

    assert_eq!(
        cluster.hub_store().event_count().unwrap(),
        before,
        "nothing was stored"
    );

    // The hub still serves a station that speaks properly.
    let v = village(1);
    let station = cluster.open_station(&v);
    record_samples(&station, 0, 5);
    let report = station.sync(1).await.expect("a proper sync still works");
    assert!(report.all_acked());
    assert_eq!(
        cluster
            .hub_store()
            .head(&ledger(&v))
            .unwrap()
            .map(|h| h.seq),
        Some(5)
    );
    cluster.shutdown().await;
}
