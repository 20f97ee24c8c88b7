#include "graph/summary.hpp"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "strata/error.hpp"

namespace strata::detail {
namespace {

enum class Justify { kLeft, kRight, kCenter };

// Python's round(): halves go to the even neighbour. rich uses it to share out excess width.
int64_t round_half_even(double x) {
  const double r = std::nearbyint(x);  // default rounding mode is to-nearest-even
  return static_cast<int64_t>(r);
}

std::string thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// Cell widths (padding included) as rich computes them for Keras's fixed-width columns.
// Python's shutil.get_terminal_size().columns, which Keras's print_summary asks: COLUMNS when it is a
// positive integer, else the width of the terminal on standard output, else 80. So in a pipe, a file or CI
// log Keras prints 76-column tables, and so does strata.
int terminal_columns() {
  if (const char* env = std::getenv("COLUMNS")) {
    char* end = nullptr;
    errno = 0;
    const long columns = std::strtol(env, &end, 10);
    while (end != nullptr && (*end == ' ' || *end == '\t' || *end == '\n')) ++end;
    if (errno == 0 && end != env && end != nullptr && *end == '\0' && columns > 0 && columns < 100000) {
      return static_cast<int>(columns);
    }
  }
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::vector<int> cell_widths(const std::vector<double>& positions, int line_length) {
  std::vector<int> cells;
  int current = 0;
  for (double p : positions) {
    const int w = static_cast<int>(p * line_length) - current;
    if (w < 4) {
      throw ValueError(fmt::format("[summary] Insufficient line length {} to print the summary", line_length));
    }
    cells.push_back(w);
    current += w;
  }
  const int n = static_cast<int>(cells.size());
  const int available = line_length - (n + 1);
  int total = 0;
  for (int& c : cells) {
    c = std::min(c + 2, available);
    total += c;
  }
  if (total > available) {
    int64_t remaining = total - available;
    int columns_left = n;
    for (int& c : cells) {
      const int64_t d = std::min<int64_t>(c, round_half_even(static_cast<double>(remaining) / columns_left));
      c -= static_cast<int>(d);
      remaining -= d;
      --columns_left;
    }
  }
  return cells;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

std::string rstrip(std::string s) {
  while (!s.empty() && is_space(s.back())) s.pop_back();
  return s;
}

// Display width in terminal cells; every character strata prints is one cell wide, so count code points.
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `cells` code points of s.
std::string take(const std::string& s, size_t cells) {
  size_t n = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == cells) break;
      ++n;
    }
  }
  return s.substr(0, i);
}

// rich's word wrap for one cell: break only at spaces, cut an over-long word with an ellipsis.
std::vector<std::string> wrap(const std::string& text, int width, Justify justify) {
  struct Word {
    size_t start;
    std::string text;
  };
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    while (i < text.size() && !is_space(text[i])) ++i;
    while (i < text.size() && is_space(text[i])) ++i;
    words.push_back({start, text.substr(start, i - start)});
  }
  std::vector<size_t> breaks;
  size_t pos = 0;
  const size_t w = static_cast<size_t>(width);
  for (const Word& word : words) {
    const size_t length = display_width(rstrip(word.text));
    if (pos + length > w) {
      if (length > w) {
        if (word.start > 0) breaks.push_back(word.start);
        pos = display_width(word.text);
      } else if (pos > 0 && word.start > 0) {
        breaks.push_back(word.start);
        pos = display_width(word.text);
      }
    } else {
      pos += display_width(word.text);
    }
  }
  std::vector<size_t> bounds{0};
  bounds.insert(bounds.end(), breaks.begin(), breaks.end());
  bounds.push_back(text.size());
  std::vector<std::string> lines;
  for (size_t b = 0; b + 1 < bounds.size(); ++b) {
    std::string line = rstrip(text.substr(bounds[b], bounds[b + 1] - bounds[b]));
    if (display_width(line) > w) line = take(line, w - 1) + "\u2026";
    const size_t space = w - display_width(line);
    if (justify == Justify::kLeft) {
      lines.push_back(line + std::string(space, ' '));
    } else if (justify == Justify::kRight) {
      lines.push_back(std::string(space, ' ') + line);
    } else {
      lines.push_back(std::string(space / 2, ' ') + line + std::string(space - space / 2, ' '));
    }
  }
  if (lines.empty()) lines.push_back(std::string(w, ' '));
  return lines;
}

std::string rule(const std::vector<int>& cells, const char* left, const char* fill, const char* mid,
                 const char* right) {
  std::string line = left;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += mid;
    for (int k = 0; k < cells[i]; ++k) line += fill;
  }
  return line + right + "\n";
}

