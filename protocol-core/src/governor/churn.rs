//! Churn (governor.md §11): a small machine that only edits the *effective* targets — lower
//! the active target, restore it, lower established, lower known/root, restore both — and lets
//! the governor's ordinary decisions choose the victims and the replacements. It never picks
//! peers and never raises a target above the configured one.

use std::time::{Duration, Instant};

use rand::Rng;

use super::config::Targets;

/// Wait limits of the churn steps (governor.md §11 table).
pub const CHURN_DECREASE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);
pub const CHURN_INCREASE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);
pub const CHURN_DECREASE_ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(121);
pub const CHURN_DECREASE_KNOWN_TIMEOUT: Duration = Duration::from_secs(60);
pub const CHURN_INCREASE_KNOWN_TIMEOUT: Duration = Duration::from_secs(80);
pub const CHURN_INCREASE_ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(60);
/// A cycle that is due while the node is below its configured active or established target is
/// postponed by this much: churn must not push a node that is still filling up further down
/// (ours; Cardano churns regardless).
pub const CHURN_POSTPONE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChurnPhase {
    NotStarted,
    Idle,
    DecreaseActive,
    IncreaseActive,
    DecreaseEstablished,
    DecreaseKnown,
    IncreaseKnown,
    IncreaseEstablished,
}

/// Reductions currently applied to the configured targets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Cut {
    active: u32,
    established: u32,
    known: u32,
    root: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Churn {
    interval: Option<Duration>,
    fuzz: Duration,
    pub(crate) phase: ChurnPhase,
    deadline: Option<Instant>,
    cycle_start: Option<Instant>,
    cut: Cut,
    level_at_start: u32,
    removed_prev: u32,
}

/// Current sizes the churn steps wait on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Levels {
    pub active: u32,
    pub established: u32,
    pub known: u32,
}

fn fuzz(rng: &mut impl Rng, max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(rng.random_range(0.0..=max.as_secs_f64()))
}

impl Churn {
    pub(crate) fn new(interval: Option<Duration>, fuzz: Duration) -> Self {
        Self {
            interval,
            fuzz,
            phase: ChurnPhase::NotStarted,
            deadline: None,
            cycle_start: None,
            cut: Cut::default(),
            level_at_start: 0,
            removed_prev: 0,
        }
    }

