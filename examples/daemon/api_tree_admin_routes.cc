// The routes over the store's trees (api_routes.h): listing, creating and
// dropping trees, rolling one back, and transactions across trees.
#include <optional>

#include "basis/trees.h"

#include "examples/daemon/api_json.h"
#include "examples/daemon/api_routes.h"
#include "examples/daemon/request_checks.h"

namespace basis::daemon {

using nlohmann::json;

namespace {

json tree_json(const TreeInfo& info, basis::Runtime* rt) {
  json j = {{"name", info.name},
            {"key_length", info.key_length},
            {"value_length", info.value_length ? json(*info.value_length) : json(nullptr)},
            {"digest", nullptr},
            {"last_seq", nullptr},
            {"status", info.status.is_ok() ? "ok" : "unavailable"}};
  if (!info.status.is_ok()) j["why"] = info.status.to_string();
  if (rt) {
    Runtime::TreeState state = rt->state();
    if (state.served) {
      j["digest"] = tree::to_hex(tree::ByteView(state.digest));
      j["last_seq"] = state.last_sequence;
    }
    if (!state.writes.is_ok()) j["writes"] = state.writes.to_string();
  }
  return j;
}

void list_trees(const ApiContext& api, httplib::Response& res) {
  json list = json::array();
  for (const TreeInfo& info : api.rt.trees()) {
    std::shared_ptr<Runtime> rt = info.status.is_ok() ? api.rt.tree(info.name) : nullptr;
    list.push_back(tree_json(info, rt.get()));
  }
  reply(res, 200, {{"trees", list}});
}

// {"name": "...", "key_length": n, "value_length": n | null}
void create_tree(const ApiContext& api, httplib::Response& res, const std::string& body) {
  json doc;
  ApiError error;
  if (!parse_json_body(body, &doc, &error)) return fail(res, error);
  const ErrorCode bad = ErrorCode::kInvalidArgument;
  const std::string shape = " (the body is {\"name\": \"…\", \"key_length\": 1..255, \"value_length\": n or null})";
  if (!doc.is_object() || !doc.contains("name") || !doc["name"].is_string()) {
    return fail(res, bad, "the body must be an object with a string \"name\"" + shape);
  }
  config::Config::Tree params;
  params.name = doc["name"].get<std::string>();
  for (const auto& item : doc.items()) {
    const std::string& f = item.key();
    const json& v = item.value();
    if (f == "name") continue;
    if (f == "key_length") {
      if (!v.is_number_unsigned() || v.get<uint64_t>() < 1 || v.get<uint64_t>() > 255) {
        return fail(res, bad, "\"key_length\" must be an integer 1..255" + shape);
      }
      params.key_length = v.get<uint32_t>();
    } else if (f == "value_length") {
      if (v.is_null()) continue;
      if (!v.is_number_unsigned() || v.get<uint64_t>() > 0x7fffffff) {
        return fail(res, bad, "\"value_length\" must be a byte count or null (any length)" + shape);
      }
      params.value_length = v.get<uint32_t>();
    } else {
      return fail(res, bad, "unknown field '" + printable(f) + "'" + shape);
    }
  }
  if (tree::Status s = api.rt.create_tree(params); !s.is_ok()) return fail(res, s);
  std::shared_ptr<Runtime> rt = api.rt.tree(params.name);
  reply(res, 201, tree_json(TreeInfo{params.name, params.key_length, params.value_length, tree::Status::ok()}, rt.get()));
}

void drop_tree(const ApiContext& api, const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches[1].str();
  if (tree::Status s = api.rt.drop_tree(name); !s.is_ok()) return fail(res, s);
  reply(res, 200, {{"name", name}, {"dropped", true}});
}

// {"parts": [{"tree": "name", "ops": [...]}, ...]}: each part's operations
// as a batch's, checked against its tree's key and value lengths.
void transaction(const ApiContext& api, httplib::Response& res, const std::string& body) {
  ApiError error;
  const size_t max_ops = api.options.max_batch_operations;
  if (!check_batch_shape(body, kMaxTransactionParts * max_ops, &error)) return fail(res, error);
  json doc;
  if (!parse_json_body(body, &doc, &error)) return fail(res, error);
  const ErrorCode bad = ErrorCode::kInvalidBatch;
  const std::string shape = " (the body is {\"parts\": [{\"tree\": \"name\", \"ops\": [...]}, ...]})";
  if (!doc.is_object() || doc.size() != 1 || !doc.contains("parts") || !doc["parts"].is_array()) {
    return fail(res, bad, "the body must be an object with one field, a \"parts\" array" + shape);
  }
  const json& parts = doc["parts"];
  if (parts.empty()) return fail(res, bad, "the transaction has no parts");
  if (parts.size() > kMaxTransactionParts) {
    return fail(res, ErrorCode::kBatchTooLarge, "the transaction has " + std::to_string(parts.size()) +
                                                    " parts; at most " + std::to_string(kMaxTransactionParts));
  }
  std::vector<TransactionPart> request;
  for (size_t i = 0; i < parts.size(); ++i) {
    const json& p = parts[i];
    const std::string at = "part " + std::to_string(i);
    if (!p.is_object() || p.size() != 2 || !p.contains("tree") || !p["tree"].is_string() || !p.contains("ops")) {
      return fail(res, bad, at + ": must be an object with \"tree\" (a name) and \"ops\"" + shape);
    }
    TreeTarget t;
    if (!find_tree(api, p["tree"].get<std::string>(), &t, res)) return;
    TransactionPart part{t.name, {}};
    if (!parse_operations(p["ops"], t.params, &part.operations, &error)) {
      error.message = at + " (tree '" + printable(t.name) + "'): " + error.message;
      return fail(res, error);
    }
    if (part.operations.empty()) return fail(res, bad, at + ": no operations");
    if (part.operations.size() > max_ops) {
      return fail(res, ErrorCode::kBatchTooLarge, at + " has " + std::to_string(part.operations.size()) +
                                                      " operations; persistence.operation_batch_size is " +
                                                      std::to_string(max_ops));
    }
    request.push_back(std::move(part));
  }
  std::vector<std::string> names;
  for (const auto& p : request) names.push_back(p.tree);
  TransactionResult r = api.rt.transact(std::move(request));
  if (!r.status.is_ok()) {
    api.metrics.batch_failed();
    if (!r.refused_part) return fail(res, r.status);
    const size_t i = *r.refused_part;
    return fail(res, tree::Status(r.status.kind(), "part " + std::to_string(i) + " (tree '" + printable(names[i]) +
                                                       "') refused the transaction, and no tree changed: " +
                                                       r.status.message()));
  }
  json out = json::array();
  for (size_t i = 0; i < r.parts.size(); ++i) {
    json j = batch_json(r.parts[i], false);
    j["tree"] = names[i];
    out.push_back(std::move(j));
  }
  reply(res, 200, {{"parts", out}});
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
  TreeTarget t;
  if (!find_tree(api, req.matches[1].str(), &t, res)) return;
  RollbackTarget target;
  ApiError error;
  if (!parse_target(body, &target, &error)) return fail(res, error);
  RollbackResult r = t.rt->rollback(target);
  if (!r.status.is_ok()) return fail(res, r.status);
  reply(res, 200, {{"tree", t.name},
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
  const uint64_t max_body = api.options.max_body_size;
  server.Get("/v1/trees", [api](Req, Res res) { list_trees(api, res); });
  route_with_body(server, "POST", "/v1/trees", max_body,
                  [api](Req, Res res, const std::string& body) { create_tree(api, res, body); });
  route_with_body(server, "DELETE", R"(/v1/trees/([^/]+))", max_body,
                  [api](Req req, Res res, const std::string&) { drop_tree(api, req, res); });
  route_with_body(server, "POST", "/v1/transactions", max_body,
                  [api](Req, Res res, const std::string& body) { transaction(api, res, body); });
  route_with_body(server, "POST", R"(/v1/trees/([^/]+)/rollback)", api.options.max_body_size,
                  [api](Req req, Res res, const std::string& body) { rollback(api, req, res, body); });
}

}  // namespace basis::daemon
