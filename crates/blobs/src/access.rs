//! [`PhotoAccess`]: who may see which photo, as the server that mounts the routes decides it.
//!
//! The routes ([`crate::http`]) do no authentication; the server's own layer in front of them
//! puts who is asking into the request's extensions, and its policy answers, for that requester:
//! - which photos it may read ([`PhotoAccess::readable`]): only those are served (`GET`), and only
//!   for those is it told that they are stored (`HEAD`, `have`, `PUT`). To the requester every
//!   other photo looks like one the server never saw: 404, not 403, so that a hash cannot be used
//!   to learn that a photo exists;
//! - whose partial uploads are its own ([`PhotoAccess::owner`]): each device resumes and counts
//!   against its quotas only its own;
//! - that it uploaded a photo ([`PhotoAccess::uploaded`], called when its upload completed and
//!   the bytes were verified: it held the photo), which the policy may use to let it read it.
//!
//! [`Unrestricted`] lets everyone read everything (a server without accounts, tests).

use std::collections::HashSet;

use axum::http::Extensions;

use crate::sha::Sha256Hex;
use crate::upload::Owner;

/// The policy could not be asked (its storage failed): the request fails with 500.
#[derive(Debug, thiserror::Error)]
#[error("the photo access policy failed: {0}")]
pub struct AccessError(pub String);

/// Who may see which photo. Implemented by the server over its accounts and records.
#[async_trait::async_trait]
pub trait PhotoAccess: Send + Sync + std::fmt::Debug + 'static {
    /// Who asks, as the server's authentication put it into the request's extensions.
    type Who: Clone + Send + Sync + 'static;

    /// The requester, from the request's extensions; `None` (no one signed in) is refused with
    /// 401 `auth_required`. By default the extension of type [`Self::Who`].
    fn who(&self, extensions: &Extensions) -> Option<Self::Who> {
        extensions.get::<Self::Who>().cloned()
    }

    /// Whose partial uploads the requester's are (its device).
    fn owner(&self, who: &Self::Who) -> Owner;

    /// Of `shas`, those the requester may read (whether stored or not).
    async fn readable(
        &self,
        who: &Self::Who,
        shas: &[Sha256Hex],
    ) -> Result<HashSet<Sha256Hex>, AccessError>;

    /// The requester's upload of `sha` completed: it sent every byte and they were verified (or
    /// the photo was stored already and the requester may read it).
    async fn uploaded(&self, who: &Self::Who, sha: &Sha256Hex) -> Result<(), AccessError>;
}

/// Everyone reads every photo and shares one staging area: for a server without accounts, and
/// tests. Not for the sync server, which mounts the routes with its scope policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unrestricted;

#[async_trait::async_trait]
impl PhotoAccess for Unrestricted {
    type Who = ();

    fn who(&self, _: &Extensions) -> Option<()> {
        Some(())
    }

    fn owner(&self, _: &()) -> Owner {
        Owner::shared()
    }

    async fn readable(
        &self,
        _: &(),
        shas: &[Sha256Hex],
    ) -> Result<HashSet<Sha256Hex>, AccessError> {
        Ok(shas.iter().cloned().collect())
    }

    async fn uploaded(&self, _: &(), _: &Sha256Hex) -> Result<(), AccessError> {
        Ok(())
    }
}
