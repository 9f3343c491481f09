//! What more than one of the binary's test files needs. Each file uses
//! some of it, so what one file leaves unused is no warning.
#![allow(dead_code)]

use sanji_domain::{Code, Origin};
use sanji_proto as proto;
use sanji_proto::convert;
use sanji_store::Store;
use tokio_stream::wrappers::ReceiverStream;

pub const HUB: &str = "360123100";
pub const VILLAGE: &str = "360123100201";

/// The county CA, the hub's and the village's certificates in `d`, and a
/// station initialised against `hub_addr` (`station init` with `extra`
/// flags and `env`); returns the station's config path.
pub fn setup_station(
    d: &std::path::Path,
    hub_addr: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> std::path::PathBuf {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sanji"))
            .args(args)
            .current_dir(d)
            .env("SANJI_LOG", "error")
            .env_remove("SANJI_CONFIG")
            .env_remove("SANJI_PASSPHRASE")
            .envs(env.iter().copied())
            .output()
            .expect("sanji runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["pki", "init", "--county", "360123", "--dir", "ca"], &[]);
    for c in [HUB, VILLAGE] {
        run(
            &[
                "pki", "issue", "node", "--code", c, "--ca-dir", "ca", "--out", "certs",
            ],
            &[],
        );
    }
    let mut init = vec![
        "station",
        "init",
        "--config",
        "station.toml",
        "--code",
        VILLAGE,
        "--hub",
        hub_addr,
        "--data",
        "station",
        "--certs",
        "certs",
        "--by",
        "李红梅",
    ];
    init.extend_from_slice(extra);
    run(&init, env);
    d.join("station.toml")
}

pub fn code(text: &str) -> Code {
    Code::parse(text).expect("a valid code")
}

/// Pushes the station's ledger from the hub's head in batches of 250,
/// recording every ack; returns the highest ack seen (the push may break).
pub async fn push_recording_acks(
    addr: &str,
    certs: &sanji_pki::CertFiles,
    station: &Store,
    ledger: &Origin,
) -> u64 {
    let Ok(endpoint) = sanji_sync::tls::endpoint(addr, certs, &code(HUB)) else {
        return 0;
    };
    let Ok(channel) = endpoint.connect().await else {
        return 0;
    };
    let mut client = proto::replication_client::ReplicationClient::new(channel);
    let Ok(heads) = client
        .heads(proto::HeadsRequest {
            local_heads: vec![convert::origin_seq(ledger, 0)],
        })
        .await
    else {
        return 0;
    };
    let mut acked = heads.into_inner().acked.first().map_or(0, |h| h.seq);
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let Ok(response) = client.push(ReceiverStream::new(rx)).await else {
        return acked;
    };
    let mut acks = response.into_inner();
    let mut next = acked;
    loop {
        let events = station.events_after(ledger, next, 250).unwrap();
        let Some(last) = events.last() else { break };
        next = last.seq;
        let batch = proto::PushBatch {
            batch_no: next,
            events: events.iter().map(convert::event_to_wire).collect(),
        };
        if tx.send(batch).await.is_err() {
            break;
        }
        match acks.message().await {
            Ok(Some(ack)) => acked = ack.acked.map_or(acked, |a| a.seq),
            _ => break,
        }
    }
    acked
}
