//! Who acts and when: the [`Actor`] behind every use case (from a session, an API token,
//! the command line or a background job) and the [`Clock`] it reads the time from.

use phongdich_domain::{Jurisdiction, Role, Timestamp};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

/// Through what an actor reached the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A signed-in browser session.
    Session,
    /// An API token; `write` is false for a read-only token.
    Token {
        /// Whether the token may change data.
        write: bool,
    },
    /// The `phongdich` command line, run by an operator on the server.
    Cli,
    /// A background job of the server itself.
    Job,
    /// A member of the public on a public page (health declaration, venue check-in):
    /// no account, no sign-in.
    Public,
}

/// The account (or the system) on whose behalf a use case runs.
#[derive(Clone, PartialEq, Eq)]
pub struct Actor {
    /// The staff account; `None` for the system (command line without `--as`, jobs).
    pub user_id: Option<i64>,
    /// Its sign-in name (`system` for the system).
    pub username: String,
    /// What it may do.
    pub role: Role,
    /// Where.
    pub jurisdiction: Jurisdiction,
    /// The client's address (`203.0.113.7`), or `cli:USER` for the command line.
    pub client: Option<String>,
    /// How it came in.
    pub channel: Channel,
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Actor")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("jurisdiction", &self.jurisdiction)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl Actor {
    /// The system itself acting for the whole province: the command line run by the
    /// server's operator without an account, and background jobs. Audited with no
    /// account and `client` naming where it ran.
    pub fn system(province: phongdich_domain::UnitCode, channel: Channel, client: String) -> Self {
        Self {
            user_id: None,
            username: "system".to_owned(),
            role: Role::ProvinceAdmin,
            jurisdiction: Jurisdiction::Unit(province),
            client: Some(client),
            channel,
        }
    }
}

impl Actor {
    /// A member of the public (no account) reaching the app from `client` (an IP
    /// address): audited with no account and that address. It holds no unit, so every
    /// staff use case refuses it (no [`crate::Scope`]) and it cannot write through
    /// them (read-only role); only the use cases made for the public accept it.
    pub fn public(client: Option<String>) -> Self {
        Self {
            user_id: None,
            username: "public".to_owned(),
            role: Role::Leader,
            jurisdiction: Jurisdiction::Place("public".to_owned()),
            client,
            channel: Channel::Public,
        }
    }

    /// Whether this is a member of the public ([`Actor::public`]).
    pub fn is_public(&self) -> bool {
        self.channel == Channel::Public
    }
}

/// Where use cases read the time: never `now()` inside a use case, so tests can fix it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(chrono::Utc::now().timestamp())
    }
}

/// The system clock shifted to start at a chosen time and advance in real time: the
/// demo's clock, which starts on the evening of its last day.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    offset: i64,
}

impl OffsetClock {
    /// A clock that reads `start` now.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            offset: start.0 - SystemClock.now().0,
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        Timestamp(SystemClock.now().0 + self.offset)
    }
}

/// A clock that says what it is told (tests).
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock at `t`.
    pub fn at(t: Timestamp) -> Self {
        Self(AtomicI64::new(t.0))
    }

    /// Moves it to `t`.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::Relaxed);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::Relaxed))
    }
}