    /// The effective targets: configured minus the current cuts; always sane when `base` is.
    pub(crate) fn effective(&self, base: Targets) -> Targets {
        let active = base.active.saturating_sub(self.cut.active);
        let established = base.established.saturating_sub(self.cut.established).max(active);
        let known = base.known.saturating_sub(self.cut.known).max(established);
        let root = base.root.saturating_sub(self.cut.root).min(known);
        Targets { root, known, established, active }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Advance the machine; returns the phase entered when it changed.
    pub(crate) fn step(
        &mut self,
        now: Instant,
        base: Targets,
        levels: Levels,
        rng: &mut impl Rng,
    ) -> Option<ChurnPhase> {
        let interval = self.interval?;
        let due = self.deadline.is_some_and(|d| now >= d);
        let eff = self.effective(base);
        let next = match self.phase {
            ChurnPhase::NotStarted => {
                self.deadline = Some(now + interval + fuzz(rng, self.fuzz));
                self.phase = ChurnPhase::Idle;
                return None;
            }
            ChurnPhase::Idle => {
                if !due {
                    return None;
                }
                if levels.active < base.active || levels.established < base.established {
                    self.deadline = Some(now + CHURN_POSTPONE);
                    return None;
                }
                self.cycle_start = Some(now);
                self.cut = Cut {
                    active: if base.active > 0 { (base.active / 5).max(1) } else { 0 },
                    ..Cut::default()
                };
                self.level_at_start = levels.active;
                self.deadline = Some(now + CHURN_DECREASE_ACTIVE_TIMEOUT);
                ChurnPhase::DecreaseActive
            }
            ChurnPhase::DecreaseActive => {
                if !(due || levels.active <= eff.active) {
                    return None;
                }
                self.removed_prev = self.level_at_start.saturating_sub(levels.active);
                self.cut.active = 0;
                self.deadline = Some(now + CHURN_INCREASE_ACTIVE_TIMEOUT);
                ChurnPhase::IncreaseActive
            }
            ChurnPhase::IncreaseActive => {
                if !(due || levels.active >= eff.active) {
                    return None;
                }
                let spare = base.established - base.active;
                self.cut.established = self.removed_prev.max(1).max(spare / 5).min(spare);
                self.level_at_start = levels.established;
                self.deadline = Some(now + CHURN_DECREASE_ESTABLISHED_TIMEOUT);
                ChurnPhase::DecreaseEstablished
            }
            ChurnPhase::DecreaseEstablished => {
                if !(due || levels.established <= eff.established) {
                    return None;
                }
                self.removed_prev = self.level_at_start.saturating_sub(levels.established);
                let spare = base.known - base.established;
                self.cut.known = self.removed_prev.max(1).max(spare / 5).min(spare);
                self.cut.root = if base.root > base.established {
                    let r = base.root - base.established;
                    (r / 5).max(1).min(r)
                } else {
                    0
                };
                self.deadline = Some(now + CHURN_DECREASE_KNOWN_TIMEOUT);
                ChurnPhase::DecreaseKnown
            }
            ChurnPhase::DecreaseKnown => {
                if !(due || levels.known <= eff.known) {
                    return None;
                }
                self.cut.known = 0;
                self.cut.root = 0;
                self.deadline = Some(now + CHURN_INCREASE_KNOWN_TIMEOUT);
                ChurnPhase::IncreaseKnown
            }
            ChurnPhase::IncreaseKnown => {
                if !(due || levels.known >= eff.known) {
                    return None;
                }
                self.cut.established = 0;
                self.deadline = Some(now + CHURN_INCREASE_ESTABLISHED_TIMEOUT);
                ChurnPhase::IncreaseEstablished
            }
            ChurnPhase::IncreaseEstablished => {
                if !(due || levels.established >= eff.established) {
                    return None;
                }
                let start = self.cycle_start.unwrap_or(now);
                let next = start + interval + fuzz(rng, self.fuzz);
                self.deadline = Some(next.max(now + Duration::from_secs(1)));
                ChurnPhase::Idle
            }
        };
        self.phase = next;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn cycle_lowers_by_a_fifth_and_restores() {
        let base = Targets { root: 20, known: 200, established: 30, active: 20 };
        let mut c = Churn::new(Some(Duration::from_secs(3300)), Duration::from_secs(600));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t0 = Instant::now();
        let full = Levels { active: 20, established: 30, known: 200 };
        assert_eq!(c.step(t0, base, full, &mut rng), None);
        let due = c.deadline().unwrap();
        assert!(due >= t0 + Duration::from_secs(3300) && due <= t0 + Duration::from_secs(3900));
        assert_eq!(c.step(due, base, full, &mut rng), Some(ChurnPhase::DecreaseActive));
        assert_eq!(c.effective(base).active, 16);
        let low = Levels { active: 16, ..full };
        assert_eq!(c.step(due, base, low, &mut rng), Some(ChurnPhase::IncreaseActive));
        assert_eq!(c.effective(base), base);
        assert_eq!(c.step(due, base, full, &mut rng), Some(ChurnPhase::DecreaseEstablished));
        // max(removed 4, 1, (30-20)/5 = 2) = 4
        assert_eq!(c.effective(base).established, 26);
        let est_low = Levels { established: 26, ..full };
        assert_eq!(c.step(due, base, est_low, &mut rng), Some(ChurnPhase::DecreaseKnown));
        let e = c.effective(base);
        assert_eq!(e.known, 200 - 34); // max(4, 1, 170/5 = 34)
        assert!(e.check().is_ok());
    }

    #[test]
    fn postponed_below_target() {
        let base = Targets { root: 5, known: 20, established: 6, active: 4 };
        let mut c = Churn::new(Some(Duration::from_secs(100)), Duration::ZERO);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t0 = Instant::now();
        let lv = Levels { active: 3, established: 6, known: 20 };
        c.step(t0, base, lv, &mut rng);
        assert_eq!(c.phase, ChurnPhase::Idle);
        let due = c.deadline().unwrap();
        assert_eq!(c.step(due, base, lv, &mut rng), None);
        assert_eq!(c.deadline(), Some(due + CHURN_POSTPONE));
    }
}
