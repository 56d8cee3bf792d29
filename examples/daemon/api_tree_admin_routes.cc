// The routes of named trees (api_routes.h): GET /v1/trees, and
// POST /v1/trees/{name}/rollback. The store holds one tree, "default".
#include <optional>

#include "examples/daemon/api_json.h"
#include "examples/daemon/api_routes.h"
#include "examples/daemon/request_checks.h"

namespace basis::daemon {

using nlohmann::json;

namespace {

constexpr char kDefaultTree[] = "default";

bool known_tree(const std::string& name, httplib::Response& res) {
  if (name == kDefaultTree) return true;
  fail(res, ErrorCode::kNotFound, "no tree named '" + printable(name) + "' (this store holds one tree, 'default')");
  return false;
}

void list_trees(const ApiContext& api, httplib::Response& res) {
  Runtime::TreeState state = api.rt.state();
  json tree = {{"name", kDefaultTree},
               {"key_length", api.options.params.key_length},
               {"value_length", api.options.params.value_length ? json(*api.options.params.value_length) : json(nullptr)},
               {"digest", state.served ? json(tree::to_hex(tree::ByteView(state.digest))) : json(nullptr)},
               {"last_seq", state.served ? json(state.last_sequence) : json(nullptr)}};
  reply(res, 200, {{"trees", json::array({tree})}});
}

// {"checkpoint": id} | {"sequence": n} | {"digest": "66 hex digits"}: exactly one.
bool parse_target(const std::string& body, RollbackTarget* out, ApiError* error) {
  json doc;
  if (!parse_json_body(body, &doc, error)) return false;
  const ErrorCode bad = ErrorCode::kInvalidArgument;
  auto refuse = [&](const std::string& why) {
    *error = ApiError{bad, why + " (the body is one of {\"checkpoint\": id}, {\"sequence\": n}, {\"digest\": hex})"};
    return false;
  };
  if (!doc.is_object() || doc.size() != 1) return refuse("the body must be an object with one field");
  const std::string field = doc.begin().key();
  const json& value = doc.begin().value();
  if (field == "checkpoint" || field == "sequence") {
    if (!value.is_number_unsigned()) return refuse("\"" + field + "\" must be an unsigned 64-bit integer");
    const uint64_t n = value.get<uint64_t>();
    *out = field == "checkpoint" ? RollbackTarget::checkpoint(n) : RollbackTarget::sequence(n);
    return true;
  }
  if (field == "digest") {
    tree::Digest d;
    if (!value.is_string() || !tree::digest_from_hex(value.get_ref<const std::string&>(), &d)) {
      return refuse("\"digest\" must be " + std::to_string(2 * tree::kDigestSize) + " hex digits");
    }
    *out = RollbackTarget::to_digest(d);
    return true;
  }
  return refuse("unknown field '" + printable(field) + "'");
}

void rollback(const ApiContext& api, const httplib::Request& req, httplib::Response& res, const std::string& body) {
  if (!known_tree(req.matches[1].str(), res)) return;
  RollbackTarget target;
  ApiError error;
  if (!parse_target(body, &target, &error)) return fail(res, error);
  RollbackResult r = api.rt.rollback(target);
  if (!r.status.is_ok()) return fail(res, r.status);
  reply(res, 200, {{"tree", kDefaultTree},
                   {"digest_before", tree::to_hex(tree::ByteView(r.digest_before))},
                   {"digest", tree::to_hex(tree::ByteView(r.digest))},
                   {"seq", r.sequence ? json(r.sequence) : json(nullptr)},
                   {"to_seq", r.rolled_back_to},
                   {"undone", r.undone}});
}

}  // namespace

void install_tree_admin_routes(httplib::Server& server, const ApiContext& api) {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  server.Get("/v1/trees", [api](Req, Res res) { list_trees(api, res); });
  route_with_body(server, "POST", R"(/v1/trees/([^/]+)/rollback)", api.options.max_body_size,
                  [api](Req req, Res res, const std::string& body) { rollback(api, req, res, body); });
}

}  // namespace basis::daemon
