//! The check graph, run the one way `CheckId::prerequisites()` and `CheckId::gates()` declare.
//!
//! A check starts as soon as every prerequisite has finished (today: `config`, for all), so
//! checks that do not need each other's data overlap. A gate is a check that must pass for
//! another's verdict to stand without holding up its start: auth sends its probes while the
//! network check is still connecting, and its verdict waits for network's. One future polls
//! them all on the caller's runtime (their I/O wakes it), every running check whenever any of
//! them wakes it; nothing is spawned, so a check may borrow what another handed on, and wait
//! for it without a waker of its own (`checks::Table`'s key).
//!
//! The skip rule is applied here and nowhere else: a check whose prerequisite or gate did not
//! pass is skipped, naming the first of them that failed (in the order declared, once all have
//! finished; through a chain of skips too: models after a failed network says `network
//! failed`). A check still running then is dropped there, its requests with it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::doctor::check::{CheckId, Outcome};

/// A running check.
pub type Running<'a> = Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// What the runner asks of the checks; what they compute and hand on is theirs.
pub trait Checks {
    /// Start check `id`: every prerequisite has passed (or warned).
    fn run(&self, id: CheckId) -> Running<'_>;

    /// A skip that holds whatever the prerequisites say: the check does not apply to this
    /// profile. Asked once the prerequisites have finished, before the skip rule.
    fn not_applicable(&self, _id: CheckId) -> Option<Outcome> {
        None
    }

    /// The verdict of check `id`, which ran, once the checks in `id.finishes_after()` that run
    /// have finished too; what its dependants see.
    fn finish(&self, _id: CheckId, ran: Outcome) -> Outcome {
        ran
    }
}

/// A reported check.
#[derive(Debug)]
pub struct Ran {
    pub id: CheckId,
    pub outcome: Outcome,
    /// How long the check ran (zero for a skip).
    pub took: Duration,
}

/// Every check to run for `only` (empty: all): the chosen ones and, transitively, what they
/// need, in report order.
pub fn wanted(only: &[CheckId]) -> Vec<CheckId> {
    if only.is_empty() {
        return CheckId::ALL.to_vec();
    }
    let mut set: Vec<CheckId> = Vec::new();
    let mut stack: Vec<CheckId> = only.to_vec();
    while let Some(id) = stack.pop() {
        if !set.contains(&id) {
            set.push(id);
            stack.extend_from_slice(id.prerequisites());
            stack.extend_from_slice(id.gates());
        }
    }
    CheckId::ALL
        .into_iter()
        .filter(|id| set.contains(id))
        .collect()
}

/// Run what `only` needs (see [`wanted`]) and return the chosen checks (all when `only` is
/// empty) in report order (`CheckId::ALL`): prerequisites and gates still run, their data and
/// verdicts are needed.
pub async fn run(only: &[CheckId], checks: &impl Checks) -> Vec<Ran> {
    let mut nodes: Vec<Node<'_>> = wanted(only)
        .into_iter()
        .map(|id| Node {
            id,
            state: State::Waiting,
        })
        .collect();
    std::future::poll_fn(|cx| {
        while step(&mut nodes, checks, cx) {}
        if nodes.iter().all(|n| matches!(n.state, State::Done { .. })) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    nodes
        .into_iter()
        .filter(|n| only.is_empty() || only.contains(&n.id))
        .filter_map(|n| match n.state {
            State::Done { ran, .. } => Some(ran),
            _ => None,
        })
        .collect()
}

struct Node<'a> {
    id: CheckId,
    state: State<'a>,
}

enum State<'a> {
    /// For its prerequisites.
    Waiting,
    Running(Running<'a>, Instant),
    /// Ran; its verdict waits for `finishes_after` and its gates.
    Ran(Outcome, Duration),
    Done {
        ran: Ran,
        /// The check that failed, when this one did not pass: itself, or for a skip the cause
        /// of the prerequisite or gate that did not pass.
        cause: Option<CheckId>,
    },
}

/// `None` while `id` has not finished; else the check that failed, if any. A check that is not
/// run has nothing to wait for.
fn finished(nodes: &[Node<'_>], id: CheckId) -> Option<Option<CheckId>> {
    match nodes.iter().find(|n| n.id == id).map(|n| &n.state) {
        Some(State::Done { cause, .. }) => Some(*cause),
        Some(_) => None,
        None => Some(None),
    }
}

/// Move every check on as far as it goes now; whether anything moved.
fn step<'a>(nodes: &mut [Node<'a>], checks: &'a impl Checks, cx: &mut Context<'_>) -> bool {
    let mut moved = false;
    for i in 0..nodes.len() {
        let id = nodes[i].id;
        // Once every gate has finished: the one that failed, if any. A failed gate ends a
        // running check: its answers would not be reported.
        let gates = gates_finished(nodes, id);
        // Taken out while it moves on: a check is never its own prerequisite or gate, so what
        // `start` and `finished` read of the others is whole.
        let (next, now) = match (
            std::mem::replace(&mut nodes[i].state, State::Waiting),
            gates,
        ) {
            (State::Waiting, _) => match start(nodes, id, checks) {
                Some(next) => (next, true),
                None => (State::Waiting, false),
            },
            (State::Running(..) | State::Ran(..), Some(Some(cause))) => (gated(id, cause), true),
            (State::Running(mut check, started), _) => match check.as_mut().poll(cx) {
                Poll::Ready(outcome) => (State::Ran(outcome, started.elapsed()), true),
                Poll::Pending => (State::Running(check, started), false),
            },
            (State::Ran(outcome, took), Some(None)) if can_finish(nodes, id) => {
                let outcome = checks.finish(id, outcome);
                let cause = outcome.failed().then_some(id);
                (done(id, outcome, took, cause), true)
            }
            (other @ (State::Ran(..) | State::Done { .. }), _) => (other, false),
        };
        nodes[i].state = next;
        moved |= now;
    }
    moved
}