std::string row(const std::vector<int>& cells, const std::vector<std::string>& fields,
                const std::vector<Justify>& justify, bool pad_top, const char* edge) {
  std::vector<std::vector<std::string>> columns;
  size_t height = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    columns.push_back(wrap(fields[i], cells[i] - 2, justify[i]));
    height = std::max(height, columns.back().size());
  }
  for (size_t i = 0; i < cells.size(); ++i) {
    std::vector<std::string>& c = columns[i];
    const std::vector<std::string> blank(height - c.size(), std::string(cells[i] - 2, ' '));
    c.insert(pad_top ? c.begin() : c.end(), blank.begin(), blank.end());
  }
  std::string text;
  for (size_t k = 0; k < height; ++k) {
    text += edge;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) text += edge;
      text += " " + columns[i][k] + " ";
    }
    text += std::string(edge) + "\n";
  }
  return text;
}

// Keras's format_layer_shape: no one-tuple comma, unlike Shape::to_string.
std::string summary_shape(const Shape& shape) {
  std::vector<std::string> dims;
  for (const Dim& d : shape.dims()) dims.push_back(d ? std::to_string(*d) : "None");
  return fmt::format("({})", fmt::join(dims, ", "));
}

std::string output_shape_text(const LayerImpl& layer) {
  // Keras shows the shape of the layer's last call.
  for (auto it = layer.inbound_nodes.rbegin(); it != layer.inbound_nodes.rend(); ++it) {
    if (auto node = it->lock()) {
      if (node->output_shapes.size() == 1) return summary_shape(node->output_shapes[0]);
      std::vector<std::string> shapes;
      for (const Shape& s : node->output_shapes) shapes.push_back(summary_shape(s));
      return fmt::format("[{}]", fmt::join(shapes, ", "));
    }
  }
  return "?";
}

std::string connected_to(const FunctionalImpl& model, const LayerImpl& layer) {
  std::vector<std::string> parts;
  for (const auto& weak : layer.inbound_nodes) {
    auto node = weak.lock();
    if (!node || !model.contains(node.get())) continue;
    for (const SymbolicTensor& t : node->call_inputs()) parts.push_back(t.name());
  }
  if (parts.empty()) return "-";
  return fmt::format("{}", fmt::join(parts, ", "));
}

int64_t params_of(const LayerImpl& layer, bool want_trainable) {
  int64_t n = 0;
  for (const Variable& v : layer.weights()) {
    const bool counts_as_trainable = layer.trainable && v.trainable;
    if (counts_as_trainable == want_trainable) n += v.size();
  }
  return n;
}

// The rows Keras prints: a Sequential leaves out its InputLayer; expand_nested lists a nested model's layers
// under it.
struct SummaryRow {
  const LayerImpl* layer;
  const FunctionalImpl* owner;  // the model whose graph the row's calls belong to
  int level;
};

void collect_rows(const FunctionalImpl& model, int level, bool expand, std::vector<SummaryRow>& rows) {
  for (const auto& layer : model.layers()) {
    if (model.is_sequential() && layer->class_name() == "InputLayer") continue;
    rows.push_back({layer.get(), &model, level});
    if (!expand) continue;
    if (const auto* nested = dynamic_cast<const FunctionalImpl*>(layer.get())) collect_rows(*nested, level + 1, expand, rows);
  }
}

int64_t macs_of(const FunctionalImpl& model, const LayerImpl& layer) {
  int64_t macs = 0;
  for (const auto& weak : layer.inbound_nodes) {
    auto node = weak.lock();
    if (!node || !model.contains(node.get())) continue;
    if (const auto* nested = dynamic_cast<const FunctionalImpl*>(&layer)) {
      for (const auto& inner : nested->layers()) macs += macs_of(*nested, *inner);
    } else {
      macs += layer.macs(*node);
    }
  }
  return macs;
}

int64_t output_bytes_of(const FunctionalImpl& model, const LayerImpl& layer) {
  int64_t bytes = 0;
  for (const auto& weak : layer.inbound_nodes) {
    auto node = weak.lock();
    if (!node || !model.contains(node.get())) continue;
    for (const Shape& shape : node->output_shapes) {
      int64_t n = 4;
      for (int d = 1; d < shape.rank(); ++d) n *= shape[d].value_or(0);
      bytes += n;
    }
  }
  return bytes;
}

std::string readable_count(double n) {
  static const char* units[] = {"", " K", " M", " G", " T"};
  int u = 0;
  while (n >= 1000.0 && u < 4) {
    n /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f}", n) : fmt::format("{:.2f}{}", n, units[u]);
}

}  // namespace

std::string readable_memory_size(double bytes) {
  static const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  for (const char* unit : units) {
    if (bytes / 1024 < 1) return fmt::format("{:.2f} {}", bytes, unit);
    bytes /= 1024;
  }
  return fmt::format("{:.2f} PB", bytes);
}

