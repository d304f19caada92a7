#include "common/net/resolver.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/net/address.hpp"
#include "common/net/dns_exchange.hpp"
#include "common/net/query_id.hpp"

namespace flatsign::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;
using dns::Message;
using dns::Name;
using dns::RRType;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool response_matches(const Message& r, uint16_t id, const Name& qname, RRType qtype) {
  // RFC 5452 §4.3: id, question name (case-insensitive), type and class must all match.
  return r.qr && r.id == id && r.questions.size() == 1 && r.questions[0].qname == qname &&
         r.questions[0].qtype == qtype && r.questions[0].qclass == dns::RRClass::IN;
}

void sort_unique(std::vector<dns::Rdata>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

const char* lookup_status_text(LookupStatus s) {
  switch (s) {
    case LookupStatus::Ok:
      return "ok";
    case LookupStatus::NoAddress:
      return "no address";
    case LookupStatus::NxDomain:
      return "NXDOMAIN";
    case LookupStatus::ServFail:
      return "SERVFAIL";
    case LookupStatus::Timeout:
      return "timeout";
    case LookupStatus::CnameLoop:
      return "CNAME loop";
    case LookupStatus::Error:
      return "error";
  }
  return "?";
}

const char* validation_text(Validation v) {
  switch (v) {
    case Validation::Unchecked:
      return "unchecked";
    case Validation::Secure:
      return "secure";
    case Validation::Insecure:
      return "insecure";
    case Validation::Bogus:
      return "bogus";
  }
  return "?";
}

StubResolver::StubResolver(asio::any_io_executor ex, ResolverOptions options)
    : ex_(std::move(ex)), options_(std::move(options)) {}

asio::awaitable<QueryResult> StubResolver::try_server(const udp::endpoint& server,
                                                      const Name& qname, RRType qtype, bool cd) {
  QueryResult res;
  Message q;
  q.id = random_query_id();
  q.rd = true;
  q.cd = cd;
  ++queries_sent_;
  q.questions.push_back({qname, qtype, dns::RRClass::IN});
  q.edns = dns::Edns{};
  q.edns->udp_payload = options_.edns_payload;
  q.edns->do_bit = options_.dnssec;
  std::vector<uint8_t> wire = dns::write_message(q, dns::kUdpLimit);
  std::string who = endpoint_text(server);

  const auto started = std::chrono::steady_clock::now();
  std::vector<uint8_t> buf;
  Message m;
  std::string malformed;
  auto matches = [&](std::span<const uint8_t> reply) {
    try {
      m = dns::parse_message(reply);
    } catch (const dns::WireError& e) {
      malformed = e.what();  // may be an attack: keep waiting for the real one
      return false;
    }
    return response_matches(m, q.id, qname, qtype);  // else stray or spoofed: keep waiting
  };
  auto udp_res = co_await udp_exchange(ex_, server, wire, buf, options_.timeout, matches);
  if (!udp_res.ok()) {
    res.outcome = udp_res.status == ExchangeStatus::TimedOut ? QueryOutcome::Timeout
                                                             : QueryOutcome::NetworkError;
    res.detail =
        who + ": " + (udp_res.status == ExchangeStatus::TimedOut ? "timeout" : udp_res.detail);
    if (udp_res.status == ExchangeStatus::TimedOut && !malformed.empty())
      res.detail += " (a malformed response came: " + malformed + ")";
    co_return res;
  }
  if (!m.tc) {
    res.outcome = QueryOutcome::Answer;
    res.response = std::move(m);
    co_return res;
  }

  // RFC 7766 §5: a truncated UDP answer is retried over TCP, within what is left of the timeout.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(
      options_.timeout - (std::chrono::steady_clock::now() - started));
  auto tcp_res = co_await tcp_exchange(ex_, tcp::endpoint(server.address(), server.port()), wire,
                                       buf, std::max(std::chrono::milliseconds(0), left));
  if (!tcp_res.ok()) {
    res.outcome = tcp_res.status == ExchangeStatus::TimedOut ? QueryOutcome::Timeout
                                                             : QueryOutcome::NetworkError;
    res.detail = who + ": tcp " + tcp_res.detail;
    co_return res;
  }
  try {
    m = dns::parse_message(buf);
    if (!response_matches(m, q.id, qname, qtype)) {
      res.outcome = QueryOutcome::BadResponse;
      res.detail = who + ": tcp response does not match the query";
      co_return res;
    }
    res.outcome = QueryOutcome::Answer;
    res.response = std::move(m);
  } catch (const dns::WireError& e) {
    res.outcome = QueryOutcome::BadResponse;
    res.detail = who + ": malformed tcp response: " + e.what();
  }
  co_return res;
}

asio::awaitable<QueryResult> StubResolver::query(Name qname, RRType qtype, bool cd) {
  QueryResult last;
  last.detail = "no resolver configured";
  std::optional<QueryResult> servfail;
  for (int round = 0; round < options_.rounds; ++round) {
    for (const udp::endpoint& server : options_.servers) {
      QueryResult r = co_await try_server(server, qname, qtype, cd);
      if (r.outcome == QueryOutcome::Answer) {
        auto rc = r.response.rcode_value();
        if (rc != dns::Rcode::SERVFAIL && rc != dns::Rcode::REFUSED) co_return r;
        r.detail =
            endpoint_text(server) + ": " + (rc == dns::Rcode::SERVFAIL ? "SERVFAIL" : "REFUSED");
        servfail = std::move(r);
        continue;
      }
      last = std::move(r);
    }
  }
  if (servfail) co_return *servfail;
  co_return last;
}