/// Whether a check that ran may have its verdict: what it finishes after has finished (its
/// gates have too, and passed).
fn can_finish(nodes: &[Node<'_>], id: CheckId) -> bool {
    id.finishes_after()
        .iter()
        .all(|a| finished(nodes, *a).is_some())
}

/// `None` while one of `id`'s gates has not finished; else the first that failed, if any.
fn gates_finished(nodes: &[Node<'_>], id: CheckId) -> Option<Option<CheckId>> {
    let causes = id
        .gates()
        .iter()
        .map(|g| finished(nodes, *g))
        .collect::<Option<Vec<_>>>()?;
    Some(causes.into_iter().flatten().next())
}

/// The skip of a check whose gate did not pass: what it found is not reported (the gate's
/// failure explains it), as if it had waited for the gate.
fn gated<'a>(id: CheckId, cause: CheckId) -> State<'a> {
    let skip = Outcome::skip(format!("skipped: {cause} failed"));
    done(id, skip, Duration::ZERO, Some(cause))
}

/// A waiting check once its prerequisites have finished: not applicable, skipped by the skip
/// rule, or started.
fn start<'a>(nodes: &[Node<'a>], id: CheckId, checks: &'a impl Checks) -> Option<State<'a>> {
    let causes = id
        .prerequisites()
        .iter()
        .map(|p| finished(nodes, *p))
        .collect::<Option<Vec<_>>>()?;
    let causes = causes.into_iter().chain(gates_finished(nodes, id));
    Some(if let Some(skip) = checks.not_applicable(id) {
        done(id, skip, Duration::ZERO, Some(id))
    } else if let Some(cause) = causes.flatten().next() {
        let skip = Outcome::skip(format!("skipped: {cause} failed"));
        done(id, skip, Duration::ZERO, Some(cause))
    } else {
        State::Running(checks.run(id), Instant::now())
    })
}

fn done<'a>(id: CheckId, outcome: Outcome, took: Duration, cause: Option<CheckId>) -> State<'a> {
    State::Done {
        ran: Ran { id, outcome, took },
        cause,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::pin::pin;
    use std::task::Waker;

    use super::*;
    use crate::doctor::check::Status;
    use CheckId::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Event {
        Start(CheckId),
        End(CheckId),
        Finish(CheckId),
    }

    /// Pending `n` times (waking itself), then ready: a check that takes `n` polls.
    struct Polls(usize);

    impl Future for Polls {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 == 0 {
                return Poll::Ready(());
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Checks that pass after one poll unless told otherwise, and log what the runner does.
    #[derive(Default)]
    struct Fake {
        polls: HashMap<CheckId, usize>,
        fail: Vec<CheckId>,
        not_applicable: Vec<CheckId>,
        log: RefCell<Vec<Event>>,
    }

    impl Fake {
        fn taking(mut self, id: CheckId, polls: usize) -> Self {
            self.polls.insert(id, polls);
            self
        }
        fn failing(mut self, id: CheckId) -> Self {
            self.fail.push(id);
            self
        }
        fn at(&self, e: Event) -> usize {
            let log = self.log.borrow();
            log.iter()
                .position(|x| *x == e)
                .unwrap_or_else(|| panic!("no {e:?} in {log:?}"))
        }
        fn started(&self) -> Vec<CheckId> {
            let log = self.log.borrow();
            let mut ids: Vec<CheckId> = log
                .iter()
                .filter_map(|e| match e {
                    Event::Start(id) => Some(*id),
                    _ => None,
                })
                .collect();
            ids.sort_by_key(|id| CheckId::ALL.iter().position(|c| c == id));
            ids
        }
    }

    impl Checks for Fake {
        fn run(&self, id: CheckId) -> Running<'_> {
            self.log.borrow_mut().push(Event::Start(id));
            let polls = self.polls.get(&id).copied().unwrap_or(1);
            Box::pin(async move {
                Polls(polls).await;
                self.log.borrow_mut().push(Event::End(id));
                if self.fail.contains(&id) {
                    Outcome::fail(format!("{id} broke"), "fix it")
                } else {
                    Outcome::pass(format!("{id} ok"))
                }
            })
        }
        fn not_applicable(&self, id: CheckId) -> Option<Outcome> {
            self.not_applicable
                .contains(&id)
                .then(|| Outcome::skip(format!("skipped: {id} does not apply")))
        }
        fn finish(&self, id: CheckId, ran: Outcome) -> Outcome {
            self.log.borrow_mut().push(Event::Finish(id));
            ran
        }
    }

    /// Drive the runner to the end on this thread (the fake checks wake themselves).
    fn run_all(only: &[CheckId], checks: &Fake) -> Vec<Ran> {
        let mut fut = pin!(run(only, checks));
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..10_000 {
            if let Poll::Ready(ran) = fut.as_mut().poll(&mut cx) {
                return ran;
            }
        }
        panic!("the runner did not finish: {:?}", checks.log.borrow());
    }

    fn summaries(ran: &[Ran]) -> Vec<(CheckId, Status, &str)> {
        ran.iter()
            .map(|r| (r.id, r.outcome.status, r.outcome.summary.as_str()))
            .collect()
    }

    #[test]
    fn results_come_in_table_order_whatever_finishes_first() {
        let fake = Fake::default()
            .taking(Settings, 20)
            .taking(Key, 7)
            .taking(Passthrough, 1)
            .taking(Gateway, 5);
        let ran = run_all(&[], &fake);
        let ids: Vec<CheckId> = ran.iter().map(|r| r.id).collect();
        assert_eq!(ids, CheckId::ALL);
        assert!(ran.iter().all(|r| r.outcome.status == Status::Pass));
        assert!(fake.at(Event::End(Passthrough)) < fake.at(Event::End(Settings)));
    }

    #[test]
    fn a_failed_check_skips_everything_that_needs_it_naming_it() {
        let fake = Fake::default().failing(Network);
        let ran = run_all(&[], &fake);
        let skipped = "skipped: network failed";
        assert_eq!(
            summaries(&ran),
            [
                (Config, Status::Pass, "config ok"),
                (Settings, Status::Pass, "settings ok"),
                (Key, Status::Pass, "key ok"),
                (Network, Status::Fail, "network broke"),
                (Gateway, Status::Skip, skipped),
                (Auth, Status::Skip, skipped),
                // Through a skipped auth: the cause, not the skip, is named.
                (Models, Status::Skip, skipped),
                (Messages, Status::Skip, skipped),
                (Passthrough, Status::Skip, skipped),
                // Needs only config: runs whatever the network did.
                (Claude, Status::Pass, "claude ok"),
            ]
        );
        // Everything started with network; what it gates was dropped or skipped.
        assert_eq!(fake.started(), CheckId::ALL);
        let skips = ran.iter().filter(|r| r.outcome.status == Status::Skip);
        assert!(skips.into_iter().all(|r| r.took == Duration::ZERO));
    }

    #[test]
    fn a_failed_config_skips_every_other_check() {
        let fake = Fake::default().failing(Config);
        let ran = run_all(&[], &fake);
        assert_eq!(fake.started(), [Config]);
        for r in &ran[1..] {
            assert_eq!(r.outcome.summary, "skipped: config failed", "{:?}", r.id);
        }
    }

    #[test]
    fn the_first_failed_prerequisite_is_named() {
        let fake = Fake::default().failing(Key);
        let ran = run_all(&[], &fake);
        let by_id = |id| ran.iter().find(|r| r.id == id).unwrap();
        assert_eq!(by_id(Gateway).outcome.status, Status::Pass);
        for id in [Auth, Models, Messages, Passthrough] {
            assert_eq!(by_id(id).outcome.summary, "skipped: key failed", "{id}");
        }
        let fake = Fake::default().failing(Key).failing(Network);
        let ran = run_all(&[Auth], &fake);
        // Network comes first in auth's prerequisites.
        assert_eq!(
            summaries(&ran),
            [(Auth, Status::Skip, "skipped: network failed")]
        );
    }

    #[test]
    fn not_applicable_wins_over_the_skip_rule() {
        let mut fake = Fake::default().failing(Auth);
        fake.not_applicable = vec![Models, Passthrough];
        let ran = run_all(&[Models, Messages, Passthrough], &fake);
        assert_eq!(
            summaries(&ran),
            [
                (Models, Status::Skip, "skipped: models does not apply"),
                (Messages, Status::Skip, "skipped: auth failed"),
                (
                    Passthrough,
                    Status::Skip,
                    "skipped: passthrough does not apply"
                ),
            ]
        );
        assert!(!fake.started().contains(&Passthrough));
    }

    #[test]
    fn only_runs_what_the_chosen_checks_need_and_reports_only_them() {
        let fake = Fake::default();
        let ran = run_all(&[Models], &fake);
        assert_eq!(summaries(&ran), [(Models, Status::Pass, "models ok")]);
        assert_eq!(fake.started(), [Config, Key, Network, Auth, Models]);

        let fake = Fake::default();
        let ran = run_all(&[Passthrough, Settings], &fake);
        let ids: Vec<CheckId> = ran.iter().map(|r| r.id).collect();
        assert_eq!(ids, [Settings, Passthrough]);
        assert_eq!(
            fake.started(),
            [Config, Settings, Key, Network, Passthrough]
        );
    }

    #[test]
    fn wanted_pulls_in_prerequisites_transitively() {
        assert_eq!(wanted(&[Models]), [Config, Key, Network, Auth, Models]);
        assert_eq!(wanted(&[Gateway]), [Config, Network, Gateway]);
        assert_eq!(wanted(&[]), CheckId::ALL);
    }

    #[test]
    fn every_check_starts_once_config_is_done_and_is_judged_after_its_gates() {
        let fake = Fake::default()
            .taking(Config, 2)
            .taking(Settings, 3)
            .taking(Key, 8)
            .taking(Network, 12)
            .taking(Gateway, 2)
            .taking(Auth, 2)
            .taking(Models, 4)
            .taking(Messages, 4)
            .taking(Passthrough, 6);
        run_all(&[], &fake);
        let at = |e| fake.at(e);
        use Event::{End, Finish, Start};
        for id in &CheckId::ALL[1..] {
            assert!(at(End(Config)) < at(Start(*id)), "{id}");
            // Nothing waits for the slow network to start sending.
            assert!(at(Start(*id)) < at(End(Key)), "{id}");
        }
        // Each verdict after its gates': gateway after network, auth after network and key,
        // models and messages after auth too.
        for (id, gates) in [
            (Gateway, &[Network][..]),
            (Auth, &[Network, Key]),
            (Passthrough, &[Network, Key]),
            (Models, &[Network, Key, Auth]),
            (Messages, &[Network, Key, Auth]),
        ] {
            assert!(at(End(id)) < at(End(Network)), "{id} ran alongside network");
            for gate in gates {
                assert!(at(Finish(*gate)) < at(Finish(id)), "{id} after {gate}");
            }
        }
    }

    #[test]
    fn a_gated_check_that_ran_first_is_judged_once_its_gate_passed() {
        let fake = Fake::default().taking(Auth, 10).taking(Models, 1);
        let ran = run_all(&[Models], &fake);
        use Event::{End, Finish, Start};
        assert!(fake.at(Start(Models)) < fake.at(End(Auth)));
        assert!(fake.at(End(Models)) < fake.at(End(Auth)));
        assert!(fake.at(End(Auth)) < fake.at(Finish(Models)));
        assert_eq!(summaries(&ran), [(Models, Status::Pass, "models ok")]);
    }

    #[test]
    fn a_failed_gate_skips_a_check_that_ran_and_drops_one_still_running() {
        // Messages ends before auth fails; models is still running when it does.
        let fake = Fake::default()
            .failing(Auth)
            .taking(Auth, 5)
            .taking(Messages, 1)
            .taking(Models, 50);
        let ran = run_all(&[Models, Messages], &fake);
        let skipped = "skipped: auth failed";
        assert_eq!(
            summaries(&ran),
            [
                (Models, Status::Skip, skipped),
                (Messages, Status::Skip, skipped)
            ]
        );
        assert!(ran.iter().all(|r| r.took == Duration::ZERO));
        use Event::{End, Finish, Start};
        fake.at(Start(Models));
        fake.at(End(Messages));
        let log = fake.log.borrow();
        assert!(
            !log.contains(&End(Models)),
            "models was not dropped: {log:?}"
        );
        assert!(!log.contains(&Finish(Models)) && !log.contains(&Finish(Messages)));
    }

    #[test]
    fn key_is_finished_after_network_and_before_the_verdicts_it_gates() {
        let fake = Fake::default().taking(Key, 1).taking(Network, 6);
        run_all(&[], &fake);
        use Event::{End, Finish};
        assert!(fake.at(End(Key)) < fake.at(End(Network)));
        assert!(fake.at(End(Network)) < fake.at(Finish(Key)));
        for id in [Auth, Passthrough, Models, Messages] {
            assert!(fake.at(Finish(Key)) < fake.at(Finish(id)), "{id}");
        }

        // Without network in the run, key does not wait for it.
        let fake = Fake::default();
        let ran = run_all(&[Key], &fake);
        assert_eq!(ran.len(), 1);
        assert_eq!(fake.started(), [Config, Key]);
        fake.at(Finish(Key));
    }

    /// What `finish` says is what dependants see: a key that fails only once finished (an
    /// expired JWT) skips auth.
    #[test]
    fn a_verdict_changed_by_finish_is_what_dependants_see() {
        struct Expiring(Fake);
        impl Checks for Expiring {
            fn run(&self, id: CheckId) -> Running<'_> {
                self.0.run(id)
            }
            fn finish(&self, id: CheckId, ran: Outcome) -> Outcome {
                if id == Key {
                    Outcome::fail("expired", "renew")
                } else {
                    ran
                }
            }
        }
        let checks = Expiring(Fake::default());
        let mut fut = pin!(run(&[Key, Auth], &checks));
        let mut cx = Context::from_waker(Waker::noop());
        let ran = loop {
            if let Poll::Ready(ran) = fut.as_mut().poll(&mut cx) {
                break ran;
            }
        };
        assert_eq!(
            summaries(&ran),
            [
                (Key, Status::Fail, "expired"),
                (Auth, Status::Skip, "skipped: key failed")
            ]
        );
    }

    /// A waker that only records that it was woken.
    struct Flag(std::sync::atomic::AtomicBool);

    impl std::task::Wake for Flag {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// What `checks::Table` relies on: a check may wait for a slot another check fills with a
    /// poll that registers no waker, because the runner polls every running check whenever any
    /// of them wakes it. Driven as a runtime would: polled again only once woken.
    #[test]
    fn a_check_waiting_without_a_waker_sees_what_another_check_filled() {
        struct Sharing {
            slot: std::cell::OnceCell<&'static str>,
        }
        impl Checks for Sharing {
            fn run(&self, id: CheckId) -> Running<'_> {
                Box::pin(async move {
                    match id {
                        Key => {
                            Polls(3).await;
                            let _ = self.slot.set("the key");
                            Outcome::pass("key ok")
                        }
                        Auth => {
                            let key = std::future::poll_fn(|_| match self.slot.get() {
                                Some(k) => Poll::Ready(*k),
                                None => Poll::Pending,
                            })
                            .await;
                            Outcome::pass(format!("auth sent {key}"))
                        }
                        _ => Outcome::pass(format!("{id} ok")),
                    }
                })
            }
        }
        let checks = Sharing {
            slot: std::cell::OnceCell::new(),
        };
        let flag = std::sync::Arc::new(Flag(true.into()));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(run(&[Auth], &checks));
        let ran = loop {
            assert!(
                flag.0.swap(false, std::sync::atomic::Ordering::SeqCst),
                "the runner is pending and nothing will wake it"
            );
            if let Poll::Ready(ran) = fut.as_mut().poll(&mut cx) {
                break ran;
            }
        };
        assert_eq!(summaries(&ran), [(Auth, Status::Pass, "auth sent the key")]);
    }
}
