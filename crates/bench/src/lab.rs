//! A county on loopback for measuring: a CA, certificates on demand, stores,
//! an in-process hub or a hub in its own process, and events made fast.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sanji_domain::time::cst_date;
use sanji_domain::{Code, Digest, Event, EventBody, Hlc, Origin};
use sanji_node::config::{NodeConfig, Role};
use sanji_node::server::{self, RunningNode};
use sanji_pki::CertFiles;
use sanji_store::{Store, StoreOptions, Unlock};
use sanji_sync::{Clock, Upstream};
use uuid::Uuid;

use crate::BenchError;

pub const COUNTY: &str = "360123";
pub const TOWNSHIP: &str = "360123100";

pub fn code(text: &str) -> Code {
    Code::parse(text).expect("bench codes are valid")
}

/// The `n`-th village of the township (0-based; up to 998).
pub fn village(n: usize) -> Code {
    code(&format!("{TOWNSHIP}{:03}", n + 1))
}

pub struct Lab {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub certs: PathBuf,
}

impl Lab {
    pub fn new(dir: &Path) -> Result<Lab, BenchError> {
        let ca = dir.join("ca");
        let certs = dir.join("certs");
        sanji_pki::init_ca(&ca, &code(COUNTY))?;
        for c in [COUNTY, TOWNSHIP] {
            sanji_pki::issue_node(&ca, &code(c), &certs, &[])?;
        }
        Ok(Lab {
            dir: dir.to_owned(),
            ca,
            certs,
        })
    }

    pub fn certify(&self, node: &Code) -> Result<(), BenchError> {
        if !self.certs.join(format!("{node}.pem")).exists() {
            sanji_pki::issue_node(&self.ca, node, &self.certs, &[])?;
        }
        Ok(())
    }

    /// A plain store, as a hub or the county keeps.
    pub fn store(&self, name: &str, node: &Code, cache_mb: u64) -> Result<Store, BenchError> {
        self.open(name, node, cache_mb, Unlock::Plain)
    }

    /// A village station's store, encrypted under its node key as in production.
    pub fn station_store(
        &self,
        name: &str,
        village: &Code,
        cache_mb: u64,
    ) -> Result<Store, BenchError> {
        self.certify(village)?;
        let key = CertFiles::load(&self.certs, village.as_str())?.key_pem;
        self.open(name, village, cache_mb, Unlock::node_key(key.as_bytes()))
    }

    fn open(
        &self,
        name: &str,
        node: &Code,
        cache_mb: u64,
        unlock: Unlock,
    ) -> Result<Store, BenchError> {
        Ok(Store::open(
            &self.dir.join("data").join(name),
            node,
            StoreOptions {
                cache_bytes: cache_mb << 20,
                unlock,
            },
        )?)
    }

    pub fn hub_config(&self, data: &str) -> NodeConfig {
        let mut config = NodeConfig::new(
            Role::Hub,
            code(TOWNSHIP),
            self.dir.join("data").join(data),
            self.certs.clone(),
        );
        config.listen = Some("127.0.0.1:0".into());
        config
    }

    /// A hub serving in this process.
    pub async fn hub(&self, data: &str) -> Result<RunningNode, BenchError> {
        let config = self.hub_config(data);
        let store = server::open_store(&config)?;
        Ok(server::start_with(config, store, server::bind("127.0.0.1:0")?).await?)
    }

    pub fn upstream(&self, station: &Code, hub_addr: &str) -> Result<Upstream, BenchError> {
        self.certify(station)?;
        Ok(Upstream {
            addr: hub_addr.to_owned(),
            parent: code(TOWNSHIP),
            certs: CertFiles::load(&self.certs, station.as_str())?,
            clock: Clock::system(),
        })
    }
}

/// Makes a village's ledger quickly: valid, chained events as the station
/// would have written them, without the cost of writing them one by one.
pub struct Ledger {
    pub origin: Origin,
    next_seq: u64,
    prev: Digest,
    clock_ms: u64,
}

impl Ledger {
    pub fn new(village: &Code) -> Ledger {
        Ledger::of(
            Origin::node(village.clone()),
            Clock::system().now_ms() - 3_600_000,
        )
    }

