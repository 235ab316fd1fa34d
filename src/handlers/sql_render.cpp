// The wire JSON of POST /db and GET /query (see hoody/handlers/sql_render.hpp).
#include "hoody/handlers/sql_render.hpp"

#include "hoody/core/error.hpp"
#include "hoody/ops/base64.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>
#include <variant>

namespace hoody::handlers {
namespace {

using ojson = nlohmann::ordered_json;

ojson cell_json(ops::sql_cell&& cell) {
  return std::visit(
      [](auto&& v) -> ojson {
        using type = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<type, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<type, ops::sql_blob>) {
          ojson blob = ojson::object();
          blob["base64"] = ops::base64_encode(v.bytes);
          return blob;
        } else {
          return ojson(std::move(v));
        }
      },
      std::move(cell));
}

/// The rows as an array of objects (map) or of arrays (list); the cells are moved out and
/// released as soon as they are in the JSON.
ojson rows_json(ops::sql_rows& rows, ops::result_format format) {
  ojson out = ojson::array();
  const std::size_t ncol = rows.keys.size();
  std::size_t cell = 0;
  for (std::size_t r = 0; r < rows.count; ++r) {
    if (format == ops::result_format::map) {
      ojson row = ojson::object();
      for (std::size_t c = 0; c < ncol; ++c) {
        row[rows.keys[c]] = cell_json(std::move(rows.cells[cell++]));
      }
      out.push_back(std::move(row));
    } else {
      ojson row = ojson::array();
      for (std::size_t c = 0; c < ncol; ++c) {
        row.push_back(cell_json(std::move(rows.cells[cell++])));
      }
      out.push_back(std::move(row));
    }
  }
  std::vector<ops::sql_cell>().swap(rows.cells);
  return out;
}

ojson headers_json(std::vector<std::string>&& headers) {
  ojson out = ojson::array();
  for (auto& h : headers) {
    out.push_back(std::move(h));
  }
  return out;
}

std::string dump(const ojson& value) {
  return value.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace

std::string render_sql_outcome(ops::sql_outcome&& outcome) {
  ojson results = ojson::array();
  for (auto& item : outcome.results) {
    ojson result = ojson::object();
    using kind = ops::sql_item_result::kind;
    switch (item.type) {
    case kind::rows:
      result["success"] = true;
      result["resultHeaders"] = headers_json(std::move(item.rows.headers));
      result[outcome.format == ops::result_format::map ? "resultSet" : "resultSetList"] =
          rows_json(item.rows, outcome.format);
      if (item.rows.truncated) {
        result["truncated"] = true;
      }
      break;
    case kind::changed:
      result["success"] = true;
      result["rowsUpdated"] = item.rows_updated;
      break;
    case kind::batch: {
      result["success"] = true;
      result["rowsUpdatedBatch"] = std::move(item.batch_counts);
      if (!item.row_errors.empty()) {
        ojson errors = ojson::array();
        for (auto& e : item.row_errors) {
          ojson err = ojson::object();
          err["index"] = e.index;
          err["error"] = std::move(e.error);
          errors.push_back(std::move(err));
        }
        result["rowErrors"] = std::move(errors);
      }
      break;
    }
    case kind::failed:
      result["success"] = false;
      result["error"] = std::move(item.error);
      result["code"] = std::string(wire_name_of(item.code));
      break;
    }
    results.push_back(std::move(result));
  }
  ojson body = ojson::object();
  body["results"] = std::move(results);
  return dump(body);
}

std::string render_query_outcome(ops::query_outcome&& outcome) {
  ops::sql_rows& rows = outcome.rows;
  ojson body = ojson::object();
  body["success"] = true;
  body["columns"] = headers_json(std::move(rows.headers));
  body["resultSet"] = rows_json(rows, ops::result_format::map);
  body["rowCount"] = rows.count;
  body["truncated"] = rows.truncated;
  return dump(body);
}

}  // namespace hoody::handlers