struct StubResolver::TypeLookup {
  LookupStatus status = LookupStatus::Error;
  std::vector<dns::Rdata> rdatas;
  std::vector<Name> chain;  // CNAME targets followed, in order
  bool secure = true;       // every response had AD (meaningful with options_.dnssec)
  bool bogus = false;       // a response came only with CD
  uint32_t ttl = UINT32_MAX;
  std::string detail;
};

asio::awaitable<StubResolver::TypeLookup> StubResolver::lookup_type(Name name, RRType type) {
  TypeLookup out;
  std::set<Name> seen{name};
  Name current = name;
  std::string tname = dns::type_to_string(type);
  int links = 0;
  for (int queries = 0; queries < 4; ++queries) {
    Name asked = current;
    QueryResult r = co_await query(current, type);
    if (options_.bogus_retry && r.outcome == QueryOutcome::Answer &&
        r.response.rcode_value() == dns::Rcode::SERVFAIL) {
      QueryResult unchecked = co_await query(current, type, true);
      if (unchecked.outcome == QueryOutcome::Answer &&
          unchecked.response.rcode_value() != dns::Rcode::SERVFAIL) {
        r = std::move(unchecked);
        out.bogus = true;
      }
    }
    std::string where = current.to_string() + " " + tname;
    if (r.outcome != QueryOutcome::Answer) {
      out.status = r.outcome == QueryOutcome::Timeout ? LookupStatus::Timeout : LookupStatus::Error;
      out.detail = where + ": " + r.detail;
      co_return out;
    }
    const Message& m = r.response;
    out.secure = out.secure && m.ad;
    // Follow the chain inside the answer section (RFC 1034 §4.3.2 step 3a, §5.2.2).
    for (bool moved = true; moved;) {
      moved = false;
      for (const dns::Rr& rr : m.answer) {
        if (rr.type == RRType::CNAME && rr.owner == current) {
          auto target = dns::rdata_target(RRType::CNAME, rr.rdata);
          if (!target) break;
          out.ttl = std::min(out.ttl, rr.ttl);
          if (!seen.insert(*target).second || ++links > kMaxChain) {
            out.status = LookupStatus::CnameLoop;
            out.detail = name.to_string() + " " + tname + ": CNAME chain loops or is too long at " +
                         target->to_string();
            co_return out;
          }
          current = *target;
          out.chain.push_back(current);
          moved = true;
          break;
        }
      }
    }
    for (const dns::Rr& rr : m.answer) {
      if (rr.type == type && rr.owner == current) {
        out.rdatas.push_back(rr.rdata);
        out.ttl = std::min(out.ttl, rr.ttl);
      }
    }
    auto rc = m.rcode_value();
    if (!out.rdatas.empty()) {
      sort_unique(out.rdatas);
      out.status = LookupStatus::Ok;
      co_return out;
    }
    // Negative TTL: the SOA's TTL capped by its MINIMUM (RFC 2308 §5).
    for (const dns::Rr& rr : m.authority) {
      if (rr.type == RRType::SOA) {
        out.ttl = std::min({out.ttl, rr.ttl, dns::soa_minimum(rr.rdata)});
      }
    }
    if (rc == dns::Rcode::NXDOMAIN) {
      out.status = LookupStatus::NxDomain;
      out.detail = current.to_string() + " " + tname + ": NXDOMAIN";
      co_return out;
    }
    if (rc != dns::Rcode::NOERROR) {
      out.status = LookupStatus::ServFail;
      out.detail =
          where + ": " + (r.detail.empty() ? "rcode " + std::to_string(m.rcode) : r.detail);
      co_return out;
    }
    // NODATA (RFC 2308 §2.2) for the name asked: final. When the chain moved on inside this
    // answer but the resolver gave nothing for its end, ask for the end itself.
    if (current == asked) {
      out.status = LookupStatus::NoAddress;
      out.detail = current.to_string() + " " + tname + ": no data";
      co_return out;
    }
  }
  out.status = LookupStatus::CnameLoop;
  out.detail = name.to_string() + " " + tname + ": CNAME chain not resolved";
  co_return out;
}

asio::awaitable<AddressLookup> StubResolver::lookup_addresses(Name name) {
  auto [a, aaaa] = co_await (lookup_type(name, RRType::A) && lookup_type(name, RRType::AAAA));
  AddressLookup out;
  out.chain = a.chain;
  for (const Name& n : aaaa.chain)  // the same chain normally; a change between the two adds
    if (std::find(out.chain.begin(), out.chain.end(), n) == out.chain.end()) out.chain.push_back(n);
  out.ttl = std::min(a.ttl, aaaa.ttl);
  if (out.ttl == UINT32_MAX) out.ttl = 0;
  if (options_.dnssec) {
    out.validation = a.bogus || aaaa.bogus     ? Validation::Bogus
                     : a.secure && aaaa.secure ? Validation::Secure
                                               : Validation::Insecure;
  }
  auto hard = [](LookupStatus s) {
    return s == LookupStatus::ServFail || s == LookupStatus::Timeout ||
           s == LookupStatus::CnameLoop || s == LookupStatus::Error;
  };
  // Any failed query fails the target: half an answer must not look like a change upstream.
  if (hard(a.status) || hard(aaaa.status)) {
    out.status = hard(a.status) ? a.status : aaaa.status;
    out.detail = hard(a.status) ? a.detail : aaaa.detail;
    co_return out;
  }
  out.a = std::move(a.rdatas);
  out.aaaa = std::move(aaaa.rdatas);
  if (!out.a.empty() || !out.aaaa.empty()) {
    out.status = LookupStatus::Ok;
  } else if (a.status == LookupStatus::NxDomain) {
    out.status = LookupStatus::NxDomain;
    out.detail = a.detail;
  } else {
    out.status = LookupStatus::NoAddress;
    out.detail = name.to_string() + ": neither A nor AAAA";
  }
  co_return out;
}

}  // namespace flatsign::net
