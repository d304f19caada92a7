// flatsign-sign-tool: drives the DNSSEC engine from the command line for integration tests and
// bench/sign. Each subcommand prints one result line; timings exclude zone-file I/O unless noted.
//   keygen --zone Z --dir D [--alg 13] [--split]     CSK (or KSK+ZSK) in BIND's file format
//   sign IN --zone Z --keys D -o OUT [--nsec3 ...]   full sign, print the signed zone to OUT
//   incremental OLD NEW --zone Z --keys D -o OUT      sign OLD, then NEW incrementally (timed);
//     [--previous SIGNED]                             OLD's signed zone (from `sign`), not
//     re-signed
//   refresh IN --zone Z --keys D -o OUT               re-sign expiring signatures of a signed zone
//   verify IN --zone Z [--now T] [--mode M]           our verifier (full or sampled); exit 1 with
//                                                     the problems
//   crypto-bench                                      signatures and verifications per CPU second
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "common/dns/encoding.hpp"
#include "common/dnssec/crypto.hpp"
#include "common/dnssec/key.hpp"
#include "common/dnssec/verify.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zonefile.hpp"

namespace {

using namespace flatsign;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::shared_ptr<const zone::Zone> load(const std::string& file, const dns::Name& origin) {
  return zone::load_zone(file, origin).zone;
}

// Writes `z` as util::write_file_atomically would (temporary file, fsync, rename, directory
// fsync) but piece by piece, while `threads` threads print the next pieces.
void write_zone(const zone::Zone& z, const std::string& out, unsigned threads = 0) {
  const std::string tmp = out + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto fail = [&](const char* step) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw std::system_error(err, std::generic_category(), "writing " + out + ": " + step);
  };
  if (fd < 0) fail("create");
  zone::print_zone_pieces(z, threads, [&](std::string_view piece) {
    while (!piece.empty()) {
      ssize_t n = ::write(fd, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("write");
      piece.remove_prefix(static_cast<size_t>(n));
    }
  });
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    fd = -1;
    fail("close");
  }
  fd = -1;
  if (::rename(tmp.c_str(), out.c_str()) != 0) fail("rename");
  const auto slash = out.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : out.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

int crypto_bench(double seconds) {
  std::vector<uint8_t> msg(120, 0x5a);  // about one RRSIG signing input
  for (auto alg : {dnssec::Algorithm::ECDSAP256SHA256, dnssec::Algorithm::ED25519,
                   dnssec::Algorithm::RSASHA256}) {
    auto key = dnssec::PrivateKey::generate(alg);
    for (auto backend :
         {dnssec::Backend::OpenSSL, dnssec::Backend::Botan, dnssec::Backend::Sodium}) {
      if (!dnssec::has_backend(alg, backend)) continue;
      auto signer = key->make_signer(backend);
      std::vector<uint8_t> sig;
      size_t n = 0;
      // This thread's CPU time: on a shared machine wall time measures the other processes.
      const double t0 = thread_cpu_seconds();
      while (thread_cpu_seconds() - t0 < seconds) {
        for (int i = 0; i < 16; ++i, ++n) {
          sig.clear();
          signer->sign(msg, sig);
        }
      }
      fmt::print("crypto alg={} backend={} sigs_per_cpu_s={:.0f}{}\n", int(alg),
                 dnssec::backend_name(backend), n / (thread_cpu_seconds() - t0),
                 dnssec::preferred_backend(alg) == backend ? " (chosen)" : "");
    }
    // Verification: a Verifier kept for the key (as verify_zone's threads do), and one made
    // for each signature (PublicKey::verify).
    auto pub = dnssec::PublicKey::from_dnskey(static_cast<uint8_t>(alg), key->public_key());
    std::vector<uint8_t> sig;
    key->make_signer()->sign(msg, sig);
    auto verifier = pub->make_verifier();
    for (bool kept : {true, false}) {
      size_t n = 0;
      const double t0 = thread_cpu_seconds();
      while (thread_cpu_seconds() - t0 < seconds)
        for (int i = 0; i < 16; ++i, ++n)
          if (!(kept ? verifier->verify(msg, sig) : pub->verify(msg, sig)))
            throw std::runtime_error("crypto-bench: a signature failed to verify");
      fmt::print("crypto alg={} verify={} verifications_per_cpu_s={:.0f}\n", int(alg),
                 kept ? "kept-verifier" : "one-off", n / (thread_cpu_seconds() - t0));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatsign DNSSEC signing tool (tests and benchmarks)"};
  app.require_subcommand(1);
  std::string zone_text, dir, in, in2, out, salt_hex, previous, alg_text = "13";
  bool split = false, nsec3 = false, opt_out = false, cds = false, check = false;
  unsigned threads = 0, iterations = 0;
  long long now = 0;
  uint32_t validity = 14 * 86400, jitter = 86400;
  double bench_seconds = 1.0;

  auto* keygen = app.add_subcommand("keygen", "generate keys in BIND's format");
  auto* sign = app.add_subcommand("sign", "full sign");
  auto* incr = app.add_subcommand("incremental", "full sign OLD, then incremental to NEW");
  auto* refresh = app.add_subcommand("refresh", "re-sign expiring signatures");
  auto* verify = app.add_subcommand("verify", "verify a signed zone");
  auto* bench = app.add_subcommand("crypto-bench",
                                   "signing and verification speed per algorithm and backend");
  bench->add_option("--seconds", bench_seconds, "time per measurement");
  for (auto* s : {keygen, sign, incr, refresh, verify})
    s->add_option("--zone,-z", zone_text, "zone origin")->required();
  keygen->add_option("--dir,-d", dir, "key directory")->required();
  keygen->add_option("--alg,-a", alg_text, "algorithm number or mnemonic");
  keygen->add_flag("--split", split, "KSK + ZSK instead of one CSK");
  for (auto* s : {sign, incr, refresh}) {
    s->add_option("--keys,-k", dir, "key directory")->required();
    s->add_option("--out,-o", out, "signed zone file")->required();
    s->add_flag("--nsec3", nsec3, "NSEC3 instead of NSEC");
    s->add_option("--iterations", iterations, "NSEC3 iterations (RFC 9276: 0)");
    s->add_option("--salt", salt_hex, "NSEC3 salt in hex (RFC 9276: none)");
    s->add_flag("--opt-out", opt_out, "NSEC3 opt-out");
    s->add_flag("--cds", cds, "publish CDS/CDNSKEY");
    s->add_option("--threads,-t", threads, "signing threads (0: all cores)");
    s->add_option("--validity", validity, "signature validity in seconds");
    s->add_option("--jitter", jitter, "expiration jitter in seconds");
  }
  for (auto* s : {sign, incr, refresh, verify}) s->add_option("--now", now, "time (epoch s)");
  sign->add_option("input", in, "unsigned zone file")->required();
  refresh->add_option("input", in, "signed zone file")->required();
  verify->add_option("input", in, "signed zone file")->required();
  std::string verify_mode = "full";
  verify->add_option("--mode", verify_mode, "full | sampled");
  incr->add_option("old", in, "old unsigned zone file")->required();
  incr->add_option("new", in2, "new unsigned zone file")->required();
  incr->add_option("--previous", previous,
                   "OLD signed with these keys and options (skips signing OLD)");
  incr->add_flag("--check", check, "compare with a full sign of NEW and verify the result");
  CLI11_PARSE(app, argc, argv);

  try {
    if (bench->parsed()) return crypto_bench(bench_seconds);
    const dns::Name root;
    dns::Name origin = dns::Name::parse(zone_text, &root);
    std::time_t t = now ? now : std::time(nullptr);
    if (keygen->parsed()) {
      auto alg = dnssec::algorithm_from_string(alg_text);
      if (!alg || !dnssec::can_sign(*alg)) throw std::runtime_error("cannot sign with " + alg_text);
      auto k = dnssec::generate_key(origin, *alg, dnssec::kFlagsKsk, t);
      fmt::print("{}\n", dnssec::store_key(k, dir));
      if (split)
        fmt::print("{}\n", dnssec::store_key(
                               dnssec::generate_key(origin, *alg, dnssec::kFlagsZsk, t), dir));
      return 0;
    }
    if (verify->parsed()) {
      auto z = load(in, origin);
      auto t0 = Clock::now();
      auto mode = dnssec::verify_mode_from_string(verify_mode);
      if (!mode) throw std::runtime_error("--mode: expected full or sampled");
      auto verdict = dnssec::verify_zone(*z, {.now = t, .mode = *mode});
      fmt::print("{} ({:.3f} s, {} RRsets)\n", verdict.summary(20), since(t0),
                 verdict.rrsets_checked);
      return verdict.ok() ? 0 : 1;
    }
    dnssec::SignerOptions opt;
    opt.timing.now = t;
    opt.timing.validity = validity;
    opt.timing.jitter = jitter;
    opt.refresh_within = std::min<uint32_t>(validity / 2, 7 * 86400);
    opt.threads = threads;
    opt.publish_cds = cds;
    if (nsec3) {
      opt.denial.mode = dnssec::DenialMode::Nsec3;
      opt.denial.nsec3.iterations = static_cast<uint16_t>(iterations);
      opt.denial.nsec3.opt_out = opt_out;
      if (!salt_hex.empty() && !dns::hex_decode(salt_hex, opt.denial.nsec3.salt))
        throw std::runtime_error("bad salt " + salt_hex);
    }
    auto keys = dnssec::load_keys(dir, origin);
    if (keys.empty()) throw std::runtime_error("no keys for " + origin.to_string() + " in " + dir);
    dnssec::ZoneSigner signer(std::move(keys), opt);
    auto report = [](const char* what, const dnssec::SignResult& r, double total) {
      const auto& s = r.stats;
      fmt::print(
          "{} rrsets_in={} signed={} reused={} signatures={} denial={} sign_s={:.4f} "
          "crypto_s={:.4f} build_s={:.4f} total_s={:.4f} rrsets_per_s={:.0f} patched={}\n",
          what, s.rrsets_in, s.rrsets_signed, s.rrsets_reused, s.signatures, s.denial_records,
          s.seconds, s.crypto_seconds, s.build_seconds, total, s.rrsets_in / std::max(total, 1e-9),
          s.patched);
    };
    if (sign->parsed() || refresh->parsed()) {
      auto t0 = Clock::now();
      auto z = load(in, origin);
      auto r = sign->parsed() ? signer.sign_full(*z) : signer.refresh(*z);
      write_zone(*r.zone, out, threads);
      report(sign->parsed() ? "sign" : "refresh", r, since(t0));
      // Nothing is left to do: skip freeing both zones (millions of allocations, seconds at a
      // million names); the kernel takes the memory back at once.
      std::fflush(stdout);
      std::_Exit(0);
    }
    auto old_z = load(in, origin);
    auto new_z = load(in2, origin);
    auto old_signed = previous.empty() ? signer.sign_full(*old_z).zone : load(previous, origin);
    auto t0 = Clock::now();
    auto diff = zone::diff_zones(*old_z, *new_z);
    double diff_s = since(t0);
    // CPU time too: on a busy machine the wall time of a few milliseconds is mostly waiting.
    const std::clock_t c0 = std::clock();
    auto r = signer.sign_incremental(*old_signed, *new_z, diff);
    const double sign_cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
    double incr_s = since(t0);
    report("incremental", r, incr_s);
    fmt::print(
        "incremental diff_s={:.4f} (diff_zones of OLD and NEW, included in total_s) "
        "sign_cpu_s={:.4f}\n",
        diff_s, sign_cpu_s);
    write_zone(*r.zone, out);
    if (check) {
      auto full = signer.sign_full(*new_z);
      bool same = dnssec::same_signed_content(*full.zone, *r.zone);
      auto verdict = dnssec::verify_zone(*r.zone, {.now = t});
      fmt::print("check same_as_full={} verify={}\n", same, verdict.summary(10));
      return same && verdict.ok() ? 0 : 1;
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "flatsign-sign-tool: {}\n", e.what());
    return 2;
  }
}
