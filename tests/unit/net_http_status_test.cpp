// The status endpoint's routing: /metrics and /status answer 200 with Connection: close, other
// paths 404, other methods 405, a broken request line 400, HEAD without a body.
#include <catch2/catch.hpp>

#include <string>

#include "common/net/http_status.hpp"

using flatsign::net::http_status_response;

TEST_CASE("http status: routes, methods and malformed requests", "[http]") {
  flatsign::util::MetricsRegistry reg;
  reg.counter("x_total", "X.").inc();
  reg.freeze();
  std::string last_query;
  flatsign::net::StatusCallback status = [&](std::string_view q) -> std::optional<std::string> {
    last_query = q;
    if (q == "zone=unknown") return std::nullopt;
    return std::string("{\"ok\":true}");
  };
  auto metrics = [&] { return reg.render(); };
  auto get = [&](const std::string& head) { return http_status_response(head, metrics, status); };

  std::string m = get("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(m.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(m.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
  CHECK(m.find("Connection: close\r\n") != std::string::npos);
  CHECK(m.find("\r\n\r\n# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n") !=
        std::string::npos);

  std::string s = get("GET /status?pretty HTTP/1.0\r\n\r\n");
  CHECK(s.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(s.find("Content-Length: 11\r\n") != std::string::npos);
  CHECK(s.substr(s.size() - 11) == "{\"ok\":true}");

  CHECK(last_query == "pretty");
  CHECK(get("GET /status?zone=unknown HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 ", 0) == 0);

  std::string h = get("HEAD /status HTTP/1.1\r\n\r\n");
  CHECK(h.find("Content-Length: 11\r\n") != std::string::npos);
  CHECK(h.substr(h.size() - 4) == "\r\n\r\n");

  CHECK(get("GET /other HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 ", 0) == 0);
  CHECK(get("POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405 ", 0) == 0);
  CHECK(get("GET /metrics\r\n\r\n").rfind("HTTP/1.1 400 ", 0) == 0);
  CHECK(get("garbage").rfind("HTTP/1.1 400 ", 0) == 0);
}
