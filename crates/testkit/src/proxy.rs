//! A TCP proxy a test controls, to break the link to Postgres or RabbitMQ without touching the
//! real server or any firewall: cut every open connection, refuse new ones, or blackhole traffic
//! (connections stay open, bytes vanish, as on a dead network path).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward everything.
    Pass,
    /// Close new connections at once (a stopped server).
    Refuse,
    /// Keep connections open but drop every byte (a dead network path).
    Blackhole,
}

#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    cuts: watch::Sender<u64>,
    stop: CancellationToken,
}

impl FaultProxy {
    /// Listens on 127.0.0.1:0 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let (mode, _) = watch::channel(Mode::Pass);
        let (cuts, _) = watch::channel(0u64);
        let proxy = Arc::new(Self { addr, mode, cuts, stop: CancellationToken::new() });
        let accepting = proxy.clone();
        tokio::spawn(async move { accepting.accept(listener, upstream).await });
        proxy
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Closes every open connection, as a server restart does.
    pub fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }

    async fn accept(self: Arc<Self>, listener: TcpListener, upstream: SocketAddr) {
        loop {
            let client = tokio::select! {
                () = self.stop.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((client, _)) => client,
                    Err(_) => continue,
                },
            };
            if *self.mode.borrow() == Mode::Refuse {
                drop(client);
                continue;
            }
            let Ok(server) = TcpStream::connect(upstream).await else { continue };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            let mut cuts = self.cuts.subscribe();
            cuts.mark_unchanged();
            let stop = self.stop.clone();
            let up = pump(client_read, server_write, self.mode.subscribe());
            let down = pump(server_read, client_write, self.mode.subscribe());
            tokio::spawn(async move {
                tokio::select! {
                    () = stop.cancelled() => {}
                    _ = cuts.changed() => {}
                    () = async { tokio::join!(up, down); } => {}
                }
            });
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mode: watch::Receiver<Mode>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if *mode.borrow() == Mode::Blackhole {
            continue;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
