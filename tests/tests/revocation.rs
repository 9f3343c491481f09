//! A lost laptop: the county revokes its certificate, the hub refuses it at
//! its next call without a restart, the other villages keep syncing, and the
//! laptop's unsent records stay on it, ready to export.

use sanji_domain::Event;
use sanji_tests::{Cluster, ledger, record_samples, village};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_station_is_refused_at_its_next_call_and_keeps_its_data() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let (lost, other) = (village(1), village(2));
    let laptop = cluster.open_station(&lost);
    let neighbour = cluster.open_station(&other);
    record_samples(&laptop, 0, 5);
    assert!(laptop.sync(1).await.unwrap().all_acked());
    record_samples(&laptop, 5, 3);

    // The county revokes the laptop's certificate; the hub's certificate
    // folder is the CA folder in this cluster, so the list lands beside ca.pem.
    let pem = cluster.certs(&lost).cert_pem;
    sanji_pki::RevocationList::revoke(&cluster.ca_dir(), &pem, "电脑遗失", "2026-11-26 10:00")
        .unwrap();

    let refused = laptop.sync(1).await.unwrap_err().to_string();
    assert!(
        refused.contains("吊销") && refused.contains("电脑遗失"),
        "{refused}"
    );
    // The code in the clerk's words, not tonic's English description of it.
    assert!(refused.contains("(无权限)"), "{refused}");
    assert!(
        !refused.contains("The caller does not have permission"),
        "{refused}"
    );
    assert_eq!(
        cluster
            .hub_store()
            .head(&ledger(&lost))
            .unwrap()
            .map(|h| h.seq),
        Some(5)
    );

    let status = laptop.status().unwrap();
    assert_eq!(
        (status.events_recorded, status.pending),
        (8, 3),
        "nothing lost on the laptop"
    );
    assert!(status.last_sync.unwrap().error.unwrap().contains("吊销"));

    // The other villages are not affected.
    record_samples(&neighbour, 0, 4);
    assert!(neighbour.sync(1).await.unwrap().all_acked());

    // What the laptop holds can be handed over.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lost.jsonl");
    assert_eq!(laptop.export(&out, None).unwrap().events, 8);
    let exported: Vec<Event> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        exported.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    assert!(exported.iter().all(|e| e.origin == ledger(&lost)));
    assert!(
        exported.windows(2).all(|w| w[1].prev_hash == w[0].hash()),
        "the exported chain verifies"
    );
    cluster.shutdown().await;
}
