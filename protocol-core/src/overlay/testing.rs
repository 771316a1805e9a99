//! In-memory network of [`Overlay`]s for tests, the simulator and conformance suites: moves
//! `Transmit` bytes between nodes, plays TCP connect, TLS (made-up Finished messages mirrored
//! as TLS does: one side's local Finished is the other's peer Finished) and connectivity probes,
//! and steps explicit time. No sockets, no clocks.
//!
//! Owns nothing of the protocol; it only carries out [`Output`]s. Each node gets a distinct
//! public-looking IPv4 address (198.51.100.0/24) so PeerFinder's public-address rules apply.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::{ConnId, DisconnectReason, Input, Output, Overlay, OverlayConfig, OverlayEvent};
use crate::keys::{NodeKeyPair, Seed};
use crate::network::Network;

/// One end of an in-memory connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum End {
    Node(usize, ConnId),
    /// A scripted client ([`Net::raw_connect`]), by index.
    Raw(usize),
}

/// A node of the network.
#[derive(Debug)]
pub struct Node {
    pub overlay: Overlay,
    pub ip: IpAddr,
    pub listen: SocketAddr,
    /// Every event the node emitted, in order.
    pub events: Vec<OverlayEvent>,
    /// Every `Output::Close` the node emitted.
    pub closes: Vec<(ConnId, DisconnectReason)>,
    /// Down nodes refuse connects and are not stepped.
    pub up: bool,
    /// Muted nodes' transmissions are dropped (a peer that stopped answering).
    pub muted: bool,
}

/// A scripted client connected to a node's peer port, after TLS.
#[derive(Debug, Default)]
pub struct RawClient {
    pub received: Vec<u8>,
    pub closed: bool,
}

enum Job {
    Data(End, Vec<u8>),
    Input(usize, Input),
    /// The socket behind this end is gone.
    Hangup(End),
}

/// The in-memory network.
pub struct Net {
    pub now: Instant,
    /// Shared NetClock origin: every node's `net_clock_at_start` is set from it, so all
    /// clocks agree whenever a node joins.
    epoch: Instant,
    pub nodes: Vec<Node>,
    pub raws: Vec<RawClient>,
    links: BTreeMap<End, End>,
    jobs: VecDeque<Job>,
    next_port: u16,
    finished: u64,
}

/// NetClock seconds at [`Net::new`]'s `now` (2024-01-01T00:00:00Z; any value works).
pub const NET_CLOCK_AT_EPOCH: u32 = 757_382_400;

/// A small made-up TMTransaction, distinct per `n` (the core relays transactions it cannot parse).
pub fn tx(n: u8) -> crate::messages::Message {
    crate::messages::Message::Transaction(crate::messages::proto::TmTransaction {
        raw_transaction: Some(vec![0x12, 0, n, 0xAA, 0xBB]),
        status: Some(1),
        receive_timestamp: None,
        deferred: None,
    })
}

/// The harness's address for node `i`.
pub fn node_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, (i as u8).wrapping_add(1)))
}

/// A deterministic node key for index `i` (seeded from a passphrase).
pub fn node_key(i: usize) -> NodeKeyPair {
    NodeKeyPair::from_seed(&Seed::from_passphrase(&format!("overlay-test-node-{i}")))
}

impl Net {
    pub fn new(now: Instant) -> Net {
        Net {
            now,
            epoch: now,
            nodes: vec![],
            raws: vec![],
            links: BTreeMap::new(),
            jobs: VecDeque::new(),
            next_port: 40_000,
            finished: 1,
        }
    }

    /// NetClock seconds now, as every node of this network sees it.
    pub fn net_clock(&self) -> u32 {
        let elapsed = self.now.saturating_duration_since(self.epoch).as_secs();
        NET_CLOCK_AT_EPOCH.saturating_add(u32::try_from(elapsed).unwrap_or(u32::MAX))
    }

    /// A test configuration for node `i` of `network`: default slots, connectivity probes on.
    pub fn config(&self, network: Network) -> OverlayConfig {
        OverlayConfig::new(network)
    }

    /// The listening address node `i` will have.
    pub fn addr_of(&self, i: usize, cfg: &OverlayConfig) -> SocketAddr {
        SocketAddr::new(node_ip(i), cfg.peerfinder.listening_port)
    }

