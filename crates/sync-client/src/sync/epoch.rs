//! Following the server database's epoch: a random id the server makes with its database and
//! replaces when the database is restored from a backup. `server_seq`s and `device_seq`s of one
//! epoch mean nothing in another: a restored server gives new operations positions this device
//! may have passed already, and no longer holds this device's operations made after the backup.

use bangfu_core::sync::DeviceStore;
use bangfu_core::sync::outgoing::OutgoingPush;
use uuid::Uuid;

use super::Run;
use crate::error::SyncError;
use crate::transport::Transport;

impl<S: DeviceStore, T: Transport> Run<'_, S, T> {
    /// Takes note of the epoch an answer carried. The first one is stored; the same one changes
    /// nothing; another one means the server was restored since this device last synced: its
    /// own operations after `device_seq` (the server's answer in the new epoch; asked with an
    /// empty push when the answer was not a push's) become unsynced again, the feed starts over
    /// at 0, and the new epoch is stored, in one local commit. Returns whether that happened.
    /// An answer without an epoch (an older server) changes nothing.
    pub(super) async fn follow_epoch(
        &mut self,
        epoch: Option<Uuid>,
        device_seq: Option<u64>,
    ) -> Result<bool, SyncError> {
        let Some(epoch) = epoch else {
            return Ok(false);
        };
        match self.epoch {
            Some(known) if known == epoch => return Ok(false),
            None => {
                self.store
                    .set_server_epoch(epoch)
                    .map_err(SyncError::store)?;
                self.epoch = Some(epoch);
                return Ok(false);
            }
            Some(_) => {}
        }
        let device_seq = match device_seq {
            Some(seq) => seq,
            None => {
                // Where the restored server stands for this device: an empty push says.
                let empty = OutgoingPush::new(self.store.device_id(), Vec::new());
                let transport = self.transport;
                let answer = self.request(|| transport.push(&empty)).await?;
                if answer.epoch != Some(epoch) {
                    return Err(SyncError::Protocol(
                        "the server's epoch changed again during the sync".to_owned(),
                    ));
                }
                answer.device_seq
            }
        };
        self.store
            .rebase_on_restored_server(epoch, device_seq)
            .map_err(SyncError::store)?;
        self.epoch = Some(epoch);
        self.report.server_restored = true;
        Ok(true)
    }
}
