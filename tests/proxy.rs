//! A fault-injecting TCP proxy, to put between a station and its hub.
//!
//! It only sees bytes: TLS stays end to end, and the station still checks
//! that the certificate behind the proxy names the hub (`<code>.sanji`),
//! whatever address it dialled. Each connection gets a fault plan drawn from
//! a seeded RNG: in either direction, a cut after some number of bytes, a
//! stall (forwarding stops for a while, then resumes or the connection is
//! cut), and small delays before chunks. The plan of the n-th connection
//! depends only on the seed and n, so `SANJI_PROXY_SEED` replays the same
//! plans (where the chunk boundaries fall still depends on timing).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// How often and how hard the proxy misbehaves.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Chance that a direction of a connection is cut.
    pub cut: f64,
    /// Chance that a direction of a connection stalls once.
    pub stall: f64,
    /// Chance that a stall ends with a cut rather than resuming.
    pub stall_then_cut: f64,
    /// The longest stall. Keep it well below the caller's round timeout, so
    /// a resumed stall is a slow round rather than a lost one.
    pub stall_max: Duration,
    /// Chance that a chunk waits before it is forwarded.
    pub delay: f64,
    pub delay_max: Duration,
    /// Where cuts and stalls fall, client → server: log-uniform from the
    /// first byte up to this many (the TLS handshake, a heads call and the
    /// first batches all get their share).
    pub reach_up: u64,
    /// The same, server → client.
    pub reach_down: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            cut: 0.5,
            stall: 0.3,
            stall_then_cut: 0.5,
            stall_max: Duration::from_millis(600),
            delay: 0.02,
            delay_max: Duration::from_millis(15),
            reach_up: 2 << 20,
            reach_down: 64 << 10,
        }
    }
}

/// What the proxy did, counted when a fault actually happened (a planned cut
/// beyond the end of a connection's traffic is not counted).
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    cuts_up: AtomicU64,
    cuts_down: AtomicU64,
    stalls_resumed: AtomicU64,
    stalls_cut: AtomicU64,
    delays: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
}

/// A snapshot of [`FaultProxy::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    pub connections: u64,
    /// Connections cut while forwarding client → server.
    pub cuts_up: u64,
    /// Connections cut while forwarding server → client.
    pub cuts_down: u64,
    pub stalls_resumed: u64,
    /// Stalls that ended with a cut (not counted in `cuts_*`).
    pub stalls_cut: u64,
    pub delays: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

impl std::ops::AddAssign for ProxyStats {
    fn add_assign(&mut self, o: ProxyStats) {
        self.connections += o.connections;
        self.cuts_up += o.cuts_up;
        self.cuts_down += o.cuts_down;
        self.stalls_resumed += o.stalls_resumed;
        self.stalls_cut += o.stalls_cut;
        self.delays += o.delays;
        self.bytes_up += o.bytes_up;
        self.bytes_down += o.bytes_down;
    }
}

impl ProxyStats {
    pub fn cuts(&self) -> u64 {
        self.cuts_up + self.cuts_down + self.stalls_cut
    }

    pub fn stalls(&self) -> u64 {
        self.stalls_resumed + self.stalls_cut
    }
}

/// The seed for a run: `SANJI_PROXY_SEED` if set, else a fresh one. Printed
/// either way, so a failing run can be replayed.
pub fn proxy_seed() -> u64 {
    let seed = match std::env::var("SANJI_PROXY_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SANJI_PROXY_SEED={text:?} is not a u64")),
        Err(_) => rand::rng().random(),
    };
    eprintln!("fault proxy seed: {seed} (replay with SANJI_PROXY_SEED={seed})");
    seed
}

