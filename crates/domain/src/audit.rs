//! The audit trail (审计日志): an append-only list of records, each linked to the one before by a
//! SHA-256 hash, so that changing, removing or inserting a record breaks the chain at that record.
//!
//! The chain proves integrity against anyone who does not recompute every later hash. Against
//! someone who does (with write access to the database and this source), the last hash is
//! anchored outside the database: `onewindow audit head` prints it for the monthly report and
//! `audit verify --expect-head` checks a chain against it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that precedes the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// Refused by the access policy or by a rule.
    Denied,
    /// Wrong credentials, a locked account, a revoked token.
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "success" => Some(Outcome::Success),
            "denied" => Some(Outcome::Denied),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// What happened, before it has a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// RFC 3339 time in UTC.
    pub at: String,
    /// The user name, `system`, or `cli:<name>` for the command line.
    pub actor: String,
    /// The roles the actor held, comma-separated.
    pub role: String,
    /// The network address (or `cli`, `system`) the request came from.
    pub source: String,
    /// What was attempted, e.g. `auth.login`, `case.accept`, `user.posts`.
    pub action: String,
    /// What it was done to, e.g. `case:330226202611020000001`, `user:clerk`.
    pub target: String,
    pub outcome: Outcome,
    /// A short note: a reason, what changed. Never a password or a full identity number.
    pub detail: String,
}

/// A record in its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record: SHA-256 over a JSON array of every field but the hash itself, so that no
/// two different records share an encoding.
pub fn record_hash(seq: u64, entry: &AuditEntry, prev_hash: &str) -> String {
    let fields = serde_json::json!([
        seq,
        entry.at,
        entry.actor,
        entry.role,
        entry.source,
        entry.action,
        entry.target,
        entry.outcome.as_str(),
        entry.detail,
        prev_hash,
    ]);
    let digest = Sha256::digest(fields.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Places an entry after the record `(prev_seq, prev_hash)` (`(0, GENESIS)` for the first).
pub fn link(prev_seq: u64, prev_hash: &str, entry: AuditEntry) -> AuditRecord {
    let seq = prev_seq + 1;
    let hash = record_hash(seq, &entry, prev_hash);
    AuditRecord {
        seq,
        entry,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("audit record {seq} was changed (or forged): its contents do not match its hash")]
    Changed { seq: u64 },
    #[error(
        "audit record {seq} does not follow record {previous}: a record was removed or inserted between them"
    )]
    Unlinked { seq: u64, previous: u64 },
    #[error(
        "audit records are missing: the chain ends at record {last} but {expected} were written"
    )]
    Truncated { last: u64, expected: u64 },
    #[error(
        "audit record {seq} was inserted after the last one written ({expected}), or the chain was rewritten"
    )]
    Appended { seq: u64, expected: u64 },
    #[error("the chain's last hash differs from the anchored one at record {seq}")]
    AnchorMismatch { seq: u64 },
}

impl ChainBreak {
    /// The record at which the chain first fails.
    pub fn seq(&self) -> u64 {
        match self {
            ChainBreak::Changed { seq }
            | ChainBreak::Unlinked { seq, .. }
            | ChainBreak::Appended { seq, .. }
            | ChainBreak::AnchorMismatch { seq } => *seq,
            ChainBreak::Truncated { last, .. } => last + 1,
        }
    }
}

/// Checks a chain read in order of `seq`, one record at a time, so that a long trail needs no
/// memory. Feed every record to [`ChainVerifier::push`], then call [`ChainVerifier::finish`] with
/// the head the store keeps (the count and last hash written with every record).
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: u64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        let links = record.seq == self.last_seq + 1 && record.prev_hash == self.last_hash;
        let intact = record_hash(record.seq, &record.entry, &record.prev_hash) == record.hash;
        if !intact {
            // A changed record whose link fields are also wrong is still a changed record.
            return Err(ChainBreak::Changed { seq: record.seq });
        }
        if !links {
            return Err(ChainBreak::Unlinked {
                seq: record.seq,
                previous: self.last_seq,
            });
        }
        self.last_seq = record.seq;
        self.last_hash = record.hash.clone();
        Ok(())
    }

    /// How many records have been checked.
    pub fn checked(&self) -> u64 {
        self.last_seq
    }

    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }

    /// Compares the end of the chain with the head kept beside it.
    pub fn finish(&self, head_seq: u64, head_hash: &str) -> Result<(), ChainBreak> {
        if self.last_seq < head_seq {
            return Err(ChainBreak::Truncated {
                last: self.last_seq,
                expected: head_seq,
            });
        }
        if self.last_seq > head_seq {
            return Err(ChainBreak::Appended {
                seq: head_seq + 1,
                expected: head_seq,
            });
        }
        if self.last_hash != head_hash {
            return Err(ChainBreak::AnchorMismatch { seq: self.last_seq });
        }
        Ok(())
    }
}

