//! The platform connector: what connector handlers return, outbound HTTP to
//! the platform, the platform's webhook signature and the manifest's
//! `[connector]` table.

pub mod notification;
pub mod outbound;
pub mod platform_signature;
pub mod settings;

pub use notification::{Notification, NotificationKind};
pub use outbound::{OutboundClient, OutboundGrant};
pub use platform_signature::{BodySignature, DigestEncoding};
pub use settings::ConnectorSettings;
