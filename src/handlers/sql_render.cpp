// The wire JSON of POST /db and GET /query (see hoody/handlers/sql_render.hpp).
#include "hoody/handlers/sql_render.hpp"

#include "hoody/core/error.hpp"
#include "hoody/ops/base64.hpp"
#include "hoody/ops/utf8.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

namespace hoody::handlers {
namespace {

using ojson = nlohmann::ordered_json;

ojson cell_json(ops::sql_cell&& cell) {
  return std::visit(
      [](auto&& v) -> ojson {  // visits an rvalue cell: `v` is an rvalue reference
        using type = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<type, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<type, ops::sql_blob>) {
          ojson blob = ojson::object();
          blob["base64"] = ops::base64_encode(v.bytes);
          return blob;
        } else {
          return ojson(std::forward<decltype(v)>(v));
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

namespace hoody::handlers {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string text) {
  if (ops::is_valid_utf8(text)) {
    return text;
  }
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = 0;
    for (std::size_t len = 1; len <= 4 && i + len <= text.size(); ++len) {
      if (ops::is_valid_utf8(std::string_view(text).substr(i, len))) {
        n = len;
        break;
      }
    }
    if (n == 0) {
      out += replacement;
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

std::string real_text(double v) {
  if (std::isinf(v)) {
    return v > 0 ? "Inf" : "-Inf";
  }
  return ojson(v).dump();
}

const char* type_name(const ops::sql_cell& cell) {
  switch (cell.index()) {
  case 0:
    return "null";
  case 1:
    return "integer";
  case 2:
    return "real";
  case 3:
    return "text";
  default:
    return "blob";
  }
}

std::string hex_preview(const std::string& bytes, std::size_t max) {
  static constexpr std::array<char, 16> digits{'0', '1', '2', '3', '4', '5', '6', '7',
                                               '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (i > 0) {
      out += ' ';
    }
    out += digits[b >> 4U];
    out += digits[b & 15U];
  }
  if (bytes.size() > max) {
    out += " …";
  }
  return out;
}

constexpr std::string_view page_style = R"css(
:root{color-scheme:light dark;--bg:#f7f8fa;--fg:#1d2330;--muted:#5d6677;--card:#fff;--line:#dde1e8;
--head:#eef1f5;--accent:#2f6fde;--warn-bg:#fff4d6;--warn-fg:#6b4d00;--null:#8a93a3;--stripe:#f9fafc}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--fg:#e4e8ef;--muted:#9aa3b2;--card:#1c2027;
--line:#2e343e;--head:#232831;--accent:#7aa7ff;--warn-bg:#3a3016;--warn-fg:#f3d98b;--null:#7d8696;--stripe:#1f242b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{padding:16px 20px 8px}
.brand{font-weight:600;color:var(--muted);font-size:12px;letter-spacing:.04em;text-transform:uppercase}
h1{font-size:18px;margin:4px 0 8px}
code,pre,td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.meta{margin:0 0 8px;color:var(--muted)}
.meta code{color:var(--fg)}
pre.sql{margin:0 0 10px;padding:8px 10px;background:var(--card);border:1px solid var(--line);border-radius:6px;
white-space:pre-wrap;overflow-wrap:anywhere;max-height:9em;overflow:auto;font-size:13px}
.summary{margin:0 0 8px;font-weight:600}
.notice{margin:0 0 8px;padding:6px 10px;border-radius:6px;background:var(--warn-bg);color:var(--warn-fg)}
nav{display:flex;gap:8px;flex-wrap:wrap;margin:0 0 8px}
nav a{color:var(--accent);text-decoration:none;border:1px solid var(--line);background:var(--card);
border-radius:6px;padding:3px 10px}
nav a:hover{text-decoration:underline}
main{padding:0 20px 20px}
.table-wrap{overflow:auto;max-height:75vh;background:var(--card);border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:max-content;min-width:100%;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{position:sticky;top:0;background:var(--head);font-family:system-ui,sans-serif;z-index:1}
th .type{display:block;font-weight:400;font-size:11px;color:var(--muted)}
td{max-width:40em;white-space:pre-wrap;overflow-wrap:anywhere}
tbody tr:nth-child(even){background:var(--stripe)}
td.num{text-align:right;white-space:nowrap}
.null{color:var(--null);font-style:italic}
.blob{color:var(--muted)}
.empty{padding:16px;color:var(--muted)}
)css";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string render_query_html(ops::query_outcome&& outcome, const query_page& page) {
  ops::sql_rows& rows = outcome.rows;
  const std::size_t ncol = rows.headers.size();
  // The types of each column's values (SQLite types are per value).
  std::vector<std::set<std::string>> types(ncol);
  for (std::size_t i = 0; i < rows.cells.size() && ncol > 0; ++i) {
    types[i % ncol].insert(type_name(rows.cells[i]));
  }
  const std::string db = html_escape(valid_utf8(page.db));
  std::string out;
  out.reserve(4096 + rows.cells.size() * 24);
  out +=
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n<title>";
  out += db;
  out += " · query · hoody-sqlite</title>\n<style>";
  out += page_style;
  out +=
      "</style>\n</head>\n<body>\n<header>\n<div class=\"brand\">hoody-sqlite</div>\n"
      "<h1>Query result</h1>\n<p class=\"meta\">Database <code>";
  out += db;
  out += "</code></p>\n<pre class=\"sql\">";
  out += html_escape(valid_utf8(page.sql));
  out += "</pre>\n<p class=\"summary\" id=\"row-count\">";
  out += std::to_string(rows.count);
  out += rows.count == 1 ? " row" : " rows";
  out += " · ";
  out += std::to_string(ncol);
  out += ncol == 1 ? " column" : " columns";
  out += "</p>\n";
  if (rows.truncated) {
    out += "<p class=\"notice\" id=\"truncated\" role=\"status\">Showing the first ";
    out += std::to_string(rows.count);
    out +=
        " rows: the query returns more (GET /query stops there). Add a LIMIT/OFFSET or use "
        "POST /db to page through the rest.</p>\n";
  }
  out += "<nav>";
  out +=
      "<a id=\"open-console\" href=\"" + html_escape(page.console_url) + "\">Open in console</a>";
  out += "<a id=\"as-json\" href=\"" + html_escape(page.json_url) + "\">JSON</a>";
  out += "<a id=\"as-csv\" href=\"" + html_escape(page.csv_url) + "\">CSV</a>";
  out += "</nav>\n</header>\n<main>\n<div class=\"table-wrap\">\n<table>\n<thead><tr>";
  for (std::size_t c = 0; c < ncol; ++c) {
    out += "<th scope=\"col\">";
    out += html_escape(valid_utf8(rows.headers[c]));
    out += "<span class=\"type\">";
    std::string joined;
    for (const auto& t : types[c]) {
      joined += joined.empty() ? t : " | " + t;
    }
    out += joined.empty() ? "—" : joined;
    out += "</span></th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  std::size_t cell = 0;
  for (std::size_t r = 0; r < rows.count; ++r) {
    out += "<tr>";
    for (std::size_t c = 0; c < ncol; ++c) {
      ops::sql_cell& v = rows.cells[cell++];
      std::visit(
          [&out](auto& x) {
            using type = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<type, std::monostate>) {
              out += "<td class=\"null\">NULL</td>";
            } else if constexpr (std::is_same_v<type, std::int64_t>) {
              out += "<td class=\"num\">" + std::to_string(x) + "</td>";
            } else if constexpr (std::is_same_v<type, double>) {
              out += "<td class=\"num\">" + real_text(x) + "</td>";
            } else if constexpr (std::is_same_v<type, std::string>) {
              out += "<td>" + html_escape(valid_utf8(std::move(x))) + "</td>";
            } else {
              out += "<td class=\"blob\">BLOB, " + std::to_string(x.bytes.size()) + " bytes";
              if (!x.bytes.empty()) {
                out += ": " + hex_preview(x.bytes, 16);
              }
              out += "</td>";
            }
          },
          v);
      v = std::monostate{};  // release the cell
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  if (rows.count == 0) {
    out += "<p class=\"empty\">No rows.</p>\n";
  }
  out += "</div>\n</main>\n</body>\n</html>\n";
  return out;
}

namespace {

void csv_field(std::string& out, std::string_view text) {
  if (text.find_first_of("\",\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
}

}  // namespace

void append_csv_header(std::string& out, const std::vector<std::string>& headers) {
  for (std::size_t c = 0; c < headers.size(); ++c) {
    if (c > 0) {
      out += ',';
    }
    csv_field(out, valid_utf8(headers[c]));
  }
  out += "\r\n";
}

void append_csv_rows(std::string& out, ops::sql_rows& rows) {
  const std::size_t ncol = rows.headers.size();
  std::size_t cell = 0;
  for (std::size_t r = 0; r < rows.count; ++r) {
    for (std::size_t c = 0; c < ncol; ++c) {
      if (c > 0) {
        out += ',';
      }
      ops::sql_cell& v = rows.cells[cell++];
      std::visit(
          [&out](auto& x) {
            using type = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<type, std::monostate>) {
              // NULL: an empty field
            } else if constexpr (std::is_same_v<type, std::int64_t>) {
              out += std::to_string(x);
            } else if constexpr (std::is_same_v<type, double>) {
              out += real_text(x);
            } else if constexpr (std::is_same_v<type, std::string>) {
              csv_field(out, valid_utf8(std::move(x)));
            } else {
              out += ops::base64_encode(x.bytes);
            }
          },
          v);
      v = std::monostate{};
    }
    out += "\r\n";
  }
  std::vector<ops::sql_cell>().swap(rows.cells);
}

std::string render_query_csv(ops::query_outcome&& outcome) {
  std::string out;
  append_csv_header(out, outcome.rows.headers);
  append_csv_rows(out, outcome.rows);
  return out;
}

void append_json_rows(std::string& out, ops::sql_rows& rows, bool first) {
  auto objects = rows_json(rows, ops::result_format::map);
  for (const auto& row : objects) {
    out += first ? "\n" : ",\n";
    first = false;
    out += dump(row);
  }
}

}  // namespace hoody::handlers
