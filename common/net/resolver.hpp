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
};

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
};

class StubResolver {
 public:
  static constexpr int kMaxChain = 12;  // CNAME links followed before giving up

  StubResolver(boost::asio::any_io_executor ex, ResolverOptions options);

  // One query with RD set, tried on each server in turn for `rounds` passes. A server's
  // SERVFAIL or REFUSED moves on to the next server; any other RCODE is the answer.
  [[nodiscard]] boost::asio::awaitable<QueryResult> query(dns::Name qname, dns::RRType qtype);
  // A and AAAA of `name`, concurrently, each following the CNAME chain in the answers (and
  // re-querying the chain's end when the resolver stopped short). Never throws for DNS errors.
  [[nodiscard]] boost::asio::awaitable<AddressLookup> lookup_addresses(dns::Name name);

  [[nodiscard]] const ResolverOptions& options() const { return options_; }

 private:
  struct TypeLookup;
  boost::asio::awaitable<TypeLookup> lookup_type(dns::Name name, dns::RRType type);
  boost::asio::awaitable<QueryResult> try_server(const boost::asio::ip::udp::endpoint& server,
                                                 const dns::Name& qname, dns::RRType qtype);

  boost::asio::any_io_executor ex_;
  ResolverOptions options_;
};

}  // namespace flatsign::net
