//! Several servers on one database: which one runs the scheduled work, and
//! which servers are alive. This module keeps this server's leases; their
//! table belongs to `app::servers::server`.
//!
//! Every server holds a lease named `server:<id>` and renews it every
//! third of the lease time; the others read those to tell which servers
//! are alive (a reconciliation whose server died is taken over). One
//! server also holds [`SCHEDULER`]: only it runs the collectors, counts,
//! alert rules, gates, notifications, retention and scheduled
//! reconciliations. When it dies, its lease runs out and the next server
//! to try takes it, within one lease time. A stopping server lets go of
//! its leases, so another takes over at its next try.
//!
//! No job runs on two servers at once: a holder stops its scheduled work
//! at its own deadline, counted from *before* the renewal it last made,
//! a sixth of the lease time ahead of the expiry the others read. A
//! holder that stalls (a long pause, a lost database) therefore stops
//! before anyone else may start. Times are the servers' clocks; the margin
//! covers their drift, so keep them synchronised (NTP), as for sessions.

use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

pub use app::servers::server::{SCHEDULER, forget_gone, holder, live_servers, release, try_hold};

/// This server's id: its host name, process id and a random part (a
/// restarted process is a new server).
pub fn server_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    let random: u16 = rand::random();
    format!("{host}:{}:{random:04x}", std::process::id())
}

/// This server's holding of the scheduler lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// The lease's term.
    pub term: i64,
    /// When this server stops counting itself the holder unless renewed.
    pub until: Instant,
}

/// This server's leases, kept by [`Lease::keep`].
#[derive(Clone)]
pub struct Lease {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    ttl: Duration,
    /// Whether it competes for the scheduler lease (a command line run
    /// only says it is alive).
    scheduler: bool,
    held: watch::Sender<Option<Held>>,
}

/// How long a command's lease lasts unless renewed.
pub const COMMAND_TTL: Duration = Duration::from_secs(30);

impl Lease {
    /// Leases for the server `id`, each lasting `ttl` unless renewed.
    pub fn new(id: String, ttl: Duration) -> Lease {
        Lease::with(id, ttl, true)
    }

    /// Only the lease that says `id` is alive, for a command that runs a
    /// reconciliation itself: no server takes its run over meanwhile.
    pub fn alive_only(id: String, ttl: Duration) -> Lease {
        Lease::with(id, ttl, false)
    }

    fn with(id: String, ttl: Duration, scheduler: bool) -> Lease {
        Lease {
            inner: Arc::new(Inner {
                id,
                ttl,
                scheduler,
                held: watch::Sender::new(None),
            }),
        }
    }