std::string render_summary(const FunctionalImpl& model, const SummaryOptions& options) {
  // Keras's layout: 3 columns for sequential-like graphs, 4 with Connected to; show_trainable adds 12
  // characters and a centred column at 90% of the old positions. strata's cost columns follow the same rule.
  const bool sequential = model.is_sequential() || model.sequential_like();
  int default_length = sequential ? 88 : 108;
  std::vector<double> positions = sequential ? std::vector<double>{0.45, 0.80, 1.0} : std::vector<double>{0.3, 0.56, 0.74, 1.0};
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  std::vector<Justify> justify = {Justify::kLeft, Justify::kLeft, Justify::kRight};
  if (!sequential) {
    header.push_back("Connected to");
    justify.push_back(Justify::kLeft);
  }
  if (options.show_trainable) {
    default_length += 12;
    for (double& p : positions) p *= 0.90;
    positions.push_back(1.0);
    header.push_back("Trainable");
    justify.push_back(Justify::kCenter);
  }
  if (options.show_costs) {
    default_length += 36;
    for (double& p : positions) p *= 0.76;
    positions.push_back(0.88);
    positions.push_back(1.0);
    header.push_back("MACs");
    header.push_back("Output bytes");
    justify.push_back(Justify::kRight);
    justify.push_back(Justify::kRight);
  }
  // Keras: min(its default, terminal columns - 4); an explicit line_length wins.
  default_length = std::min(default_length, terminal_columns() - 4);
  const int line_length = options.line_length > 0 ? options.line_length : default_length;
  const std::vector<int> cells = cell_widths(positions, line_length);

  std::vector<SummaryRow> rows;
  collect_rows(model, 0, options.expand_nested, rows);

  std::string text = fmt::format("Model: \"{}\"\n", model.name());
  text += rule(cells, "\u250f", "\u2501", "\u2533", "\u2513");
  text += row(cells, header, justify, /*pad_top=*/true, "\u2503");
  text += rule(cells, "\u2521", "\u2501", "\u2547", "\u2529");
  int64_t trainable = 0, non_trainable = 0, total_macs = 0, total_bytes = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const LayerImpl& layer = *rows[i].layer;
    const int64_t t = params_of(layer, true), nt = params_of(layer, false);
    std::string prefix;
    for (int l = 0; l < rows[i].level; ++l) prefix += "   ";
    if (rows[i].level > 0) prefix += "\u2514 ";
    std::vector<std::string> fields = {fmt::format("{}{} ({})", prefix, layer.name(), layer.class_name()),
                                       output_shape_text(layer), thousands(t + nt)};
    // Rows of a nested model's layers have no connections in the outer graph.
    if (!sequential) fields.push_back(rows[i].level == 0 ? connected_to(model, layer) : "-");
    if (options.show_trainable) fields.push_back(layer.weights().empty() ? "-" : (layer.trainable ? "Y" : "N"));
    if (options.show_costs) {
      const int64_t macs = macs_of(*rows[i].owner, layer);
      const int64_t bytes = output_bytes_of(*rows[i].owner, layer);
      fields.push_back(thousands(macs));
      fields.push_back(thousands(bytes));
      if (rows[i].level == 0) {
        total_macs += macs;
        total_bytes += bytes;
      }
    }
    if (rows[i].level == 0) {
      trainable += t;
      non_trainable += nt;
    }
    text += row(cells, fields, justify, /*pad_top=*/false, "\u2502");
    if (i + 1 < rows.size()) text += rule(cells, "\u251c", "\u2500", "\u253c", "\u2524");
  }
  text += rule(cells, "\u2514", "\u2500", "\u2534", "\u2518");
  const int64_t total = trainable + non_trainable;
  text += fmt::format(" Total params: {} ({})\n", thousands(total), readable_memory_size(total * 4.0));
  text += fmt::format(" Trainable params: {} ({})\n", thousands(trainable), readable_memory_size(trainable * 4.0));
  text += fmt::format(" Non-trainable params: {} ({})\n", thousands(non_trainable),
                      readable_memory_size(non_trainable * 4.0));
  if (options.show_costs) {
    text += fmt::format(" Multiply-accumulates per sample: {} ({})\n", thousands(total_macs), readable_count(total_macs));
    text += fmt::format(" Output activations per sample: {} ({})\n", thousands(total_bytes),
                        readable_memory_size(static_cast<double>(total_bytes)));
  }
  return text;
}

int64_t multiply_accumulates(const FunctionalImpl& model) {
  int64_t total = 0;
  for (const auto& layer : model.layers()) total += macs_of(model, *layer);
  return total;
}

}  // namespace strata::detail
