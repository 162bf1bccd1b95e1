//! One device's pushes are written in the order they arrived. A device may keep two pushes in
//! flight (the client sends batch k+1 while the server writes batch k, so that reading, decoding
//! and parsing k+1 overlap writing k); written out of order, k+1 would find a gap and be refused
//! (`seq_gap`, nothing stored) and sent again. Each push takes its place in its device's queue
//! when it arrives (a fair, first-in first-out `tokio::sync::Mutex`), reads and parses its body
//! meanwhile, and is written when every earlier push of the device is done. Pushes of different
//! devices do not wait for each other here (the database takes one write at a time anyway). A
//! queue lives while its device has a push in it.
//!
//! A device holds at most a few pushes at once ([`PushOrder::join`] with the limit): each holds
//! its body (read, parsed, waiting its turn), so without a limit a device could queue any number
//! of large bodies in memory. The client keeps two in flight; a third is refused before its body
//! is read (429 `push_busy`, retried by the client).
//!
//! Two pushes sent one right after the other may still arrive in the other order (on two
//! connections). A push whose turn comes while the operations before it are missing and another
//! push of its device waits lets that one go first (a few times at most). Correctness never
//! depends on any of this: a push written out of order is answered `seq_gap` and resent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

type Queues = Mutex<HashMap<Uuid, Arc<DeviceQueue>>>;

/// The queues, one per device with a push in the queue or being written (removed with its last).
#[derive(Debug, Default)]
pub(crate) struct PushOrder {
    devices: Arc<Queues>,
}

fn lock(queues: &Queues) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<DeviceQueue>>> {
    match queues.lock() {
        Ok(d) => d,
        Err(poisoned) => poisoned.into_inner(), // the map stays usable
    }
}

#[derive(Debug, Default)]
struct DeviceQueue {
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Pushes of the device in the queue or being written.
    pushes: AtomicUsize,
}

/// A push counted in its device's queue until dropped; the last one removes the queue.
#[derive(Debug)]
struct Registered {
    queue: Arc<DeviceQueue>,
    device: Uuid,
    devices: Arc<Queues>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        // Under the map's lock, as the count is raised: a queue is never removed while a push
        // is being added to it.
        let mut devices = lock(&self.devices);
        if self.queue.pushes.fetch_sub(1, Ordering::AcqRel) == 1
            && devices
                .get(&self.device)
                .is_some_and(|q| Arc::ptr_eq(q, &self.queue))
        {
            devices.remove(&self.device);
        }
    }
}

/// A device's turn to write, held until the push is answered.
#[derive(Debug)]
pub(crate) struct Turn {
    _guard: OwnedMutexGuard<()>,
    queue: Registered,
}

impl Turn {
    /// Whether another push of the device waits behind this one.
    pub(crate) fn others_waiting(&self) -> bool {
        self.queue.queue.pushes.load(Ordering::Acquire) > 1
    }
}

/// A push counted in its device's queue, not yet waiting for its turn.
#[derive(Debug)]
pub(crate) struct Place(Registered);

impl Place {
    /// Waits for the device's turn. Poll it once as soon as the push arrives (`tokio::join!`
    /// does): its place in the turn's queue is taken at the first poll.
    pub(crate) async fn turn(self) -> Turn {
        let guard = self.0.queue.turn.clone().lock_owned().await;
        Turn {
            _guard: guard,
            queue: self.0,
        }
    }
}

impl PushOrder {
    /// Counts a push of `device` in, unless the device already has `max` pushes in: `None`.
    pub(crate) fn join(&self, device: Uuid, max: usize) -> Option<Place> {
        let queue = {
            let mut devices = lock(&self.devices);
            let queue = devices.entry(device).or_default().clone();
            if queue.pushes.load(Ordering::Acquire) >= max {
                // An entry just made for this call has no push: it must not stay.
                if queue.pushes.load(Ordering::Acquire) == 0 {
                    devices.remove(&device);
                }
                return None;
            }
            queue.pushes.fetch_add(1, Ordering::AcqRel);
            queue
        };
        Some(Place(Registered {
            queue,
            device,
            devices: self.devices.clone(),
        }))
    }

    /// Waits for `device`'s turn, with no limit on its pushes. Call it (and poll it once:
    /// `tokio::join!` does) as soon as the push arrives: its place in the queue is taken at the
    /// first poll.
    pub(crate) async fn turn(&self, device: Uuid) -> Turn {
        let place = match self.join(device, usize::MAX) {
            Some(p) => p,
            None => unreachable!("no device has usize::MAX pushes"),
        };
        place.turn().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `f` once: `Some` if it finished.
    async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }

    #[tokio::test]
    async fn a_device_s_pushes_take_turns_in_arrival_order_others_do_not_wait() {
        let order = Arc::new(PushOrder::default());
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let first = order.turn(a).await;
        // A second push of device a waits; device b does not.
        let o = order.clone();
        let second = tokio::spawn(async move { o.turn(a).await });
        tokio::task::yield_now().await;
        let other = tokio::time::timeout(std::time::Duration::from_secs(1), order.turn(b)).await;
        assert!(other.is_ok(), "device b waited for device a");
        assert!(
            !second.is_finished(),
            "a's second push did not wait for its first"
        );
        drop(first);
        let second = tokio::time::timeout(std::time::Duration::from_secs(1), second).await;
        let second = match second {
            Ok(Ok(turn)) => turn,
            other => panic!("a's second push never got its turn: {other:?}"),
        };
        assert!(!second.others_waiting());
        let mut third = Box::pin(order.turn(a));
        assert!(futures_poll_once(third.as_mut()).await.is_none());
        assert!(
            second.others_waiting(),
            "the third push waits behind the second"
        );
        // Queues go with their last push (also one that gave up waiting).
        drop((third, second, other));
        assert!(lock(&order.devices).is_empty());
    }

    #[tokio::test]
    async fn a_device_holds_at_most_max_pushes() {
        let order = PushOrder::default();
        let a = Uuid::from_u128(1);
        let first = order.join(a, 2).expect("first");
        let second = order.join(a, 2).expect("second");
        assert!(order.join(a, 2).is_none(), "a third is refused");
        assert!(order.join(a, 0).is_none());
        assert!(order.join(Uuid::from_u128(2), 2).is_some());
        drop(first);
        let third = order.join(a, 2).expect("room again");
        let turn = second.turn().await;
        assert!(turn.others_waiting());
        drop((turn, third));
        assert!(lock(&order.devices).is_empty());
        assert!(order.join(Uuid::from_u128(3), 0).is_none());
        assert!(
            lock(&order.devices).is_empty(),
            "a refused device leaves no queue"
        );
    }
}
