#include <string>
#include <string_view>

#include "mlloop/server/api.hpp"

#define MLLOOP_ASSET(name)                             \
  extern "C" const char mlloop_asset_##name##_start[]; \
  extern "C" const char mlloop_asset_##name##_end[];
MLLOOP_ASSET(index_html)
MLLOOP_ASSET(app_js)
MLLOOP_ASSET(app_css)
MLLOOP_ASSET(echarts_js)
#undef MLLOOP_ASSET

namespace mlloop::server {

namespace {
#define MLLOOP_VIEW(name)                       \
  std::string_view(mlloop_asset_##name##_start, \
                   static_cast<size_t>(mlloop_asset_##name##_end - mlloop_asset_##name##_start))

// Replaces the one occurrence of `marker` in `page`.
std::string fill(std::string page, std::string_view marker, std::string_view with) {
  auto at = page.find(marker);
  if (at != std::string::npos) page.replace(at, marker.size(), with);
  return page;
}

// Inline <script> text must not close its element early.
std::string script_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}
}  // namespace

std::optional<Asset> web_asset(std::string_view name) {
  if (name == "index.html") return Asset{"text/html; charset=utf-8", MLLOOP_VIEW(index_html)};
  if (name == "app.js") return Asset{"application/javascript; charset=utf-8", MLLOOP_VIEW(app_js)};
  if (name == "app.css") return Asset{"text/css; charset=utf-8", MLLOOP_VIEW(app_css)};
  if (name == "echarts.min.js") return Asset{"application/javascript; charset=utf-8", MLLOOP_VIEW(echarts_js)};
  return std::nullopt;
}

std::string dashboard_page() {
  std::string page(MLLOOP_VIEW(index_html));
  page = fill(page, "<!--STYLE-->", "<link rel=\"stylesheet\" href=\"/assets/app.css\">");
  return fill(page, "<!--SCRIPTS-->",
              "<script src=\"/assets/echarts.min.js\"></script>\n<script src=\"/assets/app.js\"></script>");
}

std::string report_page(const std::string& data_json) {
  std::string page(MLLOOP_VIEW(index_html));
  page = fill(page, "<!--STYLE-->", "<style>\n" + std::string(MLLOOP_VIEW(app_css)) + "</style>");
  std::string scripts = "<script>\n" + script_safe(MLLOOP_VIEW(echarts_js)) +
                        "\n</script>\n<script>window.MLLOOP_DATA = " + script_safe(data_json) +
                        ";</script>\n<script>\n" + script_safe(MLLOOP_VIEW(app_js)) + "\n</script>";
  return fill(page, "<!--SCRIPTS-->", scripts);
}

}  // namespace mlloop::server