/// A proxy listening on `127.0.0.1:0`, forwarding to one target. Dropping it
/// stops it and closes every connection it holds.
pub struct FaultProxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(target: SocketAddr, faults: Faults, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(accept_loop(
            listener,
            target,
            faults,
            seed,
            counters.clone(),
        ));
        FaultProxy {
            addr,
            counters,
            task,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> ProxyStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ProxyStats {
            connections: get(&c.connections),
            cuts_up: get(&c.cuts_up),
            cuts_down: get(&c.cuts_down),
            stalls_resumed: get(&c.stalls_resumed),
            stalls_cut: get(&c.stalls_cut),
            delays: get(&c.delays),
            bytes_up: get(&c.bytes_up),
            bytes_down: get(&c.bytes_down),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // The accept loop owns the connections' JoinSet: aborting it drops
        // the set, which aborts every connection and closes its sockets.
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    faults: Faults,
    seed: u64,
    counters: Arc<Counters>,
) {
    let mut connections = JoinSet::new();
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                n += 1;
                counters.connections.fetch_add(1, Ordering::Relaxed);
                // One stream per connection, from the seed and the connection's number only.
                let rng = StdRng::seed_from_u64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                connections.spawn(relay(client, target, faults, rng, counters.clone()));
            }
            // Reap finished connections so the set does not grow with the run.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// One direction's plan for one connection.
#[derive(Debug, Clone, Copy)]
struct Plan {
    cut_at: Option<u64>,
    stall: Option<Stall>,
}

#[derive(Debug, Clone, Copy)]
struct Stall {
    at: u64,
    for_: Duration,
    then_cut: bool,
}

/// 1..=reach, log-uniform: as many faults in the first kilobyte as in the
/// last megabyte of the range.
fn offset(rng: &mut StdRng, reach: u64) -> u64 {
    let exponent = rng.random_range(0.0..=(reach.max(2) as f64).ln());
    (exponent.exp() as u64).clamp(1, reach)
}

fn plan(rng: &mut StdRng, faults: &Faults, reach: u64) -> Plan {
    let cut_at = rng.random_bool(faults.cut).then(|| offset(rng, reach));
    let stall = rng.random_bool(faults.stall).then(|| Stall {
        at: offset(rng, reach),
        for_: rng.random_range(faults.stall_max / 10..=faults.stall_max),
        then_cut: rng.random_bool(faults.stall_then_cut),
    });
    Plan { cut_at, stall }
}

/// How a pump ended.
enum End {
    /// The source closed its side cleanly; the other direction may go on.
    Eof,
    /// The proxy cut the connection, or a socket failed: close everything.
    Cut,
}

async fn relay(
    client: TcpStream,
    target: SocketAddr,
    faults: Faults,
    mut rng: StdRng,
    counters: Arc<Counters>,
) {
    let up_plan = plan(&mut rng, &faults, faults.reach_up);
    let down_plan = plan(&mut rng, &faults, faults.reach_down);
    let (up_rng, down_rng) = (
        StdRng::seed_from_u64(rng.random()),
        StdRng::seed_from_u64(rng.random()),
    );
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(
        Direction::Up,
        client_read,
        server_write,
        up_plan,
        faults,
        up_rng,
        &counters,
    );
    let down = pump(
        Direction::Down,
        server_read,
        client_write,
        down_plan,
        faults,
        down_rng,
        &counters,
    );
    tokio::pin!(up, down);
    // Returning drops both sockets' halves: the connection is closed at both ends.
    tokio::select! {
        end = &mut up => {
            if let End::Eof = end {
                down.await;
            }
        }
        end = &mut down => {
            if let End::Eof = end {
                up.await;
            }
        }
    }
}

async fn pump(
    direction: Direction,
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    plan: Plan,
    faults: Faults,
    mut rng: StdRng,
    counters: &Counters,
) -> End {
    let mut buf = vec![0u8; 16 * 1024];
    let mut forwarded: u64 = 0;
    let mut stall = plan.stall;
    let bytes = match direction {
        Direction::Up => &counters.bytes_up,
        Direction::Down => &counters.bytes_down,
    };
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => {
                let _ = to.shutdown().await;
                return End::Eof;
            }
            Ok(n) => n,
            Err(_) => return End::Cut,
        };
        let mut chunk = &buf[..n];
        if faults.delay > 0.0 && rng.random_bool(faults.delay) {
            counters.delays.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(rng.random_range(Duration::ZERO..=faults.delay_max)).await;
        }
        let end = forwarded + chunk.len() as u64;
        if let Some(s) = stall
            && s.at <= end
            && plan.cut_at.is_none_or(|cut| cut > s.at)
        {
            // Forward up to the stall point, then hold everything after it.
            let (before, after) = chunk.split_at((s.at - forwarded) as usize);
            if to.write_all(before).await.is_err() {
                return End::Cut;
            }
            forwarded += before.len() as u64;
            bytes.fetch_add(before.len() as u64, Ordering::Relaxed);
            chunk = after;
            stall = None;
            tokio::time::sleep(s.for_).await;
            if s.then_cut {
                counters.stalls_cut.fetch_add(1, Ordering::Relaxed);
                return End::Cut;
            }
            counters.stalls_resumed.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(cut) = plan.cut_at
            && cut <= forwarded + chunk.len() as u64
        {
            let keep = (cut.saturating_sub(forwarded)) as usize;
            let _ = to.write_all(&chunk[..keep]).await;
            bytes.fetch_add(keep as u64, Ordering::Relaxed);
            let counter = match direction {
                Direction::Up => &counters.cuts_up,
                Direction::Down => &counters.cuts_down,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            return End::Cut;
        }
        if to.write_all(chunk).await.is_err() {
            return End::Cut;
        }
        forwarded += chunk.len() as u64;
        bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
}
