#include "common/util/json_text.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

namespace flatsign::util {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace flatsign::util

namespace flatsign::util {
namespace {

// A parsed JSON value, just enough to print it again: a scalar's text, or members/items.
struct JsonNode {
  enum class Kind { Scalar, Object, Array } kind = Kind::Scalar;
  std::string text;
  std::string key;  // of a member of an object
  // Members carry their key: a std::pair of the incomplete JsonNode is not portable (clang).
  std::vector<JsonNode> members;
  std::vector<JsonNode> items;
  bool leaf() const { return kind == Kind::Scalar || (members.empty() && items.empty()); }
  std::string leaf_text() const {
    return kind == Kind::Object ? "{}" : kind == Kind::Array ? "[]" : text;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  // False when `s` is not one JSON value (depth is capped so hostile input cannot recurse deep).
  bool document(JsonNode& out) {
    if (!value(out, 0)) return false;
    space();
    return i_ == s_.size();
  }

 private:
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      c = s_[i_++];
      switch (c) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
        case 'f':
          out += ' ';
          break;
        case 'u':  // kept as written: status documents only escape control characters
          if (i_ + 4 > s_.size()) return false;
          out += "\\u";
          out += s_.substr(i_, 4);
          i_ += 4;
          break;
        default:
          out += c;
      }
    }
    return i_ < s_.size() && s_[i_++] == '"';
  }
  bool value(JsonNode& out, int depth) {
    if (depth > 64) return false;
    space();
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '{') {
      ++i_;
      out.kind = JsonNode::Kind::Object;
      if (eat('}')) return true;
      do {
        JsonNode& v = out.members.emplace_back();
        if (!string(v.key) || !eat(':') || !value(v, depth + 1)) return false;
      } while (eat(','));
      return eat('}');
    }
    if (s_[i_] == '[') {
      ++i_;
      out.kind = JsonNode::Kind::Array;
      if (eat(']')) return true;
      do {
        if (!value(out.items.emplace_back(), depth + 1)) return false;
      } while (eat(','));
      return eat(']');
    }
    if (s_[i_] == '"') return string(out.text);
    size_t start = i_;
    while (i_ < s_.size() &&
           std::string_view("+-.0123456789eEtruefalsn").find(s_[i_]) != std::string_view::npos)
      ++i_;
    out.text = s_.substr(start, i_ - start);
    return !out.text.empty();
  }

  std::string_view s_;
  size_t i_ = 0;
};

void outline(const JsonNode& node, size_t indent, bool first_inline, std::string& out);

void outline_item(const JsonNode& item, size_t indent, std::string& out) {
  out.append(indent, ' ');
  if (item.leaf()) {
    out += "- " + item.leaf_text() + "\n";
  } else if (item.kind == JsonNode::Kind::Object) {
    out += "- ";
    outline(item, indent + 2, true, out);
  } else {
    out += "-\n";
    outline(item, indent + 2, false, out);
  }
}

// A non-leaf object or array; `first_inline`: the first member continues a "- " line.
void outline(const JsonNode& node, size_t indent, bool first_inline, std::string& out) {
  if (node.kind == JsonNode::Kind::Array) {
    for (const auto& item : node.items) outline_item(item, indent, out);
    return;
  }
  bool first = true;
  for (const auto& v : node.members) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    if (v.leaf()) {
      out += v.key + ": " + v.leaf_text() + "\n";
    } else {
      out += v.key + ":\n";
      outline(v, indent + 2, false, out);
    }
  }
}

}  // namespace

std::string json_outline(std::string_view json) {
  JsonNode root;
  if (!JsonReader(json).document(root)) return std::string(json);
  if (root.leaf()) return root.leaf_text() + "\n";
  std::string out;
  outline(root, 0, false, out);
  return out;
}

}  // namespace flatsign::util
