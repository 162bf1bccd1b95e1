//! What a device's local store offers to the sync client. Implemented by `bangfu-store` (SQLite on
//! the phone) and by test doubles; used by `bangfu-sync-client`. Defined here so that neither
//! depends on the other.

use uuid::Uuid;

use crate::sync::hlc::Hlc;
use crate::sync::op::Operation;
use crate::sync::outgoing::OutgoingOp;
use crate::sync::wire::{FeedEntry, PushResponse};

/// A device's side of sync. Every method that writes commits before it returns, so a crash or a
/// cut connection between two calls loses nothing and the next sync resumes where this one was.
pub trait DeviceStore {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The id this device signs its operations with (one per installation).
    fn device_id(&self) -> Uuid;

    /// The highest `origin_seq` of this device that the server has processed (its `device_seq`).
    fn acked_seq(&self) -> Result<u64, Self::Error>;

    /// This device's operations with `origin_seq > after_seq`, ascending, at most `limit`.
    fn pending_ops(&self, after_seq: u64, limit: usize) -> Result<Vec<Operation>, Self::Error>;

    /// [`DeviceStore::pending_ops`] as they are pushed. A store that keeps each operation's JSON
    /// returns it without parsing it (the default serialises the parsed operations).
    fn pending_push(&self, after_seq: u64, limit: usize) -> Result<Vec<OutgoingOp>, Self::Error> {
        Ok(self
            .pending_ops(after_seq, limit)?
            .iter()
            .map(OutgoingOp::from_op)
            .collect())
    }

    /// How many of this device's operations the server has not processed yet.
    fn pending_count(&self) -> Result<u64, Self::Error>;

    /// Records the server's answer to a push: `device_seq` moves forward, rejected operations are
    /// kept with their reasons for the user to see (never deleted).
    fn acknowledge(&mut self, response: &PushResponse) -> Result<(), Self::Error>;

    /// The highest `h` such that this device holds every one of its own operations `1..=h` (made
    /// here, or pulled back after a restore from a backup). A pull asks the server to leave out
    /// this device's operations up to `h` (they are here already); those after it (held by the
    /// server but lost here) still come. The default, 0, leaves out none.
    fn own_ops_held_through(&self) -> Result<u64, Self::Error> {
        Ok(0)
    }

    /// The feed position this device has applied up to.
    fn cursor(&self) -> Result<u64, Self::Error>;

    /// Applies pulled operations (idempotent: operations already held are skipped) and moves the
    /// cursor to `cursor`, in one transaction.
    fn apply_pulled(&mut self, entries: &[FeedEntry], cursor: u64) -> Result<(), Self::Error>;

    /// Absorbs the server's clock into the device's HLC.
    fn observe_server_clock(&mut self, hlc: Hlc) -> Result<(), Self::Error>;

    /// Sets the feed cursor back to 0 (the server said the device's scope grew: the history of
    /// what was added lies behind the cursor). Applying is idempotent, so nothing is doubled.
    fn restart_feed(&mut self) -> Result<(), Self::Error>;

    /// The epoch of the server database this device last synced with
    /// ([`Capabilities::epoch`](crate::sync::wire::Capabilities::epoch)); `None` until an answer
    /// carried one.
    fn server_epoch(&self) -> Result<Option<Uuid>, Self::Error>;

    /// Stores the server's epoch, the first one this device sees (nothing else changes).
    fn set_server_epoch(&mut self, epoch: Uuid) -> Result<(), Self::Error>;

    /// The server's database was restored from a backup (its epoch changed to `epoch`) and holds
    /// this device's operations up to `device_seq` (its answer in the new epoch). In one
    /// transaction: this device's own operations after `device_seq` are unsynced again (the next
    /// push sends them: the server no longer has them), the feed cursor goes back to 0 (positions
    /// of the old epoch mean nothing in the new one; applying is idempotent) and `epoch` is
    /// stored. Operations pulled from other devices are not this device's to send again: they
    /// come back when their own devices sync.
    fn rebase_on_restored_server(
        &mut self,
        epoch: Uuid,
        device_seq: u64,
    ) -> Result<(), Self::Error>;

    /// Drops the households outside `scope` that hold no unsynced change (those stay until their
    /// changes reached the server); returns how many were dropped. The default drops nothing.
    fn leave_scope(&mut self, scope: &super::Scope) -> Result<u64, Self::Error> {
        let _ = scope;
        Ok(0)
    }
}
