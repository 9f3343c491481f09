//! What a server lets in at the TCP level, below TLS and gRPC: at most
//! `max_connections` at once (a county morning is 500 stations), and a
//! connection that has had no open stream for `idle` is closed. The TLS
//! handshake's own timeout is tonic's (`ServerTlsConfig::timeout`).
//!
//! [`Incoming`] wraps the listener: every accepted socket takes a permit or is
//! closed at once, and becomes a [`Conn`] that holds the permit until the
//! socket is dropped. [`StreamLayer`] counts the requests (gRPC streams) open
//! on each connection, from the request's arrival until its response body is
//! finished; a connection whose count stays at zero for `idle` fails its next
//! read, and hyper drops it. A long push is one open stream the whole time,
//! so no idle timer runs during it.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tokio_stream::Stream;
use tonic::codegen::http;
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming, TlsConnectInfo};
use tracing::{debug, warn};

/// The connections one server holds, shared by the listener and the layer.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Shared>,
}

struct Shared {
    max: usize,
    idle: Duration,
    permits: Arc<Semaphore>,
    /// Open connections by peer address: what the layer finds a request's
    /// connection by (tonic hands a request only its `TcpConnectInfo`).
    by_peer: Mutex<HashMap<SocketAddr, Arc<Activity>>>,
    /// How many are open now, for whoever wants to watch (tests, status).
    open: watch::Sender<usize>,
    refused: AtomicU64,
}

/// What a connection is doing: how many streams it has open, and since when
/// it has had none.
struct Activity {
    streams: AtomicUsize,
    idle_since: Mutex<Instant>,
    /// The reader to wake when the last stream ends, so the idle timer starts.
    reader: AtomicWaker,
}

impl Connections {
    pub fn new(max: usize, idle: Duration) -> Connections {
        let max = max.max(1);
        Connections {
            inner: Arc::new(Shared {
                max,
                idle,
                permits: Arc::new(Semaphore::new(max)),
                by_peer: Mutex::default(),
                open: watch::Sender::new(0),
                refused: AtomicU64::new(0),
            }),
        }
    }

    /// The number of connections open now, updated as they come and go.
    pub fn open(&self) -> watch::Receiver<usize> {
        self.inner.open.subscribe()
    }

    /// Connections refused so far because the server was full.
    pub fn refused(&self) -> u64 {
        self.inner.refused.load(Ordering::Relaxed)
    }

    /// The listener, capped.
    pub fn incoming(&self, listener: TcpIncoming) -> Incoming {
        Incoming {
            listener,
            connections: self.clone(),
        }
    }

    pub fn layer(&self) -> StreamLayer {
        StreamLayer {
            connections: self.clone(),
        }
    }

    fn admit(&self, socket: TcpStream) -> Option<Conn> {
        let shared = &self.inner;
        let Ok(permit) = shared.permits.clone().try_acquire_owned() else {
            let n = shared.refused.fetch_add(1, Ordering::Relaxed) + 1;
            // Once, then every thousandth: a flood must not flood the log too.
            if n % 1000 == 1 {
                warn!(
                    max = shared.max,
                    refused = n,
                    peer = ?socket.peer_addr().ok(),
                    "连接数已达上限 {},新连接被关闭(connection limit reached)",
                    shared.max
                );
            }
            return None;
        };
        let peer = socket.peer_addr().ok();
        let activity = Arc::new(Activity {
            streams: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            reader: AtomicWaker::new(),
        });
        if let Some(peer) = peer {
            lock(&shared.by_peer).insert(peer, activity.clone());
        }
        shared.open.send_modify(|n| *n += 1);
        Some(Conn {
            socket,
            peer,
            activity,
            idle: shared.idle,
            timer: None,
            connections: self.clone(),
            permit: Some(permit),
        })
    }