    /// Add a node (index = position); its overlay starts at the current time.
    pub fn add_node(&mut self, mut cfg: OverlayConfig) -> usize {
        let i = self.nodes.len();
        cfg.net_clock_at_start = self.net_clock();
        let listen = self.addr_of(i, &cfg);
        let overlay = Overlay::new(cfg, node_key(i), self.now, 1000 + i as u64);
        self.nodes.push(Node {
            overlay,
            ip: node_ip(i),
            listen,
            events: vec![],
            closes: vec![],
            up: true,
            muted: false,
        });
        i
    }

    fn listener(&self, addr: SocketAddr) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.up && n.listen == addr && n.overlay.config().peerfinder.listening_port != 0)
    }

    fn local_addr(&mut self, node_ip: IpAddr) -> SocketAddr {
        self.next_port = self.next_port.wrapping_add(1).max(40_000);
        SocketAddr::new(node_ip, self.next_port)
    }

    fn finished_pair(&mut self) -> (Vec<u8>, Vec<u8>) {
        self.finished += 2;
        let mk = |n: u64| {
            let mut v = b"finished".to_vec();
            v.extend(n.to_be_bytes());
            v
        };
        (mk(self.finished), mk(self.finished + 1))
    }

    /// Open a scripted TLS client to node `target`'s peer port. Returns the client index and
    /// the node's ConnId, or `None` when the node refused the socket.
    pub fn raw_connect(&mut self, target: usize, from_ip: IpAddr) -> Option<(usize, ConnId)> {
        let local = self.local_addr(from_ip);
        let listen = self.nodes[target].listen;
        let conn = self.nodes[target].overlay.accept(self.now, local, listen).ok()?;
        let r = self.raws.len();
        self.raws.push(RawClient::default());
        self.links.insert(End::Raw(r), End::Node(target, conn));
        self.links.insert(End::Node(target, conn), End::Raw(r));
        let (a, b) = self.finished_pair();
        self.jobs.push_back(Job::Input(
            target,
            Input::TlsEstablished { conn, local_finished: a, peer_finished: b },
        ));
        self.pump();
        Some((r, conn))
    }

    /// Bytes from a scripted client to its node.
    pub fn raw_send(&mut self, raw: usize, bytes: &[u8]) {
        if let Some(to) = self.links.get(&End::Raw(raw)).copied() {
            self.jobs.push_back(Job::Data(to, bytes.to_vec()));
        }
        self.pump();
    }

    /// Inject bytes on an established link as if node `from` had written them on `conn`.
    pub fn inject(&mut self, from: usize, conn: ConnId, bytes: &[u8]) {
        if let Some(to) = self.links.get(&End::Node(from, conn)).copied() {
            self.jobs.push_back(Job::Data(to, bytes.to_vec()));
        }
        self.pump();
    }

    /// Hand an input to a node and carry out the consequences.
    pub fn input(&mut self, node: usize, input: Input) {
        self.jobs.push_back(Job::Input(node, input));
        self.pump();
    }

    /// Run every node's due timers at the current time, then deliver until quiet.
    pub fn tick(&mut self) {
        for i in 0..self.nodes.len() {
            let n = &mut self.nodes[i];
            if n.up && n.overlay.poll_timeout().is_some_and(|t| t <= self.now) {
                n.overlay.handle_timeout(self.now);
            }
        }
        self.pump();
    }

    /// Advance time by `total` in steps of `step`, ticking at every step.
    pub fn run_for(&mut self, total: Duration, step: Duration) {
        let end = self.now + total;
        while self.now < end {
            self.now += step;
            self.tick();
        }
    }

    /// Advance in `step`s until `done(self)` holds or `limit` passed; returns whether it held.
    pub fn run_until(&mut self, limit: Duration, step: Duration, mut done: impl FnMut(&Net) -> bool) -> bool {
        let end = self.now + limit;
        self.tick();
        while !done(self) {
            if self.now >= end {
                return false;
            }
            self.now += step;
            self.tick();
        }
        true
    }

    /// Node keys of node `i`'s active peers, as node indexes.
    pub fn neighbours(&self, i: usize) -> BTreeSet<usize> {
        self.nodes[i]
            .overlay
            .peers()
            .iter()
            .filter_map(|p| self.nodes.iter().position(|n| n.overlay.public_key() == &p.public_key))
            .collect()
    }

    /// How many times node `node` delivered `m` to its application (`OverlayEvent::Message`).
    pub fn received(&self, node: usize, m: &crate::messages::Message) -> usize {
        self.nodes[node]
            .events
            .iter()
            .filter(|e| matches!(e, OverlayEvent::Message { message, .. } if message == m))
            .count()
    }

    /// The ConnId node `i` uses for its active link to node `j`.
    pub fn conn_between(&self, i: usize, j: usize) -> Option<ConnId> {
        let key = self.nodes[j].overlay.public_key();
        self.nodes[i].overlay.peers().iter().find(|p| &p.public_key == key).map(|p| p.conn)
    }

    /// Deliver everything outstanding until no node has output left.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            for i in 0..self.nodes.len() {
                while let Some(o) = self.nodes[i].overlay.poll_output() {
                    progressed = true;
                    self.carry_out(i, o);
                }
            }
            while let Some(job) = self.jobs.pop_front() {
                progressed = true;
                self.run_job(job);
            }
            if !progressed {
                return;
            }
        }
    }

    fn run_job(&mut self, job: Job) {
        let now = self.now;
        match job {
            Job::Data(End::Node(n, conn), bytes) => {
                if self.nodes[n].up {
                    self.nodes[n].overlay.handle_data(now, conn, &bytes);
                }
            }
            Job::Data(End::Raw(r), bytes) => self.raws[r].received.extend(bytes),
            Job::Input(n, input) => {
                if self.nodes[n].up {
                    self.nodes[n].overlay.handle_input(now, input);
                }
            }
            Job::Hangup(End::Node(n, conn)) => {
                if self.nodes[n].up {
                    self.nodes[n].overlay.handle_input(now, Input::Closed { conn, error: None });
                }
            }
            Job::Hangup(End::Raw(r)) => self.raws[r].closed = true,
        }
    }

    fn carry_out(&mut self, i: usize, o: Output) {
        match o {
            Output::Connect { conn, addr } => {
                let Some(j) = self.listener(addr) else {
                    self.jobs.push_back(Job::Input(
                        i,
                        Input::ConnectFailed { conn, error: "connection refused".into() },
                    ));
                    return;
                };
                let local = self.local_addr(self.nodes[i].ip);
                self.jobs.push_back(Job::Input(i, Input::TcpConnected { conn, local }));
                match self.nodes[j].overlay.accept(self.now, local, addr) {
                    Ok(cj) => {
                        self.links.insert(End::Node(i, conn), End::Node(j, cj));
                        self.links.insert(End::Node(j, cj), End::Node(i, conn));
                        let (a, b) = self.finished_pair();
                        self.jobs.push_back(Job::Input(
                            i,
                            Input::TlsEstablished {
                                conn,
                                local_finished: a.clone(),
                                peer_finished: b.clone(),
                            },
                        ));
                        self.jobs.push_back(Job::Input(
                            j,
                            Input::TlsEstablished { conn: cj, local_finished: b, peer_finished: a },
                        ));
                    }
                    Err(_) => self.jobs.push_back(Job::Input(i, Input::Closed { conn, error: None })),
                }
            }
            Output::Transmit { conn, data } => {
                if self.nodes[i].muted {
                    return;
                }
                if let Some(to) = self.links.get(&End::Node(i, conn)).copied() {
                    self.jobs.push_back(Job::Data(to, data));
                }
            }
            Output::Close { conn, reason } => {
                self.nodes[i].closes.push((conn, reason));
                if let Some(to) = self.links.remove(&End::Node(i, conn)) {
                    self.links.remove(&to);
                    self.jobs.push_back(Job::Hangup(to));
                }
            }
            Output::Probe { probe, addr } => {
                let reachable = self.listener(addr).is_some();
                self.jobs.push_back(Job::Input(i, Input::ProbeResult { probe, reachable }));
            }
            Output::Event(e) => self.nodes[i].events.push(e),
        }
    }
}