    /// This server's id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// How long a lease lasts unless renewed.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    fn server_lease(&self) -> String {
        format!("server:{}", self.inner.id)
    }

    /// The scheduler lease as this server holds it now, if it does.
    pub fn held(&self) -> Option<Held> {
        (*self.inner.held.borrow()).filter(|h| Instant::now() < h.until)
    }

    /// Follows changes of [`Lease::held`] (its deadline passing is not a
    /// change: wait for it too).
    pub fn watch(&self) -> watch::Receiver<Option<Held>> {
        self.inner.held.subscribe()
    }

    /// One renewal: this server's own lease, then the scheduler's. A
    /// database error keeps the holding until its deadline.
    pub async fn renew(&self, pool: &app::db::Pool) {
        let started = Instant::now();
        let until = started + self.inner.ttl - self.inner.ttl / 6;
        let result = async {
            let mut tx = app::db::begin_write(pool).await?;
            let now = Utc::now();
            try_hold(
                &mut tx,
                &self.server_lease(),
                &self.inner.id,
                now,
                self.inner.ttl,
            )
            .await?;
            if !self.inner.scheduler {
                tx.commit().await?;
                return Ok(None);
            }
            let term = try_hold(&mut tx, SCHEDULER, &self.inner.id, now, self.inner.ttl).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(term)
        }
        .await;
        match result {
            Ok(Some(term)) => {
                let before = self.held().map(|h| h.term);
                if before != Some(term) {
                    tracing::info!(
                        server = %self.inner.id,
                        lease.term = term,
                        "this server holds the scheduler lease: it runs the scheduled work"
                    );
                }
                self.inner.held.send_replace(Some(Held { term, until }));
            }
            Ok(None) => {
                if self.inner.held.send_replace(None).is_some() {
                    tracing::warn!(
                        server = %self.inner.id,
                        "another server holds the scheduler lease; this one stops its scheduled work"
                    );
                }
            }
            Err(e) => tracing::warn!(
                server = %self.inner.id,
                error = %e,
                "could not renew the leases; the scheduled work stops at the lease's deadline unless a renewal gets through"
            ),
        }
    }

    /// Renews the leases every third of their time, until dropped; once a
    /// day it forgets servers long gone.
    pub async fn keep(self, pool: app::db::Pool) {
        let mut tick = tokio::time::interval(self.inner.ttl / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut forgot: Option<Instant> = None;
        loop {
            tick.tick().await;
            self.renew(&pool).await;
            if self.held().is_some()
                && forgot.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600))
                && let Ok(mut conn) = pool.acquire().await
            {
                forgot = Some(Instant::now());
                match forget_gone(&mut conn, Utc::now()).await {
                    Ok(n) if n > 0 => tracing::info!(servers = n, "forgot servers gone for a day"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not forget servers long gone"),
                }
            }
        }
    }

    /// Lets go of both leases (a stopping server): another server takes
    /// the scheduled work at its next renewal instead of after the lease
    /// time.
    pub async fn let_go(&self, pool: &app::db::Pool) {
        self.inner.held.send_replace(None);
        let Ok(mut conn) = pool.acquire().await else {
            return;
        };
        for name in [SCHEDULER.to_string(), self.server_lease()] {
            if let Err(e) = release(&mut conn, &name, &self.inner.id).await {
                tracing::warn!(error = %e, lease = %name, "could not let go of a lease; it runs out by itself");
            }
        }
    }

    /// Waits until this server holds the scheduler lease.
    pub async fn until_held(&self) -> Held {
        let mut rx = self.watch();
        loop {
            if let Some(h) = self.held() {
                return h;
            }
            let _ = rx.changed().await;
        }
    }

    /// Waits until this server no longer holds the scheduler lease (lost,
    /// given up, or its deadline passed without a renewal).
    pub async fn until_lost(&self) {
        let mut rx = self.watch();
        loop {
            let Some(h) = self.held() else {
                return;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(h.until) => {}
                _ = rx.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_servers_never_both_count_themselves_the_holder() {
        let (pool, _dir) = crate::db::tests::test_pool().await;
        let ttl = Duration::from_millis(600);
        let a = Lease::new("a".into(), ttl);
        let b = Lease::new("b".into(), ttl);
        // Both ask at the same moment: exactly one gets it.
        tokio::join!(a.renew(&pool), b.renew(&pool));
        assert_eq!(
            u8::from(a.held().is_some()) + u8::from(b.held().is_some()),
            1
        );
        let (a, b) = if a.held().is_some() { (a, b) } else { (b, a) };
        let held = a.held().expect("a holds the lease");
        assert!(b.held().is_none());
        assert!(held.until <= Instant::now() + ttl - ttl / 6);
        // a stalls (renews no more). Until the lease runs out b is
        // refused, and a stops counting itself the holder before that.
        let stop_a = held.until;
        let mut b_took = None;
        let deadline = Instant::now() + ttl * 3;
        while Instant::now() < deadline {
            b.renew(&pool).await;
            if b.held().is_some() {
                b_took = Some(Instant::now());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let b_took = b_took.expect("b takes the lease once a's runs out");
        assert!(a.held().is_none());
        assert!(stop_a < b_took, "a stopped before b started");
        assert_eq!(b.held().unwrap().term, 2);
        // a comes back: refused, and it knows.
        a.renew(&pool).await;
        assert!(a.held().is_none());
        // b stops; a takes over at its next renewal.
        b.let_go(&pool).await;
        a.renew(&pool).await;
        assert_eq!(a.held().unwrap().term, 3);
        let live = live_servers(&mut pool.acquire().await.unwrap(), Utc::now())
            .await
            .unwrap();
        assert_eq!(live, [a.id()]);
    }
}
