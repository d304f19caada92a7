// A stub resolver client for the master's ALIAS targets: sends RD queries to configured
// recursive resolvers (UDP with EDNS0, TCP when truncated), with a timeout per try and retries
// across servers, and follows CNAME chains to the addresses. One per io_context, not shared
// across threads; lookups may run concurrently on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/dns/message.hpp"
#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"

namespace flatsign::net {

struct ResolverOptions {
  std::vector<boost::asio::ip::udp::endpoint> servers;
  std::chrono::milliseconds timeout{1000};  // per try
  int rounds = 2;                           // passes over the server list
  uint16_t edns_payload = 1232;
  // DNSSEC (RFC 4035 §3.2): set DO on every query and read the resolver's AD bit, which says
  // the resolver validated the answer. Only as trustworthy as the path to the resolver: use a
  // validating resolver on the same host or a trusted link (RFC 6698 §4.1's "trusted resolver").
  bool dnssec = false;
  // With dnssec: a SERVFAIL is asked again with CD (checking disabled, RFC 4035 §3.2.2), and
  // data that comes back then is bogus (it failed validation), not an outage.
  bool bogus_retry = false;
};

// What the resolver said about an answer's DNSSEC status.
enum class Validation {
  Unchecked,  // DNSSEC off: DO not set, AD not read
  Secure,     // every response had AD
  Insecure,   // a response without AD (no chain of trust to it)
  Bogus,      // validation failed: SERVFAIL, and the data came back only with CD
};
[[nodiscard]] const char* validation_text(Validation v);

// Every outcome of one query.
enum class QueryOutcome {
  Answer,        // a matching response (any RCODE; SERVFAIL/REFUSED only if every server said so)
  Timeout,       // no server answered in time on any try
  NetworkError,  // sockets failed (unreachable, refused) on every try
  BadResponse,   // only malformed or mismatched responses arrived
};

struct QueryResult {
  QueryOutcome outcome = QueryOutcome::Timeout;
  dns::Message response;  // valid when outcome == Answer
  std::string detail;     // why, for logs
};

// Every outcome of an address lookup (A and AAAA of one name).
enum class LookupStatus {
  Ok,         // at least one A or AAAA
  NoAddress,  // the name (or the end of its CNAME chain) exists but has neither A nor AAAA
  NxDomain,   // RFC 8020: the name (or the end of its chain) does not exist
  ServFail,   // the resolvers answered SERVFAIL/REFUSED or another error RCODE
  Timeout,    // no resolver answered
  CnameLoop,  // the CNAME chain loops or is longer than kMaxChain
  Error,      // network errors or malformed responses
};
[[nodiscard]] const char* lookup_status_text(LookupStatus s);

struct AddressLookup {
  LookupStatus status = LookupStatus::Error;
  std::vector<dns::Rdata> a;     // sorted, distinct
  std::vector<dns::Rdata> aaaa;  // sorted, distinct
  // The smallest TTL met on the way (CNAMEs and addresses; the SOA minimum for a negative
  // answer, RFC 2308 §5): when this result expires.
  uint32_t ttl = 0;
  std::string detail;  // e.g. "www.example.net. A: SERVFAIL from 127.0.0.1:53"
  // The CNAME targets followed from the name asked, in order (hop 1 first), the A and the
  // AAAA lookups' merged: what a policy on the names of the chain checks (the master's
  // alias-chain each-hop, alias-max-hops).
  std::vector<dns::Name> chain;
  Validation validation = Validation::Unchecked;
};

class StubResolver {
 public:
  static constexpr int kMaxChain = 12;  // CNAME links followed before giving up

  StubResolver(boost::asio::any_io_executor ex, ResolverOptions options);

  // One query with RD set, tried on each server in turn for `rounds` passes. A server's
  // SERVFAIL or REFUSED moves on to the next server; any other RCODE is the answer.
  // `cd`: checking disabled (the bogus retry).
  [[nodiscard]] boost::asio::awaitable<QueryResult> query(dns::Name qname, dns::RRType qtype,
                                                          bool cd = false);
  // A and AAAA of `name`, concurrently, each following the CNAME chain in the answers (and
  // re-querying the chain's end when the resolver stopped short). Never throws for DNS errors.
  [[nodiscard]] boost::asio::awaitable<AddressLookup> lookup_addresses(dns::Name name);

  [[nodiscard]] const ResolverOptions& options() const { return options_; }
  // Turns the DNSSEC options on or off for the lookups that start from now on.
  void set_dnssec(bool dnssec, bool bogus_retry) {
    options_.dnssec = dnssec;
    options_.bogus_retry = dnssec && bogus_retry;
  }
  // Queries sent so far (every try on every server), for budgets and tests.
  [[nodiscard]] uint64_t queries_sent() const { return queries_sent_; }

 private:
  struct TypeLookup;
  boost::asio::awaitable<TypeLookup> lookup_type(dns::Name name, dns::RRType type);
  boost::asio::awaitable<QueryResult> try_server(const boost::asio::ip::udp::endpoint& server,
                                                 const dns::Name& qname, dns::RRType qtype,
                                                 bool cd);

  boost::asio::any_io_executor ex_;
  ResolverOptions options_;
  uint64_t queries_sent_ = 0;
};

}  // namespace flatsign::net