/// Checks a whole chain in memory.
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
    head_seq: u64,
    head_hash: &str,
) -> Result<u64, ChainBreak> {
    let mut verifier = ChainVerifier::default();
    for record in records {
        verifier.push(record)?;
    }
    verifier.finish(head_seq, head_hash)?;
    Ok(verifier.checked())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(i: u64) -> AuditEntry {
        AuditEntry {
            at: format!("2026-11-27T03:00:{:02}Z", i % 60),
            actor: format!("user{i}"),
            role: "clerk".into(),
            source: "127.0.0.1".into(),
            action: "case.accept".into(),
            target: format!("case:{i}"),
            outcome: Outcome::Success,
            detail: String::new(),
        }
    }

    fn chain(n: u64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 1..=n {
            let (seq, hash) = out
                .last()
                .map_or((0, GENESIS.to_string()), |r| (r.seq, r.hash.clone()));
            out.push(link(seq, &hash, entry(i)));
        }
        out
    }

    fn head(records: &[AuditRecord]) -> (u64, String) {
        records
            .last()
            .map_or((0, GENESIS.to_string()), |r| (r.seq, r.hash.clone()))
    }

    #[test]
    fn a_whole_chain_verifies() {
        let records = chain(20);
        let (seq, hash) = head(&records);
        assert_eq!(verify_chain(&records, seq, &hash), Ok(20));
        assert_eq!(verify_chain(&[], 0, GENESIS), Ok(0));
    }

    #[test]
    fn the_hash_is_known() {
        // Pinned so that a change of encoding, which would orphan every stored chain, is seen.
        let r = link(0, GENESIS, entry(1));
        assert_eq!(r.hash.len(), 64);
        assert_eq!(r.hash, record_hash(1, &entry(1), GENESIS));
        assert_ne!(r.hash, record_hash(1, &entry(2), GENESIS));
    }

    proptest! {
        #[test]
        fn a_changed_field_is_found_at_its_record(n in 2u64..30, at in 0usize..30, field in 0u8..4) {
            let mut records = chain(n);
            let (seq, hash) = head(&records);
            let i = at % records.len();
            match field {
                0 => records[i].entry.actor.push('x'),
                1 => records[i].entry.outcome = Outcome::Failure,
                2 => records[i].entry.detail.push_str("edited"),
                _ => records[i].entry.at = "2020-01-01T00:00:00Z".into(),
            }
            let err = verify_chain(&records, seq, &hash).expect_err("tampering is found");
            prop_assert_eq!(err, ChainBreak::Changed { seq: i as u64 + 1 });
        }

        #[test]
        fn a_removed_record_is_found_where_it_was(n in 3u64..30, at in 0usize..30) {
            let mut records = chain(n);
            let (seq, hash) = head(&records);
            let i = at % records.len();
            records.remove(i);
            let err = verify_chain(&records, seq, &hash).expect_err("tampering is found");
            prop_assert_eq!(err.seq(), i as u64 + if i + 1 == n as usize { 1 } else { 2 });
        }

        #[test]
        fn a_forged_record_inserted_is_found(n in 2u64..30, at in 0usize..30) {
            let mut records = chain(n);
            let (seq, hash) = head(&records);
            let i = at % records.len();
            // A forger who recomputes the hash of the record they insert still breaks the next link.
            let prev = if i == 0 { (0, GENESIS.to_string()) } else { (records[i - 1].seq, records[i - 1].hash.clone()) };
            let forged = link(prev.0, &prev.1, entry(999));
            records.insert(i, forged);
            let err = verify_chain(&records, seq, &hash).expect_err("tampering is found");
            prop_assert_eq!(err.seq(), i as u64 + 1);
        }
    }

    #[test]
    fn a_record_appended_beyond_the_head_is_found() {
        let mut records = chain(5);
        let (seq, hash) = head(&records);
        let last = records[4].clone();
        records.push(link(last.seq, &last.hash, entry(6)));
        assert_eq!(
            verify_chain(&records, seq, &hash),
            Err(ChainBreak::Appended {
                seq: 6,
                expected: 5
            })
        );
    }
}
