// The learning task, detected from the target column, and the checks a target must pass.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mlloop/data/dataset.hpp"

namespace mlloop {

enum class Task { binary, multiclass, regression };

const char* to_string(Task t);
std::optional<Task> parse_task(std::string_view s);
inline bool is_classification(Task t) { return t != Task::regression; }

struct TaskDecision {
  Task task = Task::regression;
  std::string reason;  // for the user: why this task
  std::string hint;    // for the user, when the rule may have guessed wrong: how to say otherwise
};

// Strings and booleans mean classification; an integer target with at most 20 distinct
// values means multiclass (binary with 2); anything else means regression.
TaskDecision detect_task(const Column& target);

// Class labels of a classification target, in order of first appearance, with counts.
struct ClassCount {
  std::string label;
  size_t count = 0;
  size_t first_row = 0;  // position of its first row in the dataset
};
std::vector<ClassCount> class_counts(const Column& target);

// Throws a bad-input Error when the target cannot be learned as `task`: a constant target,
// a class with fewer than 2 rows, a non-numeric regression target, or a binary task with
// other than 2 classes. Messages name the file, line and value.
void validate_target(const Dataset& ds, size_t target, Task task);

}  // namespace mlloop
