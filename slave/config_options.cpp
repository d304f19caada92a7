// The slave's options: names, help text, and where each may be given (per zone, repeatable).
// Kept apart from config.cpp, which reads them, because the table is long and read on its own.
#include "slave/config.hpp"

namespace flatsign::slave {

const std::vector<OptionSpec>& slave_options() {
  static const std::vector<OptionSpec> specs = {
      {"listen", "address:port to answer queries, transfers and NOTIFY on (repeat)", false, true},
      {"state-dir", "root of the state: each zone's keys, signed zone and serial in <dir>/<zone>/",
       false, false},
      {"master", "master address:port (repeat: tried in order)", true, true},
      {"poll-interval", "seconds (or 1m, 1h) between polls, +-5% jitter", true, false},
      {"poll-mode",
       "axfr: transfer every poll (any master) | soa: ask the SOA serial first and skip the "
       "transfer when it did not change",
       true, false},
      {"transfer",
       "ixfr: ask IXFR from the master's serial last applied, AXFR when the master cannot answer "
       "it | axfr: always AXFR",
       true, false},
      {"connect-timeout", "seconds", true, false},
      {"read-timeout", "seconds a single read may stall", true, false},
      {"transfer-timeout", "seconds a whole transfer may take", true, false},
      {"notify-tsig",
       "required: with a TSIG key, NOTIFY must be signed with it | optional: unsigned NOTIFYs "
       "from the masters' addresses are taken too",
       true, false},
      {"notify-min-interval", "seconds between two polls of a zone, however many NOTIFYs", true,
       false},
      {"algorithm",
       "ecdsap256sha256 | ed25519 | rsasha256 (new keys; under csk-roll or ksk-zsk-roll a zone "
       "whose keys have another is moved to it by an algorithm roll)",
       true, false},
      {"denial", "nsec | nsec3", true, false},
      {"cds",
       "CDS/CDNSKEY at the apex (RFC 7344): none | publish (the SEP keys, for parents that scan) "
       "| delete (RFC 8078: ask the parent to remove the DS)",
       true, false},
      {"verify",
       "check before publishing: sampled (every signature of an incremental change; on a full "
       "sign each key's first signature, each kind of signature once per process, plus 1 in "
       "64) | full (every signature)",
       true, false},
      {"serial-policy", "increment | unixtime | dateserial", true, false},
      {"on-change", "shell command run with a JSON change document", true, false},
      {"on-alert", "shell command run when a transfer is refused", true, false},
      {"review",
       "shell command run with the on-change document before a change is published: exit 0 "
       "publishes it, anything else vetoes it (alert review-veto)",
       true, false},
      {"review-timeout", "seconds the review hook may take (default 10)", true, false},
      {"review-on-timeout", "veto | publish: what a review that times out decides", true, false},
      {"hook-min-interval",
       "after hook-burst on-change runs, one per this many seconds; publications in between are "
       "batched into one run (0: a run each)",
       true, false},
      {"hook-burst", "on-change runs allowed at once before hook-min-interval applies", true,
       false},
      {"tsig", "name:algorithm:base64 TSIG key (repeat)", false, true},
      {"tsig-file", "BIND key file with TSIG keys (repeat; keeps secrets out of argv)", false,
       true},
      {"tsig-key", "name of the zone's TSIG key (needed when several keys are known)", true, false},
      {"expiry-alert",
       "alert signatures-expiring when the earliest RRSIG expires within this many seconds, or "
       "a due refresh fails",
       true, false},
      {"max-shrink", "refuse when more than this share of RRsets vanish", true, false},
      {"max-records", "refuse larger transfers", true, false},
      {"max-transfer-messages", "refuse a transfer in more messages than this", true, false},
      {"max-transfer-octets", "refuse a transfer of more octets on the wire than this", true,
       false},
      {"signature-validity",
       "seconds (or 14d) new RRSIGs are valid; neither this nor signature-refresh set: derived "
       "from the zone when its SOA expire and TTLs need longer",
       true, false},
      {"key-policy",
       "manual: the key files' timing (BIND's Publish/Activate/Inactive/Delete/Sync*) decides | "
       "csk-roll: the slave also makes each CSK's successor and rolls it by double signature | "
       "ksk-zsk-roll: a KSK and a ZSK, the KSK rolled as a CSK, the ZSK by pre-publication",
       true, false},
      {"csk-lifetime", "csk-roll: how long a CSK signs (365d; 0: never rolled)", true, false},
      {"ksk-lifetime", "ksk-zsk-roll: how long a KSK signs (365d; 0: never rolled)", true, false},
      {"zsk-lifetime", "ksk-zsk-roll: how long a ZSK signs (30d; 0: never rolled)", true, false},
      {"dnskey-ttl", "TTL of DNSKEY, CDS and CDNSKEY (seconds or 1h)", true, false},
      {"propagation-delay", "rolls: time for a publication to reach every secondary", true, false},
      {"publish-safety", "rolls: margin before the successor's DS is asked for", true, false},
      {"retire-safety", "rolls: margin before the old key stops signing", true, false},
      {"parent-ds-ttl", "rolls: the TTL of the DS at the parent", true, false},
      {"parent-propagation-delay", "rolls: time from a CDS change to the parent serving the new DS",
       true, false},
      {"parent-ds-check",
       "resolver ADDR[:PORT] asked for the parent's DS before an old KSK/CSK retires; the "
       "retirement waits until the DS names the successor (default: off)",
       true, false},
      {"parent-ds-check-interval", "seconds between parent-ds-check queries while one waits", true,
       false},
      {"parent-ds-alert-after",
       "alert parent-ds-lagging when a retirement is held this long past its planned time", true,
       false},
      {"key-check-interval", "seconds between checks of the key files for changes", true, false},
      {"key-dir",
       "folder of the zone's K-files, e.g. one shared by several slaves (default: the zone's "
       "state folder)",
       true, false},
      {"signature-refresh",
       "re-sign RRSIGs expiring within this many seconds (or 7d), checked on a timer of its own; "
       "must cover the SOA expire plus the largest TTL",
       true, false},
      {"alert-after", "alert after this many unreachable polls", true, false},
      {"notify",
       "secondary address:port to NOTIFY after a publication, optionally \"ADDR:PORT key NAME\" "
       "to sign it with that key (repeat)",
       true, true},
      {"allow-transfer", "prefix allowed to transfer the signed zone (repeat; default loopback)",
       true, true},
      {"transfer-key",
       "TSIG key a secondary signs its transfers with (repeat); when given, transfers out need "
       "one of these keys (the masters' key is refused)",
       true, true},
      {"journal-max", "IXFR journal: versions kept (0: none, IXFR answered by AXFR)", true, false},
      {"sign-threads", "signing threads per publication; 0: one per core", true, false},
      {"max-transfers", "zones transferring and checking a transfer at once, over all zones", false,
       false},
      {"max-signing",
       "publication jobs (sign, verify, write) at once; 0: one per core (zones under 2,000 "
       "RRsets have four times as many of their own)",
       false, false},
      {"udp-threads", "threads answering UDP queries; 0: one per core", false, false},
      {"tcp-max-connections", "TCP connections at once on the listeners", false, false},
      {"tcp-per-client", "TCP connections one client address may hold", false, false},
      {"tcp-reserved",
       "of tcp-max-connections, kept for clients an allow-transfer list names (secondaries)", false,
       false},
      {"tcp-idle",
       "seconds an idle TCP connection stays open (shrinks to 1 s as the slots fill, RFC 7766)",
       false, false},
      {"log-level", "debug | info | warning | error", false, false},
      {"rrl-rate", "UDP responses per second per client prefix and name (rate limiting); 0: off",
       false, false},
      {"rrl-slip", "every Nth limited response is sent truncated (TC) instead of dropped; 0: none",
       false, false},
      {"rrl-ipv4-prefix", "IPv4 clients are counted per prefix of this length", false, false},
      {"rrl-ipv6-prefix", "IPv6 clients are counted per prefix of this length", false, false},
      {"rrl-exempt", "prefix never rate limited (repeat)", false, true},
      {"cookie-secret-file",
       "DNS cookie secret: 32 hex digits, a second line for the previous one; re-read when it "
       "changes. Unset: random, rotated daily",
       false, false},
      {"http",
       "address:port for GET /metrics (Prometheus) and GET /status (JSON); unauthenticated, keep "
       "it on loopback",
       false, false},
  };
  return specs;
}

}  // namespace flatsign::slave
