// Small text utilities shared by the parser, the config and the CLI.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlloop {

std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
std::vector<std::string> split_list(std::string_view s, char sep);

// Returns the byte offset of the first invalid UTF-8 sequence, or npos when valid.
size_t find_invalid_utf8(std::string_view s);

// "12,345" style thousands separators, for counts in human output.
std::string with_commas(int64_t n);

// A metric's value for human output: 4 decimals ("0.3591", "549.2404"), or 4 significant
// digits below 0.001, where 4 decimals print 0.0000 (the RMSE of a target measured in
// millionths: "3.444e-07").
std::string fmt_value(double v);

// A CSV field as RFC 4180 writes it: in double quotes, its quotes doubled, when it holds a
// comma, a quote, a CR or LF, or starts or ends with a space; as it is otherwise.
std::string csv_field(std::string_view s);

// A float as its shortest decimal reads, widened to double: for JSON, where the float itself
// prints every digit of its binary value (a target of 14.1178 read as 14.117799758911133).
double float_as_written(float v);

// The closest of `candidates` to `word` by edit distance, or "" when none is close.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mlloop