    /// The ledger of any origin, its stamps starting just after `clock_ms`.
    pub fn of(origin: Origin, clock_ms: u64) -> Ledger {
        Ledger {
            origin,
            next_seq: 1,
            prev: Digest::GENESIS,
            clock_ms,
        }
    }

    /// The last stamp this ledger gave, in Unix ms.
    pub fn clock_ms(&self) -> u64 {
        self.clock_ms
    }

    pub fn next(&mut self, n: usize) -> Vec<Event> {
        let village = self.origin.code().clone();
        let today = cst_date(self.clock_ms);
        let bodies = (0..n)
            .map(|i| {
                let screening = sanji_demo::samples::screening(&village, i, today, 0, "测试员");
                (Uuid::now_v7(), EventBody::ScreeningRecorded(screening))
            })
            .collect();
        self.next_with(bodies)
    }

    /// The next events of this ledger, one per (entity, body), chained.
    pub fn next_with(&mut self, bodies: Vec<(Uuid, EventBody)>) -> Vec<Event> {
        bodies
            .into_iter()
            .map(|(entity, body)| {
                self.clock_ms += 1;
                let event = Event {
                    id: Uuid::now_v7(),
                    origin: self.origin.clone(),
                    seq: self.next_seq,
                    hlc: Hlc::new(self.clock_ms, 0),
                    author: "测试员".into(),
                    entity,
                    body,
                    prev_hash: self.prev,
                    hash_rule: sanji_domain::HashRule::CURRENT,
                };
                self.prev = event.hash();
                self.next_seq += 1;
                event
            })
            .collect()
    }

    /// Fills `store` with `count` events of this ledger, in batches.
    pub fn fill(&mut self, store: &Store, count: u64) -> Result<(), BenchError> {
        let mut left = count;
        while left > 0 {
            let n = left.min(1000) as usize;
            store.apply(self.next(n), sanji_store::ApplyMode::Chain)?;
            left -= n as u64;
        }
        Ok(())
    }
}

/// A hub running as its own process (the `sanji` binary), so its memory is
/// its own.
pub struct HubProcess {
    child: Child,
    pub addr: String,
}

impl HubProcess {
    pub async fn start(
        exe: &Path,
        lab: &Lab,
        data: &str,
    ) -> Result<(HubProcess, Duration), BenchError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| BenchError::Other(e.to_string()))?
            .port();
        let mut config = lab.hub_config(data);
        config.listen = Some(format!("127.0.0.1:{port}"));
        let path = lab.dir.join(format!("{data}.toml"));
        config.save(&path)?;
        let log = std::fs::File::create(lab.dir.join(format!("{data}.log")))
            .map_err(|e| BenchError::Other(e.to_string()))?;
        let started = Instant::now();
        let child = Command::new(exe)
            .args(["hub", "serve", "--config"])
            .arg(&path)
            .env("SANJI_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| BenchError::Other(format!("无法启动 {}:{e}", exe.display())))?;
        let mut hub = HubProcess {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        hub.wait_serving(lab, Duration::from_secs(120)).await?;
        Ok((hub, started.elapsed()))
    }

    /// Polls the standard health check until the hub answers SERVING.
    async fn wait_serving(&mut self, lab: &Lab, limit: Duration) -> Result<(), BenchError> {
        let certs = CertFiles::load(&lab.certs, TOWNSHIP)?;
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::Other(format!("镇中心进程退出了:{status}")));
            }
            if health(&self.addr, &certs).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(BenchError::Other("镇中心进程迟迟没有开始服务".into()));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Peak resident memory (VmHWM), in MiB.
    pub fn peak_rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn health(addr: &str, certs: &CertFiles) -> bool {
    let Ok(endpoint) = sanji_sync::tls::endpoint(addr, certs, &code(TOWNSHIP)) else {
        return false;
    };
    let Ok(channel) = endpoint.connect().await else {
        return false;
    };
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let request = tonic_health::pb::HealthCheckRequest {
        service: "sanji.v1.Replication".into(),
    };
    matches!(client.check(request).await, Ok(r) if r.get_ref().status == 1)
}