    fn activity(&self, peer: &SocketAddr) -> Option<Arc<Activity>> {
        lock(&self.inner.by_peer).get(peer).cloned()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The listener: yields the connections within the cap and closes the rest
/// as soon as they are accepted.
pub struct Incoming {
    listener: TcpIncoming,
    connections: Connections,
}

impl Stream for Incoming {
    type Item = io::Result<Conn>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match Pin::new(&mut self.listener).poll_next(cx) {
                Poll::Ready(Some(Ok(socket))) => {
                    if let Some(conn) = self.connections.admit(socket) {
                        return Poll::Ready(Some(Ok(conn)));
                    }
                    // Refused: the socket is dropped (closed); accept the next.
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// An accepted connection within the cap.
pub struct Conn {
    socket: TcpStream,
    peer: Option<SocketAddr>,
    activity: Arc<Activity>,
    idle: Duration,
    /// Armed while no stream is open, for `idle_since + idle`.
    timer: Option<Pin<Box<Sleep>>>,
    connections: Connections,
    /// Given back in `drop` before the open count goes down, so whoever sees
    /// the count fall finds the place free (fields drop only after `drop`).
    permit: Option<OwnedSemaphorePermit>,
}

impl Conn {
    /// True once the connection has had no open stream for `idle`. Registers
    /// the reader to be woken when that happens or when the last stream ends.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.activity.reader.register(cx.waker());
        if self.activity.streams.load(Ordering::Acquire) > 0 {
            self.timer = None;
            return false;
        }
        let deadline = *lock(&self.activity.idle_since) + self.idle;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        timer.as_mut().poll(cx).is_ready()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let shared = &self.connections.inner;
        if let Some(peer) = self.peer {
            let mut by_peer = lock(&shared.by_peer);
            // A new connection from the same port may already be registered.
            if by_peer
                .get(&peer)
                .is_some_and(|a| Arc::ptr_eq(a, &self.activity))
            {
                by_peer.remove(&peer);
            }
        }
        drop(self.permit.take());
        shared.open.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Connected for Conn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.socket.connect_info()
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // What has arrived is read first: it may be the request that opens a
        // stream just as the timer runs out.
        let filled = buf.filled().len();
        match Pin::new(&mut this.socket).poll_read(cx, buf) {
            Poll::Pending => {}
            Poll::Ready(Ok(())) if buf.filled().len() == filled => return Poll::Ready(Ok(())),
            ready => return ready,
        }
        if this.idle_expired(cx) {
            debug!(peer = ?this.peer, idle_ms = this.idle.as_millis() as u64, "idle connection closed");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "连接 {} 秒内没有任何请求,已关闭(idle connection closed)",
                    this.idle.as_secs_f64()
                ),
            )));
        }
        Poll::Pending
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().socket).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().socket).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }
}

/// One open stream of a connection, from the request's arrival until its
/// response body is finished or dropped.
struct OpenStream {
    activity: Arc<Activity>,
}

impl OpenStream {
    fn open(activity: Arc<Activity>) -> OpenStream {
        activity.streams.fetch_add(1, Ordering::AcqRel);
        OpenStream { activity }
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        if self.activity.streams.fetch_sub(1, Ordering::AcqRel) == 1 {
            *lock(&self.activity.idle_since) = Instant::now();
            self.activity.reader.wake();
        }
    }
}

/// Counts every request as an open stream of its connection.
#[derive(Clone)]
pub struct StreamLayer {
    connections: Connections,
}

impl<S> tower_layer::Layer<S> for StreamLayer {
    type Service = Streams<S>;

    fn layer(&self, inner: S) -> Streams<S> {
        Streams {
            inner,
            connections: self.connections.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Streams<S> {
    inner: S,
    connections: Connections,
}

fn peer_of<B>(request: &http::Request<B>) -> Option<SocketAddr> {
    let ext = request.extensions();
    ext.get::<TlsConnectInfo<TcpConnectInfo>>()
        .and_then(|i| i.get_ref().remote_addr())
        .or_else(|| ext.get::<TcpConnectInfo>().and_then(|i| i.remote_addr()))
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tonic::codegen::Service<http::Request<ReqBody>> for Streams<S>
where
    S: tonic::codegen::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Tracked<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // Counted now, not when the future first runs: the connection's
        // reader must see the stream before it next checks its timer.
        let stream = peer_of(&request)
            .and_then(|peer| self.connections.activity(&peer))
            .map(OpenStream::open);
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| Tracked {
                body,
                _stream: stream,
            }))
        })
    }
}

/// A response body that keeps its stream counted until it is done.
pub struct Tracked<B> {
    body: B,
    _stream: Option<OpenStream>,
}

impl<B> http_body::Body for Tracked<B>
where
    B: http_body::Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
