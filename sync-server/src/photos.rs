//! Who may see which photo (issue 11, item 6). The photo routes (`bangfu_blobs::http`) ask the
//! [`ScopedPhotoAccess`] policy, which answers from the account's read scope and what the
//! storage knows of each photo ([`PhotoRefStorage`]):
//! - a photo that records name is read by a device whose read scope reads at least one of those
//!   records (by the record's current `scope_path` on the server);
//! - a photo no record names yet is read by the device that uploaded it (its upload completed:
//!   it sent every byte and they hashed to the name), and by no one else;
//! - the county office reads every photo.
//!
//! To every other device the photo looks absent (see `bangfu_blobs::access`). Which records
//! name which photo is kept as operations are accepted (`sqlite::photo_refs`).

use std::collections::HashSet;
use std::sync::Arc;

use bangfu_blobs::Sha256Hex;
use bangfu_blobs::access::{AccessError, PhotoAccess};
use bangfu_blobs::upload::Owner;
use uuid::Uuid;

use crate::auth::{Principal, Scope, ServerStorage};
use crate::error::StorageError;
use crate::http::auth::china_today;

/// What the storage knows of one photo, for one requesting device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoRefs {
    /// The `scope_path` of every record that names the photo.
    pub record_paths: Vec<String>,
    /// Whether the requesting device's upload of it completed.
    pub uploaded_by_device: bool,
}

/// Where the server keeps which records name which photo and who uploaded it.
///
/// [`photo_refs`](PhotoRefStorage::photo_refs) must reflect every operation accepted before the
/// call (a backend may index them lazily, as long as it catches up before it answers).
pub trait PhotoRefStorage: Send + Sync {
    /// For each of `shas` (lowercase hex), in order: what is known of it for `device`.
    fn photo_refs(&self, device: Uuid, shas: &[&str]) -> Result<Vec<PhotoRefs>, StorageError>;

    /// Notes that `device` completed an upload of `sha`.
    fn note_photo_upload(&self, sha: &str, device: Uuid, now_ms: u64) -> Result<(), StorageError>;
}

/// The rule: whether a device of `scope` reads a photo it knows `refs` of.
pub fn may_read(scope: &Scope, refs: &PhotoRefs) -> bool {
    if scope.all {
        return true;
    }
    if refs.record_paths.is_empty() {
        return refs.uploaded_by_device;
    }
    refs.record_paths.iter().any(|p| scope.reads(p))
}

/// The sync server's policy for the photo routes, over its storage. The requester is the
/// [`Principal`] that the token check (`http::auth::require_device`) put into the request.
#[derive(Debug, Clone)]
pub struct ScopedPhotoAccess {
    storage: Arc<dyn ServerStorage>,
}

impl ScopedPhotoAccess {
    pub fn new(storage: Arc<dyn ServerStorage>) -> ScopedPhotoAccess {
        ScopedPhotoAccess { storage }
    }
}

fn failed(e: impl std::fmt::Display) -> AccessError {
    AccessError(e.to_string())
}

#[async_trait::async_trait]
impl PhotoAccess for ScopedPhotoAccess {
    type Who = Principal;

    fn owner(&self, who: &Principal) -> Owner {
        // 32 hex digits: always a valid owner key.
        Owner::new(&who.device_id.simple().to_string()).unwrap_or_else(Owner::shared)
    }

    async fn readable(
        &self,
        who: &Principal,
        shas: &[Sha256Hex],
    ) -> Result<HashSet<Sha256Hex>, AccessError> {
        let storage = self.storage.clone();
        let who = who.clone();
        let shas = shas.to_vec();
        tokio::task::spawn_blocking(move || {
            let scope = storage
                .scope_of(&who.account, china_today(crate::now_ms()))
                .map_err(failed)?;
            if scope.all {
                return Ok(shas.into_iter().collect());
            }
            let names: Vec<&str> = shas.iter().map(Sha256Hex::as_str).collect();
            let refs = storage.photo_refs(who.device_id, &names).map_err(failed)?;
            Ok(shas
                .iter()
                .zip(&refs)
                .filter(|(_, r)| may_read(&scope, r))
                .map(|(s, _)| s.clone())
                .collect())
        })
        .await
        .map_err(failed)?
    }

    async fn uploaded(&self, who: &Principal, sha: &Sha256Hex) -> Result<(), AccessError> {
        let storage = self.storage.clone();
        let (device, sha) = (who.device_id, sha.clone());
        tokio::task::spawn_blocking(move || {
            storage
                .note_photo_upload(sha.as_str(), device, crate::now_ms())
                .map_err(failed)
        })
        .await
        .map_err(failed)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(paths: &[&str], uploaded: bool) -> PhotoRefs {
        PhotoRefs {
            record_paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            uploaded_by_device: uploaded,
        }
    }

    #[test]
    fn a_photo_is_read_through_a_record_in_scope_or_by_its_uploader_until_one_names_it() {
        let h1 = "c/t/v1/h:1";
        let h2 = "c/t/v2/h:2";
        let cadre = Scope::of([], [h1.to_owned()], []);
        let village2 = Scope::of(["c/t/v2".to_owned()], [], []);
        assert!(may_read(&cadre, &refs(&[h1], false)));
        assert!(may_read(&cadre, &refs(&[h2, h1], false)));
        assert!(!may_read(&cadre, &refs(&[h2], false)));
        assert!(!may_read(&cadre, &refs(&[h2], true)), "a record decides");
        assert!(may_read(&cadre, &refs(&[], true)));
        assert!(!may_read(&cadre, &refs(&[], false)));
        assert!(may_read(&village2, &refs(&[h2], false)));
        assert!(!may_read(&village2, &refs(&[h1], false)));
        assert!(may_read(&Scope::all(), &refs(&[], false)));
        assert!(!may_read(&Scope::default(), &refs(&[h1], false)));
    }
}
